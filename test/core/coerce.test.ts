import { asArray, asNumber, asRecord, asString, readPath } from '../../nodes/core/coerce';

describe('JSON field readers', () => {
	it('reads text: non-empty strings, and finite numbers as their digits', () => {
		expect(asString('hello')).toBe('hello');
		expect(asString('')).toBeNull();
		expect(asString(4915112345678)).toBe('4915112345678');
		expect(asString(1.5)).toBe('1.5');
		expect(asString(Number.NaN)).toBeNull();
		expect(asString(true)).toBeNull();
		expect(asString({})).toBeNull();
		expect(asString(null)).toBeNull();
	});

	it('reads numbers from numbers and numeric strings, commas only as thousands separators', () => {
		expect(asNumber(25)).toBe(25);
		expect(asNumber(' 10.5 ')).toBe(10.5);
		expect(asNumber('1,250.00')).toBe(1250);
		expect(asNumber('-1,000,000')).toBe(-1_000_000);
		expect(asNumber('1,5')).toBeNull();
		expect(asNumber('12,34')).toBeNull();
		expect(asNumber('n/a')).toBeNull();
		expect(asNumber('')).toBeNull();
		expect(asNumber('  ')).toBeNull();
		expect(asNumber(Number.POSITIVE_INFINITY)).toBeNull();
		expect(asNumber(null)).toBeNull();
		expect(asNumber(true)).toBeNull();
	});

	it('reads records and arrays, anything else as empty', () => {
		expect(asRecord({ a: 1 })).toEqual({ a: 1 });
		expect(asRecord([1])).toEqual({});
		expect(asRecord('x')).toEqual({});
		expect(asArray([1, 2])).toEqual([1, 2]);
		expect(asArray({ length: 1 })).toEqual([]);
	});

	it('reads a dotted path with indexes; a path that leads nowhere gives undefined', () => {
		const source = { order: { items: [{ price: 3 }, { price: 4 }] } };
		expect(readPath(source, 'order.items[1].price')).toBe(4);
		expect(readPath(source, ' order . items ')).toEqual(source.order.items);
		expect(readPath(source, 'order.missing.price')).toBeUndefined();
		expect(readPath('text', 'length')).toBeUndefined();
	});
});
