import type { INodeParameters } from 'n8n-workflow';

/**
 * The node's outputs for its parameters: Send that routes closed-window items (131047) gets a second
 * output. The outputs expression embeds this function's source, so it uses nothing outside itself.
 */
export function configuredOutputs(parameters: INodeParameters) {
	if (
		parameters.resource === 'message' &&
		parameters.operation === 'send' &&
		parameters.onWindowClosed === 'route'
	) {
		return [
			{ type: 'main', displayName: 'Sent' },
			{ type: 'main', displayName: 'Window Closed' },
		];
	}
	return [{ type: 'main' }];
}
