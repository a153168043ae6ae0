import { DEFAULT_RETRY_OPTIONS, sendOnceClaimTtlMs } from '../../nodes/core/retryPolicy';

describe('sendOnceClaimTtlMs', () => {
	it('outlives three Graph calls that each spend the whole retry budget and a timeout', () => {
		const retry = { ...DEFAULT_RETRY_OPTIONS, maxTotalMs: 60_000 };
		expect(sendOnceClaimTtlMs(retry, 30_000)).toBe(3 * (60_000 + 30_000) + 10_000);
		expect(sendOnceClaimTtlMs({ ...retry, maxTotalMs: 0 }, 1_000)).toBe(13_000);
	});
});
