import { randomBytes } from 'node:crypto';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { loadPrivateKey } from '../core/flowCrypto';
import {
	encryptReply,
	fallbackReply,
	openFlowRequest,
	type FlowHttpAnswer,
	type FlowReplyEnvelope,
	type FlowRequestKind,
} from '../core/flowEndpoint';

/**
 * What the trigger's webhook() does with one HTTP request, without n8n's context object, so node
 * tests and the trigger share one path: decide (core) → answer now, or hand an item to the workflow
 * and hold the request until the WhatsApp Flow Respond node answers it through n8n's response path.
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

/** The part of n8n's (Express) response object the endpoint uses. */
export interface FlowHttpResponse {
	headersSent: boolean;
	writableEnded?: boolean;
	statusCode?: number;
	status(code: number): FlowHttpResponse;
	type(value: string): FlowHttpResponse;
	send(body: string): unknown;
	json?: (body?: unknown) => unknown;
}

export interface FlowWebhookInput {
	rawBody: Buffer | undefined;
	signatureHeader: string | string[] | undefined;
	credentials: FlowEndpointCredentials;
	options: FlowTriggerOptions;
	/** The HTTP response of this request, held open by n8n until the workflow answers. */
	response: FlowHttpResponse;
	/** Resolves after `ms` (n8n's sleep in the node; tests may pass their own). */
	wait: (ms: number) => Promise<unknown>;
	log: FlowWebhookLog;
	now?: () => number;
	newRequestId?: () => string;
}

export interface FlowWebhookResult {
	/** Output 0: exchanges for the workflow; output 1: error notifications (when emitted). */
	workflowData?: INodeExecutionData[][];
	/**
	 * True when the endpoint has written the HTTP answer itself (rejection, ping, error notification):
	 * the node returns `noWebhookResponse`. False for an exchange: n8n holds the request open for
	 * the respond node's answer (`responseMode: 'responseNode'`).
	 */
	answered: boolean;
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

/** Writes `answer` as text unless the response has been written already; true if it wrote. */
export function writeFlowAnswer(response: FlowHttpResponse, answer: FlowHttpAnswer): boolean {
	if (response.headersSent || response.writableEnded) return false;
	response.status(answer.status).type('text/plain');
	response.send(answer.body);
	return true;
}

/**
 * Makes every answer n8n writes on its own behalf the encrypted fallback instead. In
 * `responseNode` mode n8n answers a request itself when no respond node did: HTTP 500
 * `{"message":"Error in workflow"}` (regular mode) or `{"message":"Workflow execution failed"}`
 * (queue mode) when the execution fails, and HTTP 200 with an empty body when it ends without a
 * respond node (in queue mode whatever the trigger declares). All of them go through the response's
 * `json()`; none can be decrypted by the client, and the 200 would count as a success. The respond
 * node's answer is text (`send()`), so it passes untouched.
 */
export function replaceN8nAnswers(
	response: FlowHttpResponse,
	fallback: FlowHttpAnswer,
	onReplaced: (n8nStatus: number | undefined) => void,
): void {
	response.json = () => {
		const n8nStatus = response.statusCode;
		if (writeFlowAnswer(response, fallback)) onReplaced(n8nStatus);
		return response;
	};
}

export function handleFlowWebhook(input: FlowWebhookInput): FlowWebhookResult {
	const { credentials, options, log, response } = input;
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
		writeFlowAnswer(response, outcome.answer);
		return { handled: 'rejected', answered: true, status: outcome.answer.status };
	}

	if (outcome.type === 'answered') {
		writeFlowAnswer(response, outcome.answer);
		if (outcome.request.kind === 'ping') {
			log.debug('WhatsApp Flow endpoint answered a health check (ping)');
			return { handled: 'ping', answered: true, status: outcome.answer.status };
		}
		const request = outcome.request as Extract<FlowRequestKind, { kind: 'error_notification' }>;
		log.warn(
			`WhatsApp Flow client reported an error on ${request.action}${request.screen ? ` (screen ${request.screen})` : ''}: ${String(request.error)}${request.errorMessage ? ` - ${request.errorMessage}` : ''}`,
		);
		return {
			handled: 'error_notification',
			answered: true,
			status: outcome.answer.status,
			workflowData: options.emitErrorNotifications
				? [[], [errorNotificationItem(request)]]
				: undefined,
		};
	}

	const { request, aesKey, iv, wrapped } = outcome;
	const requestId = (input.newRequestId ?? (() => randomBytes(16).toString('hex')))();
	const timeoutMs = resolveTimeoutMs(options);
	const message = options.timeoutMessage || DEFAULT_TIMEOUT_MESSAGE;
	const fallback = fallbackReply(options.onTimeout ?? 'errorMessage', request.screen, message);
	// Encrypted now, in the process that holds the request: the AES key lives in this closure until
	// the fallback is no longer needed, and is never written anywhere.
	const fallbackAnswer = encryptReply(fallback, aesKey, iv);

	replaceN8nAnswers(response, fallbackAnswer, (n8nStatus) =>
		log.warn(
			`WhatsApp Flow request ${requestId} (${request.action}) was not answered by a WhatsApp Flow Respond node (the execution failed or ended without one; n8n's HTTP ${String(n8nStatus ?? 200)}); answered ${fallback.status} with the timeout message`,
			{ requestId, status: fallback.status },
		),
	);

	// The endpoint must answer within Meta's 10 s even if the workflow is slow or never runs (a busy
	// or lost queue worker). Only this process can: it holds the connection.
	void input
		.wait(timeoutMs)
		.then(() => {
			if (writeFlowAnswer(response, fallbackAnswer)) {
				log.warn(
					`WhatsApp Flow request ${requestId} (${request.action}) got no answer from the workflow within ${timeoutMs} ms; answered ${fallback.status} with the timeout message`,
					{ requestId, status: fallback.status },
				);
			}
		})
		.catch(() => undefined);

	const envelope: FlowReplyEnvelope = {
		...wrapped,
		respond_by: new Date(now() + timeoutMs).toISOString(),
		timeout_status: fallback.status,
	};
	const item: INodeExecutionData = {
		json: {
			requestId,
			action: request.action,
			screen: request.screen ?? null,
			data: request.data as IDataObject,
			flow_token: request.flowToken ?? null,
			version: request.version ?? null,
			...(request.truncated ? { truncated: true } : {}),
			endpoint: envelope as unknown as IDataObject,
		},
	};
	return { handled: 'exchange', answered: false, requestId, workflowData: [[item], []] };
}
