import { randomBytes } from 'node:crypto';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { loadPrivateKey } from '../core/flowCrypto';
import {
	fallbackReply,
	openFlowRequest,
	type FlowHttpAnswer,
	type FlowRequestKind,
} from '../core/flowEndpoint';
import type { FlowExchangeRegistry } from '../shared/flowExchangeRegistry';

/**
 * What the trigger's webhook() does with one HTTP request, without n8n's context object, so node
 * tests and the trigger share one path: decide (core) → answer now, or open an exchange and hand an
 * item to the workflow.
 */

export const DEFAULT_RESPONSE_TIMEOUT_MS = 7000;
export const DEFAULT_TIMEOUT_MESSAGE = 'Something went wrong. Please try again in a moment.';

export interface FlowTriggerOptions {
	responseTimeoutMs?: number;
	onTimeout?: 'errorMessage' | 'invalidToken';
	timeoutMessage?: string;
	emitErrorNotifications?: boolean;
}

export interface FlowEndpointCredentials {
	privateKey?: string;
	passphrase?: string;
	appSecret?: string;
}

export interface FlowWebhookLog {
	warn(message: string, meta?: IDataObject): void;
	debug(message: string, meta?: IDataObject): void;
}

export interface FlowWebhookInput {
	rawBody: Buffer | undefined;
	signatureHeader: string | string[] | undefined;
	credentials: FlowEndpointCredentials;
	options: FlowTriggerOptions;
	registry: FlowExchangeRegistry;
	/** Writes an HTTP answer once; false if the response was already sent. */
	write: (answer: FlowHttpAnswer) => boolean;
	/** Resolves after `ms` (n8n's sleep in the node; tests may pass their own). */
	wait: (ms: number) => Promise<unknown>;
	log: FlowWebhookLog;
	now?: () => number;
	newRequestId?: () => string;
}

export interface FlowWebhookResult {
	/** Output 0: exchanges for the workflow; output 1: error notifications (when emitted). */
	workflowData?: INodeExecutionData[][];
	/** For tests and logs: what happened. */
	handled: 'rejected' | 'ping' | 'error_notification' | 'exchange';
	status?: number;
	requestId?: string;
}

function errorNotificationItem(
	request: Extract<FlowRequestKind, { kind: 'error_notification' }>,
): INodeExecutionData {
	return {
		json: {
			action: request.action,
			screen: request.screen ?? null,
			flow_token: request.flowToken ?? null,
			version: request.version ?? null,
			error: request.error as IDataObject[string],
			error_message: request.errorMessage ?? null,
			data: request.data as IDataObject,
		},
	};
}

function resolveTimeoutMs(options: FlowTriggerOptions): number {
	const value = Number(options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS);
	if (!Number.isFinite(value) || value <= 0) return DEFAULT_RESPONSE_TIMEOUT_MS;
	return Math.round(value);
}

export function handleFlowWebhook(input: FlowWebhookInput): FlowWebhookResult {
	const { credentials, options, registry, log } = input;
	const now = input.now ?? Date.now;
	const outcome = openFlowRequest(input.rawBody, input.signatureHeader, {
		appSecret: credentials.appSecret,
		privateKey: () =>
			loadPrivateKey(credentials.privateKey ?? '', credentials.passphrase || undefined),
	});

	if (outcome.type === 'reject') {
		// The reason names the failed check, never a secret; the HTTP body stays generic.
		log.warn(`WhatsApp Flow endpoint answered ${outcome.answer.status}: ${outcome.reason}`, {
			status: outcome.answer.status,
		});
		input.write(outcome.answer);
		return { handled: 'rejected', status: outcome.answer.status };
	}

	if (outcome.type === 'answered') {
		input.write(outcome.answer);
		if (outcome.request.kind === 'ping') {
			log.debug('WhatsApp Flow endpoint answered a health check (ping)');
			return { handled: 'ping', status: outcome.answer.status };
		}
		const request = outcome.request as Extract<FlowRequestKind, { kind: 'error_notification' }>;
		log.warn(
			`WhatsApp Flow client reported an error on ${request.action}${request.screen ? ` (screen ${request.screen})` : ''}: ${String(request.error)}${request.errorMessage ? ` - ${request.errorMessage}` : ''}`,
		);
		return {
			handled: 'error_notification',
			status: outcome.answer.status,
			workflowData: options.emitErrorNotifications
				? [[], [errorNotificationItem(request)]]
				: undefined,
		};
	}

	const { request, aesKey, iv } = outcome;
	const requestId = (input.newRequestId ?? (() => randomBytes(16).toString('hex')))();
	const timeoutMs = resolveTimeoutMs(options);
	const message = options.timeoutMessage || DEFAULT_TIMEOUT_MESSAGE;
	registry.open({
		requestId,
		action: request.action,
		screen: request.screen,
		flowToken: request.flowToken,
		aesKey,
		iv,
		openedAt: now(),
		timeoutMs,
		fallback: fallbackReply(options.onTimeout ?? 'errorMessage', request.screen, message),
		write: input.write,
	});

	// The endpoint must answer even if the workflow fails, ends without a respond node, or is slow.
	void input
		.wait(timeoutMs)
		.then(() => {
			const result = registry.answer(requestId, 'timeout');
			if (result.answered) {
				log.warn(
					`WhatsApp Flow request ${requestId} (${request.action}) got no answer from the workflow within ${timeoutMs} ms; answered ${result.status} with the timeout message`,
					{ requestId, status: result.status },
				);
			}
		})
		.catch(() => undefined);

	const item: INodeExecutionData = {
		json: {
			requestId,
			action: request.action,
			screen: request.screen ?? null,
			data: request.data as IDataObject,
			flow_token: request.flowToken ?? null,
			version: request.version ?? null,
			...(request.truncated ? { truncated: true } : {}),
		},
	};
	return { handled: 'exchange', requestId, workflowData: [[item], []] };
}
