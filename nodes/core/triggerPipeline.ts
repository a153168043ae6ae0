import type { DedupeStore } from './dedupeStore';
import type { EventKind, WhatsAppEvent } from './events';
import type { LedgerJudgement, StatusLedger } from './statusLedger';

/**
 * What the trigger does with events, in two steps that run in different places:
 *
 * 1. `admitEvents`, in the webhook request: filter, drop statuses the ledger already knows to be
 *    stale (the ledger only moves forward, so stale now is stale later), then claim each event's
 *    dedupe key. A claim is short-lived (`claimTtlMs`) until step 2 confirms it. A body with an event
 *    another request has claimed and no execution has confirmed yet is answered "retry later", with
 *    this request's own claims released: 200 would acknowledge an event that may never run.
 * 2. `settleEvents`, inside the execution: confirm the claims (the first execution to get here wins
 *    if a re-admitted event raced its original), and judge statuses with the ledger. Doing the
 *    ledger here means only events that reached an execution move a message's status. The trigger
 *    acknowledges Meta only after this step, from inside the running execution.
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

export function outputFor(event: WhatsAppEvent): TriggerOutput {
	switch (event.kind) {
		case 'message':
			return 0;
		case 'flow_response':
			return 1;
		case 'status':
			return event.status === 'failed' ? 3 : 2;
		case 'error':
			return 3;
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
	store: DedupeStore;
	ledger: StatusLedger;
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

export function admitEvents(events: WhatsAppEvent[], options: AdmitOptions): AdmitResult {
	const { store, now } = options;
	const outputs: TriggerItem[][] = TRIGGER_OUTPUTS.map(() => []);
	const claimedHere = new Set<string>();
	let filtered = 0;
	let duplicates = 0;
	let stale = 0;
	let inFlight = 0;
	let emittedDuplicates = 0;
	for (const event of events) {
		if (!passesFilters(event, options.filters)) {
			filtered++;
			continue;
		}
		const key = event.dedupeKey;
		const known = store.stateOf(key, now);
		if (known === 'claimed' && !claimedHere.has(key)) {
			inFlight++;
			continue;
		}
		if (known !== undefined) {
			duplicates++;
			if (options.emitDuplicates) {
				emittedDuplicates++;
				outputs[outputFor(event)].push({ ...event, duplicate: true, stale: false, ledger: null });
			}
			continue;
		}
		const isStale =
			isStatusEvent(event) && options.ledger.peek(event.messageId, event.status) !== 'advanced';
		if (isStale) {
			stale++;
			if (!options.emitStale) continue;
		}
		store.checkAndRecord([key], now, options.claimTtlMs);
		claimedHere.add(key);
		outputs[outputFor(event)].push({ ...event, duplicate: false, stale: isStale, ledger: null });
	}
	const result = {
		outputs,
		received: events.length,
		filtered,
		duplicates,
		stale,
		inFlight,
		hasNewEvents: claimedHere.size > 0,
	};
	if (inFlight > 0) {
		for (const key of claimedHere) store.forget(key);
		return {
			...result,
			outputs: TRIGGER_OUTPUTS.map(() => []),
			hasNewEvents: false,
			answer: 'retryLater',
		};
	}
	const execute = claimedHere.size > 0 || emittedDuplicates > 0;
	return { ...result, answer: execute ? 'execute' : 'acknowledge' };
}

/**
 * Runs inside the execution. Drops an item when another execution already confirmed its key (a
 * re-admitted event whose original did start after all), and judges statuses with the ledger.
 */
export function settleEvents(
	inputs: TriggerItem[][],
	options: { store: DedupeStore; ledger: StatusLedger; emitStale: boolean; now?: number },
): Array<Array<{ item: TriggerItem; index: number }>> {
	return inputs.map((items) => {
		const kept: Array<{ item: TriggerItem; index: number }> = [];
		items.forEach((item, index) => {
			if (!item.duplicate) {
				if (options.store.stateOf(item.dedupeKey, options.now) === 'confirmed') return;
				// Claimed, or missing (the claim expired or the process restarted): confirm it now.
				options.store.confirm([item.dedupeKey], options.now);
			}
			let result = item;
			if (isStatusEvent(item) && !item.duplicate) {
				const ledger = options.ledger.apply(item.messageId, item.status);
				result = { ...item, ledger, stale: ledger.verdict !== 'advanced' };
				if (result.stale && !options.emitStale) return;
			}
			kept.push({ item: result, index });
		});
		return kept;
	});
}
