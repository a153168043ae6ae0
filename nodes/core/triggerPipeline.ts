import type { EventKind, WhatsAppEvent } from './events';
import type { TriggerJournal, TriggerStore, UnfinishedExecution } from './stateStore/types';
import type { LedgerJudgement } from './statusLedger';

/**
 * What the trigger does with events, in two steps that run in different places:
 *
 * 1. `admitEvents`, in the webhook request. A body with an event another request has claimed and no
 *    execution has confirmed yet is answered "retry later" and changes nothing: 200 would acknowledge
 *    an event that may never run. Otherwise each new event's dedupe key is claimed (short-lived,
 *    `claimTtlMs`, until step 2 confirms it) and each status is judged by the ledger in arrival
 *    order; a stale one is dropped here, so a body of stale statuses starts no execution, and
 *    concurrent executions cannot turn each other's statuses stale after they started.
 * 2. `settleEvents`, inside the execution: confirm the claims; the first execution to get here wins
 *    if a re-admitted event raced its original. The trigger acknowledges Meta only after this step,
 *    from inside the running execution.
 *
 * A status admitted but never confirmed (its execution never started) is re-admitted when Meta
 * retries it: the ledger has seen it, but as long as it is still the message's latest status it is
 * news again, not a duplicate.
 */

export const TRIGGER_OUTPUTS = [
	'Messages',
	'Flow Responses',
	'Statuses',
	'Failures',
	'Other',
] as const;
export type TriggerOutput = 0 | 1 | 2 | 3 | 4;

export interface TriggerFilters {
	/** Event kinds to emit; empty means all. */
	kinds: EventKind[];
	/** Phone number ids to accept; empty means all. Events without a number (account updates) always pass. */
	phoneNumberIds: string[];
}

export interface TriggerItem extends WhatsAppEvent {
	duplicate: boolean;
	stale: boolean;
	ledger: LedgerJudgement | null;
	/** Set on an event acknowledged by an execution that never finished (see TriggerJournal): its id. */
	recoveredFrom?: string;
}

export interface AdmitResult {
	outputs: TriggerItem[][];
	received: number;
	filtered: number;
	duplicates: number;
	/** Statuses the ledger already knew to be stale or repeated. */
	stale: number;
	/** Events claimed by another request whose execution has not confirmed them yet. */
	inFlight: number;
	/** True when at least one item is new: only then should an execution start. */
	hasNewEvents: boolean;
	/** What to do with the request. */
	answer: 'execute' | 'acknowledge' | 'retryLater';
}

/**
 * Messages are what the workflow answers: only customers' messages of threads this app may answer.
 * Standby copies (another app owns the thread), echoes of the business app, chat history and
 * handovers go to Other, each with its own `kind` (and `standby: true`).
 */
export function outputFor(event: WhatsAppEvent): TriggerOutput {
	if (event.standby) return 4;
	switch (event.kind) {
		case 'message':
			return 0;
		case 'flow_response':
			return 1;
		case 'status':
			return event.status === 'failed' ? 3 : 2;
		case 'error':
			return 3;
		case 'account_update':
			// A Flow throttled or blocked, or an activated endpoint alert: something to fix.
			return event.errors.length > 0 ? 3 : 4;
		default:
			return 4;
	}
}

export function passesFilters(event: WhatsAppEvent, filters: TriggerFilters): boolean {
	if (filters.kinds.length > 0 && !filters.kinds.includes(event.kind)) return false;
	if (filters.phoneNumberIds.length > 0 && event.phoneNumberId !== null) {
		return filters.phoneNumberIds.includes(event.phoneNumberId);
	}
	return true;
}

export interface AdmitOptions {
	filters: TriggerFilters;
	store: TriggerStore;
	claimTtlMs: number;
	emitDuplicates: boolean;
	emitStale: boolean;
	now?: number;
}

function isStatusEvent(event: WhatsAppEvent): event is WhatsAppEvent & {
	messageId: string;
	status: string;
} {
	return event.kind === 'status' && !!event.messageId && !!event.status;
}

export async function admitEvents(
	events: WhatsAppEvent[],
	options: AdmitOptions,
): Promise<AdmitResult> {
	const { store } = options;
	const now = options.now ?? Date.now();
	const outputs: TriggerItem[][] = TRIGGER_OUTPUTS.map(() => []);
	const wanted = events.filter((event) => passesFilters(event, options.filters));
	const counts = {
		received: events.length,
		filtered: events.length - wanted.length,
		duplicates: 0,
		stale: 0,
		inFlight: 0,
	};

	// One step: if any event of this body is in another request's hands, change nothing; else claim.
	const keys = [...new Set(wanted.map((event) => event.dedupeKey))];
	const claim = await store.claimBody(keys, options.claimTtlMs, now);
	if (claim.busy) {
		counts.inFlight = claim.inFlight;
		return { ...counts, outputs, hasNewEvents: false, answer: 'retryLater' };
	}

	const claimedHere = new Set<string>();
	let emittedDuplicates = 0;
	for (const event of wanted) {
		const key = event.dedupeKey;
		if (claim.known.has(key) || claimedHere.has(key)) {
			counts.duplicates++;
			if (options.emitDuplicates) {
				emittedDuplicates++;
				outputs[outputFor(event)].push({ ...event, duplicate: true, stale: false, ledger: null });
			}
			continue;
		}
		claimedHere.add(key);
		let judgement: LedgerJudgement | null = null;
		if (isStatusEvent(event)) {
			judgement = await store.applyStatus(event.messageId, event.status, now);
			// Seen before but never confirmed, and still the latest: its execution never ran.
			if (judgement.verdict === 'duplicate' && judgement.current === event.status)
				judgement = { ...judgement, verdict: 'advanced' };
			if (judgement.verdict !== 'advanced') {
				counts.stale++;
				if (!options.emitStale) {
					// Nothing will run for it: a redelivery is judged again, as before this request.
					await store.releaseClaim(key, now);
					claimedHere.delete(key);
					continue;
				}
			}
		}
		const stale = judgement !== null && judgement.verdict !== 'advanced';
		outputs[outputFor(event)].push({ ...event, duplicate: false, stale, ledger: judgement });
	}
	const execute = claimedHere.size > 0 || emittedDuplicates > 0;
	return {
		...counts,
		outputs,
		hasNewEvents: claimedHere.size > 0,
		answer: execute ? 'execute' : 'acknowledge',
	};
}

/**
 * Adds the events of executions that acknowledged them and never finished (a killed queue-mode
 * worker) to what this request starts, flagged with the execution they come from. Their keys are
 * confirmed already; the execution that runs them records them again before it acknowledges.
 */
export function withRecovered(
	admitted: AdmitResult,
	unfinished: UnfinishedExecution[],
): AdmitResult {
	if (unfinished.length === 0 || admitted.answer === 'retryLater') return admitted;
	const outputs = admitted.outputs.map((items) => [...items]);
	for (const { executionId, items } of unfinished) {
		if (!Array.isArray(items)) continue;
		for (const entry of items) {
			if (!Array.isArray(entry)) continue;
			const [output, item] = entry;
			if (outputs[output] && item && typeof item === 'object')
				outputs[output].push({ ...(item as TriggerItem), recoveredFrom: executionId });
		}
	}
	return { ...admitted, outputs, answer: 'execute' };
}

/**
 * `settleEvents` for a store with a journal (Redis): confirms and records what this execution keeps
 * in one step, so an event is never confirmed without a record to re-run it from if the execution dies.
 */
export async function settleAndRecord(
	inputs: TriggerItem[][],
	options: {
		journal: TriggerJournal;
		executionId: string;
		/** Recovered events whose first execution was saved after all: dropped, not re-run. */
		finishedSources?: ReadonlySet<string>;
		now?: number;
	},
): Promise<Array<Array<{ item: TriggerItem; index: number }>>> {
	const finished = options.finishedSources ?? new Set<string>();
	const placed = inputs
		.flatMap((items, output) => items.map((item, index) => ({ item, index, output })))
		.filter(({ item }) => item.recoveredFrom === undefined || !finished.has(item.recoveredFrom));
	const kept = await options.journal.confirmAndRecord(
		options.executionId,
		placed.map(({ item, output }) => ({
			key: item.duplicate || item.recoveredFrom !== undefined ? null : item.dedupeKey,
			output,
			item,
		})),
		options.now ?? Date.now(),
	);
	const settled: Array<Array<{ item: TriggerItem; index: number }>> = inputs.map(() => []);
	placed.forEach(({ item, index, output }, i) => {
		if (kept[i]) settled[output].push({ item, index });
	});
	return settled;
}

/**
 * Runs inside the execution: confirms each new item's claim, and drops an item another execution
 * already confirmed (a re-admitted event whose original did start after all). Recovered items were
 * confirmed by the execution that took them first, and are kept.
 */
export async function settleEvents(
	inputs: TriggerItem[][],
	options: { store: TriggerStore; now?: number },
): Promise<Array<Array<{ item: TriggerItem; index: number }>>> {
	const now = options.now ?? Date.now();
	const settled: Array<Array<{ item: TriggerItem; index: number }>> = [];
	for (const items of inputs) {
		const kept: Array<{ item: TriggerItem; index: number }> = [];
		for (const [index, item] of items.entries()) {
			// Claimed, or missing (the claim expired or the process restarted): confirm it now.
			const confirmed = item.duplicate || item.recoveredFrom !== undefined;
			if (!confirmed && !(await options.store.confirmFirst(item.dedupeKey, now))) continue;
			kept.push({ item, index });
		}
		settled.push(kept);
	}
	return settled;
}
