import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { DEFAULT_RETRY_OPTIONS, type RetryOptions } from '../../core/retryPolicy';

/** Execution-wide options: how hard to retry, how fast and how wide to send. */

export const DEFAULT_CONCURRENCY = 10;
export const MAX_CONCURRENCY = 50;
/** Meta's default throughput of a Cloud API number is 80 messages per second [K]. */
export const DEFAULT_MAX_PER_SECOND = 80;
export const DEFAULT_SEND_ONCE_TTL_HOURS = 168;
export const SEND_ONCE_CAPACITY = 10_000;

export const optionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Concurrency',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY },
			default: DEFAULT_CONCURRENCY,
			description:
				'How many requests may be in flight at once. Items for the same recipient are always sent one after another, in input order.',
		},
		{
			displayName: 'Initial Backoff (Ms)',
			name: 'initialBackoffMs',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_RETRY_OPTIONS.baseDelayMs,
			description:
				'Upper bound of the first random wait before a retry; it doubles with each retry (full jitter), up to 30 s',
		},
		{
			displayName: 'Max Attempts',
			name: 'maxAttempts',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 10 },
			default: DEFAULT_RETRY_OPTIONS.maxAttempts,
			description:
				'Attempts per request in all, the first included. Errors that may be a bad request (codes 1 and 131000) get at most 3. Permanent errors get 1.',
		},
		{
			displayName: 'Max Messages Per Second',
			name: 'maxPerSecond',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 1000 },
			default: DEFAULT_MAX_PER_SECOND,
			description:
				"Ceiling on requests per second from this node, retries included. 80 is Meta's default throughput per number; raise it only if Meta raised yours. 0 turns the ceiling off.",
		},
		{
			displayName: 'Max Retry Time (Seconds)',
			name: 'maxRetrySeconds',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_RETRY_OPTIONS.maxTotalMs / 1000,
			description:
				'No retry is started whose wait would end later than this after the first attempt of the item',
		},
		{
			displayName: 'Pair Rate Delay (Ms)',
			name: 'pairRateDelayMs',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: DEFAULT_RETRY_OPTIONS.pairRateDelayMs,
			description:
				'First wait after error 131056 (too many messages to one user); it doubles with each retry. Meta allows about one message every 6 seconds per user.',
		},
		{
			displayName: 'Remember Idempotency Keys (Hours)',
			name: 'sendOnceTtlHours',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: DEFAULT_SEND_ONCE_TTL_HOURS,
			description: `How long a send with an idempotency key is remembered (at most ${SEND_ONCE_CAPACITY.toLocaleString('en-US')} keys per node; the oldest are forgotten first)`,
		},
		{
			displayName: 'Sender Phone Number ID',
			name: 'phoneNumberId',
			type: 'string',
			default: '',
			description: "Send from this phone number ID instead of the credential's",
		},
	],
};

export interface Settings {
	retry: RetryOptions;
	concurrency: number;
	maxPerSecond: number;
	phoneNumberId: string;
	sendOnceTtlMs: number;
}

const num = (
	value: unknown,
	fallback: number,
	min: number,
	max = Number.MAX_SAFE_INTEGER,
): number => {
	const n = typeof value === 'number' ? value : Number(value);
	return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
};

/** Read once per execution, from the first item: concurrency and pacing span all items. */
export function readSettings(ctx: IExecuteFunctions): Settings {
	const options = ctx.getNodeParameter('options', 0, {}) as Record<string, unknown>;
	return {
		retry: {
			...DEFAULT_RETRY_OPTIONS,
			maxAttempts: Math.round(num(options.maxAttempts, DEFAULT_RETRY_OPTIONS.maxAttempts, 1, 10)),
			maxTotalMs: num(options.maxRetrySeconds, DEFAULT_RETRY_OPTIONS.maxTotalMs / 1000, 0) * 1000,
			baseDelayMs: num(options.initialBackoffMs, DEFAULT_RETRY_OPTIONS.baseDelayMs, 0),
			pairRateDelayMs: num(options.pairRateDelayMs, DEFAULT_RETRY_OPTIONS.pairRateDelayMs, 0),
		},
		concurrency: Math.round(num(options.concurrency, DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY)),
		// 0 means no ceiling (RatePacer ignores rates that are not positive).
		maxPerSecond: num(options.maxPerSecond, DEFAULT_MAX_PER_SECOND, 0, 1000),
		phoneNumberId: typeof options.phoneNumberId === 'string' ? options.phoneNumberId.trim() : '',
		sendOnceTtlMs: num(options.sendOnceTtlHours, DEFAULT_SEND_ONCE_TTL_HOURS, 1) * 3_600_000,
	};
}
