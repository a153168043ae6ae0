/**
 * Forward-only delivery status per outbound message. Meta sends statuses in no guaranteed order
 * (`read` before `delivered`, `sent` last), so the current status is a high-water mark that never
 * goes down: sent < delivered < read < played. `failed` counts only while nothing better than `sent`
 * is known; a failure after `delivered` (another device of a multi-device user) does not undo the
 * delivery, and a positive status after `failed` upgrades it.
 */

export type LedgerVerdict = 'advanced' | 'stale' | 'duplicate';

export interface LedgerJudgement {
	verdict: LedgerVerdict;
	/** The message's status before this event. */
	previous: string | null;
	/** The message's status after this event (the high-water mark). */
	current: string;
}

const RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3, played: 4 };

interface MessageState {
	/** Highest positive rank seen, 0 for none. */
	rank: number;
	failed: boolean;
	/** Status values seen for this message, to tell duplicates from stale events. */
	seen: string[];
}

/** Persisted as id → [rank, failed (0/1), seen statuses]. */
export type LedgerSnapshot = Record<string, [number, number, string[]]>;

function statusName(state: MessageState): string | null {
	const positive = Object.keys(RANK).find((name) => RANK[name] === state.rank) ?? null;
	if (state.failed && state.rank < RANK.delivered) return 'failed';
	return positive;
}

export class StatusLedger {
	private readonly messages = new Map<string, MessageState>();

	constructor(private capacity: number) {}

	get size(): number {
		return this.messages.size;
	}

	configure(capacity: number): void {
		this.capacity = capacity;
		this.evictOverCapacity();
	}

	/** Judges a status event for a message and records it. */
	apply(messageId: string, status: string): LedgerJudgement {
		const state = this.messages.get(messageId) ?? { rank: 0, failed: false, seen: [] };
		const previous = statusName(state);
		let verdict: LedgerVerdict;
		if (state.seen.includes(status)) {
			verdict = 'duplicate';
		} else if (status in RANK) {
			// A positive status advances past a lower rank, and so past a failure (failed keeps rank < delivered).
			verdict = RANK[status] > state.rank ? 'advanced' : 'stale';
			if (verdict === 'advanced') {
				state.rank = RANK[status];
				state.failed = false;
			}
		} else if (status === 'failed') {
			verdict = state.rank < RANK.delivered ? 'advanced' : 'stale';
			if (verdict === 'advanced') state.failed = true;
		} else {
			// Statuses we do not rank (e.g. `deleted`, `warning`) are news once and never move the mark.
			verdict = 'advanced';
		}
		if (!state.seen.includes(status)) state.seen.push(status);
		// Re-insert so recently active messages are evicted last.
		this.messages.delete(messageId);
		this.messages.set(messageId, state);
		this.evictOverCapacity();
		return { verdict, previous, current: statusName(state) ?? status };
	}

	/** The current status of a message, or null if none was recorded. */
	current(messageId: string): string | null {
		const state = this.messages.get(messageId);
		return state ? statusName(state) : null;
	}

	snapshot(): LedgerSnapshot {
		const out: LedgerSnapshot = {};
		for (const [id, state] of this.messages)
			out[id] = [state.rank, state.failed ? 1 : 0, state.seen];
		return out;
	}

	restore(snapshot: unknown): void {
		if (!snapshot || typeof snapshot !== 'object') return;
		const restored = new Map<string, MessageState>();
		for (const [id, value] of Object.entries(snapshot as LedgerSnapshot)) {
			if (!Array.isArray(value) || this.messages.has(id)) continue;
			const [rank, failed, seen] = value;
			restored.set(id, {
				rank: Number(rank) || 0,
				failed: failed === 1,
				seen: Array.isArray(seen) ? seen.map(String) : [],
			});
		}
		// Persisted messages are older than live ones: put them first in eviction order.
		for (const [id, state] of this.messages) restored.set(id, state);
		this.messages.clear();
		for (const [id, state] of restored) this.messages.set(id, state);
		this.evictOverCapacity();
	}

	private evictOverCapacity(): void {
		let excess = this.messages.size - this.capacity;
		for (const id of this.messages.keys()) {
			if (excess-- <= 0) break;
			this.messages.delete(id);
		}
	}
}
