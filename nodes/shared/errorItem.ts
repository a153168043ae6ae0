import type {
	IDataObject,
	INodeExecutionData,
	NodeApiError,
	NodeOperationError,
} from 'n8n-workflow';

/**
 * A failed item with Continue On Fail, as nodes-base returns it: on the first output, `json.error`
 * holding the message next to the fields that help (errorClass, retry, guidance, …), and the error
 * itself on the item. With *On Error → Continue (using error output)* n8n moves an item to the error
 * output only when it carries `error` or its json holds nothing but error fields; ours hold more, so
 * the item's `error` is what sends it there and keeps it off a success output (Sent, Human, New Case).
 * With *Continue (regular output)* it stays on the first output, and `json.error` tells it apart.
 */
export function errorItem(
	error: NodeApiError | NodeOperationError,
	fields: IDataObject,
	itemIndex: number,
): INodeExecutionData {
	return {
		json: { ...fields, error: error.message },
		error,
		pairedItem: { item: itemIndex },
	};
}
