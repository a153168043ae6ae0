/**
 * A Map that holds at most `capacity` entries and forgets the oldest when it holds more. Insertion
 * order is age order: `set` moves a key it already holds to the end, so the least recently set key is
 * always the first to go. Stores that persist their entries restore them with `mergeUnder`, which puts
 * the persisted entries before the live ones (live entries are at least as new and win).
 */

export interface BoundedMapOptions<K, V> {
	/** Entries for which this is true are evicted only once no other entry is left to evict. */
	evictLast?: (value: V, key: K) => boolean;
}

export class BoundedMap<K, V> implements Iterable<[K, V]> {
	private readonly entries = new Map<K, V>();

	constructor(
		private limit: number,
		private readonly options: BoundedMapOptions<K, V> = {},
	) {}

	get size(): number {
		return this.entries.size;
	}

	get capacity(): number {
		return this.limit;
	}

	/** A new capacity applies at once: the oldest entries over it are evicted. */
	resize(capacity: number): void {
		this.limit = capacity;
		this.evictOverCapacity();
	}

	has(key: K): boolean {
		return this.entries.has(key);
	}

	get(key: K): V | undefined {
		return this.entries.get(key);
	}

	/** Sets the value as the newest entry, then evicts the oldest over capacity (never this key). */
	set(key: K, value: V): this {
		this.entries.delete(key);
		this.entries.set(key, value);
		this.evictOverCapacity(key);
		return this;
	}

	delete(key: K): boolean {
		return this.entries.delete(key);
	}

	clear(): void {
		this.entries.clear();
	}

	keys(): IterableIterator<K> {
		return this.entries.keys();
	}

	values(): IterableIterator<V> {
		return this.entries.values();
	}

	/** Oldest first. Deleting entries while iterating is safe (a Map iterator skips deleted keys). */
	[Symbol.iterator](): IterableIterator<[K, V]> {
		return this.entries.entries();
	}

	/**
	 * Restores persisted entries as older than every live one: keys already live keep their live
	 * value, the others go before the live entries in the order given (oldest first), then the oldest
	 * over capacity are evicted. Pass `age` to sort the persisted entries oldest first by it. Returns
	 * how many persisted entries were merged, before eviction.
	 */
	mergeUnder(persisted: Iterable<[K, V]>, age?: (value: V) => number): number {
		let older = [...persisted].filter(([key]) => !this.entries.has(key));
		if (age) older = older.sort((a, b) => age(a[1]) - age(b[1]));
		const live = [...this.entries];
		this.entries.clear();
		for (const [key, value] of [...older, ...live]) this.entries.set(key, value);
		this.evictOverCapacity();
		return older.length;
	}

	private evictOverCapacity(keep?: K): void {
		let excess = this.entries.size - this.limit;
		if (excess <= 0) return;
		const { evictLast } = this.options;
		for (const spareLast of evictLast ? [true, false] : [false]) {
			for (const [key, value] of this.entries) {
				if (excess <= 0) return;
				if (key === keep || (spareLast && evictLast!(value, key))) continue;
				this.entries.delete(key);
				excess--;
			}
		}
	}
}
