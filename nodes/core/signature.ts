import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Meta signs every webhook POST (and every Flow endpoint request) with
 * `X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256(app secret, raw body)>`.
 * The HMAC must cover the bytes as received: Meta signs an escaped-unicode form, so re-serialising
 * the parsed JSON breaks on non-ASCII text, '@', whitespace and key order.
 */

export type SignatureFailure =
	| 'missing_signature'
	| 'malformed_signature'
	| 'signature_mismatch'
	| 'missing_secret';

export type SignatureResult =
	| { valid: true }
	| { valid: false; reason: SignatureFailure; message: string };

const HEADER_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;

const MESSAGES: Record<SignatureFailure, string> = {
	missing_signature: 'X-Hub-Signature-256 header is missing',
	malformed_signature: 'X-Hub-Signature-256 header is not "sha256=" followed by 64 hex digits',
	signature_mismatch: 'X-Hub-Signature-256 does not match the body signed with the app secret',
	missing_secret: 'no app secret is configured in the credential',
};

function fail(reason: SignatureFailure): SignatureResult {
	return { valid: false, reason, message: MESSAGES[reason] };
}

/** Verifies the header against the raw body in constant time. Headers may arrive as arrays. */
export function verifySignature(
	rawBody: Buffer,
	header: string | string[] | undefined,
	appSecret: string | undefined,
): SignatureResult {
	if (!appSecret) return fail('missing_secret');
	const value = Array.isArray(header) ? header[0] : header;
	if (value === undefined || value === '') return fail('missing_signature');
	const match = HEADER_PATTERN.exec(value.trim());
	if (!match) return fail('malformed_signature');
	const expected = createHmac('sha256', appSecret).update(rawBody).digest();
	const received = Buffer.from(match[1], 'hex');
	// Both are 32 bytes here (the pattern fixes the length), so timingSafeEqual cannot throw.
	return timingSafeEqual(expected, received) ? { valid: true } : fail('signature_mismatch');
}

/** Compares two secrets without leaking, through timing, how many leading characters matched. */
export function secretsEqual(a: string, b: string): boolean {
	const ha = createHmac('sha256', 'compare').update(a).digest();
	const hb = createHmac('sha256', 'compare').update(b).digest();
	return timingSafeEqual(ha, hb) && a.length === b.length;
}
