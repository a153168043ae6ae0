import type { RetryDecision } from './graphErrors';

/**
 * When to try a Graph call again: exponential backoff with full jitter, `Retry-After` as a floor, a
 * growing per-recipient delay for the pair rate limit (131056), and bounds on attempts and total time.
 * Pure: the clock, the sleep and the random source are passed in, so tests never wait.
 */

export interface RetryOptions {
	/** Attempts in all, the first included. */
	maxAttempts: number;
	/** No retry starts whose wait would end later than this after the first attempt began. */
	maxTotalMs: number;
	/** Ceiling of the first backoff window; each retry doubles it. */
	baseDelayMs: number;
	/** No backoff window grows beyond this. */
	maxDelayMs: number;
	/** Attempts for errors that may be a glitch or a bad request (`limited`: 1, 131000). */
	limitedAttempts: number;
	/** First wait after 131056: Meta allows about one message every 6 s to the same user (docs/whatsapp-facts.md §4). */
	pairRateDelayMs: number;
}

export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
	maxAttempts: 5,
	maxTotalMs: 60_000,
	baseDelayMs: 1_000,
	maxDelayMs: 30_000,
	limitedAttempts: 3,
	pairRateDelayMs: 6_000,
};

/** The pair rate limit: the wait is per recipient and grows, not a generic backoff. */
export const PAIR_RATE_LIMIT_CODE = 131056;

export interface RetrySignal {
	retry: RetryDecision;
	code?: number;
	/** From a `Retry-After` header. */
	retryAfterMs?: number;
}

export type StopReason = 'permanent' | 'pause' | 'attempts' | 'time';

export type RetryVerdict = { retry: true; delayMs: number } | { retry: false; reason: StopReason };

/**
 * Decides about the next attempt after `attemptsMade` attempts failed, the last with `signal`.
 * `random` returns [0, 1).
 */
export function nextRetry(
	signal: RetrySignal,
	attemptsMade: number,
	elapsedMs: number,
	options: RetryOptions,
	random: () => number,
): RetryVerdict {
	if (signal.retry === 'no') return { retry: false, reason: 'permanent' };
	// `later`: retrying within this execution fails again (quality caps); the operator pauses instead.
	if (signal.retry === 'later') return { retry: false, reason: 'pause' };
	const cap =
		signal.retry === 'limited'
			? Math.min(options.limitedAttempts, options.maxAttempts)
			: options.maxAttempts;
	if (attemptsMade >= cap) return { retry: false, reason: 'attempts' };

	const exponent = Math.min(attemptsMade - 1, 30);
	let delayMs: number;
	if (signal.code === PAIR_RATE_LIMIT_CODE) {
		// At least the pair interval, doubling; jitter only above the floor so it is never undercut.
		const floor = Math.min(
			options.pairRateDelayMs * 2 ** exponent,
			Math.max(options.maxDelayMs, options.pairRateDelayMs),
		);
		delayMs = floor + random() * floor * 0.5;
	} else {
		// Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^n)).
		delayMs = random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
	}
	if (signal.retryAfterMs !== undefined && signal.retryAfterMs > delayMs)
		delayMs = signal.retryAfterMs;
	delayMs = Math.round(delayMs);
	if (elapsedMs + delayMs > options.maxTotalMs) return { retry: false, reason: 'time' };
	return { retry: true, delayMs };
}

export type AttemptOutcome<T, F extends RetrySignal> =
	| { ok: true; value: T }
	| { ok: false; failure: F };

export type RetryResult<T, F extends RetrySignal> =
	| { ok: true; value: T; attempts: number; elapsedMs: number }
	| { ok: false; failure: F; attempts: number; elapsedMs: number; stoppedBecause: StopReason };

export interface RetryClock {
	now(): number;
	sleep(ms: number): Promise<void>;
	random(): number;
}

/** Runs `attempt` until it succeeds or `nextRetry` says stop. `onRetry` sees each scheduled wait. */
export async function withRetry<T, F extends RetrySignal>(
	attempt: (attemptNumber: number) => Promise<AttemptOutcome<T, F>>,
	options: RetryOptions,
	clock: RetryClock,
	onRetry?: (failure: F, attemptNumber: number, delayMs: number) => void,
): Promise<RetryResult<T, F>> {
	const started = clock.now();
	for (let attempts = 1; ; attempts++) {
		const outcome = await attempt(attempts);
		const elapsedMs = clock.now() - started;
		if (outcome.ok) return { ok: true, value: outcome.value, attempts, elapsedMs };
		const verdict = nextRetry(outcome.failure, attempts, elapsedMs, options, clock.random);
		if (!verdict.retry)
			return {
				ok: false,
				failure: outcome.failure,
				attempts,
				elapsedMs,
				stoppedBecause: verdict.reason,
			};
		onRetry?.(outcome.failure, attempts, verdict.delayMs);
		await clock.sleep(verdict.delayMs);
	}
}

/** Slack on top of the slowest send, for the time between the claim and the first request. */
const CLAIM_SLACK_MS = 10_000;

/**
 * How long a send-once claim holds: longer than the slowest send of one item can take. An item makes
 * up to three Graph calls in a row (media upload, the message, the window-closed fallback template),
 * each of which may spend the whole retry budget plus one request timeout.
 */
export function sendOnceClaimTtlMs(options: RetryOptions, requestTimeoutMs: number): number {
	return 3 * (options.maxTotalMs + requestTimeoutMs) + CLAIM_SLACK_MS;
}
