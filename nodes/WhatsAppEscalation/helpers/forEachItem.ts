import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ConversationBook } from '../../core/conversationRecord';
import { openConversations } from '../../shared/conversations';
import { errorItem } from '../../shared/errorItem';
import { readStoreConfig } from './storeConfig';

/**
 * Runs `handle` for each item with the workflow's book; failures become error items with Continue On
 * Fail (see errorItem: n8n moves them to the error output when there is one) or the node's error. Every output item is paired with its input.
 */
export function forEachItem(
	ctx: IExecuteFunctions,
	outputCount: number,
	handle: (
		book: ConversationBook,
		itemIndex: number,
		json: IDataObject,
		now: number,
	) => { output: number; json: IDataObject },
): INodeExecutionData[][] {
	const items = ctx.getInputData();
	const outputs: INodeExecutionData[][] = Array.from({ length: outputCount }, () => []);
	const book = openConversations(ctx, readStoreConfig(ctx));
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const result = handle(book, itemIndex, items[itemIndex].json, Date.now());
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
