import type { IExecuteFunctions } from 'n8n-workflow';

import { DEFAULT_RETRY_OPTIONS, type RetryOptions } from '../../core/retryPolicy';

/** Execution-wide settings read from the Options collection: how hard to retry, how fast and how wide to send. */

export const DEFAULT_CONCURRENCY = 10;
export const MAX_CONCURRENCY = 50;
/** Meta's default throughput of a Cloud API number is 80 messages per second (docs/whatsapp-facts.md §4). */
export const DEFAULT_MAX_PER_SECOND = 80;
export const DEFAULT_SEND_ONCE_TTL_HOURS = 168;
/** 30 days: as long as any key of this package is kept. */
export const MAX_SEND_ONCE_TTL_HOURS = 720;
export const SEND_ONCE_CAPACITY = 10_000;

export interface Settings {
	retry: RetryOptions;
	concurrency: number;
	maxPerSecond: number;
	phoneNumberId: string;
	sendOnceTtlMs: number;
	/** Retry a message whose send may have reached Meta (off by default: it could arrive twice). */
	retryUncertain: boolean;
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
		// 0 means no ceiling (RatePacer ignores rates that are not positive). One ceiling per node, shared by its concurrent executions (shared/ratePacers.ts).
		maxPerSecond: num(options.maxPerSecond, DEFAULT_MAX_PER_SECOND, 0, 1000),
		phoneNumberId: typeof options.phoneNumberId === 'string' ? options.phoneNumberId.trim() : '',
		sendOnceTtlMs:
			num(options.sendOnceTtlHours, DEFAULT_SEND_ONCE_TTL_HOURS, 1, MAX_SEND_ONCE_TTL_HOURS) *
			3_600_000,
		retryUncertain: options.retryUncertainSends === true,
	};
}
