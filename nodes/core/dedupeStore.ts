import { BoundedMap } from './boundedMap';
import { DIGEST_LENGTH, digestKey } from './keyDigest';

/**
 * Remembers which keys (webhook events, idempotent sends) were already seen, for a bounded time and a
 * bounded count. The interface is what nodes depend on; the in-memory implementation is exact inside
 * one process because JavaScript runs each call to completion, and a shared implementation (Redis)
 * can stand behind the same interface.
 *
 * A key is either *claimed* (someone is working on it; short-lived, never persisted, so a claim whose
 * work never happened is gone after a restart) or *confirmed* (the work happened; kept for the full
 * window and persisted).
 */

export interface DedupeStoreOptions {
	/** How long a confirmed key is remembered, in milliseconds. */
	ttlMs: number;
	/** How many keys are remembered at most; the oldest are forgotten first. */
	capacity: number;
}

export type KeyState = 'claimed' | 'confirmed';

export interface DedupeStore {
	/**
	 * Records every key not yet present and tells, per key, whether it was new. One call is atomic.
	 * With `ttlMs` the keys are claims that live that long until `confirm`; without it they are
	 * confirmed at once.
	 */
	checkAndRecord(keys: readonly string[], now?: number, ttlMs?: number): boolean[];
	/** Confirms keys for the full window from now, recording those that are missing. */
	confirm(keys: readonly string[], now?: number): void;
	/** Whether a key is remembered, and how. */
	stateOf(key: string, now?: number): KeyState | undefined;
	/** True while the key is remembered (claimed or confirmed). */
	has(key: string, now?: number): boolean;
	/** A value attached to a recorded key, e.g. the message id an idempotent send produced. */
	getValue(key: string, now?: number): string | undefined;
	setValue(key: string, value: string): void;
	/** Forgets a key so it can be recorded again (e.g. a send that certainly failed). */
	forget(key: string): void;
	readonly size: number;
}

interface Entry {
	expiresAt: number;
	confirmed: boolean;
	value: string | null;
}

/**
 * What the store persists: confirmed keys only, as digests grouped by the minute they expire in
 * (`e`: base-36 minute → concatenated 12-character digests), plus the few values (`v`: digest →
 * value). About 12 bytes a key, whatever the key's length.
 */
export interface DedupeSnapshot {
	f: 2;
	e: Record<string, string>;
	v?: Record<string, string>;
}

const MINUTE_MS = 60_000;

export class MemoryDedupeStore implements DedupeStore {
	// Keyed by digest; the oldest key is forgotten first when full.
	private readonly entries: BoundedMap<string, Entry>;

	constructor(private options: DedupeStoreOptions) {
		this.entries = new BoundedMap(options.capacity);
	}

	get size(): number {
		return this.entries.size;
	}

	/** Options can change when an operator edits the node; the next call applies them. */
	configure(options: DedupeStoreOptions): void {
		this.options = options;
		this.entries.resize(options.capacity);
	}

	checkAndRecord(keys: readonly string[], now = Date.now(), ttlMs?: number): boolean[] {
		// Expired keys go before live ones are evicted; the scan runs only when the store is full.
		if (this.entries.size + keys.length > this.entries.capacity) this.purgeExpired(now);
		return keys.map((key) => {
			const digest = digestKey(key);
			if (this.live(digest, now)) return false;
			this.entries.set(digest, {
				expiresAt: now + (ttlMs ?? this.options.ttlMs),
				confirmed: ttlMs === undefined,
				value: null,
			});
			return true;
		});
	}

	confirm(keys: readonly string[], now = Date.now()): void {
		for (const key of keys) {
			const digest = digestKey(key);
			const entry = this.live(digest, now);
			const expiresAt = Math.max(entry?.expiresAt ?? 0, now + this.options.ttlMs);
			this.entries.set(digest, { expiresAt, confirmed: true, value: entry?.value ?? null });
		}
	}

	stateOf(key: string, now = Date.now()): KeyState | undefined {
		const entry = this.live(digestKey(key), now);
		if (!entry) return undefined;
		return entry.confirmed ? 'confirmed' : 'claimed';
	}

	has(key: string, now = Date.now()): boolean {
		return this.live(digestKey(key), now) !== undefined;
	}

	getValue(key: string, now = Date.now()): string | undefined {
		return this.live(digestKey(key), now)?.value ?? undefined;
	}

	setValue(key: string, value: string): void {
		const entry = this.entries.get(digestKey(key));
		if (entry) entry.value = value;
	}

	forget(key: string): void {
		this.entries.delete(digestKey(key));
	}

	snapshot(now = Date.now()): DedupeSnapshot {
		const buckets = new Map<string, string[]>();
		const values: Record<string, string> = {};
		for (const [digest, entry] of this.entries) {
			if (!entry.confirmed || entry.expiresAt <= now) continue;
			const minute = Math.ceil(entry.expiresAt / MINUTE_MS).toString(36);
			const bucket = buckets.get(minute);
			if (bucket) bucket.push(digest);
			else buckets.set(minute, [digest]);
			if (entry.value !== null) values[digest] = entry.value;
		}
		const e: Record<string, string> = {};
		for (const [minute, digests] of buckets) e[minute] = digests.join('');
		return Object.keys(values).length > 0 ? { f: 2, e, v: values } : { f: 2, e };
	}

	/**
	 * Adds persisted keys that are still valid, oldest first; keys already in memory win (they are at
	 * least as new). Returns how many keys were added.
	 */
	restore(snapshot: unknown, now = Date.now()): number {
		const valid = readSnapshot(snapshot).filter(
			([digest, entry]) => entry.expiresAt > now && !this.entries.has(digest),
		);
		return this.entries.mergeUnder(valid, (entry) => entry.expiresAt);
	}

	private live(digest: string, now: number): Entry | undefined {
		const entry = this.entries.get(digest);
		return entry !== undefined && entry.expiresAt > now ? entry : undefined;
	}

	private purgeExpired(now: number): void {
		for (const [digest, entry] of this.entries) {
			if (entry.expiresAt <= now) this.entries.delete(digest);
		}
	}
}

/** Reads the current format, and the format before it (key → [expiresAt, value]) so an upgrade keeps its keys. */
function readSnapshot(snapshot: unknown): Array<[string, Entry]> {
	if (!snapshot || typeof snapshot !== 'object' || Array.isArray(snapshot)) return [];
	const data = snapshot as Partial<DedupeSnapshot> & Record<string, unknown>;
	const out: Array<[string, Entry]> = [];
	if (data.f === 2) {
		const values = data.v && typeof data.v === 'object' ? data.v : {};
		for (const [minute, digests] of Object.entries(data.e ?? {})) {
			const expiresAt = parseInt(minute, 36) * MINUTE_MS;
			if (!Number.isFinite(expiresAt) || typeof digests !== 'string') continue;
			for (let at = 0; at + DIGEST_LENGTH <= digests.length; at += DIGEST_LENGTH) {
				const digest = digests.slice(at, at + DIGEST_LENGTH);
				const value = values[digest];
				out.push([
					digest,
					{ expiresAt, confirmed: true, value: typeof value === 'string' ? value : null },
				]);
			}
		}
		return out;
	}
	for (const [key, entry] of Object.entries(data)) {
		if (!Array.isArray(entry) || typeof entry[0] !== 'number') continue;
		const value = typeof entry[1] === 'string' && entry[1] !== 'claimed' ? entry[1] : null;
		// The old trigger marked keys 'claimed' or 'confirmed' in the value; a claim was never a fact.
		if (entry[1] === 'claimed') continue;
		out.push([
			digestKey(key),
			{ expiresAt: entry[0], confirmed: true, value: value === 'confirmed' ? null : value },
		]);
	}
	return out;
}
