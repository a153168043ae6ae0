import { asString } from './coerce';

/**
 * Who a customer is, as one string, however it was written. WhatsApp identifies a customer by the
 * wa_id, which is the phone number as digits without `+` ("491511234"), so a phone number in any
 * notation ("+49 151 1234", "(0049) 151.1234") is reduced to its digits and meets the wa_id. A value
 * that is not a phone number (a business-scoped user id such as "US.13491208655302741918", which
 * WhatsApp sends for users who hide their number) is an id of its own: it is kept, trimmed.
 */

/** Characters a phone number may be written with: an optional leading `+`, digits, spaces, `().-`. */
const PHONE_NOTATION = /^\+?[\d\s().-]*\d[\d\s().-]*$/;

/** The digits of a phone number written in any common notation, or null when it is not one. */
export function phoneDigits(text: string): string | null {
	const trimmed = text.trim();
	return PHONE_NOTATION.test(trimmed) ? trimmed.replace(/\D/g, '') : null;
}

/** A customer id from any JSON value: phone numbers as digits, other ids trimmed, nothing as null. */
export function normaliseCustomerId(value: unknown): string | null {
	const text = asString(value)?.trim();
	if (!text) return null;
	return phoneDigits(text) ?? text;
}

/**
 * A business-scoped user id: a two-letter country code, a dot and up to 128 characters, e.g.
 * "US.13491208655302741918"; a parent id (one per business portfolio group) is "CC.ENT." and the rest.
 */
const BSUID = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9_-]{1,128}$/;

/** The trimmed business-scoped user id, or null when the text is not one. */
export function businessScopedUserId(text: string): string | null {
	const trimmed = text.trim();
	return BSUID.test(trimmed) ? trimmed : null;
}
