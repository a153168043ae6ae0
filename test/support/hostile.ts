/**
 * Hostile JSON for tests: values too deep for recursive code, built as text (building or serialising
 * them as objects would overflow the test's own stack).
 */

/** `{"a":{"a":…{"a":"bottom"}}}`, `depth` objects deep. */
export function deepJson(depth: number): string {
	return '{"a":'.repeat(depth) + '"bottom"' + '}'.repeat(depth);
}

/**
 * Serialises `value` with `serialise`, then puts raw JSON text where each placeholder string was:
 * `spliceJson(payload, { '"@deep@"': deepJson(5000) })`.
 */
export function spliceJson(
	value: unknown,
	replacements: Record<string, string>,
	serialise: (value: unknown) => string = JSON.stringify,
): string {
	let text = serialise(value);
	for (const [placeholder, json] of Object.entries(replacements)) {
		if (!text.includes(placeholder)) throw new Error(`no ${placeholder} in the payload`);
		text = text.split(placeholder).join(json);
	}
	return text;
}

/** Follows `.a` as deep as it goes; returns how many levels and what ends the chain. */
export function followA(value: unknown): { levels: number; end: unknown } {
	let levels = 0;
	let node = value;
	while (node && typeof node === 'object' && 'a' in node) {
		node = (node as { a: unknown }).a;
		levels++;
	}
	return { levels, end: node };
}
