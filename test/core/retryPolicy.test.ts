import { classifyGraphError } from '../../nodes/core/graphErrors';
import {
	DEFAULT_RETRY_OPTIONS,
	nextRetry,
	withRetry,
	type RetryClock,
	type RetrySignal,
} from '../../nodes/core/retryPolicy';

const options = {
	...DEFAULT_RETRY_OPTIONS,
	maxAttempts: 5,
	maxTotalMs: 60_000,
	baseDelayMs: 1_000,
	maxDelayMs: 30_000,
};
const signal = (code: number, httpStatus: number, retryAfterMs?: number): RetrySignal => ({
	retry: classifyGraphError(code, httpStatus).retry,
	code,
	retryAfterMs,
});

function fakeClock(random = () => 1 - Number.EPSILON): RetryClock & { sleeps: number[] } {
	let now = 0;
	const sleeps: number[] = [];
	return {
		sleeps,
		now: () => now,
		random,
		sleep: async (ms) => {
			sleeps.push(ms);
			now += ms;
		},
	};
}

describe('nextRetry', () => {
	it.each([
		[100, 400],
		[131047, 400],
		[131026, 400],
		[190, 401],
		[10, 403],
		[132000, 400],
		[132001, 400],
	])('never retries permanent code %i', (code, status) => {
		expect(nextRetry(signal(code, status), 1, 0, options, () => 0.5)).toEqual({
			retry: false,
			reason: 'permanent',
		});
	});

	it('pauses instead of looping on quality caps (131048, 131049)', () => {
		expect(nextRetry(signal(131048, 400), 1, 0, options, () => 0.5)).toEqual({
			retry: false,
			reason: 'pause',
		});
		expect(nextRetry(signal(131049, 400), 1, 0, options, () => 0.5)).toEqual({
			retry: false,
			reason: 'pause',
		});
	});

	it('uses full jitter: uniform in [0, min(cap, base·2^n))', () => {
		const s = signal(130429, 429);
		expect(nextRetry(s, 1, 0, options, () => 0)).toEqual({ retry: true, delayMs: 0 });
		expect(nextRetry(s, 1, 0, options, () => 0.5)).toEqual({ retry: true, delayMs: 500 });
		expect(nextRetry(s, 2, 0, options, () => 0.5)).toEqual({ retry: true, delayMs: 1_000 });
		expect(nextRetry(s, 4, 0, options, () => 0.5)).toEqual({ retry: true, delayMs: 4_000 });
		// capped at maxDelayMs
		expect(nextRetry(s, 4, 0, { ...options, maxAttempts: 20 }, () => 0.5)).toEqual({
			retry: true,
			delayMs: 4_000,
		});
		expect(
			nextRetry(s, 10, 0, { ...options, maxAttempts: 20, maxTotalMs: 1e9 }, () => 0.5),
		).toEqual({ retry: true, delayMs: 15_000 });
	});

	it('honours Retry-After as a floor', () => {
		expect(nextRetry(signal(130429, 429, 7_000), 1, 0, options, () => 0.5)).toEqual({
			retry: true,
			delayMs: 7_000,
		});
		expect(nextRetry(signal(130429, 429, 100), 3, 0, options, () => 0.5)).toEqual({
			retry: true,
			delayMs: 2_000,
		});
	});

	it('waits at least the pair interval after 131056, doubling per attempt', () => {
		const s = signal(131056, 400);
		expect(nextRetry(s, 1, 0, options, () => 0)).toEqual({ retry: true, delayMs: 6_000 });
		expect(nextRetry(s, 1, 0, options, () => 0.999)).toEqual({ retry: true, delayMs: 8_997 });
		expect(nextRetry(s, 2, 0, options, () => 0)).toEqual({ retry: true, delayMs: 12_000 });
		expect(nextRetry(s, 3, 0, options, () => 0)).toEqual({ retry: true, delayMs: 24_000 });
	});

	it('gives limited errors (1, 131000) at most 3 attempts', () => {
		const s = signal(131000, 500);
		expect(nextRetry(s, 2, 0, options, () => 0.5).retry).toBe(true);
		expect(nextRetry(s, 3, 0, options, () => 0.5)).toEqual({ retry: false, reason: 'attempts' });
		expect(nextRetry(s, 1, 0, { ...options, maxAttempts: 1 }, () => 0.5)).toEqual({
			retry: false,
			reason: 'attempts',
		});
	});

	it('stops at the attempt bound and the total-time bound', () => {
		const s = signal(2, 500);
		expect(nextRetry(s, 5, 0, options, () => 0.5)).toEqual({ retry: false, reason: 'attempts' });
		expect(nextRetry(s, 1, 59_600, options, () => 0.5)).toEqual({ retry: false, reason: 'time' });
		expect(nextRetry(signal(130429, 429, 120_000), 1, 0, options, () => 0.5)).toEqual({
			retry: false,
			reason: 'time',
		});
	});

	it('retries unknown codes by HTTP status: 429 and 5xx yes, other 4xx no', () => {
		expect(nextRetry(signal(999999, 503), 1, 0, options, () => 0.5).retry).toBe(true);
		expect(nextRetry(signal(999999, 429), 1, 0, options, () => 0.5).retry).toBe(true);
		expect(nextRetry(signal(999999, 400), 1, 0, options, () => 0.5).retry).toBe(false);
	});
});

describe('withRetry', () => {
	it('retries transient failures and returns the first success with the schedule it slept', async () => {
		const clock = fakeClock();
		let calls = 0;
		const result = await withRetry(
			async () =>
				++calls < 4 ? { ok: false, failure: signal(2, 500) } : { ok: true, value: 'sent' },
			options,
			clock,
		);
		expect(result).toMatchObject({ ok: true, value: 'sent', attempts: 4 });
		expect(clock.sleeps).toEqual([1_000, 2_000, 4_000]);
		expect(result.elapsedMs).toBe(7_000);
	});

	it('stops after the attempt bound with the last failure', async () => {
		const clock = fakeClock(() => 0.5);
		const seen: Array<[number, number]> = [];
		const result = await withRetry(
			async () => ({ ok: false, failure: signal(130429, 429) }),
			options,
			clock,
			(_f, attempt, delay) => seen.push([attempt, delay]),
		);
		expect(result).toMatchObject({ ok: false, attempts: 5, stoppedBecause: 'attempts' });
		expect(seen).toEqual([
			[1, 500],
			[2, 1_000],
			[3, 2_000],
			[4, 4_000],
		]);
	});

	it('makes one attempt for a permanent error', async () => {
		const clock = fakeClock();
		const result = await withRetry(
			async () => ({ ok: false, failure: signal(131026, 400) }),
			options,
			clock,
		);
		expect(result).toMatchObject({ ok: false, attempts: 1, stoppedBecause: 'permanent' });
		expect(clock.sleeps).toEqual([]);
	});

	it('stops when the time budget would be exceeded, counting time spent in requests', async () => {
		const clock = fakeClock(() => 0.5);
		const result = await withRetry(
			async () => {
				await clock.sleep(20_000); // a slow request
				return { ok: false, failure: signal(2, 500) };
			},
			options,
			clock,
		);
		expect(result).toMatchObject({ ok: false, attempts: 3, stoppedBecause: 'time' });
	});
});
