import type { KeyObject } from 'node:crypto';

import { asString } from '../core/coerce';
import { unwrapReplyKey } from '../core/flowCrypto';
import {
	completeReply,
	encryptReply,
	errorMessageReply,
	invalidTokenReply,
	nextScreenReply,
	parseJsonObject,
	type FlowHttpAnswer,
	type FlowReply,
	type FlowReplyEnvelope,
} from '../core/flowEndpoint';

/** The respond node's decision, apart from n8n: which request, which answer, encrypted how. */

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

/** The request the trigger handed to the workflow, as read back from its item. */
export interface FlowRequestToAnswer {
	requestId?: string;
	action: string;
	screen?: string;
	flowToken?: string;
	envelope: FlowReplyEnvelope;
}

/** What the respond node remembers in the execution's flow context once it has answered. */
export interface FlowAnswered {
	requestId: string | null;
	status: number;
	node: string;
}

export const ANSWERED_CONTEXT_KEY = 'whatsAppFlowAnswered';

/** Reads a WhatsApp Flow Trigger item (its `endpoint` field); undefined if `json` is not one. */
export function readFlowRequest(json: unknown): FlowRequestToAnswer | undefined {
	if (!json || typeof json !== 'object') return undefined;
	const record = json as Record<string, unknown>;
	const endpoint = record.endpoint as Record<string, unknown> | undefined;
	const action = asString(record.action);
	if (!endpoint || typeof endpoint !== 'object' || action === null) return undefined;
	const wrappedKey = asString(endpoint.encrypted_aes_key);
	const iv = asString(endpoint.initial_vector);
	if (wrappedKey === null || iv === null) return undefined;
	const timeoutStatus = Number(endpoint.timeout_status);
	return {
		requestId: asString(record.requestId) ?? undefined,
		action,
		screen: asString(record.screen) ?? undefined,
		flowToken: asString(record.flow_token) ?? undefined,
		envelope: {
			encrypted_aes_key: wrappedKey,
			initial_vector: iv,
			respond_by: asString(endpoint.respond_by) ?? '',
			timeout_status: Number.isFinite(timeoutStatus) ? timeoutStatus : 200,
		},
	};
}

export function requireFlowRequest(request: FlowRequestToAnswer | undefined): FlowRequestToAnswer {
	if (request) return request;
	throw new FlowRespondError(
		'No WhatsApp Flow request to answer',
		'This execution was not started by a WhatsApp Flow Trigger request: connect this node after a WhatsApp Flow Trigger (its Request output).',
	);
}

/**
 * Refuses a second answer: one the execution already gave (another respond node, a loop), or one
 * the trigger's timeout gave in the process that holds the request (its deadline has passed, so
 * that process has answered or is answering now). In queue mode the deadline was set by the webhook
 * process's clock and is read by the worker's: a skew between them only moves the moment a late
 * respond node gives up; the held request is answered at most once either way (the first write wins,
 * see writeFlowAnswer).
 */
export function assertAnswerable(
	request: FlowRequestToAnswer,
	answered: FlowAnswered | undefined,
	now: number,
): void {
	if (answered) {
		throw new FlowRespondError(
			'The WhatsApp Flow request cannot be answered',
			`The Flow request was already answered (by the node "${answered.node}", HTTP ${answered.status}).`,
		);
	}
	const deadline = Date.parse(request.envelope.respond_by);
	if (Number.isFinite(deadline) && now >= deadline) {
		throw new FlowRespondError(
			'The WhatsApp Flow request cannot be answered',
			`The Flow request was already answered (by the timeout, HTTP ${request.envelope.timeout_status}). Raise the trigger's Response Timeout or make the workflow faster.`,
		);
	}
}

export function buildReply(parameters: RespondParameters, request: FlowRequestToAnswer): FlowReply {
	switch (parameters.respondWith) {
		case 'nextScreen': {
			const screen = (parameters.screen ?? '').trim();
			if (!screen)
				throw new FlowRespondError('Screen is empty', 'Enter the id of the screen to show next.');
			return nextScreenReply(screen, parseJsonObject(parameters.data, 'Screen Data'));
		}
		case 'complete':
			return completeReply(
				request.flowToken,
				parseJsonObject(parameters.params, 'Response Params'),
			);
		case 'errorMessage': {
			if (!request.screen) {
				throw new FlowRespondError(
					`The ${request.action} request has no current screen to show an error on`,
					'Answer INIT with a next screen, or use "Invalid Flow Token" to end the session.',
				);
			}
			return errorMessageReply(request.screen, parameters.errorMessage || 'Something went wrong');
		}
		case 'invalidToken':
			return invalidTokenReply(parameters.errorMessage || 'This form is no longer available');
		default:
			throw new FlowRespondError(`Unknown answer type "${String(parameters.respondWith)}"`);
	}
}

/**
 * Encrypts `reply` for the request: unwraps its AES key with the private key (in memory only) and
 * encrypts under the inverted IV. Throws FlowCryptoError if the key does not unwrap (another
 * credential than the trigger's).
 */
export function encryptAnswer(
	reply: FlowReply,
	request: FlowRequestToAnswer,
	privateKey: KeyObject,
): FlowHttpAnswer {
	const { aesKey, iv } = unwrapReplyKey(request.envelope, privateKey);
	return encryptReply(reply, aesKey, iv);
}
