import type { IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { RecordOptions } from '../core/conversationRecord/book';
import type { EventKind } from '../core/events';
import type { TriggerFilters } from '../core/triggerPipeline';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long a claim made in the webhook waits for its execution to confirm it. Executions start within
 * milliseconds, and under load within seconds; a redelivery that finds a claim is answered 503, never
 * 200, so a long claim costs only time when an execution never started (Meta retries), never an event.
 */
export const CLAIM_TTL_MS = 120_000;

/** Bounds on the options, so one node's state stays a few MB at most (see the README). */
export const MAX_DEDUPE_CAPACITY = 100_000;
export const MAX_DEDUPE_WINDOW_DAYS = 30;

export interface TriggerOptions {
	filters: TriggerFilters;
	ttlMs: number;
	capacity: number;
	claimTtlMs: number;
	emitDuplicates: boolean;
	emitStaleStatuses: boolean;
	/** State Store Redis: how long an acknowledged execution may stay unfinished before its events run again. */
	recoverAfterMs: number;
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
		recoverAfterMinutes?: number;
	}>(ctx, 'options', {});
	const phoneNumberIds = nodeParameter<string>(ctx, 'phoneNumberIds', '')
		.split(',')
		.map((id) => id.trim())
		.filter(Boolean);
	return {
		filters: { kinds: nodeParameter<EventKind[]>(ctx, 'events', []), phoneNumberIds },
		ttlMs: clamp(options.dedupeWindowDays ?? 7, 0.01, MAX_DEDUPE_WINDOW_DAYS) * DAY_MS,
		capacity: Math.floor(clamp(options.dedupeCapacity ?? 20000, 100, MAX_DEDUPE_CAPACITY)),
		claimTtlMs: CLAIM_TTL_MS,
		emitDuplicates: options.emitDuplicates ?? false,
		emitStaleStatuses: options.emitStaleStatuses ?? false,
		recoverAfterMs: clamp(options.recoverAfterMinutes ?? 10, 1, 24 * 60) * 60_000,
	};
}

function clamp(value: number, min: number, max: number): number {
	return Math.min(max, Math.max(min, Number(value) || min));
}

/**
 * How the conversation book records echoes and handovers (Options → Echoes Give Human Ownership, Echo
 * Lease (Minutes), App ID). Read before the execution acknowledges Meta, so a bad value fails the
 * execution instead of recording wrongly.
 */
export function readRecordOptions(ctx: IExecuteFunctions): RecordOptions {
	const options = ctx.getNodeParameter('options', 0, {}) as {
		echoOwnership?: boolean;
		echoLeaseMinutes?: unknown;
		appId?: unknown;
	};
	const minutes = options.echoLeaseMinutes ?? DEFAULT_ECHO_LEASE_MINUTES;
	if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes < 0)
		throw new NodeOperationError(
			ctx.getNode(),
			`Echo Lease (Minutes) must be a number of minutes, 0 or more; got ${JSON.stringify(minutes)}`,
			{
				description:
					'Set Options → Echo Lease (Minutes) of the trigger; 0 keeps the conversation with the person until Release.',
			},
		);
	const appId = typeof options.appId === 'string' ? options.appId.trim() : '';
	if (appId !== '' && !/^\d+$/.test(appId))
		throw new NodeOperationError(
			ctx.getNode(),
			`App ID must be digits; got ${JSON.stringify(appId)}`,
			{
				description:
					"Set Options → App ID to your Meta app's ID (App Dashboard → App settings → Basic), or leave it empty.",
			},
		);
	return {
		echoOwnership:
			options.echoOwnership === false ? null : { leaseMs: minutes > 0 ? minutes * 60_000 : null },
		appId: appId || null,
	};
}

/** How long an echo of the WhatsApp Business app keeps the bot away from that customer by default. */
export const DEFAULT_ECHO_LEASE_MINUTES = 60;
