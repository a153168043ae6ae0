import type { ZodType, ZodTypeDef } from 'zod';

import { parseJsonWithinBudget } from '../jsonBudget';
import { LIMITS } from './limits';
import { businessScopedUserId, phoneDigits } from '../customerId';

/**
 * A message that breaks one of Meta's limits, found before sending. `field` names the node field (or
 * the JSON path inside it) and `limit` says what is allowed, so the node can name both to the operator.
 */
export class MessageValidationError extends Error {
	constructor(
		readonly field: string,
		readonly limit: string,
		detail?: string,
	) {
		super(`${field}: ${detail ?? limit}`);
		this.name = 'MessageValidationError';
	}
}

export function fail(field: string, limit: string, detail?: string): never {
	throw new MessageValidationError(field, limit, detail);
}

/** A required non-empty string no longer than `max` characters (when given). */
export function requireText(field: string, value: unknown, max?: number): string {
	if (typeof value !== 'string' || value.trim() === '')
		fail(field, 'required', 'is required and may not be empty');
	if (max !== undefined) maxChars(field, value, max);
	return value;
}

/** An optional string: `undefined` when empty, else checked against `max`. */
export function optionalText(field: string, value: unknown, max?: number): string | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value !== 'string') fail(field, 'must be text');
	if (max !== undefined) maxChars(field, value, max);
	return value;
}

export function maxChars(field: string, value: string, max: number): void {
	if (value.length > max)
		fail(
			field,
			`at most ${max} characters`,
			`is ${value.length} characters long; the limit is ${max}`,
		);
}

export function maxBytes(field: string, value: string, max: number): void {
	const bytes = Buffer.byteLength(value, 'utf8');
	if (bytes > max)
		fail(
			field,
			`at most ${max} bytes (UTF-8)`,
			`is ${bytes} bytes long; the limit is ${max} bytes (UTF-8)`,
		);
}

export function maxCount(field: string, count: number, max: number, what: string): void {
	if (count > max)
		fail(field, `at most ${max} ${what}`, `has ${count} ${what}; the limit is ${max}`);
}

export function inRange(field: string, value: unknown, min: number, max: number): number {
	const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof n !== 'number' || !Number.isFinite(n))
		fail(field, `a number from ${min} to ${max}`, 'must be a number');
	if (n < min || n > max)
		fail(field, `a number from ${min} to ${max}`, `is ${n}; it must be from ${min} to ${max}`);
	return n;
}

/** An http(s) URL. */
export function requireUrl(field: string, value: unknown): string {
	const text = requireText(field, value);
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return fail(field, 'an absolute http(s) URL', `"${text}" is not a URL`);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:')
		fail(field, 'an absolute http(s) URL', `must use http or https`);
	return text;
}

/** Digits of a phone number in international form; `+`, spaces, dots, dashes and brackets are dropped. */
export function normalizePhone(field: string, value: unknown): string {
	const text = requireText(field, value);
	const digits = phoneDigits(text);
	if (digits === null)
		fail(
			field,
			'a phone number in international format, e.g. 15551234567',
			`"${text}" is not a phone number`,
		);
	const { phoneDigitsMin: min, phoneDigitsMax: max } = LIMITS;
	if (digits.length < min || digits.length > max) {
		fail(
			field,
			`${min} to ${max} digits including the country code`,
			`"${text}" has ${digits.length} digits`,
		);
	}
	return digits;
}

/** Whom a send addresses: a phone number goes in `to`, a business-scoped user id in `recipient`. */
export type Recipient =
	| { to: string; recipient?: undefined }
	| { to?: undefined; recipient: string };

/**
 * A phone number (as `to`, its digits) or a business-scoped user id such as "US.13491208655302741918"
 * (as `recipient`), for customers who use a username and hide their number. Text in phone notation is
 * always read as a phone number, so its errors name the digits.
 */
export function normalizeRecipient(field: string, value: unknown): Recipient {
	const text = requireText(field, typeof value === 'number' ? String(value) : value);
	if (phoneDigits(text) === null) {
		const userId = businessScopedUserId(text);
		if (userId !== null) return { recipient: userId };
		fail(
			field,
			'a phone number in international format (e.g. 15551234567) or a business-scoped user id (e.g. US.13491208655302741918)',
			`"${text}" is neither a phone number nor a business-scoped user id`,
		);
	}
	return { to: normalizePhone(field, text) };
}

/** The recipient as one string: the phone digits or the user id. Conversations are keyed by it. */
export function recipientId(recipient: Recipient): string {
	return recipient.to ?? recipient.recipient;
}

/**
 * Parses JSON the operator typed (or an object an expression produced) against a zod schema, so one
 * schema is both the validation and the type.
 */
export function parseJsonInput<T>(
	field: string,
	value: unknown,
	schema: ZodType<T, ZodTypeDef, unknown>,
): T {
	let data = value;
	if (typeof value === 'string') {
		if (value.trim() === '') fail(field, 'valid JSON', 'is empty');
		try {
			data = parseJsonWithinBudget(value);
		} catch (error) {
			return fail(field, 'valid JSON', `is not valid JSON (${(error as Error).message})`);
		}
	}
	const parsed = schema.safeParse(data);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		const path =
			field +
			issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('');
		return fail(path, issue.message, issue.message);
	}
	return parsed.data;
}
