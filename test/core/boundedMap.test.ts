import { BoundedMap } from '../../nodes/core/boundedMap';

const keys = <K, V>(map: BoundedMap<K, V>) => [...map.keys()];

describe('BoundedMap', () => {
	it('evicts the oldest entries over capacity', () => {
		const map = new BoundedMap<string, number>(2);
		map.set('a', 1).set('b', 2).set('c', 3);
		expect(keys(map)).toEqual(['b', 'c']);
		expect(map.get('a')).toBeUndefined();
		expect(map.size).toBe(2);
	});

	it('moves a key set again to the end, so it is evicted last', () => {
		const map = new BoundedMap<string, number>(2);
		map.set('a', 1).set('b', 2).set('a', 10).set('c', 3);
		expect(keys(map)).toEqual(['a', 'c']);
		expect(map.get('a')).toBe(10);
	});

	it('keeps integer-like keys in insertion order, unlike a plain object', () => {
		const map = new BoundedMap<string, number>(2);
		map.set('200', 1).set('100', 2).set('300', 3);
		expect(keys(map)).toEqual(['100', '300']);
	});

	it('applies a smaller capacity at once', () => {
		const map = new BoundedMap<string, number>(3);
		map.set('a', 1).set('b', 2).set('c', 3);
		map.resize(1);
		expect(keys(map)).toEqual(['c']);
		expect(map.capacity).toBe(1);
	});

	it('evicts entries marked evictLast only when nothing else is left, and never the key just set', () => {
		const map = new BoundedMap<string, { pinned: boolean }>(2, {
			evictLast: (value) => value.pinned,
		});
		map.set('pinned', { pinned: true }).set('b', { pinned: false }).set('c', { pinned: false });
		expect(keys(map)).toEqual(['pinned', 'c']);
		map.set('p2', { pinned: true });
		expect(keys(map)).toEqual(['pinned', 'p2']);
		map.set('d', { pinned: false });
		expect(keys(map)).toEqual(['p2', 'd']);
	});

	it('keeps the entry just set even when the capacity is 0', () => {
		const map = new BoundedMap<string, number>(0);
		map.set('a', 1).set('b', 2);
		expect(keys(map)).toEqual(['b']);
	});

	it('can be iterated oldest first while entries are deleted', () => {
		const map = new BoundedMap<string, number>(5);
		for (const [i, key] of ['a', 'b', 'c', 'd'].entries()) map.set(key, i);
		for (const [key, value] of map) if (value % 2 === 0) map.delete(key);
		expect([...map]).toEqual([
			['b', 1],
			['d', 3],
		]);
	});
});

describe('BoundedMap.mergeUnder (restoring a snapshot)', () => {
	it('puts persisted entries before the live ones, and live values win', () => {
		const map = new BoundedMap<string, string>(10);
		map.set('live', 'now').set('both', 'live value');
		const merged = map.mergeUnder([
			['old1', 'p1'],
			['both', 'persisted value'],
			['old2', 'p2'],
		]);
		expect(merged).toBe(2);
		expect([...map]).toEqual([
			['old1', 'p1'],
			['old2', 'p2'],
			['live', 'now'],
			['both', 'live value'],
		]);
	});

	it('sorts persisted entries oldest first by the age given, then evicts the oldest over capacity', () => {
		const map = new BoundedMap<string, number>(3);
		map.set('live', 100);
		const merged = map.mergeUnder(
			[
				['c', 30],
				['a', 10],
				['b', 20],
			],
			(at) => at,
		);
		expect(merged).toBe(3);
		expect(keys(map)).toEqual(['b', 'c', 'live']);
	});

	it('keeps the given order without an age, whatever the keys look like', () => {
		const map = new BoundedMap<string, number>(10);
		map.mergeUnder([
			['9', 1],
			['2', 2],
		]);
		expect(keys(map)).toEqual(['9', '2']);
	});
});
