import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { conversationKey, conversationView } from '../../core/conversationRecord';
import { expireLease } from '../../core/lease';
import { forEachItem } from '../helpers/forEachItem';
import { conversationIds, resolveConversation } from '../helpers/resolveConversation';
import { conversationProperties } from './conversation.description';

/** Get: the conversation record: owner and lease, profile, correlations with their state, transcript. */

const properties: INodeProperties[] = [
	...conversationProperties,
	{
		displayName: 'Transcript Lines',
		name: 'transcriptLimit',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description: 'Newest transcript lines to output. 0: all that are kept.',
	},
];

const displayOptions = { show: { operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await forEachItem(this, 1, (book, itemIndex, json, now) => {
		const conversation = resolveConversation(this, book, itemIndex, json, { create: false, now });
		if (!conversation) {
			const { customerId, phoneNumberId } = conversationIds(this, itemIndex, json);
			return {
				output: 0,
				json: {
					found: false,
					conversationKey: conversationKey(phoneNumberId ?? '', customerId),
					owner: 'bot',
				},
			};
		}
		expireLease(conversation, now);
		const limit = Number(this.getNodeParameter('transcriptLimit', itemIndex, 0)) || undefined;
		return {
			output: 0,
			json: { found: true, ...conversationView(conversation, limit) } as unknown as IDataObject,
		};
	});
}
