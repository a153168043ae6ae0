import {
	applyJsonBudget,
	assertJsonBudget,
	JSON_BUDGET,
	JsonBudgetError,
	parseJsonWithinBudget,
} from '../../nodes/core/jsonBudget';

/** `{"a":{"a":…{"a":1}}}` nested `depth` objects deep, built as text so building it cannot overflow. */
function deepText(depth: number): string {
	return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Follows `.a` as far as it goes: the depth of the kept chain and what ends it. */
function follow(value: unknown): { levels: number; end: unknown } {
	let levels = 0;
	let node = value;
	while (node && typeof node === 'object' && 'a' in node) {
		node = (node as { a: unknown }).a;
		levels++;
	}
	return { levels, end: node };
}

describe('applyJsonBudget', () => {
	it('replaces a value nested 10,000 deep by a depth marker and keeps its siblings', () => {
		const input = JSON.parse(
			`{"before":"kept","deep":${deepText(10_000)},"after":[1,{"b":true}]}`,
		) as Record<string, unknown>;
		const result = applyJsonBudget(input);
		const out = result.value as Record<string, unknown>;
		expect(out.before).toBe('kept');
		expect(out.after).toEqual([1, { b: true }]);
		const chain = follow(out.deep);
		expect(chain.levels).toBe(JSON_BUDGET.maxDepth - 1);
		expect(chain.end).toEqual({ truncated: 'depth' });
		expect(result.truncations).toBe(1);
		expect(result.first?.reason).toBe('depth');
		expect(result.first?.path).toBe(`$.deep${'.a'.repeat(JSON_BUDGET.maxDepth - 1)}`);
		// The result is shallow enough for recursive code again.
		expect(() => JSON.stringify(out)).not.toThrow();
		expect(result.isTruncated(out)).toBe(true);
		expect(result.isTruncated(out.deep)).toBe(true);
		expect(result.isTruncated(chain.end)).toBe(true);
		expect(result.isTruncated(out.after)).toBe(false);
		// The input is not changed.
		expect(follow(input.deep).levels).toBe(10_000);
	});

	it('replaces a 2 MB string by a string marker with its length and keeps its siblings', () => {
		const big = 'x'.repeat(2 * 1024 * 1024);
		const result = applyJsonBudget({ list: ['a', big, 'c'], name: 'n' });
		expect(result.value).toEqual({
			list: ['a', { truncated: 'string', length: big.length }, 'c'],
			name: 'n',
		});
		expect(result.first).toEqual({ path: '$.list[1]', reason: 'string' });
		const out = result.value as { list: unknown[] };
		expect(result.isTruncated(out.list)).toBe(true);
		expect(result.isTruncated(out.list[1])).toBe(true);
	});

	it('keeps a string exactly at the limit', () => {
		const atLimit = 'y'.repeat(JSON_BUDGET.maxStringLength);
		expect(applyJsonBudget({ s: atLimit }).value).toEqual({ s: atLimit });
	});

	it('replaces an array of 100,000 items by an array marker and keeps its siblings', () => {
		const result = applyJsonBudget({
			messages: Array.from({ length: 100_000 }, (_, i) => i),
			statuses: [{ id: 's' }],
		});
		expect(result.value).toEqual({
			messages: { truncated: 'array', length: 100_000 },
			statuses: [{ id: 's' }],
		});
		expect(result.truncations).toBe(1);
		const out = result.value as Record<string, unknown>;
		expect(result.isTruncated(out.statuses)).toBe(false);
	});

	it('replaces an object with too many keys', () => {
		const wide = Object.fromEntries(
			Array.from({ length: JSON_BUDGET.maxEntries + 1 }, (_, i) => [`k${i}`, i]),
		);
		expect(applyJsonBudget({ wide, ok: 1 }).value).toEqual({
			wide: { truncated: 'object', length: JSON_BUDGET.maxEntries + 1 },
			ok: 1,
		});
	});

	it('keeps shallow parts first when the total runs out', () => {
		const budget = { ...JSON_BUDGET, maxValues: 6 };
		// root(1) + a, b, c (4) + b's two items (6); c's two items would make 8.
		const result = applyJsonBudget({ a: 1, b: [1, 2], c: { x: 1, y: 2 } }, budget);
		expect(result.value).toEqual({ a: 1, b: [1, 2], c: { truncated: 'total' } });
	});

	it('copies __proto__ as a plain key without touching any prototype', () => {
		const input = JSON.parse('{"__proto__":{"polluted":true},"ok":1}') as object;
		const out = applyJsonBudget(input).value as Record<string, unknown>;
		expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
		expect(Object.keys(out)).toEqual(['__proto__', 'ok']);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"ok":1}');
	});

	it('keeps key order, scalars and a body within the budget as they are', () => {
		const body = { z: null, a: [true, 1.5, 'é', { n: [] }], m: {} };
		const result = applyJsonBudget(body);
		expect(JSON.stringify(result.value)).toBe(JSON.stringify(body));
		expect(result.truncations).toBe(0);
		expect(result.first).toBeNull();
		expect(result.isTruncated(result.value)).toBe(false);
	});

	it('replaces a top-level value past the budget', () => {
		expect(applyJsonBudget(new Array(100_000).fill(0)).value).toEqual({
			truncated: 'array',
			length: 100_000,
		});
		expect(applyJsonBudget('x', { ...JSON_BUDGET, maxStringLength: 0 }).first).toEqual({
			path: '$',
			reason: 'string',
		});
	});

	it('does not mistake a marker-shaped value Meta sent for a truncation', () => {
		const result = applyJsonBudget({ note: { truncated: 'depth' } });
		expect(result.isTruncated((result.value as { note: unknown }).note)).toBe(false);
		expect(result.truncations).toBe(0);
	});
});

describe('parseJsonWithinBudget and assertJsonBudget', () => {
	it('returns JSON within the budget', () => {
		expect(parseJsonWithinBudget('{"a":[1,{"b":"c"}]}')).toEqual({ a: [1, { b: 'c' }] });
	});

	it('refuses JSON nested 10,000 deep, naming where', () => {
		expect(() => parseJsonWithinBudget(`{"x":${deepText(10_000)}}`)).toThrow(JsonBudgetError);
		expect(() => parseJsonWithinBudget(`{"x":${deepText(10_000)}}`)).toThrow(
			/^\$\.x(\.a)+ is past the input limit: nested deeper than 64 levels$/,
		);
	});

	it('refuses a 2 MB string and 100,000 items', () => {
		expect(() => assertJsonBudget({ s: 'x'.repeat(2 * 1024 * 1024) })).toThrow(
			'$.s is past the input limit: a string longer than 1048576 characters',
		);
		expect(() => assertJsonBudget({ rows: new Array(100_000).fill(1) })).toThrow(
			'$.rows is past the input limit: an array with more than 10000 items',
		);
	});

	it('still throws a SyntaxError for text that is not JSON', () => {
		expect(() => parseJsonWithinBudget('{nope')).toThrow(SyntaxError);
	});
});
