import type { SendOnceStore } from './stateStore/types';

/**
 * Send-once: at most one accepted send per idempotency key. No n8n imports; the clock and sleep come
 * in. (Pacing is in ratePacer.ts, order per recipient in recipientLanes.ts.)
 */

export interface SendOnceOptions {
	/** How long an unconfirmed claim holds: longer than one send can take, retries included. */
	claimTtlMs: number;
	/** How often a waiter looks at a claim another execution holds. */
	pollMs: number;
	/** Give up waiting for another execution's claim after this long. */
	maxWaitMs: number;
}

export interface SendOnceClock {
	now(): number;
	sleep(ms: number): Promise<void>;
}

/**
 * What one send attempt reports. A failure that may still have sent the message (a timeout after the
 * request left, a 5xx without Meta's error body) carries `uncertainRecord`: the key is then kept, with
 * that record, so a re-run does not send a second message.
 */
export type ClaimedSend<T, F> =
	| { ok: true; value: T; record: string }
	| { ok: false; failure: F; uncertainRecord?: string };

export type SendOnceOutcome<T, F> =
	| { kind: 'sent'; value: T }
	| { kind: 'skipped'; record: string }
	| { kind: 'failed'; failure: F }
	| { kind: 'busy'; waitedMs: number };

/**
 * Sends unless a send with `key` was already accepted.
 *
 * - The key is claimed with a short TTL; a claim is atomic in either backend (stateStore/types.ts),
 *   so of concurrent executions, in this process or across processes sharing Redis, exactly one gets it.
 * - The holder records what was accepted (`record`, e.g. the message id) and confirms the key for the
 *   store's full TTL. On a failure that certainly sent nothing it forgets the key so a later run may
 *   send; on one that may have sent, it keeps the key with the uncertain record.
 * - A caller that finds a claim without a record polls until the holder records (skip), forgets
 *   (claim and send itself) or the claim expires (a crashed holder; claim and send itself).
 */
export async function sendOnce<T, F>(
	store: SendOnceStore,
	key: string,
	send: () => Promise<ClaimedSend<T, F>>,
	options: SendOnceOptions,
	clock: SendOnceClock,
): Promise<SendOnceOutcome<T, F>> {
	const started = clock.now();
	for (;;) {
		const now = clock.now();
		const claim = await store.claim(key, options.claimTtlMs, now);
		if (!claim.claimed) {
			if (claim.record !== undefined) return { kind: 'skipped', record: claim.record };
			const waitedMs = now - started;
			if (waitedMs >= options.maxWaitMs) return { kind: 'busy', waitedMs };
			await clock.sleep(Math.min(options.pollMs, options.maxWaitMs - waitedMs));
			continue;
		}
		let settled = false;
		try {
			const result = await send();
			settled = true;
			if (!result.ok) {
				if (result.uncertainRecord === undefined) await store.forget(key);
				else await store.settle(key, result.uncertainRecord, clock.now());
				return { kind: 'failed', failure: result.failure };
			}
			await store.settle(key, result.record, clock.now());
			return { kind: 'sent', value: result.value };
		} finally {
			// An exception in `send` must not leave the key claimed until the claim expires.
			if (!settled) await store.forget(key);
		}
	}
}
