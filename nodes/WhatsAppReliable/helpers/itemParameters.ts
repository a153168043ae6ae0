import type { IExecuteFunctions } from 'n8n-workflow';

/** One item's view of the node's parameters, so readers name a parameter and nothing else. */
export interface ItemParameters {
	ctx: IExecuteFunctions;
	itemIndex: number;
	param(name: string, fallback?: unknown): unknown;
	/** The rows of a fixedCollection parameter (`{ [rowName]: rows }`); none when it is empty. */
	rows<Row>(name: string, rowName: string): Row[];
}

export function itemParameters(ctx: IExecuteFunctions, itemIndex: number): ItemParameters {
	const param = (name: string, fallback?: unknown) =>
		ctx.getNodeParameter(name, itemIndex, fallback);
	return {
		ctx,
		itemIndex,
		param,
		rows: <Row>(name: string, rowName: string) =>
			((param(name, {}) as Record<string, Row[] | undefined>)[rowName] ?? []) as Row[],
	};
}
