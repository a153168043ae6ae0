import type { DedupeStore } from './dedupeStore';
import type { EventKind, WhatsAppEvent } from './events';
import type { LedgerJudgement, StatusLedger } from './statusLedger';

/**
 * What the trigger does with events, in two steps that run in different places:
 *
 * 1. `admitEvents`, in the webhook request: filter, then claim each event's dedupe key. A claim is
 *    short-lived (`claimTtlMs`) until step 2 confirms it, so an event whose execution never started
 *    (n8n answered Meta with an error) is accepted again when Meta retries it.
 * 2. `settleEvents`, inside the execution: confirm the claims (the first execution to get here wins
 *    if a re-admitted event raced its original), and judge statuses with the ledger. Doing the
 *    ledger here means only events that reached an execution move a message's status.
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
	/** True when at least one item is new: only then should an execution start. */
	hasNewEvents: boolean;
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

const CLAIMED = 'claimed';
const CONFIRMED = 'confirmed';

export function admitEvents(
	events: WhatsAppEvent[],
	options: {
		filters: TriggerFilters;
		store: DedupeStore;
		claimTtlMs: number;
		emitDuplicates: boolean;
		now?: number;
	},
): AdmitResult {
	const wanted = events.filter((event) => passesFilters(event, options.filters));
	// One batch can repeat an event; only its first copy may claim the key.
	const fresh = options.store.checkAndRecord(
		wanted.map((e) => e.dedupeKey),
		options.now,
		options.claimTtlMs,
	);
	const outputs: TriggerItem[][] = TRIGGER_OUTPUTS.map(() => []);
	let duplicates = 0;
	wanted.forEach((event, index) => {
		const duplicate = !fresh[index];
		if (duplicate) duplicates++;
		else options.store.setValue(event.dedupeKey, CLAIMED);
		if (duplicate && !options.emitDuplicates) return;
		outputs[outputFor(event)].push({ ...event, duplicate, stale: false, ledger: null });
	});
	return {
		outputs,
		received: events.length,
		filtered: events.length - wanted.length,
		duplicates,
		hasNewEvents: fresh.some(Boolean),
	};
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
				const owner = options.store.getValue(item.dedupeKey, options.now);
				if (owner === CONFIRMED) return;
				// Missing (evicted, or restored after a restart without it): record it as confirmed now.
				if (owner === undefined) options.store.checkAndRecord([item.dedupeKey], options.now);
				options.store.setValue(item.dedupeKey, CONFIRMED);
				options.store.confirm([item.dedupeKey], options.now);
			}
			let result = item;
			if (item.kind === 'status' && item.messageId && item.status && !item.duplicate) {
				const ledger = options.ledger.apply(item.messageId, item.status);
				result = { ...item, ledger, stale: ledger.verdict !== 'advanced' };
				if (result.stale && !options.emitStale) return;
			}
			kept.push({ item: result, index });
		});
		return kept;
	});
}
