import type { INodeParameters } from 'n8n-workflow';

/** The output names the send operations may have besides Sent; execute() finds its indices by them. */
export const WINDOW_CLOSED_OUTPUT = 'Window Closed';
export const BLOCKED_OUTPUT = 'Blocked (Human Owns)';

/**
 * The node's outputs for its parameters: Send that routes closed-window items (131047) gets a Window
 * Closed output; Send and Send Template that send only while the bot owns the conversation get a
 * Blocked (Human Owns) output, last so an existing Window Closed connection keeps its index. The
 * outputs expression embeds this function's source, so it uses nothing outside itself.
 */
export function configuredOutputs(parameters: INodeParameters) {
	const sending =
		parameters.resource === 'message' &&
		(parameters.operation === 'send' || parameters.operation === 'sendTemplate');
	if (!sending) return [{ type: 'main' }];
	const names = ['Sent'];
	if (parameters.operation === 'send' && parameters.onWindowClosed === 'route')
		names.push('Window Closed');
	const fields = parameters.additionalFields;
	if (fields && typeof fields === 'object' && (fields as INodeParameters).onlyIfBotOwns === true)
		names.push('Blocked (Human Owns)');
	if (names.length === 1) return [{ type: 'main' }];
	return names.map((displayName) => ({ type: 'main', displayName }));
}

/** The index of a named output of the send operations, or undefined when the parameters give it none. */
export function outputIndex(parameters: INodeParameters, name: string): number | undefined {
	const index = configuredOutputs(parameters).findIndex(
		(output) => (output as { displayName?: string }).displayName === name,
	);
	return index < 0 ? undefined : index;
}
