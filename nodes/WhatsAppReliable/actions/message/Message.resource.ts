import type { INodeProperties } from 'n8n-workflow';

import * as markAsRead from './markAsRead.operation';
import * as send from './send.operation';
import * as sendTemplate from './sendTemplate.operation';

export { markAsRead, send, sendTemplate };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		default: 'send',
		options: [
			{
				name: 'Mark as Read',
				value: 'markAsRead',
				action: 'Mark a message as read',
				description: 'Mark an inbound message as read, optionally with a typing indicator',
			},
			{
				name: 'Send',
				value: 'send',
				action: 'Send a message',
				description:
					'Send text, media, location, contacts, a reaction, buttons, a list, a CTA URL or a flow',
			},
			{
				name: 'Send Template',
				value: 'sendTemplate',
				action: 'Send a template',
				description: 'Send an approved message template',
			},
		],
	},
	...send.description,
	...sendTemplate.description,
	...markAsRead.description,
];
