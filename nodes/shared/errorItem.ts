import type { IDataObject, INode, INodeExecutionData } from 'n8n-workflow';

/**
 * A failed item with Continue On Fail, in the shape n8n routes as nodes-base does: on the first
 * output, `json.error` holding the message, paired with its input.
 *
 * - *On Error → Continue (using error output)*: n8n moves an item to the error output only when it
 *   carries `error` and its json holds nothing else than `error`, `message` and `details` (an
 *   `error` on the item itself would do too, but n8n then replaces the json with the message alone).
 *   So the fields that help (errorClass, retry, guidance, mayHaveBeenSent, code, …) go under
 *   `details`; n8n adds the input item's fields. Nothing failed stays on Sent, Human or New Case.
 * - *Continue (regular output)*: the item stays on the first output, `error` next to the fields and
 *   after the input's fields (`input`), so a downstream IF on `error` tells it apart.
 */
export function errorItem(
	node: Pick<INode, 'onError'>,
	message: string,
	itemIndex: number,
	parts: { fields?: IDataObject; input?: IDataObject } = {},
): INodeExecutionData {
	const fields = { ...parts.fields };
	delete fields.error;
	if (node.onError === 'continueErrorOutput') {
		return {
			json: Object.keys(fields).length ? { error: message, details: fields } : { error: message },
			pairedItem: { item: itemIndex },
		};
	}
	return {
		json: { ...parts.input, ...fields, error: message },
		pairedItem: { item: itemIndex },
	};
}
