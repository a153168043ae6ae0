import { ConversationBook } from '../conversationRecord';
import { MemoryDedupeStore, type DedupeStoreOptions } from '../dedupeStore';
import { StatusLedger, type LedgerJudgement } from '../statusLedger';
import type { StatePart } from '../workflowState';
import type {
	ClaimBodyResult,
	ConversationScope,
	ConversationStore,
	SendOnceClaim,
	SendOnceStore,
	TriggerStore,
} from './types';

/**
 * The in-process backend of the state interfaces (types.ts): live objects shared by every request and
 * execution of this n8n process. Each method does its work without awaiting anything, so it runs to
 * completion before any other request or execution looks: exact under concurrency in one process.
 * Each is a part of the workflow's state document (workflowState.ts), persisted through static data.
 */

/** A trigger node's memory: event keys and the status ledger. */
export class MemoryTriggerStore implements TriggerStore, StatePart {
	readonly keys: MemoryDedupeStore;
	readonly ledger: StatusLedger;

	constructor(options: DedupeStoreOptions) {
		this.keys = new MemoryDedupeStore(options);
		this.ledger = new StatusLedger(options.capacity);
	}

	/** Options can change when an operator edits the node; the next call applies them. */
	configure(options: DedupeStoreOptions): void {
		this.keys.configure(options);
		this.ledger.configure(options.capacity);
	}

	async claimBody(
		keys: readonly string[],
		claimTtlMs: number,
		now: number,
	): Promise<ClaimBodyResult> {
		const inFlight = keys.filter((key) => this.keys.stateOf(key, now) === 'claimed').length;
		if (inFlight > 0) return { busy: true, inFlight };
		const known = new Set(keys.filter((key) => this.keys.stateOf(key, now) === 'confirmed'));
		this.keys.checkAndRecord(
			keys.filter((key) => !known.has(key)),
			now,
			claimTtlMs,
		);
		return { busy: false, known };
	}

	async releaseClaim(key: string, now: number): Promise<void> {
		if (this.keys.stateOf(key, now) === 'claimed') this.keys.forget(key);
	}

	async applyStatus(messageId: string, status: string): Promise<LedgerJudgement> {
		return this.ledger.apply(messageId, status);
	}

	async confirmFirst(key: string, now: number): Promise<boolean> {
		if (this.keys.stateOf(key, now) === 'confirmed') return false;
		this.keys.confirm([key], now);
		return true;
	}

	snapshot(now: number) {
		return { dedupe: this.keys.snapshot(now), ledger: this.ledger.snapshot() };
	}

	restore(data: unknown, now: number): void {
		if (!data || typeof data !== 'object') return;
		const { dedupe, ledger } = data as { dedupe?: unknown; ledger?: unknown };
		this.keys.restore(dedupe, now);
		this.ledger.restore(ledger);
	}
}

/** A send node's memory: the idempotency keys it has sent (or may have). */
export class MemorySendOnceStore implements SendOnceStore, StatePart {
	readonly keys: MemoryDedupeStore;

	constructor(options: DedupeStoreOptions) {
		this.keys = new MemoryDedupeStore(options);
	}

	configure(options: DedupeStoreOptions): void {
		this.keys.configure(options);
	}

	async claim(key: string, ttlMs: number, now: number): Promise<SendOnceClaim> {
		const [claimed] = this.keys.checkAndRecord([key], now, ttlMs);
		if (claimed) return { claimed: true };
		return { claimed: false, record: this.keys.getValue(key, now) };
	}

	async settle(key: string, record: string, now: number): Promise<void> {
		this.keys.confirm([key], now);
		this.keys.setValue(key, record);
	}

	async forget(key: string): Promise<void> {
		this.keys.forget(key);
	}

	snapshot(now: number) {
		return { sendOnce: this.keys.snapshot(now) };
	}

	restore(data: unknown, now: number): void {
		if (data && typeof data === 'object')
			this.keys.restore((data as { sendOnce?: unknown }).sendOnce, now);
	}
}

/** The workflow's conversations: one live book, changed in place. */
export class MemoryConversationStore implements ConversationStore {
	constructor(readonly book: ConversationBook) {}

	async update<T>(_scope: ConversationScope, change: (book: ConversationBook) => T): Promise<T> {
		return change(this.book);
	}
}
