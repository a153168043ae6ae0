import { asString } from '../core/coerce';
import {
	completeReply,
	errorMessageReply,
	invalidTokenReply,
	nextScreenReply,
	parseJsonObject,
	type FlowReply,
} from '../core/flowEndpoint';
import type {
	FlowAnswerResult,
	FlowExchangeRegistry,
	PendingFlowExchange,
} from '../shared/flowExchangeRegistry';

/** The respond node's decision, apart from n8n: which request, which answer. */

export type RespondWith = 'nextScreen' | 'complete' | 'errorMessage' | 'invalidToken';

export interface RespondParameters {
	respondWith: RespondWith;
	screen?: string;
	data?: unknown;
	params?: unknown;
	errorMessage?: string;
}

export class FlowRespondError extends Error {
	constructor(
		message: string,
		readonly description?: string,
	) {
		super(message);
		this.name = 'FlowRespondError';
	}
}

function buildReply(parameters: RespondParameters, exchange: PendingFlowExchange): FlowReply {
	switch (parameters.respondWith) {
		case 'nextScreen': {
			const screen = (parameters.screen ?? '').trim();
			if (!screen)
				throw new FlowRespondError('Screen is empty', 'Enter the id of the screen to show next.');
			return nextScreenReply(screen, parseJsonObject(parameters.data, 'Screen Data'));
		}
		case 'complete':
			return completeReply(
				exchange.flowToken,
				parseJsonObject(parameters.params, 'Response Params'),
			);
		case 'errorMessage': {
			if (!exchange.screen) {
				throw new FlowRespondError(
					`The ${exchange.action} request has no current screen to show an error on`,
					'Answer INIT with a next screen, or use "Invalid Flow Token" to end the session.',
				);
			}
			return errorMessageReply(exchange.screen, parameters.errorMessage || 'Something went wrong');
		}
		case 'invalidToken':
			return invalidTokenReply(parameters.errorMessage || 'This form is no longer available');
		default:
			throw new FlowRespondError(`Unknown answer type "${String(parameters.respondWith)}"`);
	}
}

/**
 * Finds the request this execution must answer: an explicit id, else the one bound to this
 * execution by the trigger, else the `requestId` field of the first item.
 */
export function resolveRequestId(
	registry: FlowExchangeRegistry,
	explicitId: string | undefined,
	executionId: string | undefined,
	itemRequestId: unknown,
): string | undefined {
	if (explicitId && explicitId.trim()) return explicitId.trim();
	const bound = executionId ? registry.requestIdForExecution(executionId) : undefined;
	if (bound) return bound;
	return asString(itemRequestId) ?? undefined;
}

/**
 * Answers the request. If the answer cannot be built (bad JSON, missing screen), the request still
 * gets its fallback answer at once rather than waiting for the timeout, and the error is thrown.
 */
export function respondToFlow(
	registry: FlowExchangeRegistry,
	requestId: string | undefined,
	parameters: () => RespondParameters,
): FlowAnswerResult {
	if (!requestId) {
		throw new FlowRespondError(
			'No WhatsApp Flow request to answer',
			'This execution was not started by a WhatsApp Flow Trigger request in this n8n process, and the item has no requestId. In queue mode the respond node must run in the process that received the request.',
		);
	}
	const exchange = registry.peek(requestId);
	if (!exchange) throw notAnswered(registry.missing(requestId));
	const built = tryBuildReply(parameters, exchange);
	if (!built.ok) {
		registry.answer(requestId, 'failure');
		throw built.error;
	}
	const result = registry.answer(requestId, 'workflow', built.reply);
	if (!result.answered) throw notAnswered(result);
	return result;
}

function tryBuildReply(
	parameters: () => RespondParameters,
	exchange: PendingFlowExchange,
): { ok: true; reply: FlowReply } | { ok: false; error: Error } {
	try {
		return { ok: true, reply: buildReply(parameters(), exchange) };
	} catch (error) {
		return {
			ok: false,
			error: error instanceof Error ? error : new FlowRespondError(String(error)),
		};
	}
}

function notAnswered(result: Exclude<FlowAnswerResult, { answered: true }>): FlowRespondError {
	const detail = result.message.charAt(0).toUpperCase() + result.message.slice(1);
	return new FlowRespondError('The WhatsApp Flow request cannot be answered', `${detail}.`);
}
