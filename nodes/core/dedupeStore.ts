/**
 * Remembers which keys (webhook events, idempotent sends) were already seen, for a bounded time and a
 * bounded count. The interface is what nodes depend on; the in-memory implementation is exact inside
 * one process because JavaScript runs each call to completion, and a shared implementation (Redis)
 * can stand behind the same interface later.
 */

export interface DedupeStoreOptions {
	/** How long a key is remembered, in milliseconds. */
	ttlMs: number;
	/** How many keys are remembered at most; the oldest are forgotten first. */
	capacity: number;
}

/** Persistable form: key → [expiresAt (ms since epoch), value or null]. */
export type DedupeSnapshot = Record<string, [number, string | null]>;

export interface DedupeStore {
	/**
	 * Records every key not yet present and tells, per key, whether it was new. One call is atomic.
	 * `ttlMs` overrides the store's TTL for these keys, e.g. a short claim that `confirm` extends.
	 */
	checkAndRecord(keys: readonly string[], now?: number, ttlMs?: number): boolean[];
	/** Gives recorded keys the full TTL from now (a claim became a fact). */
	confirm(keys: readonly string[], now?: number): void;
	/** True while the key is remembered. */
	has(key: string, now?: number): boolean;
	/** A value attached to a recorded key, e.g. the message id an idempotent send produced. */
	getValue(key: string, now?: number): string | undefined;
	setValue(key: string, value: string): void;
	/** Forgets a key so it can be recorded again (e.g. a send that failed). */
	forget(key: string): void;
	readonly size: number;
}

interface Entry {
	expiresAt: number;
	value: string | null;
}

export class MemoryDedupeStore implements DedupeStore {
	// Insertion order is eviction order: the oldest recorded key is forgotten first when full.
	private readonly entries = new Map<string, Entry>();

	constructor(private options: DedupeStoreOptions) {}

	get size(): number {
		return this.entries.size;
	}

	/** Options can change when an operator edits the node; the next call applies them. */
	configure(options: DedupeStoreOptions): void {
		this.options = options;
		this.evictOverCapacity();
	}

	checkAndRecord(keys: readonly string[], now = Date.now(), ttlMs = this.options.ttlMs): boolean[] {
		const results = keys.map((key) => {
			if (this.has(key, now)) return false;
			// Delete first so a re-recorded key moves to the end of the eviction order.
			this.entries.delete(key);
			this.entries.set(key, { expiresAt: now + ttlMs, value: null });
			return true;
		});
		if (this.entries.size > this.options.capacity) this.purgeExpired(now);
		this.evictOverCapacity();
		return results;
	}

	confirm(keys: readonly string[], now = Date.now()): void {
		for (const key of keys) {
			const entry = this.entries.get(key);
			if (entry) entry.expiresAt = Math.max(entry.expiresAt, now + this.options.ttlMs);
		}
	}

	has(key: string, now = Date.now()): boolean {
		const entry = this.entries.get(key);
		return entry !== undefined && entry.expiresAt > now;
	}

	getValue(key: string, now = Date.now()): string | undefined {
		const entry = this.entries.get(key);
		if (!entry || entry.expiresAt <= now) return undefined;
		return entry.value ?? undefined;
	}

	setValue(key: string, value: string): void {
		const entry = this.entries.get(key);
		if (entry) entry.value = value;
	}

	forget(key: string): void {
		this.entries.delete(key);
	}

	snapshot(now = Date.now()): DedupeSnapshot {
		const out: DedupeSnapshot = {};
		for (const [key, entry] of this.entries) {
			if (entry.expiresAt > now) out[key] = [entry.expiresAt, entry.value];
		}
		return out;
	}

	/** Adds persisted keys that are still valid; keys already in memory win (they are at least as new). */
	restore(snapshot: unknown, now = Date.now()): number {
		if (!snapshot || typeof snapshot !== 'object') return 0;
		const restored = Object.entries(snapshot as DedupeSnapshot)
			.filter(
				([key, entry]) =>
					Array.isArray(entry) &&
					typeof entry[0] === 'number' &&
					entry[0] > now &&
					!this.entries.has(key),
			)
			.sort((a, b) => a[1][0] - b[1][0]);
		// Re-insert oldest first so eviction order stays oldest-first.
		const merged = new Map<string, Entry>(
			restored.map(([key, [expiresAt, value]]) => [key, { expiresAt, value }]),
		);
		for (const [key, entry] of this.entries) merged.set(key, entry);
		this.entries.clear();
		for (const [key, entry] of merged) this.entries.set(key, entry);
		this.evictOverCapacity();
		return restored.length;
	}

	/** Runs only when the store is full, so a busy store pays for the scan rarely. */
	private purgeExpired(now: number): void {
		for (const [key, entry] of this.entries) {
			if (entry.expiresAt <= now) this.entries.delete(key);
		}
	}

	private evictOverCapacity(): void {
		let excess = this.entries.size - this.options.capacity;
		if (excess <= 0) return;
		for (const key of this.entries.keys()) {
			if (excess-- <= 0) break;
			this.entries.delete(key);
		}
	}
}
