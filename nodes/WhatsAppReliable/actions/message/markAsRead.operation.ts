import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { buildMarkAsRead } from '../../../core/messages';
import { callGraph } from '../../transport';
import { executeJobs, failedCall } from '../../helpers/itemJobs';
import { optionsProperty } from '../options.description';

const properties: INodeProperties[] = [
	{
		displayName: 'Message ID',
		name: 'messageId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'wamid.HBgL...',
		description:
			'The inbound message to mark as read (earlier messages of the chat are marked too)',
	},
	{
		displayName: 'Show Typing Indicator',
		name: 'typingIndicator',
		type: 'boolean',
		default: false,
		description: 'Whether to show "typing…" to the user until you reply or for up to 25 seconds',
	},
	optionsProperty,
];

const displayOptions = { show: { resource: ['message'], operation: ['markAsRead'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await executeJobs(
		this,
		async (itemIndex, session) => {
			const typingIndicator = this.getNodeParameter('typingIndicator', itemIndex, false) as boolean;
			const body = buildMarkAsRead(
				String(this.getNodeParameter('messageId', itemIndex, '')),
				typingIndicator,
			);
			return {
				itemIndex,
				lane: body.message_id,
				run: async () => {
					const result = await callGraph(
						this,
						session.target,
						{ method: 'POST', path: `${session.target.phoneNumberId}/messages`, body: { ...body } },
						session.policy,
					);
					if (!result.ok) return failedCall(session, itemIndex, result);
					return {
						kind: 'ok',
						output: 0,
						json: {
							messageId: body.message_id,
							success: true,
							typingIndicator,
							attempts: result.attempts,
						},
					};
				},
			};
		},
		{ needsPhoneNumberId: true },
	);
}
