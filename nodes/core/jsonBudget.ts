/**
 * A depth and size budget for JSON we did not write: webhook bodies, decrypted Flow requests and JSON
 * typed into node parameters. `JSON.parse` itself never overflows the stack (V8 parses iteratively),
 * but everything after it that recurses does: `JSON.stringify` (content hashes, n8n saving an
 * execution), zod, and n8n reading execution data back. So parsed JSON passes through one iterative,
 * breadth-first walk before any of that sees it, and leaves it bounded:
 *
 * - `applyJsonBudget` returns a copy in which every part past the budget is replaced by a marker such
 *   as `{ "truncated": "depth" }`; what is beside that part is kept. The trigger and the Flow endpoint
 *   use it, so a valid event next to a hostile value is still emitted.
 * - `assertJsonBudget` / `parseJsonWithinBudget` refuse instead, for JSON an operator typed: sending a
 *   marker to Meta in place of what was typed would be worse than an error naming where it is.
 *
 * The limits, and why each is safe for real traffic (see also the README, "Limits on input"):
 * - depth 64: Meta's webhook bodies are at most about 10 levels deep (body → entry → change → value →
 *   messages → message → interactive → nfm_reply → field), decrypted Flow requests and message
 *   parameters fewer; 64 leaves six times that, and is shallow enough for any recursive code.
 * - string length 1 MiB (1,048,576 UTF-16 units): Meta's longest texts are message bodies of 4,096
 *   characters; the longest legitimate strings we handle are base64 images in Flow screen data, which
 *   Meta wants well below that.
 * - entries 10,000 per array or object: Meta's arrays carry one to a few hundred items (batched
 *   statuses, order items, list rows, Flow dropdown options); objects carry tens of keys.
 * - values 200,000 in all (every object, array, string, number, boolean and null counts one): a real
 *   body has fewer than 1,000; this bounds the work per request and the size of what n8n stores.
 */

export interface JsonBudget {
	/** Objects and arrays nested deeper than this are replaced; the top-level value is at depth 1. */
	maxDepth: number;
	/** Longer strings are replaced (length in UTF-16 code units, as JavaScript counts it). */
	maxStringLength: number;
	/** Arrays with more items, or objects with more keys, are replaced whole. */
	maxEntries: number;
	/** Values in the whole document; containers that would go past it are replaced whole. */
	maxValues: number;
}

export const JSON_BUDGET: Readonly<JsonBudget> = Object.freeze({
	maxDepth: 64,
	maxStringLength: 1_048_576,
	maxEntries: 10_000,
	maxValues: 200_000,
});

export type TruncationReason = 'depth' | 'string' | 'array' | 'object' | 'total';

/** What replaces a part past the budget. `length` is the string length or the count of entries. */
export interface TruncationMarker {
	truncated: TruncationReason;
	length?: number;
}

export interface BudgetedJson {
	/** A copy of the input within the budget (the input itself is never changed). */
	value: unknown;
	/** How many parts were replaced by markers. */
	truncations: number;
	/** The first replacement in breadth-first order: where (`$.entry[0]…`) and why. */
	first: { path: string; reason: TruncationReason } | null;
	/** True for a marker of this walk and for every object or array of `value` that holds one. */
	isTruncated(part: unknown): boolean;
	/** True only for a marker of this walk (not for a look-alike value that was in the input). */
	isMarker(part: unknown): part is TruncationMarker;
}

export class JsonBudgetError extends Error {
	constructor(
		readonly path: string,
		readonly reason: TruncationReason,
		limit: string,
	) {
		super(`${path} is past the input limit: ${limit}`);
		this.name = 'JsonBudgetError';
	}
}

type Container = Record<string, unknown> | unknown[];

interface Frame {
	out: Container;
	parent: Frame | null;
	key: string | number;
}

interface Pending {
	value: unknown;
	depth: number;
	frame: Frame;
	key: string | number;
}

/** Own property, also for `__proto__` (an assignment would set the copy's prototype instead). */
function put(target: Container, key: string | number, value: unknown): void {
	if (key === '__proto__') {
		Object.defineProperty(target, key, {
			value,
			enumerable: true,
			writable: true,
			configurable: true,
		});
	} else {
		(target as Record<string | number, unknown>)[key] = value;
	}
}

function pathOf(frame: Frame, key: string | number): string {
	const keys: Array<string | number> = [key];
	for (let f: Frame | null = frame; f?.parent; f = f.parent) keys.push(f.key);
	let path = '$';
	for (let i = keys.length - 2; i >= 0; i--) {
		const k = keys[i];
		path +=
			typeof k === 'number'
				? `[${k}]`
				: /^[A-Za-z_$][\w$]*$/.test(k)
					? `.${k}`
					: `[${JSON.stringify(k)}]`;
	}
	return path;
}

/**
 * Copies `input` within `budget`, breadth first (shallow parts are kept before deep ones when the
 * total runs out), replacing what is past it with a `TruncationMarker`. No recursion.
 */
export function applyJsonBudget(
	input: unknown,
	budget: Readonly<JsonBudget> = JSON_BUDGET,
): BudgetedJson {
	const tainted = new WeakSet<object>();
	const markers = new WeakSet<object>();
	const holder: unknown[] = [undefined];
	const root: Frame = { out: holder, parent: null, key: 0 };
	const queue: Array<Pending | undefined> = [{ value: input, depth: 1, frame: root, key: 0 }];
	let reserved = 1;
	let truncations = 0;
	let first: BudgetedJson['first'] = null;

	const mark = (frame: Frame, key: string | number, reason: TruncationReason, length?: number) => {
		const marker: TruncationMarker =
			length === undefined ? { truncated: reason } : { truncated: reason, length };
		tainted.add(marker);
		markers.add(marker);
		for (let f: Frame | null = frame; f && !tainted.has(f.out); f = f.parent) tainted.add(f.out);
		truncations++;
		first ??= { path: pathOf(frame, key), reason };
		return marker;
	};

	for (let head = 0; head < queue.length; head++) {
		const { value, depth, frame, key } = queue[head] as Pending;
		queue[head] = undefined;
		let out: unknown = value;
		if (typeof value === 'string') {
			if (value.length > budget.maxStringLength) out = mark(frame, key, 'string', value.length);
		} else if (value !== null && typeof value === 'object') {
			const isArray = Array.isArray(value);
			const keys = isArray ? null : Object.keys(value);
			const count = isArray ? (value as unknown[]).length : (keys as string[]).length;
			if (depth > budget.maxDepth) out = mark(frame, key, 'depth');
			else if (count > budget.maxEntries)
				out = mark(frame, key, isArray ? 'array' : 'object', count);
			else if (reserved + count > budget.maxValues) out = mark(frame, key, 'total');
			else {
				reserved += count;
				const copy: Container = isArray ? new Array<unknown>(count) : {};
				const child: Frame = { out: copy, parent: frame, key };
				if (isArray) {
					const items = value as unknown[];
					for (let i = 0; i < count; i++) {
						queue.push({ value: items[i], depth: depth + 1, frame: child, key: i });
					}
				} else {
					for (const k of keys as string[]) {
						put(copy, k, null); // keeps the key order; filled when its turn comes
						queue.push({
							value: (value as Record<string, unknown>)[k],
							depth: depth + 1,
							frame: child,
							key: k,
						});
					}
				}
				out = copy;
			}
		}
		put(frame.out, key, out);
	}

	return {
		value: holder[0],
		truncations,
		first,
		isTruncated: (part) => part !== null && typeof part === 'object' && tainted.has(part),
		isMarker: (part): part is TruncationMarker =>
			part !== null && typeof part === 'object' && markers.has(part),
	};
}

/** The limit a truncation reason stands for, in words: "nested deeper than 64 levels". */
export function describeLimit(
	reason: TruncationReason,
	budget: Readonly<JsonBudget> = JSON_BUDGET,
): string {
	switch (reason) {
		case 'depth':
			return `nested deeper than ${budget.maxDepth} levels`;
		case 'string':
			return `a string longer than ${budget.maxStringLength} characters`;
		case 'array':
			return `an array with more than ${budget.maxEntries} items`;
		case 'object':
			return `an object with more than ${budget.maxEntries} keys`;
		default:
			return `more than ${budget.maxValues} values in all`;
	}
}

/** Throws a `JsonBudgetError` naming the first part past the budget; the value itself is not copied out. */
export function assertJsonBudget(value: unknown, budget: Readonly<JsonBudget> = JSON_BUDGET): void {
	const { first } = applyJsonBudget(value, budget);
	if (first)
		throw new JsonBudgetError(first.path, first.reason, describeLimit(first.reason, budget));
}

/** `JSON.parse`, then `assertJsonBudget`: throws a `SyntaxError` or a `JsonBudgetError`. */
export function parseJsonWithinBudget(
	text: string,
	budget: Readonly<JsonBudget> = JSON_BUDGET,
): unknown {
	const value: unknown = JSON.parse(text);
	assertJsonBudget(value, budget);
	return value;
}
