import type { IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';

import { MemoryDedupeStore } from '../core/dedupeStore';
import type { EventKind } from '../core/events';
import { StatusLedger } from '../core/statusLedger';
import type { TriggerFilters } from '../core/triggerPipeline';
import { processState } from '../shared/processState';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long a claim made in the webhook waits for its execution to confirm it. Executions start
 * within milliseconds; if one never starts (n8n answered Meta with an error), Meta's retry after
 * this time is accepted again instead of being taken for a duplicate.
 */
export const CLAIM_TTL_MS = 10_000;

export interface TriggerOptions {
	filters: TriggerFilters;
	ttlMs: number;
	capacity: number;
	claimTtlMs: number;
	emitDuplicates: boolean;
	emitStaleStatuses: boolean;
}

type Context = IWebhookFunctions | IExecuteFunctions;

function nodeParameter<T>(ctx: Context, name: string, fallback: T): T {
	// The webhook context has no item index; the execute context reads parameters for item 0.
	return (
		'getInputData' in ctx
			? (ctx as IExecuteFunctions).getNodeParameter(name, 0, fallback)
			: (ctx as IWebhookFunctions).getNodeParameter(name, fallback)
	) as T;
}

export function readTriggerOptions(ctx: Context): TriggerOptions {
	const options = nodeParameter<{
		dedupeCapacity?: number;
		dedupeWindowDays?: number;
		emitDuplicates?: boolean;
		emitStaleStatuses?: boolean;
	}>(ctx, 'options', {});
	const phoneNumberIds = nodeParameter<string>(ctx, 'phoneNumberIds', '')
		.split(',')
		.map((id) => id.trim())
		.filter(Boolean);
	return {
		filters: { kinds: nodeParameter<EventKind[]>(ctx, 'events', []), phoneNumberIds },
		ttlMs: (options.dedupeWindowDays ?? 7) * DAY_MS,
		capacity: options.dedupeCapacity ?? 20000,
		claimTtlMs: CLAIM_TTL_MS,
		emitDuplicates: options.emitDuplicates ?? false,
		emitStaleStatuses: options.emitStaleStatuses ?? false,
	};
}

/** The process-wide dedupe store and status ledger of this trigger node (see processState). */
export function openTriggerState(ctx: Context, options: TriggerOptions) {
	const store = processState(ctx, 'dedupe', () => new MemoryDedupeStore(options));
	const ledger = processState(ctx, 'ledger', () => new StatusLedger(options.capacity));
	store.configure(options);
	ledger.configure(options.capacity);
	return { store, ledger };
}
