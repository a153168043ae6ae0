/**
 * One table for every Graph API error code we know: its class, whether a retry can help, and what an
 * operator should do. The trigger uses it for failed statuses and value-level errors (asynchronous
 * errors); the send node uses it for HTTP error answers (synchronous errors).
 */

/** Every class an error can have: the one list the node's labels and option lists are built from. */
export const GRAPH_ERROR_CLASSES = [
	'transient',
	'rate_limited',
	'window_closed',
	'undeliverable',
	'template',
	'auth',
	'policy',
	'invalid_request',
	'unknown',
] as const;

export type GraphErrorClass = (typeof GRAPH_ERROR_CLASSES)[number];

/**
 * - `yes`: retry with backoff until the attempt/time budget runs out.
 * - `limited`: may be a glitch or may be a bad request; retry a few times only.
 * - `later`: retrying soon will fail again (quality caps, pair limits far out); pause, do not loop.
 * - `no`: permanent for this request; surface it.
 */
export type RetryDecision = 'yes' | 'limited' | 'later' | 'no';

export interface GraphErrorInfo {
	code: number | undefined;
	errorClass: GraphErrorClass;
	retry: RetryDecision;
	/** One line telling the operator what to do. */
	guidance: string;
}

type Row = [GraphErrorClass, RetryDecision, string];

const TABLE: Record<number, Row> = {
	0: ['auth', 'no', 'The access token is invalid or expired: issue a new (system-user) token.'],
	1: [
		'transient',
		'limited',
		'Unknown API error: if it persists, check the request and Meta status page.',
	],
	2: ['transient', 'yes', 'Meta service temporarily unavailable: retried automatically.'],
	3: ['auth', 'no', 'Missing capability: grant the app whatsapp_business_messaging.'],
	4: ['rate_limited', 'yes', 'App-level call rate limit: lower the request rate.'],
	10: [
		'auth',
		'no',
		'Permission denied: check the token has access to this WhatsApp Business Account.',
	],
	33: [
		'invalid_request',
		'no',
		'The phone number ID does not exist or was deleted: fix the phone number ID.',
	],
	100: ['invalid_request', 'no', 'Invalid parameter: fix the field Meta names in the message.'],
	190: ['auth', 'no', 'Access token expired: refresh the credential.'],
	368: [
		'policy',
		'no',
		'Temporarily blocked for policy violations: see Business Manager policy enforcement.',
	],
	80007: ['rate_limited', 'yes', 'WhatsApp Business Account rate limit: lower the request rate.'],
	130429: [
		'rate_limited',
		'yes',
		'Throughput limit of this number reached: sending is throttled and retried.',
	],
	130472: ['undeliverable', 'no', "The user's number is part of a Meta experiment: nothing to do."],
	130497: ['policy', 'no', 'The business may not message users in this country.'],
	131000: [
		'transient',
		'limited',
		'Something went wrong at Meta: if it persists, contact support with the fbtrace_id.',
	],
	131005: ['auth', 'no', 'Access denied: check the permissions of the token.'],
	131008: ['invalid_request', 'no', 'A required parameter is missing: fix the message.'],
	131009: ['invalid_request', 'no', 'A parameter value is invalid: fix the message.'],
	131016: ['transient', 'yes', 'Service temporarily unavailable: retried automatically.'],
	131021: ['invalid_request', 'no', 'Recipient cannot be the sender: fix the "to" number.'],
	131026: [
		'undeliverable',
		'no',
		'Message undeliverable (not on WhatsApp, old app, terms not accepted or blocked): verify the number or use another channel.',
	],
	131031: ['policy', 'no', 'The business account is locked: see Business Manager.'],
	131042: [
		'policy',
		'no',
		'Business eligibility or payment problem: fix billing in Business Manager.',
	],
	131047: [
		'window_closed',
		'no',
		'More than 24 hours since the customer last wrote: send an approved template instead.',
	],
	131048: [
		'policy',
		'later',
		'Spam rate limit (quality): pause the campaign and check the quality rating.',
	],
	131049: [
		'undeliverable',
		'later',
		'Not delivered to keep engagement healthy (marketing cap per user): send less marketing to this user.',
	],
	131050: ['undeliverable', 'no', 'The user stopped marketing messages: record the opt-out.'],
	131051: ['invalid_request', 'no', 'Unsupported message type.'],
	131052: ['invalid_request', 'no', 'Media download failed: ask the user to send the media again.'],
	131053: ['invalid_request', 'no', 'Media upload failed: fix the file format or size.'],
	131056: [
		'rate_limited',
		'yes',
		'Too many messages to this user in a short time: sending to this recipient is slowed down and retried.',
	],
	131057: ['transient', 'yes', 'The account is in maintenance mode: retried later.'],
	132000: [
		'template',
		'no',
		'Template parameter count does not match the template: fix the parameters.',
	],
	132001: [
		'template',
		'no',
		'Template does not exist in this language or is not approved: check name and language.',
	],
	132005: [
		'template',
		'no',
		'Template text too long after filling parameters: shorten the parameters.',
	],
	132007: ['template', 'no', 'Template content violates format policy: fix the parameters.'],
	132012: ['template', 'no', 'Template parameter format mismatch: fix the parameter types.'],
	132015: [
		'template',
		'no',
		'Template paused for low quality: improve it or use another template.',
	],
	132016: ['template', 'no', 'Template disabled: create a new template.'],
	133004: ['transient', 'yes', 'Server temporarily unavailable: retried automatically.'],
	133010: [
		'invalid_request',
		'no',
		'The phone number is not registered with the Cloud API: register it.',
	],
	133016: ['rate_limited', 'later', 'Register/deregister rate limit: wait before trying again.'],
};

/** Classifies a Graph API error code; `httpStatus` helps when the code is unknown. */
export function classifyGraphError(code: number | undefined, httpStatus?: number): GraphErrorInfo {
	if (code !== undefined) {
		const row = TABLE[code];
		if (row) return { code, errorClass: row[0], retry: row[1], guidance: row[2] };
		if (code >= 200 && code <= 299) {
			return {
				code,
				errorClass: 'auth',
				retry: 'no',
				guidance: 'API permission missing: check permissions and the payment method.',
			};
		}
	}
	if (httpStatus === 429) {
		return {
			code,
			errorClass: 'rate_limited',
			retry: 'yes',
			guidance: 'Rate limited: retried with backoff.',
		};
	}
	if (httpStatus !== undefined && httpStatus >= 500) {
		return {
			code,
			errorClass: 'transient',
			retry: 'yes',
			guidance: 'Meta server error: retried with backoff.',
		};
	}
	if (httpStatus === 401 || httpStatus === 403) {
		return {
			code,
			errorClass: 'auth',
			retry: 'no',
			guidance: 'Not authorized: check the access token and its permissions.',
		};
	}
	return {
		code,
		errorClass: 'unknown',
		retry: 'no',
		guidance:
			"Unrecognized error: read Meta's message and error_data.details; report the code if it repeats.",
	};
}
