import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { ConversationBook } from '../../core/conversationRecord';
import { errorItem } from '../../shared/errorItem';
import { asNodeError, openConversationStore } from '../../shared/stateStores';
import { conversationIds } from './resolveConversation';
import { readStoreConfig } from './storeConfig';

/** Another change of the same item's conversations, as one step of the store (it may run again). */
export type UpdateConversations = <T>(change: (book: ConversationBook) => T) => Promise<T>;

export interface ItemResult {
	output: number;
	json: IDataObject;
	/**
	 * Work after the item's change has been stored: a network call (which cannot sit inside a change
	 * that may run again) and a second change recording its outcome. Returns the item's final json; an
	 * error it throws may carry `context.itemFields`, what was done, for the error item.
	 */
	after?: (update: UpdateConversations) => Promise<IDataObject>;
}

/**
 * Runs `handle` for each item on a book holding that item's customer's conversations, as one change of
 * the node's State Store (the change may run again if another process changed them meanwhile).
 * Failures become error items with Continue On Fail (n8n moves them to the error output when there is
 * one, see errorItem) or the node's error. Every output item is paired with its input.
 */
export async function forEachItem(
	ctx: IExecuteFunctions,
	outputCount: number,
	handle: (book: ConversationBook, itemIndex: number, json: IDataObject, now: number) => ItemResult,
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
			const update: UpdateConversations = async (change) =>
				await store
					.update({ phoneNumberId, customerIds: [customerId] }, change, Date.now())
					.catch((error: unknown) => {
						throw asNodeError(ctx, error);
					});
			const now = Date.now();
			const result = await update((book) => handle(book, itemIndex, json, now));
			const out = result.after ? await result.after(update) : result.json;
			outputs[result.output].push({ json: out, pairedItem: { item: itemIndex } });
		} catch (error) {
			const nodeError =
				error instanceof NodeOperationError || error instanceof NodeApiError
					? error
					: new NodeOperationError(ctx.getNode(), error as Error, { itemIndex });
			// What an item did before it failed (e.g. the case it opened before a thread control call).
			const fields = nodeError.context.itemFields as IDataObject | undefined;
			if (!ctx.continueOnFail()) throw nodeError;
			outputs[0].push(
				errorItem(ctx.getNode(), nodeError.message, itemIndex, {
					input: items[itemIndex].json,
					fields,
				}),
			);
		}
	}
	return outputs;
}
