import type { INodeExecutionData, INodeProperties, IExecuteFunctions } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { forEachItem } from '../helpers/forEachItem';
import { conversationIds } from '../helpers/resolveConversation';
import { conversationProperties } from './conversation.description';

/**
 * Erase Customer Data: removes a customer's conversations (transcript, profile name, order states,
 * case) from the workflow's state, which every later save writes without them. Dedupe keys and
 * status ledgers hold only digests, so nothing else of the customer is kept in clear.
 */

const properties: INodeProperties[] = [...conversationProperties];

const displayOptions = { show: { operation: ['erase'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await forEachItem(this, 1, (book, itemIndex, json) => {
		const { customerId, phoneNumberId } = conversationIds(this, itemIndex, json);
		const erased = book.erase(customerId, phoneNumberId);
		return { output: 0, json: { customerId, phoneNumberId, erasedConversations: erased } };
	});
}
