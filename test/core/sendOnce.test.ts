import { MemorySendOnceStore } from '../../nodes/core/stateStore/memory';
import { sendOnce, type SendOnceClock } from '../../nodes/core/sendOnce';

function clock(): SendOnceClock & { advance(ms: number): void } {
	let now = 1_000_000;
	return {
		now: () => now,
		advance: (ms) => (now += ms),
		sleep: async (ms) => {
			now += ms;
			await new Promise((resolve) => setImmediate(resolve));
		},
	};
}

const options = { claimTtlMs: 10_000, pollMs: 100, maxWaitMs: 20_000 };
const store = () => new MemorySendOnceStore({ ttlMs: 3_600_000, capacity: 100 });

describe('sendOnce', () => {
	it('sends once, then skips with the recorded value', async () => {
		const s = store();
		const c = clock();
		let sends = 0;
		const send = async () => ({ ok: true as const, value: ++sends, record: `wamid.${sends}` });
		expect(await sendOnce(s, 'k', send, options, c)).toEqual({ kind: 'sent', value: 1 });
		expect(await sendOnce(s, 'k', send, options, c)).toEqual({
			kind: 'skipped',
			record: 'wamid.1',
		});
		expect(sends).toBe(1);
		// The claim became a fact for the store's full TTL.
		c.advance(3_000_000);
		expect(s.keys.getValue('k', c.now())).toBe('wamid.1');
	});

	it('keeps the key with its record when the send may have gone out, so a later run skips', async () => {
		const s = store();
		const c = clock();
		const uncertain = async () => ({
			ok: false as const,
			failure: 'timeout after sending',
			uncertainRecord: 'uncertain',
		});
		expect(await sendOnce(s, 'k', uncertain, options, c)).toEqual({
			kind: 'failed',
			failure: 'timeout after sending',
		});
		expect(s.keys.stateOf('k', c.now())).toBe('confirmed');
		let sends = 0;
		const send = async () => ({ ok: true as const, value: ++sends, record: 'wamid.x' });
		expect(await sendOnce(s, 'k', send, options, c)).toEqual({
			kind: 'skipped',
			record: 'uncertain',
		});
		expect(sends).toBe(0);
	});

	it('forgets the key when the send fails, so a later run sends', async () => {
		const s = store();
		const c = clock();
		expect(
			await sendOnce(s, 'k', async () => ({ ok: false as const, failure: 'boom' }), options, c),
		).toEqual({ kind: 'failed', failure: 'boom' });
		expect(s.keys.has('k')).toBe(false);
		expect(
			(
				await sendOnce(
					s,
					'k',
					async () => ({ ok: true as const, value: 1, record: 'r' }),
					options,
					c,
				)
			).kind,
		).toBe('sent');
	});

	it('forgets the key when the send throws', async () => {
		const s = store();
		await expect(
			sendOnce(s, 'k', async () => Promise.reject(new Error('bug')), options, clock()),
		).rejects.toThrow('bug');
		expect(s.keys.has('k')).toBe(false);
	});

	it('lets concurrent callers with one key send once: the others wait and skip', async () => {
		const s = store();
		const c = clock();
		let sends = 0;
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		const send = async () => {
			sends++;
			await gate;
			return { ok: true as const, value: 'mine', record: 'wamid.ONE' };
		};
		const runs = Array.from({ length: 5 }, () => sendOnce(s, 'order-1', send, options, c));
		await new Promise((resolve) => setImmediate(resolve));
		release();
		const outcomes = await Promise.all(runs);
		expect(sends).toBe(1);
		expect(outcomes.filter((o) => o.kind === 'sent')).toHaveLength(1);
		expect(outcomes.filter((o) => o.kind === 'skipped')).toEqual(
			Array(4).fill({ kind: 'skipped', record: 'wamid.ONE' }),
		);
	});

	it('a waiter sends itself when the holder fails', async () => {
		const s = store();
		const c = clock();
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		const first = sendOnce(
			s,
			'k',
			async () => (await gate, { ok: false as const, failure: 'x' }),
			options,
			c,
		);
		const second = sendOnce(
			s,
			'k',
			async () => ({ ok: true as const, value: 2, record: 'wamid.2' }),
			options,
			c,
		);
		await new Promise((resolve) => setImmediate(resolve));
		release();
		expect(await first).toEqual({ kind: 'failed', failure: 'x' });
		expect(await second).toEqual({ kind: 'sent', value: 2 });
	});

	it('takes over an expired claim of a crashed holder, and gives up waiting on a live one', async () => {
		const s = store();
		const c = clock();
		s.keys.checkAndRecord(['crashed'], c.now(), options.claimTtlMs);
		expect(
			await sendOnce(
				s,
				'crashed',
				async () => ({ ok: true as const, value: 1, record: 'r' }),
				options,
				c,
			),
		).toEqual({ kind: 'sent', value: 1 });
		s.keys.checkAndRecord(['live'], c.now(), 1_000_000);
		expect(
			await sendOnce(
				s,
				'live',
				async () => ({ ok: true as const, value: 1, record: 'r' }),
				{ ...options, maxWaitMs: 1_000 },
				c,
			),
		).toEqual({ kind: 'busy', waitedMs: 1_000 });
	});
});
