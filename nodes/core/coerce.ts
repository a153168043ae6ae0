/**
 * Reading fields of JSON we do not control (webhook items, stored records, business payloads): the
 * wrong type or an empty string reads as absent instead of throwing. Every such reader lives here, so
 * one rule holds everywhere:
 * - text: a non-empty string, or a finite number as its decimal digits (ids and codes arrive as
 *   either, depending on who wrote the JSON);
 * - number: a finite number, or a string holding one; commas are read as thousands separators
 *   ("1,250.00" is 1250) only where they group digits in threes, never as a decimal mark.
 */

export function asString(value: unknown): string | null {
	if (typeof value === 'string') return value === '' ? null : value;
	return typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
}

const GROUPED_THOUSANDS = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;

export function asNumber(value: unknown): number | null {
	let n = value;
	if (typeof value === 'string') {
		const text = value.trim();
		n = text === '' ? null : Number(GROUPED_THOUSANDS.test(text) ? text.replace(/,/g, '') : text);
	}
	return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

export function asRecord(value: unknown): Record<string, unknown> {
	return value && typeof value === 'object' && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: {};
}

export function asArray(value: unknown): unknown[] {
	return Array.isArray(value) ? value : [];
}

/** Reads `a.b[0].c` from an object; a path that does not lead anywhere gives undefined. */
export function readPath(source: unknown, path: string): unknown {
	const parts = path
		.replace(/\[(\w+)\]/g, '.$1')
		.split('.')
		.map((p) => p.trim())
		.filter(Boolean);
	let current: unknown = source;
	for (const part of parts) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as Record<string, unknown>)[part];
	}
	return current;
}
