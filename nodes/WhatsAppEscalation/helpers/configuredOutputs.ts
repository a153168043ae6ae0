import type { INodeParameters } from 'n8n-workflow';

/** The named outputs of the operations that have more than one, in output order; the others have one. */
export const OUTPUT_NAMES: Record<string, readonly string[]> = {
	route: ['Human', 'Bot', 'Already With Human'],
	escalate: ['New Case', 'Existing Case'],
};

/**
 * The node's outputs for its parameters. The outputs expression embeds this function's source and
 * passes the names as JSON, so the function uses nothing outside itself.
 */
export function configuredOutputs(
	parameters: INodeParameters,
	outputNames: Record<string, readonly string[]>,
) {
	const named = outputNames[parameters.operation as string];
	return named ? named.map((displayName) => ({ type: 'main', displayName })) : [{ type: 'main' }];
}
