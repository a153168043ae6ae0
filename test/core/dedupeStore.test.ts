import { MemoryDedupeStore } from '../../nodes/core/dedupeStore';

const HOUR = 3600_000;

describe('MemoryDedupeStore', () => {
	it('records many keys at once and reports which were new, including repeats within one call', () => {
		const store = new MemoryDedupeStore({ ttlMs: HOUR, capacity: 100 });
		expect(store.checkAndRecord(['a', 'b'], 0)).toEqual([true, true]);
		expect(store.checkAndRecord(['b', 'c', 'c'], 1)).toEqual([false, true, false]);
		expect(store.size).toBe(3);
	});

	it('forgets keys after the TTL', () => {
		const store = new MemoryDedupeStore({ ttlMs: HOUR, capacity: 100 });
		store.checkAndRecord(['a'], 0);
		expect(store.has('a', HOUR - 1)).toBe(true);
		expect(store.has('a', HOUR)).toBe(false);
		expect(store.checkAndRecord(['a'], HOUR)).toEqual([true]);
	});

	it('keeps a short claim until confirmed, then the full TTL', () => {
		const store = new MemoryDedupeStore({ ttlMs: HOUR, capacity: 100 });
		store.checkAndRecord(['claimed', 'confirmed'], 0, 1000);
		store.confirm(['confirmed'], 500);
		expect(store.checkAndRecord(['claimed', 'confirmed'], 1000)).toEqual([true, false]);
		expect(store.has('confirmed', HOUR + 499)).toBe(true);
	});

	it('evicts the oldest keys beyond capacity', () => {
		const store = new MemoryDedupeStore({ ttlMs: HOUR, capacity: 3 });
		store.checkAndRecord(['a', 'b', 'c'], 0);
		store.checkAndRecord(['d'], 1);
		expect(store.size).toBe(3);
		expect(store.has('a', 2)).toBe(false);
		expect(store.has('d', 2)).toBe(true);
	});

	it('purges expired keys before evicting live ones', () => {
		const store = new MemoryDedupeStore({ ttlMs: HOUR, capacity: 3 });
		store.checkAndRecord(['live'], 0);
		store.checkAndRecord(['short1', 'short2'], 0, 10);
		store.checkAndRecord(['new'], 100);
		expect(store.has('live', 100)).toBe(true);
		expect(store.size).toBe(2);
	});

	it('carries a value per key and forgets on request', () => {
		const store = new MemoryDedupeStore({ ttlMs: HOUR, capacity: 10 });
		store.checkAndRecord(['k'], 0);
		store.setValue('k', 'wamid.1');
		expect(store.getValue('k', 1)).toBe('wamid.1');
		store.forget('k');
		expect(store.getValue('k', 1)).toBeUndefined();
		expect(store.checkAndRecord(['k'], 2)).toEqual([true]);
	});

	it('restores a JSON snapshot: expired keys dropped, live keys kept, capacity respected', () => {
		const a = new MemoryDedupeStore({ ttlMs: HOUR, capacity: 10 });
		a.checkAndRecord(['old'], 0, 10);
		a.checkAndRecord(['x', 'y'], 0);
		a.setValue('x', 'v');
		const snapshot = JSON.parse(JSON.stringify(a.snapshot(5)));
		const b = new MemoryDedupeStore({ ttlMs: HOUR, capacity: 2 });
		b.checkAndRecord(['mine'], 20);
		expect(b.restore(snapshot, 20)).toBe(2);
		expect(b.size).toBe(2);
		expect(b.has('mine', 21)).toBe(true);
		expect(b.has('old', 21)).toBe(false);
		expect(b.restore('garbage', 21)).toBe(0);
	});
});
