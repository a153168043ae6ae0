/**
 * Forward-only delivery status per outbound message. Meta sends statuses in no guaranteed order
 * (`read` before `delivered`, `sent` last), so the current status is a high-water mark that never
 * goes down: sent < delivered < read < played. `failed` counts only while nothing better than `sent`
 * is known: a failure after `delivered` (another device of a multi-device user) does not undo the
 * delivery, and only `delivered`, `read` or `played` clear a failure. A late `sent` does not: Meta
 * sends `sent` before `failed`, so a `sent` arriving after `failed` is the older of the two.
 */

import { BoundedMap } from './boundedMap';
import { asNumber } from './coerce';
import { DIGEST_LENGTH, digestKey } from './keyDigest';

export type LedgerVerdict = 'advanced' | 'stale' | 'duplicate';

export interface LedgerJudgement {
	verdict: LedgerVerdict;
	/** The message's status before this event. */
	previous: string | null;
	/** The message's status after this event (the high-water mark). */
	current: string;
}

const RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3, played: 4 };

/** Statuses whose "seen" bit is persisted; others (`deleted`, `warning`) are remembered in memory only. */
const PERSISTED_SEEN = ['sent', 'delivered', 'read', 'played', 'failed'];

interface MessageState {
	/** Highest positive rank seen, 0 for none. */
	rank: number;
	failed: boolean;
	/** Status values seen for this message, to tell duplicates from stale events. */
	seen: string[];
}

/**
 * Persisted form: `m` is one string of 14-character records in eviction order, each a message id's
 * digest followed by two base-36 characters packing rank, failed and the seen statuses.
 */
export interface LedgerSnapshot {
	f: 2;
	m: string;
}

const RECORD_LENGTH = DIGEST_LENGTH + 2;

function statusName(state: MessageState): string | null {
	const positive = Object.keys(RANK).find((name) => RANK[name] === state.rank) ?? null;
	if (state.failed && state.rank < RANK.delivered) return 'failed';
	return positive;
}

function judge(state: MessageState, status: string): LedgerVerdict {
	if (state.seen.includes(status)) return 'duplicate';
	if (status === 'failed') return state.rank < RANK.delivered ? 'advanced' : 'stale';
	// Statuses we do not rank (e.g. `deleted`, `warning`) are news once and never move the mark.
	if (!(status in RANK)) return 'advanced';
	if (state.failed && RANK[status] < RANK.delivered) return 'stale';
	return RANK[status] > state.rank ? 'advanced' : 'stale';
}

/** Judges `status` against a message's state and moves the state on. */
function advance(state: MessageState, status: string): LedgerJudgement {
	const previous = statusName(state);
	const verdict = judge(state, status);
	if (verdict === 'advanced') {
		if (status === 'failed') state.failed = true;
		else if (status in RANK) {
			state.rank = RANK[status];
			// Only delivered, read or played clear a failure; `judge` keeps `sent` from getting here.
			state.failed = false;
		}
	}
	if (!state.seen.includes(status)) state.seen.push(status);
	return { verdict, previous, current: statusName(state) ?? status };
}

/**
 * The ledger's rule on one message's stored code (the two characters a snapshot keeps per message),
 * for a backend that stores messages one by one (Redis): the judgement, and the code to store.
 */
export function applyToCode(
	code: string | null,
	status: string,
): { judgement: LedgerJudgement; code: string } {
	const state = (code !== null ? unpack(code) : null) ?? newState();
	const judgement = advance(state, status);
	return { judgement, code: pack(state) };
}

function pack(state: MessageState): string {
	let seen = 0;
	PERSISTED_SEEN.forEach((status, bit) => {
		if (state.seen.includes(status)) seen |= 1 << bit;
	});
	return (state.rank | (state.failed ? 8 : 0) | (seen << 4)).toString(36).padStart(2, '0');
}

function unpack(code: string): MessageState | null {
	const bits = parseInt(code, 36);
	if (!Number.isInteger(bits) || bits < 0) return null;
	return {
		rank: Math.min(bits & 7, RANK.played),
		failed: (bits & 8) !== 0,
		seen: PERSISTED_SEEN.filter((_, bit) => (bits >> 4) & (1 << bit)),
	};
}

export class StatusLedger {
	// Keyed by the message id's digest; recently active messages are evicted last.
	private readonly messages: BoundedMap<string, MessageState>;

	constructor(capacity: number) {
		this.messages = new BoundedMap(capacity);
	}

	get size(): number {
		return this.messages.size;
	}

	configure(capacity: number): void {
		this.messages.resize(capacity);
	}

	/** What `apply` would say, without recording anything. */
	peek(messageId: string, status: string): LedgerVerdict {
		return judge(this.messages.get(digestKey(messageId)) ?? newState(), status);
	}

	/** Judges a status event for a message and records it. */
	apply(messageId: string, status: string): LedgerJudgement {
		const digest = digestKey(messageId);
		const state = this.messages.get(digest) ?? newState();
		const judgement = advance(state, status);
		this.messages.set(digest, state);
		return judgement;
	}

	/** The current status of a message, or null if none was recorded. */
	current(messageId: string): string | null {
		const state = this.messages.get(digestKey(messageId));
		return state ? statusName(state) : null;
	}

	snapshot(): LedgerSnapshot {
		let records = '';
		for (const [digest, state] of this.messages) records += digest + pack(state);
		return { f: 2, m: records };
	}

	/** Merges a persisted ledger under the live one: live messages win and stay newest. */
	restore(snapshot: unknown): void {
		this.messages.mergeUnder(readSnapshot(snapshot));
	}
}

function newState(): MessageState {
	return { rank: 0, failed: false, seen: [] };
}

/** Reads the current format and the one before it (message id → [rank, failed, seen]). */
function readSnapshot(snapshot: unknown): Array<[string, MessageState]> {
	if (!snapshot || typeof snapshot !== 'object' || Array.isArray(snapshot)) return [];
	const data = snapshot as Record<string, unknown>;
	const out: Array<[string, MessageState]> = [];
	if (data.f === 2) {
		const records = typeof data.m === 'string' ? data.m : '';
		for (let at = 0; at + RECORD_LENGTH <= records.length; at += RECORD_LENGTH) {
			const state = unpack(records.slice(at + DIGEST_LENGTH, at + RECORD_LENGTH));
			if (state) out.push([records.slice(at, at + DIGEST_LENGTH), state]);
		}
		return out;
	}
	for (const [id, value] of Object.entries(data)) {
		if (!Array.isArray(value)) continue;
		const [rank, failed, seen] = value;
		out.push([
			digestKey(id),
			{
				rank: asNumber(rank) ?? 0,
				failed: failed === 1,
				seen: Array.isArray(seen) ? seen.map(String) : [],
			},
		]);
	}
	return out;
}
