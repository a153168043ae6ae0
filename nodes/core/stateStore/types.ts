import type { ConversationBook } from '../conversationRecord';
import type { LedgerJudgement } from '../statusLedger';

/**
 * The state this package keeps, behind one interface with two backends:
 *
 * - **This n8n instance** (`memory.ts`): live objects in the process, exact because JavaScript runs
 *   each call to completion, persisted through the workflow's static data (nodes/shared/workflowState.ts).
 * - **Redis** (`redis.ts`, `redisConversations.ts`): shared by every process of a queue-mode n8n;
 *   every check-and-record is one atomic Redis operation (`SET NX`, or a Lua script).
 *
 * Every method is asynchronous because the Redis backend is; the in-process backend answers at once.
 */

/** A trigger node's memory: which events it has seen, and how far each outbound message's status got. */
export interface TriggerStore {
	/**
	 * In one step: when any of `keys` is claimed by another request (its execution has not confirmed it
	 * yet), answers `busy` and changes nothing; otherwise claims every key not yet remembered, for
	 * `claimTtlMs`, and answers which keys were already confirmed (duplicates).
	 */
	claimBody(keys: readonly string[], claimTtlMs: number, now: number): Promise<ClaimBodyResult>;
	/** Gives back a claim `claimBody` made for an event that will not run (a stale status). */
	releaseClaim(key: string, now: number): Promise<void>;
	/** Judges a status of an outbound message against what is known, and records it. */
	applyStatus(messageId: string, status: string, now: number): Promise<LedgerJudgement>;
	/**
	 * Confirms a key for the full window. False when another execution confirmed it first: the event
	 * was re-admitted after its claim expired and both executions ran.
	 */
	confirmFirst(key: string, now: number): Promise<boolean>;
}

/**
 * What the trigger's executions acknowledged and have not finished yet, so that events a dead process
 * took with it can run again. Needed where n8n itself cannot recover them: in queue mode a worker killed
 * mid-execution leaves the execution failed without its data (n8n 2.41 sets Bull's maxStalledCount to 0
 * and does not re-run the job), after Meta already had its 200. In one process n8n keeps a crashed
 * execution with its items, so the in-process backend keeps no journal.
 */
export interface TriggerJournal {
	/**
	 * In one step, before the acknowledgement goes out: confirms the keys of the entries that carry one
	 * (the first execution to confirm keeps the event, as `confirmFirst`) and records the entries this
	 * execution keeps, so no event is ever confirmed without being recorded. Returns, per entry, whether
	 * it is kept.
	 */
	confirmAndRecord(executionId: string, entries: JournalEntry[], now: number): Promise<boolean[]>;
	/** The execution ended (its data is saved by n8n): nothing to recover. */
	finished(executionId: string): Promise<void>;
	/**
	 * Executions recorded longer than `olderThanMs` ago and not finished: presumed dead. Each is lent
	 * to the caller (its clock restarts), so only one request re-runs it; it stays recorded until the
	 * execution that re-runs it has recorded them itself and calls `finished` for it.
	 */
	takeUnfinished(olderThanMs: number, now: number, limit: number): Promise<UnfinishedExecution[]>;
}

/** One item an execution emits: on which output, and the dedupe key to confirm (none for one already confirmed). */
export interface JournalEntry {
	key: string | null;
	output: number;
	item: unknown;
}

export interface UnfinishedExecution {
	executionId: string;
	/** What it kept, as `[output, item]` pairs. */
	items: Array<[number, unknown]>;
}

export type ClaimBodyResult =
	| { busy: true; inFlight: number }
	| { busy: false; known: ReadonlySet<string> };

/** A send node's memory: at most one accepted send per idempotency key. */
export interface SendOnceStore {
	/**
	 * Claims the key for `ttlMs` when nobody holds it. Otherwise tells what the holder recorded (the
	 * message id, or that the send may have happened), or nothing while the holder is still sending.
	 */
	claim(key: string, ttlMs: number, now: number): Promise<SendOnceClaim>;
	/** Records what the send produced and keeps the key for the store's full window. */
	settle(key: string, record: string, now: number): Promise<void>;
	/** Gives the key up so a later run may send (the send certainly did not happen). */
	forget(key: string): Promise<void>;
}

export type SendOnceClaim = { claimed: true } | { claimed: false; record?: string };

/** Which conversations a change needs: the customer's on one business number, or on all of them. */
export interface ConversationScope {
	phoneNumberId: string | null;
	/** Every id the customer is known by here (a phone number, a business-scoped user id). */
	customerIds: readonly string[];
}

/** The conversations of a workflow, shared by the trigger, the send node and the escalation node. */
export interface ConversationStore {
	/**
	 * Runs `change` on a book holding (at least) the conversations of `scope`, and keeps what it changed,
	 * in one step: no other change to those conversations lands in between. `change` may run more than
	 * once (the Redis backend retries when another process changed a conversation meanwhile), so it must
	 * only touch the book.
	 */
	update<T>(
		scope: ConversationScope,
		change: (book: ConversationBook) => T,
		now: number,
	): Promise<T>;
}

/** The shared store (Redis) could not be reached or did not answer; nothing was recorded. */
export class StateStoreUnavailableError extends Error {}
