import {
	checkTriggerCounts,
	counterIncrements,
	countsFromFields,
	emptyCounts,
	TriggerCounters,
	type TriggerCounts,
} from '../../nodes/core/triggerCounters';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

const admitted = (overrides: Partial<Parameters<typeof counterIncrements>[0]> = {}) =>
	({
		kind: 'admitted',
		received: 3,
		filtered: 1,
		duplicates: 1,
		stale: 0,
		inFlight: 0,
		answer: 'execute',
		...overrides,
	}) as Parameters<typeof counterIncrements>[0];

describe('counterIncrements', () => {
	it('splits an admitted body into new, duplicate, stale and filtered events', () => {
		expect(
			counterIncrements(admitted({ received: 5, filtered: 1, duplicates: 2, stale: 1 })),
		).toEqual({ requests: 1, events: 5, filtered: 1, duplicate: 2, stale: 1, new: 1 });
	});

	it('counts a body answered 503 as retryLater, none of its events as new or duplicate', () => {
		expect(
			counterIncrements(admitted({ received: 2, filtered: 0, inFlight: 1, answer: 'retryLater' })),
		).toEqual({ requests: 1, events: 2, retryLater: 1 });
	});

	it('counts a rejected POST as a request and by reason; a refused handshake only by reason', () => {
		expect(counterIncrements({ kind: 'rejected', reason: '401 signature' })).toEqual({
			requests: 1,
			'rejected:401 signature': 1,
		});
		expect(counterIncrements({ kind: 'rejected', reason: '403 verify token' })).toEqual({
			'rejected:403 verify token': 1,
		});
		expect(counterIncrements({ kind: 'handshake' })).toEqual({ handshakes: 1 });
	});
});

describe('TriggerCounters', () => {
	it('adds every request and remembers when the last request and the last news came', () => {
		const counters = new TriggerCounters(T0);
		counters.record(admitted(), T0 + 1000);
		counters.record({ kind: 'rejected', reason: '401 signature' }, T0 + 2000);
		counters.record({ kind: 'rejected', reason: '401 signature' }, T0 + 3000);
		counters.record(admitted({ received: 1, filtered: 0, duplicates: 1 }), T0 + 4000);
		expect(counters.read()).toEqual({
			...emptyCounts(T0),
			requests: 4,
			events: 4,
			new: 1,
			duplicate: 2,
			filtered: 1,
			rejected: { '401 signature': 2 },
			lastRequestAt: T0 + 4000,
			lastNewEventAt: T0 + 1000,
		});
	});

	it('reads the same numbers back from hash fields (the Redis shape), ignoring unknown fields', () => {
		const counters = new TriggerCounters(T0);
		counters.record(admitted(), T0 + 5);
		counters.record({ kind: 'rejected', reason: '415 content type' }, T0 + 6);
		const fields: Record<string, string> = {
			since: String(T0),
			name: 'Trigger',
			lastRequestAt: String(T0 + 6),
			lastNewEventAt: String(T0 + 5),
			'rejected:not a reason': '9',
		};
		for (const outcome of [admitted(), { kind: 'rejected', reason: '415 content type' } as const])
			for (const [field, by] of Object.entries(counterIncrements(outcome)))
				fields[field] = String(Number(fields[field] ?? 0) + by);
		expect(countsFromFields(fields, T0 + 99)).toEqual(counters.read());
	});
});

describe('checkTriggerCounts', () => {
	const counts = (overrides: Partial<TriggerCounts>): TriggerCounts => ({
		...emptyCounts(T0),
		...overrides,
	});
	const check = (
		value: TriggerCounts | undefined,
		source: Parameters<typeof checkTriggerCounts>[0]['source'] = { kind: 'process' },
		workflowActive = true,
	) => checkTriggerCounts({ triggerName: 'WhatsApp In', counts: value, source, workflowActive });

	it('passes when events come through, naming the trigger in its label', () => {
		const result = check(counts({ requests: 2, events: 2, new: 1, duplicate: 1 }));
		expect(result).toMatchObject({
			check: 'triggerEvents',
			label: 'Trigger WhatsApp In: events received since start',
			pass: true,
			whatToDo: '',
			details: { trigger: 'WhatsApp In', countedIn: 'this n8n process' },
		});
		expect((result.details?.counts as Record<string, unknown>).since).toBe(
			'2026-12-01T12:00:00.000Z',
		);
	});

	it('still passes with refused requests beside the events, and says what they mean', () => {
		const result = check(
			counts({ requests: 3, events: 1, new: 1, rejected: { '401 signature': 2 } }),
		);
		expect(result.pass).toBe(true);
		expect(result.whatToDo).toContain('2 × 401 signature');
	});

	it('active but never called: Meta sends nothing (subscription, URL, field), and per process in queue mode', () => {
		for (const value of [undefined, counts({})]) {
			const result = check(value);
			expect(result.pass).toBe(false);
			expect(result.whatToDo).toContain('No request reached the trigger');
			expect(result.whatToDo).toContain('subscribed to the app');
			expect(result.whatToDo).toContain('queue mode');
		}
		expect(check(undefined, { kind: 'redis' }).whatToDo).not.toContain('queue mode');
	});

	it('handshakes but no POST: the URL is verified, the subscription is missing', () => {
		const result = check(counts({ handshakes: 1 }));
		expect(result.pass).toBe(false);
		expect(result.whatToDo).toContain('Meta verified the URL (1 handshakes answered)');
	});

	it.each([
		[{ '401 signature': 3 }, 'App Secret'],
		[{ '403 verify token': 1 }, 'Verify Token'],
		[{ '415 content type': 1 }, 'not JSON'],
		[{ '400 body': 1 }, 'not WhatsApp Business Account notifications'],
		[{ '503 state store': 1 }, 'Redis'],
	])('only refusals %p: fails with what to do about the commonest', (rejected, advice) => {
		const total = Object.values(rejected)[0];
		const result = check(counts({ requests: total, rejected }));
		expect(result.pass).toBe(false);
		expect(result.whatToDo).toContain('No event came through');
		expect(result.whatToDo).toContain(advice);
	});

	it('every event filtered out: points at Phone Number IDs and Events', () => {
		const result = check(counts({ requests: 2, events: 2, filtered: 2 }));
		expect(result.pass).toBe(false);
		expect(result.whatToDo).toContain('Phone Number IDs');
	});

	it('only 503 answers: the executions do not finish', () => {
		const result = check(counts({ requests: 2, events: 2, retryLater: 2 }));
		expect(result.pass).toBe(false);
		expect(result.whatToDo).toContain('503');
	});

	it('not published: says to publish', () => {
		expect(check(undefined, { kind: 'process' }, false).whatToDo).toContain('publish it');
	});

	it('counts in Redis that this node cannot read, or could not read: says so', () => {
		expect(check(undefined, { kind: 'redisUnread' }).whatToDo).toContain(
			"set this node's State Store to Redis",
		);
		expect(check(undefined, { kind: 'redisFailed', message: 'ECONNREFUSED' }).whatToDo).toContain(
			'ECONNREFUSED',
		);
	});
});
