import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ConversationBook } from '../../core/conversationRecord';
import { errorItem } from '../../shared/errorItem';
import { asNodeError, openConversationStore } from '../../shared/stateStores';
import { conversationIds } from './resolveConversation';
import { readStoreConfig } from './storeConfig';

/**
 * Runs `handle` for each item on a book holding that item's customer's conversations, as one change of
 * the node's state store (the change may run again if another process changed them meanwhile); failures become error items with Continue On
 * Fail (see errorItem: n8n moves them to the error output when there is one) or the node's error. Every output item is paired with its input.
 */
export async function forEachItem(
	ctx: IExecuteFunctions,
	outputCount: number,
	handle: (
		book: ConversationBook,
		itemIndex: number,
		json: IDataObject,
		now: number,
	) => { output: number; json: IDataObject },
): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const outputs: INodeExecutionData[][] = Array.from({ length: outputCount }, () => []);
	let store;
	try {
		store = await openConversationStore(ctx, readStoreConfig(ctx));
	} catch (error) {
		throw asNodeError(ctx, error);
	}
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const json = items[itemIndex].json;
			const { customerId, phoneNumberId } = conversationIds(ctx, itemIndex, json);
			const now = Date.now();
			const result = await store
				.update(
					{ phoneNumberId, customerIds: [customerId] },
					(book) => handle(book, itemIndex, json, now),
					now,
				)
				.catch((error: unknown) => {
					throw asNodeError(ctx, error);
				});
			outputs[result.output].push({ json: result.json, pairedItem: { item: itemIndex } });
		} catch (error) {
			const nodeError =
				error instanceof NodeOperationError
					? error
					: new NodeOperationError(ctx.getNode(), error as Error, { itemIndex });
			if (!ctx.continueOnFail()) throw nodeError;
			outputs[0].push(
				errorItem(ctx.getNode(), nodeError.message, itemIndex, { input: items[itemIndex].json }),
			);
		}
	}
	return outputs;
}
