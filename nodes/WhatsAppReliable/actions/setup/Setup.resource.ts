import type { INodeProperties } from 'n8n-workflow';

import * as checkSetup from './checkSetup.operation';

export { checkSetup };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['setup'] } },
		default: 'checkSetup',
		options: [
			{
				name: 'Check Setup',
				value: 'checkSetup',
				action: 'Check setup',
				description:
					"Check the token, phone number, app subscription, callback URL, Flow key and the triggers' counters, one item per check",
			},
		],
	},
	...checkSetup.description,
];
