import type { KeyObject } from 'node:crypto';
import { z } from 'zod';

import { decryptFlowRequest, encryptFlowResponse, FlowCryptoError } from './flowCrypto';
import {
	applyJsonBudget,
	assertJsonBudget,
	describeLimit,
	JsonBudgetError,
	parseJsonWithinBudget,
} from './jsonBudget';
import { verifySignature } from './signature';

/**
 * The WhatsApp Flows data endpoint as a pure request → decision model. The n8n nodes only wire it:
 * they hand in the raw body and the signature header, and get back either an answer to write
 * (ping, error-notification acknowledgement, a rejection) or an exchange for the workflow.
 */

// ---------------------------------------------------------------- Server side (what arrives)

/** The POST body Meta sends: three base64 strings. Unknown extra fields are tolerated. */
export const flowEnvelopeSchema = z
	.object({
		encrypted_flow_data: z.string().min(1),
		encrypted_aes_key: z.string().min(1),
		initial_vector: z.string().min(1),
	})
	.passthrough();

/**
 * The decrypted request. `action` is kept as a string so that an action Meta adds later still reaches
 * the workflow (which can answer it) instead of failing every user until this package is updated.
 */
export const flowRequestSchema = z
	.object({
		version: z.string().optional(),
		action: z.string().min(1),
		screen: z.string().optional(),
		data: z.record(z.unknown()).optional().nullable(),
		flow_token: z.string().optional(),
	})
	.passthrough();

export type FlowRequest = z.infer<typeof flowRequestSchema>;

export const EXCHANGE_ACTIONS = ['INIT', 'data_exchange', 'BACK'] as const;

/** What a decrypted request is, for the endpoint. */
export type FlowRequestKind =
	| { kind: 'ping'; version?: string }
	| {
			kind: 'error_notification';
			action: string;
			screen?: string;
			flowToken?: string;
			version?: string;
			error: unknown;
			errorMessage?: string;
			data: Record<string, unknown>;
			/** Part of the decrypted request was past the input budget and replaced by a marker. */
			truncated?: boolean;
	  }
	| {
			kind: 'exchange';
			action: string;
			screen?: string;
			flowToken?: string;
			version?: string;
			data: Record<string, unknown>;
			/** Part of the decrypted request was past the input budget and replaced by a marker. */
			truncated?: boolean;
	  };

/**
 * Ping is a health check. A request whose `data.error` is present is the client reporting that our
 * previous answer was unusable (it arrives with action INIT or data_exchange) and must only be
 * acknowledged. Everything else is an exchange the workflow answers.
 */
export function classifyFlowRequest(request: FlowRequest): FlowRequestKind {
	const data = (request.data ?? {}) as Record<string, unknown>;
	if (request.action === 'ping') return { kind: 'ping', version: request.version };
	if (data.error !== undefined && data.error !== null && data.error !== '') {
		return {
			kind: 'error_notification',
			action: request.action,
			screen: request.screen,
			flowToken: request.flow_token,
			version: request.version,
			error: data.error,
			errorMessage: typeof data.error_message === 'string' ? data.error_message : undefined,
			data,
		};
	}
	return {
		kind: 'exchange',
		action: request.action,
		screen: request.screen,
		flowToken: request.flow_token,
		version: request.version,
		data,
	};
}

// ---------------------------------------------------------------- Client side (what we answer)

/** The plaintext of an answer and its HTTP status, before encryption. */
export interface FlowReply {
	status: number;
	body: Record<string, unknown>;
}

export function pingReply(): FlowReply {
	return { status: 200, body: { data: { status: 'active' } } };
}

export function acknowledgeReply(): FlowReply {
	return { status: 200, body: { data: { acknowledged: true } } };
}

/** Navigate to `screen` with `data` (the answer to INIT, data_exchange and BACK). */
export function nextScreenReply(screen: string, data: Record<string, unknown>): FlowReply {
	return { status: 200, body: { screen, data } };
}

/**
 * Close the Flow. The client sends `params` back in the `nfm_reply` message webhook as
 * `response_json`; `flow_token` is always included so that message can be matched to the session.
 */
export function completeReply(
	flowToken: string | undefined,
	params: Record<string, unknown>,
): FlowReply {
	const merged: Record<string, unknown> = { ...params };
	if (flowToken !== undefined) merged.flow_token = flowToken;
	return {
		status: 200,
		body: { screen: 'SUCCESS', data: { extension_message_response: { params: merged } } },
	};
}

/** HTTP 427: the flow token is no longer valid; the client shows `error_msg` and disables the Flow. */
export function invalidTokenReply(errorMessage: string): FlowReply {
	return { status: 427, body: { error_msg: errorMessage } };
}

/** Stay on the current screen and show `message` to the user; they can try again. */
export function errorMessageReply(screen: string, message: string): FlowReply {
	return { status: 200, body: { screen, data: { error_message: message } } };
}

/**
 * The answer when the workflow failed or did not answer in time. On a screen (data_exchange, BACK)
 * the user stays there with the message and can retry. INIT has no screen to stay on: an HTTP 500
 * makes the client show its generic error without disabling the Flow (as 427 would), so the user
 * can open it again. `invalidToken` mode answers 427 instead, for workflows that prefer to end the
 * session.
 */
export function fallbackReply(
	mode: 'errorMessage' | 'invalidToken',
	screen: string | undefined,
	message: string,
): FlowReply {
	if (mode === 'invalidToken') return invalidTokenReply(message);
	if (screen) return errorMessageReply(screen, message);
	return { status: 500, body: { error_msg: message } };
}

/**
 * What the Flow Respond node needs to answer the request, carried on the trigger's item. Nothing in
 * it is a secret: the AES key is still wrapped with the business public key (only the credential's
 * private key unwraps it) and the IV is public in the request already.
 */
export interface FlowReplyEnvelope {
	encrypted_aes_key: string;
	initial_vector: string;
	/** When the trigger's timeout answers instead (ISO 8601); a respond node after it must not answer. */
	respond_by: string;
	/** The HTTP status of that timeout answer, for the late respond node's error message. */
	timeout_status: number;
}

// ---------------------------------------------------------------- The request pipeline

export interface FlowEndpointSecrets {
	appSecret: string | undefined;
	privateKey: () => KeyObject;
}

/** An answer the endpoint writes itself. `body` is the text to send (base64 ciphertext or a short reason). */
export interface FlowHttpAnswer {
	status: number;
	body: string;
}

export type FlowEndpointOutcome =
	/** Rejected before decryption or unreadable: plain-text answer, `reason` is for the log only. */
	| { type: 'reject'; answer: FlowHttpAnswer; reason: string }
	/** Answered by the endpoint itself (ping, error notification). */
	| { type: 'answered'; answer: FlowHttpAnswer; request: FlowRequestKind }
	/**
	 * The workflow answers. `aesKey` and `iv` stay in the memory of the process that received the
	 * request (for its fallback answer); `wrapped` is what the workflow may carry: the RSA-wrapped key
	 * and the IV as Meta sent them, which only the private key's holder can use.
	 */
	| {
			type: 'exchange';
			request: Extract<FlowRequestKind, { kind: 'exchange' }>;
			aesKey: Buffer;
			iv: Buffer;
			wrapped: { encrypted_aes_key: string; initial_vector: string };
	  };

function reject(status: number, reason: string, text: string): FlowEndpointOutcome {
	return { type: 'reject', answer: { status, body: text }, reason };
}

export function encryptReply(reply: FlowReply, aesKey: Buffer, iv: Buffer): FlowHttpAnswer {
	return { status: reply.status, body: encryptFlowResponse(reply.body, aesKey, iv) };
}

/**
 * Signature (432) → JSON envelope (400) → decryption (421, or 500 for our own key) → decrypted
 * request (400) → ping / error notification (answered here) or an exchange for the workflow.
 * The signature covers the raw bytes as received, so the body is parsed from those bytes too.
 */
export function openFlowRequest(
	rawBody: Buffer | undefined,
	signatureHeader: string | string[] | undefined,
	secrets: FlowEndpointSecrets,
): FlowEndpointOutcome {
	const raw = rawBody ?? Buffer.alloc(0);
	const signature = verifySignature(raw, signatureHeader, secrets.appSecret);
	if (!signature.valid) return reject(432, signature.message, 'Request signature mismatch');

	let json: unknown;
	try {
		json = JSON.parse(raw.toString('utf8'));
	} catch {
		return reject(400, 'the body is not JSON', 'Bad request');
	}
	const envelope = flowEnvelopeSchema.safeParse(json);
	if (!envelope.success) {
		return reject(
			400,
			'the body lacks encrypted_flow_data, encrypted_aes_key or initial_vector',
			'Bad request',
		);
	}

	let decrypted: ReturnType<typeof decryptFlowRequest> | undefined;
	let failure: unknown;
	try {
		decrypted = decryptFlowRequest(envelope.data, secrets.privateKey());
	} catch (error) {
		failure = error;
	}
	if (failure instanceof FlowCryptoError) {
		const text =
			failure.status === 421
				? 'Cannot decrypt request'
				: failure.status === 500
					? 'Endpoint misconfigured'
					: 'Bad request';
		return reject(failure.status, failure.message, text);
	}
	// Anything else is a bug, rethrown as it was, after the catch (n8n's package scan).
	if (decrypted === undefined) throw failure;
	const { aesKey, iv } = decrypted;

	let decoded: unknown;
	try {
		decoded = JSON.parse(decrypted.plaintext);
	} catch {
		return reject(400, 'the decrypted request is not JSON', 'Bad request');
	}
	// The same input budget as the webhook trigger: parts past it become markers, the request goes on.
	const budgeted = applyJsonBudget(decoded);
	if (budgeted.isMarker(budgeted.value)) {
		const limit = describeLimit(budgeted.value.truncated);
		return reject(400, `the decrypted request is past the input limit: ${limit}`, 'Bad request');
	}
	const parsed = flowRequestSchema.safeParse(budgeted.value);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		return reject(
			400,
			`the decrypted request is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
			'Bad request',
		);
	}

	const request = classifyFlowRequest(parsed.data);
	if (budgeted.truncations > 0 && request.kind !== 'ping') request.truncated = true;
	if (request.kind === 'ping')
		return { type: 'answered', answer: encryptReply(pingReply(), aesKey, iv), request };
	if (request.kind === 'error_notification') {
		return { type: 'answered', answer: encryptReply(acknowledgeReply(), aesKey, iv), request };
	}
	const wrapped = {
		encrypted_aes_key: envelope.data.encrypted_aes_key,
		initial_vector: envelope.data.initial_vector,
	};
	return { type: 'exchange', request, aesKey, iv, wrapped };
}

// ---------------------------------------------------------------- Respond-node parameters

/** JSON given to the respond node for screen data or completion params must be an object. */
export const flowDataObjectSchema = z.record(z.unknown());

export function parseJsonObject(value: unknown, field: string): Record<string, unknown> {
	let candidate = value;
	let failure: unknown;
	try {
		if (typeof value === 'string') {
			const text = value.trim();
			if (text === '') return {};
			candidate = parseJsonWithinBudget(text);
		} else {
			assertJsonBudget(value);
		}
	} catch (error) {
		failure = error;
	}
	// Thrown after the catch, not from it (n8n's package scan); the node wraps it in NodeOperationError.
	if (failure instanceof JsonBudgetError) throw new Error(`${field}: ${failure.message}`);
	if (failure !== undefined) throw new Error(`${field} is not valid JSON`);
	if (candidate === undefined || candidate === null) return {};
	const parsed = flowDataObjectSchema.safeParse(candidate);
	if (!parsed.success || Array.isArray(candidate))
		throw new Error(`${field} must be a JSON object`);
	return parsed.data;
}
