import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
} from 'n8n-workflow';
import { sleep } from 'n8n-workflow';

import {
	classifyGraphError,
	type GraphErrorInfo,
	type RetryDecision,
} from '../../core/graphErrors';
import {
	mediaUploadBody,
	parseGraphError,
	parseRetryAfter,
	type GraphErrorBody,
} from '../../core/messages';
import { withRetry, type RetryOptions, type RetryResult } from '../../core/retryPolicy';
import type { RatePacer } from '../../core/ratePacer';

/** The one way this node talks to the Graph API. */

const CREDENTIAL_TYPE = 'whatsAppCloudApi';
export const REQUEST_TIMEOUT_MS = 30_000;

/** Time and chance, replaceable in tests so no test waits for real. */
export const runtime = {
	sleep: (ms: number): Promise<void> => sleep(ms),
	now: (): number => Date.now(),
	random: (): number => Math.random(),
};

type Context = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions;

export interface GraphTarget {
	/** `<base URL>/<version>`, no trailing slash. */
	root: string;
	phoneNumberId: string;
	businessAccountId: string;
}

export async function graphTarget(
	ctx: Context,
	phoneNumberIdOverride?: string,
): Promise<GraphTarget> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	const base = String(credentials.baseUrl || 'https://graph.facebook.com').replace(/\/+$/, '');
	const version = String(credentials.graphApiVersion || 'v23.0').replace(/^\/+|\/+$/g, '');
	return {
		root: `${base}/${version}`,
		phoneNumberId: (phoneNumberIdOverride || String(credentials.phoneNumberId ?? '')).trim(),
		businessAccountId: String(credentials.businessAccountId ?? '').trim(),
	};
}

export interface GraphRequest {
	method: IHttpRequestMethods;
	/** A path below `<base>/<version>`, or an absolute URL (media downloads). */
	path?: string;
	url?: string;
	body?: IDataObject | Buffer;
	qs?: IDataObject;
	headers?: IDataObject;
	/** Answer as raw bytes (media files). */
	binary?: boolean;
	/**
	 * Sending it twice has an effect the recipient sees (a message). A failure that may have reached
	 * Meta is then uncertain, and not retried unless the policy allows it.
	 */
	sendsMessage?: boolean;
}

export interface GraphReply {
	statusCode: number;
	headers: Record<string, unknown>;
	body: unknown;
}

/** Why a call failed, classified with the Graph error taxonomy. */
export interface GraphFailure {
	retry: RetryDecision;
	code: number | undefined;
	retryAfterMs: number | undefined;
	info: GraphErrorInfo;
	/** The Graph error body, or a network failure (httpStatus 0). */
	error: GraphErrorBody;
	/**
	 * A message request that may have reached Meta: a timeout or reset after sending, or a 5xx without
	 * Meta's error body. Never retried unless the policy says so.
	 */
	ambiguous: boolean;
}

// Failures before a byte reached Meta: retrying cannot send a message twice.
const UNSENT_NETWORK_CODES = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
]);

/** What an operator should know about a send that may have gone out. */
export const UNCERTAIN_SEND_GUIDANCE =
	'The request may have reached Meta, so Meta may have accepted the message: it was not retried automatically (Options → Retry Uncertain Sends). With an idempotency key, a re-run does not send it again: the item comes out skipped with mayHaveBeenSent = true. Without one, check WhatsApp Manager or the status webhooks before sending again.';

function networkFailure(error: unknown, sendsMessage: boolean): GraphFailure {
	const err = error as { code?: string; cause?: { code?: string }; message?: string };
	const errCode = err?.code ?? err?.cause?.code ?? 'UNKNOWN';
	const ambiguous = sendsMessage && !UNSENT_NETWORK_CODES.has(errCode);
	const message = `Network error calling the Graph API (${errCode}): ${err?.message ?? String(error)}`;
	return {
		retry: 'yes',
		code: undefined,
		retryAfterMs: undefined,
		ambiguous,
		info: {
			code: undefined,
			errorClass: 'transient',
			retry: 'yes',
			guidance: ambiguous
				? UNCERTAIN_SEND_GUIDANCE
				: 'The Graph API could not be reached: retried automatically; check the base URL and network if it persists.',
		},
		error: {
			httpStatus: 0,
			code: undefined,
			subcode: undefined,
			type: errCode,
			message,
			details: undefined,
			fbtraceId: undefined,
			raw: { code: errCode, message },
		},
	};
}

/** Classifies a non-2xx answer. */
function replyFailure(reply: GraphReply, sendsMessage: boolean, now = runtime.now()): GraphFailure {
	const error = parseGraphError(reply.statusCode, reply.body);
	const info = classifyGraphError(error.code, reply.statusCode);
	// A 5xx with Meta's error body says what failed; one without (a proxy, a crash) says nothing.
	const ambiguous = sendsMessage && reply.statusCode >= 500 && error.code === undefined;
	return {
		retry: info.retry,
		code: error.code,
		retryAfterMs: parseRetryAfter(reply.headers['retry-after'], now),
		info: ambiguous ? { ...info, guidance: UNCERTAIN_SEND_GUIDANCE } : info,
		error,
		ambiguous,
	};
}

/**
 * One HTTP call through n8n's authenticated request helper. HTTP error statuses come back as replies
 * (never thrown), so the caller classifies them; a network failure comes back as a `GraphFailure`.
 */
async function graphRequest(
	ctx: Context,
	target: GraphTarget,
	request: GraphRequest,
): Promise<GraphReply | GraphFailure> {
	const options: IHttpRequestOptions = {
		method: request.method,
		url: request.url ?? `${target.root}/${(request.path ?? '').replace(/^\/+/, '')}`,
		qs: request.qs,
		headers: { Accept: request.binary ? '*/*' : 'application/json', ...request.headers },
		body: request.body,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		timeout: REQUEST_TIMEOUT_MS,
	};
	if (request.body !== undefined && !Buffer.isBuffer(request.body)) options.json = true;
	if (request.binary) options.encoding = 'arraybuffer';
	let response: {
		statusCode?: number;
		status?: number;
		headers?: Record<string, unknown>;
		body?: unknown;
	};
	try {
		response = await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, options);
	} catch (error) {
		return networkFailure(error, request.sendsMessage === true);
	}
	return {
		statusCode: response.statusCode ?? response.status ?? 0,
		headers: lowerCaseKeys(response.headers ?? {}),
		body: response.body,
	};
}

function lowerCaseKeys(headers: Record<string, unknown>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = value;
	return out;
}

const isFailure = (value: GraphReply | GraphFailure): value is GraphFailure => 'info' in value;

export interface CallPolicy {
	retry: RetryOptions;
	/** Spaces every attempt, retries included, under the messages-per-second ceiling. */
	pacer?: RatePacer;
	/** Sees each retry before its wait (for the n8n log). */
	onRetry?: (failure: GraphFailure, attempt: number, delayMs: number) => void;
	/** Retry message requests that may have reached Meta (off: such a failure stops at once). */
	retryUncertain?: boolean;
}

/**
 * A Graph call with the retry policy: transient and rate-limit classes again, permanent ones never,
 * and a message that may already have been accepted only when the policy allows it.
 */
export async function callGraph(
	ctx: Context,
	target: GraphTarget,
	request: GraphRequest,
	policy: CallPolicy,
): Promise<RetryResult<GraphReply, GraphFailure>> {
	return await withRetry<GraphReply, GraphFailure>(
		async () => {
			const wait = policy.pacer?.reserve(runtime.now()) ?? 0;
			if (wait > 0) await runtime.sleep(wait);
			const reply = await graphRequest(ctx, target, request);
			if (!isFailure(reply) && reply.statusCode >= 200 && reply.statusCode < 300)
				return { ok: true, value: reply };
			const failure = isFailure(reply) ? reply : replyFailure(reply, request.sendsMessage === true);
			if (failure.ambiguous && !policy.retryUncertain)
				return { ok: false, failure: { ...failure, retry: 'no' } };
			return { ok: false, failure };
		},
		policy.retry,
		runtime,
		policy.onRetry,
	);
}

/** Uploads one file to the phone number's media store (`POST /{phone-number-id}/media`, multipart). */
export async function uploadMedia(
	ctx: Context,
	target: GraphTarget,
	file: { data: Buffer; fileName: string; mimeType: string },
	policy: CallPolicy,
): Promise<RetryResult<GraphReply, GraphFailure>> {
	const { body, contentType } = mediaUploadBody(file.data, file.fileName, file.mimeType);
	return await callGraph(
		ctx,
		target,
		{
			method: 'POST',
			path: `${target.phoneNumberId}/media`,
			body,
			headers: { 'Content-Type': contentType },
		},
		policy,
	);
}
