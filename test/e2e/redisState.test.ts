/**
 * The Redis backend of the state interfaces against a real redis-server: the same contract as the
 * in-process backend (test/support/contracts), then what only a shared store has to prove: two
 * clients (two n8n processes) racing on the same keys, expiry, and Redis going away.
 */
import { randomUUID } from 'node:crypto';

import Redis from 'ioredis';

import type { KeyState } from '../../nodes/core/dedupeStore';
import { digestKey } from '../../nodes/core/keyDigest';
import { buildCasePackage } from '../../nodes/core/casePackage';
import { checkBotSend, escalate } from '../../nodes/core/lease';
import { sendOnce } from '../../nodes/core/sendOnce';
import {
	RedisSendOnceStore,
	RedisTriggerStore,
	redisNamespace,
	reportingFailures,
	type RedisScripts,
} from '../../nodes/core/stateStore/redis';
import { RedisConversationStore } from '../../nodes/core/stateStore/redisConversations';
import { COUNTER_TTL_MS, RedisTriggerCounters } from '../../nodes/core/stateStore/redisCounters';
import { TriggerCounters } from '../../nodes/core/triggerCounters';
import { StateStoreUnavailableError } from '../../nodes/core/stateStore/types';
import { applyToCode } from '../../nodes/core/statusLedger';
import {
	admitEvents,
	settleAndRecord,
	settleEvents,
	type TriggerItem,
} from '../../nodes/core/triggerPipeline';
import { splitEvents, type WhatsAppEvent } from '../../nodes/core/events';
import { closeRedisClientsForTests, redisScripts } from '../../nodes/shared/redisClient';
import { testRedisConnection } from '../../nodes/shared/stateStores';
import { describeTriggerPipeline } from '../support/contracts/triggerPipeline';
import { body, change, PHONE_A, textMessage } from '../support/payloads';
import { startRedis, type RedisServer } from '../support/redisServer';

const WEEK_MS = 7 * 86400_000;

let server: RedisServer;
/** The package's own client (nodes/shared/redisClient.ts), as a node would get it. */
let first: RedisScripts;
/** A second connection, as another n8n process would have. */
let secondClient: Redis;
let second: RedisScripts;

beforeAll(async () => {
	server = await startRedis();
	first = redisScripts({ host: server.host, port: server.port }, 'first');
	secondClient = new Redis({ host: server.host, port: server.port, maxRetriesPerRequest: 1 });
	second = reportingFailures(secondClient, 'second');
});

afterAll(async () => {
	closeRedisClientsForTests();
	secondClient?.disconnect();
	await server?.stop();
});

const freshNamespace = () => redisNamespace(`wf-${randomUUID()}`, 'node-1');

async function valueOf(key: string): Promise<string | null> {
	return (await first.eval(`return redis.call('GET', KEYS[1])`, 1, key)) as string | null;
}

describeTriggerPipeline({
	name: 'Redis',
	virtualTime: false,
	async create() {
		const namespace = freshNamespace();
		return {
			store: new RedisTriggerStore(first, namespace, WEEK_MS),
			async stateOf(key): Promise<KeyState | undefined> {
				const value = await valueOf(`${namespace}:d:${digestKey(key)}`);
				return value === 'c' ? 'claimed' : value === 'k' ? 'confirmed' : undefined;
			},
			async currentStatus(messageId) {
				const code = await valueOf(`${namespace}:l:${digestKey(messageId)}`);
				return code === null ? null : applyToCode(code, 'none').judgement.previous;
			},
		};
	},
});

function events(input: unknown): WhatsAppEvent[] {
	const split = splitEvents(input);
	if (!split.ok) throw new Error(split.reason);
	return split.events;
}

const admitOptions = {
	filters: { kinds: [], phoneNumberIds: [] },
	claimTtlMs: 120_000,
	emitDuplicates: false,
	emitStale: false,
};

describe('two processes sharing one Redis', () => {
	it('admits 20 concurrent copies of one body once, on either process', async () => {
		const namespace = freshNamespace();
		const stores = [first, second].map((r) => new RedisTriggerStore(r, namespace, WEEK_MS));
		const input = body(change(PHONE_A, { messages: [textMessage('wamid.same', 'hi')] }));
		const results = await Promise.all(
			Array.from({ length: 20 }, (_, i) =>
				admitEvents(events(input), { ...admitOptions, store: stores[i % 2] }),
			),
		);
		expect(results.filter((r) => r.answer === 'execute')).toHaveLength(1);
		expect(results.filter((r) => r.answer === 'retryLater')).toHaveLength(19);
		// Confirmed on the other process (a worker): every later copy is a duplicate.
		const admitted = results.find((r) => r.answer === 'execute')!;
		const settled = await settleEvents(admitted.outputs, { store: stores[1] });
		expect(settled[0]).toHaveLength(1);
		const later = await admitEvents(events(input), { ...admitOptions, store: stores[0] });
		expect(later).toMatchObject({ answer: 'acknowledge', duplicates: 1 });
	});

	it('admits 50 distinct bodies sent to both processes at once exactly 50 times', async () => {
		const namespace = freshNamespace();
		const stores = [first, second].map((r) => new RedisTriggerStore(r, namespace, WEEK_MS));
		const bodies = Array.from({ length: 50 }, (_, i) =>
			body(change(PHONE_A, { messages: [textMessage(`wamid.d${i}`, `m${i}`)] })),
		);
		const results = await Promise.all(
			bodies.flatMap((input) =>
				stores.map(async (store) => await admitEvents(events(input), { ...admitOptions, store })),
			),
		);
		expect(results.filter((r) => r.answer === 'execute')).toHaveLength(50);
	});

	it('keeps statuses judged on two processes forward-only', async () => {
		const namespace = freshNamespace();
		const [a, b] = [first, second].map((r) => new RedisTriggerStore(r, namespace, WEEK_MS));
		const judged = await Promise.all([
			a.applyStatus('wamid.o', 'delivered', Date.now()),
			b.applyStatus('wamid.o', 'read', Date.now()),
			a.applyStatus('wamid.o', 'sent', Date.now()),
		]);
		expect(judged.map((j) => j.current)).toContain('read');
		expect((await b.applyStatus('wamid.o', 'failed', Date.now())).verdict).toBe('stale');
		expect((await a.applyStatus('wamid.o', 'read', Date.now())).verdict).toBe('duplicate');
	});

	it('remembers confirmed keys for the window and no longer, and a claim for its claim time', async () => {
		const namespace = freshNamespace();
		const store = new RedisTriggerStore(first, namespace, 60_000);
		await store.claimBody(['message:wamid.t'], 5_000, Date.now());
		const claimTtl = (await first.eval(
			`return redis.call('PTTL', KEYS[1])`,
			1,
			`${namespace}:d:${digestKey('message:wamid.t')}`,
		)) as number;
		expect(claimTtl).toBeGreaterThan(0);
		expect(claimTtl).toBeLessThanOrEqual(5_000);
		await store.confirmFirst('message:wamid.t', Date.now());
		const confirmedTtl = (await first.eval(
			`return redis.call('PTTL', KEYS[1])`,
			1,
			`${namespace}:d:${digestKey('message:wamid.t')}`,
		)) as number;
		expect(confirmedTtl).toBeGreaterThan(5_000);
		expect(confirmedTtl).toBeLessThanOrEqual(60_000);
	});
});

describe('the journal of acknowledged, unfinished executions', () => {
	const item = (id: string) =>
		({ dedupeKey: `message:${id}`, messageId: id, duplicate: false }) as unknown as TriggerItem;

	it('confirms and records together; the first execution keeps an event, a record is lent once', async () => {
		const namespace = freshNamespace();
		const [a, b] = [first, second].map((r) => new RedisTriggerStore(r, namespace, WEEK_MS));
		const settledA = await settleAndRecord([[item('wamid.j1')], [], [item('wamid.j2')]], {
			journal: a,
			executionId: '101',
			now: 1_000,
		});
		expect(settledA.map((output) => output.length)).toEqual([1, 0, 1]);
		// Another execution with the same event (re-admitted): not kept, nothing recorded for it.
		const settledB = await settleAndRecord([[item('wamid.j1')]], {
			journal: b,
			executionId: '102',
			now: 1_000,
		});
		expect(settledB[0]).toEqual([]);
		expect(await b.takeUnfinished(60_000, 30_000, 5)).toEqual([]);
		const [takenByA, takenByB] = await Promise.all([
			a.takeUnfinished(60_000, 61_001, 5),
			b.takeUnfinished(60_000, 61_001, 5),
		]);
		// One of two concurrent requests re-runs it; the other sees nothing.
		expect([...takenByA, ...takenByB]).toEqual([
			{
				executionId: '101',
				items: [
					[0, expect.objectContaining({ messageId: 'wamid.j1' })],
					[2, expect.objectContaining({ messageId: 'wamid.j2' })],
				],
			},
		]);
		// Lent: not due again until the re-run has had its own time.
		expect(await a.takeUnfinished(60_000, 62_000, 5)).toEqual([]);
		expect(await a.takeUnfinished(60_000, 121_002, 5)).toHaveLength(1);
		await b.finished('101');
		expect(await a.takeUnfinished(60_000, 999_999, 5)).toEqual([]);
	});

	it('drops recovered events whose first execution n8n saved after all, and records the rest', async () => {
		const store = new RedisTriggerStore(first, freshNamespace(), WEEK_MS);
		const recovered = (id: string, from: string) => ({ ...item(id), recoveredFrom: from });
		const settled = await settleAndRecord(
			[[recovered('wamid.saved', '201'), recovered('wamid.dead', '202'), item('wamid.new')]],
			{ journal: store, executionId: '203', finishedSources: new Set(['201']), now: 1_000 },
		);
		expect(settled[0].map(({ item: kept, index }) => [kept.messageId, index])).toEqual([
			['wamid.dead', 1],
			['wamid.new', 2],
		]);
		const [record] = await store.takeUnfinished(60_000, 61_001, 5);
		expect(record.items.map(([, kept]) => (kept as TriggerItem).messageId)).toEqual([
			'wamid.dead',
			'wamid.new',
		]);
	});
});

describe('send-once on Redis', () => {
	const clock = {
		now: () => Date.now(),
		sleep: async (ms: number) => await new Promise<void>((resolve) => setTimeout(resolve, ms)),
	};
	const options = { claimTtlMs: 10_000, pollMs: 20, maxWaitMs: 10_000 };

	it('sends once when 8 executions on two processes send with one key', async () => {
		const namespace = freshNamespace();
		const stores = [first, second].map((r) => new RedisSendOnceStore(r, namespace, WEEK_MS));
		let sends = 0;
		const send = async () => {
			sends++;
			await clock.sleep(50);
			return { ok: true as const, value: sends, record: 'wamid.sent' };
		};
		const outcomes = await Promise.all(
			Array.from(
				{ length: 8 },
				async (_, i) => await sendOnce(stores[i % 2], 'order-1001', send, options, clock),
			),
		);
		expect(sends).toBe(1);
		expect(outcomes.filter((o) => o.kind === 'sent')).toHaveLength(1);
		expect(outcomes.filter((o) => o.kind === 'skipped')).toEqual(
			new Array(7).fill({ kind: 'skipped', record: 'wamid.sent' }),
		);
	});

	it('keeps an uncertain send and forgets a certain failure', async () => {
		const store = new RedisSendOnceStore(first, freshNamespace(), WEEK_MS);
		const uncertain = async () => ({
			ok: false as const,
			failure: 'timeout',
			uncertainRecord: 'uncertain',
		});
		await sendOnce(store, 'k1', uncertain, options, clock);
		expect(await store.claim('k1', 1_000, Date.now())).toEqual({
			claimed: false,
			record: 'uncertain',
		});
		const failed = async () => ({ ok: false as const, failure: 'rejected' });
		await sendOnce(store, 'k2', failed, options, clock);
		expect(await store.claim('k2', 1_000, Date.now())).toEqual({ claimed: true });
	});
});

describe('conversations on Redis', () => {
	const inbound = (id: string, text: string) =>
		events(body(change(PHONE_A, { messages: [textMessage(id, text)] })))[0];

	it('loses no change when two processes record into one conversation at once', async () => {
		const namespace = `wr:{wf-${randomUUID()}}`;
		const stores = [first, second].map((r) => new RedisConversationStore(r, namespace));
		const messages = Array.from({ length: 16 }, (_, i) => inbound(`wamid.c${i}`, `m${i}`));
		const customerId = messages[0].customer!.id!;
		await Promise.all(
			messages.map(
				async (event, i) =>
					await stores[i % 2].update(
						{ phoneNumberId: PHONE_A.phone_number_id, customerIds: [customerId] },
						(book) => book.recordEvent(event, Date.now()),
						Date.now(),
					),
			),
		);
		const transcript = await stores[0].update(
			{ phoneNumberId: null, customerIds: [customerId] },
			(book) => book.findByCustomer(customerId)[0]?.data.transcript.length,
			Date.now(),
		);
		// The book keeps 20 messages by default; all 16 arrived, none overwritten by a concurrent change.
		expect(transcript).toBe(16);
	});

	it('erases a customer without leaving their id in any key', async () => {
		const namespace = `wr:{wf-${randomUUID()}}`;
		const store = new RedisConversationStore(first, namespace);
		const event = inbound('wamid.e1', 'please forget me');
		const customerId = event.customer!.id!;
		const scope = { phoneNumberId: null, customerIds: [customerId] };
		await store.update(scope, (book) => book.recordEvent(event, Date.now()), Date.now());
		expect(await server.command('KEYS', `${namespace}*${customerId}*`)).toHaveLength(2);
		expect(await store.update(scope, (book) => book.erase(customerId), Date.now())).toBe(1);
		expect(await server.command('KEYS', `${namespace}*`)).toEqual([]);
	});

	it('holds a human lease taken on one process on the other', async () => {
		const namespace = `wr:{wf-${randomUUID()}}`;
		const [workerA, workerB] = [first, second].map((r) => new RedisConversationStore(r, namespace));
		const event = inbound('wamid.h1', 'I want a refund');
		const customerId = event.customer!.id!;
		const scope = { phoneNumberId: PHONE_A.phone_number_id, customerIds: [customerId] };
		await workerA.update(scope, (book) => book.recordEvent(event, Date.now()), Date.now());
		const leases = await Promise.all(
			[workerA, workerB].map(
				async (store) =>
					await store.update(
						scope,
						(book) =>
							escalate(
								book.open(PHONE_A.phone_number_id, customerId, Date.now()),
								{
									assignee: null,
									reason: 'refund',
									rule: null,
									detail: null,
									priority: 'normal',
									leaseMs: 3_600_000,
								},
								Date.now(),
							),
						Date.now(),
					),
			),
		);
		// One case, opened once, whichever worker got there first.
		expect(leases.filter((l) => l.created)).toHaveLength(1);
		expect(leases[0].lease.caseId).toBe(leases[1].lease.caseId);
		const owner = await workerB.update(
			scope,
			(book) => book.get(PHONE_A.phone_number_id, customerId)?.data.ownership.owner,
			Date.now(),
		);
		expect(owner).toBe('human');
	});
});

describe('the credential test', () => {
	it('passes against a running Redis and fails, saying why, against none', async () => {
		const ok = await testRedisConnection({
			id: 'c1',
			name: 'Queue Redis',
			type: 'whatsAppRedisApi',
			data: { host: server.host, port: server.port },
		});
		expect(ok.status).toBe('OK');
		const gone = await startRedis();
		await gone.stop();
		const failed = await testRedisConnection({
			id: 'c2',
			name: 'Gone Redis',
			type: 'whatsAppRedisApi',
			data: { host: gone.host, port: gone.port },
		});
		expect(failed).toMatchObject({ status: 'Error', message: expect.stringMatching(/Gone Redis/) });
	});
});

describe('ownership where the message leaves, on Redis', () => {
	it('a bot send checked on one process and an escalation on the other: blocked, or known to the case, never neither', async () => {
		const namespace = `wr:{wf-${randomUUID()}}`;
		const [bot, agent] = [first, second].map((r) => new RedisConversationStore(r, namespace));
		const pnid = PHONE_A.phone_number_id;
		const outcomes = await Promise.all(
			Array.from({ length: 12 }, async (_, i) => {
				const customerId = `49151000009${String(i).padStart(2, '0')}`;
				const scope = { phoneNumberId: pnid, customerIds: [customerId] };
				const [check, casePackage] = await Promise.all([
					bot.update(
						scope,
						(book) =>
							checkBotSend(
								book.open(pnid, customerId, Date.now()),
								Date.now(),
								Date.now() + 60_000,
							),
						Date.now(),
					),
					agent.update(
						scope,
						(book) => {
							const conversation = book.open(pnid, customerId, Date.now());
							const result = escalate(
								conversation,
								{
									assignee: null,
									reason: 'race',
									rule: null,
									detail: null,
									priority: 'normal',
									leaseMs: 3_600_000,
								},
								Date.now(),
							);
							return buildCasePackage(conversation, result, {});
						},
						Date.now(),
					),
				]);
				return { allowed: check.allowed, inFlight: casePackage.botMessageInFlight !== null };
			}),
		);
		for (const outcome of outcomes) expect(outcome.allowed).toBe(outcome.inFlight);
	});
});

describe('Redis unavailable', () => {
	it('fails with an error that names the credential, and records nothing', async () => {
		const lonely = await startRedis();
		const scripts = redisScripts({ host: lonely.host, port: lonely.port }, 'Queue Redis');
		const store = new RedisTriggerStore(scripts, freshNamespace(), WEEK_MS);
		await store.claimBody(['message:before'], 1_000, Date.now());
		await lonely.stop();
		const failure = await store
			.claimBody(['message:after'], 1_000, Date.now())
			.catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(StateStoreUnavailableError);
		expect((failure as Error).message).toMatch(/credential "Queue Redis"/);
	});
});

describe('Trigger counters in Redis', () => {
	it('counts in one hash per trigger node with one script call per request; another process reads the same numbers', async () => {
		const workflowId = `wf-${randomUUID()}`;
		const webhookProcess = new RedisTriggerCounters(first, workflowId);
		const worker = new RedisTriggerCounters(second, workflowId);
		const memory = new TriggerCounters(1_000);
		const outcomes = [
			{ kind: 'handshake' },
			{ kind: 'rejected', reason: '401 signature' },
			{
				kind: 'admitted',
				received: 3,
				filtered: 1,
				duplicates: 1,
				stale: 0,
				inFlight: 0,
				answer: 'execute',
			},
			{
				kind: 'admitted',
				received: 1,
				filtered: 0,
				duplicates: 0,
				stale: 0,
				inFlight: 1,
				answer: 'retryLater',
			},
		] as const;
		const calls: number[] = [];
		const counting: RedisScripts = {
			eval: async (...args) => {
				calls.push(1);
				return await first.eval(...args);
			},
		};
		const counted = new RedisTriggerCounters(counting, workflowId);
		await webhookProcess.record({ id: 'node-in', name: 'WhatsApp In' }, undefined, 1_000);
		for (const [i, outcome] of outcomes.entries()) {
			await counted.record({ id: 'node-in', name: 'WhatsApp In' }, outcome, 2_000 + i);
			memory.record(outcome, 2_000 + i);
		}
		expect(calls).toHaveLength(outcomes.length);
		// A second trigger of the workflow, published but never called.
		await webhookProcess.record({ id: 'node-other', name: 'WhatsApp Other' }, undefined, 1_500);

		const read = await worker.readAll(9_000);
		expect(read.map(({ id, name }) => [id, name])).toEqual([
			['node-in', 'WhatsApp In'],
			['node-other', 'WhatsApp Other'],
		]);
		expect(read[0].counts).toEqual(memory.read());
		expect(read[1].counts).toMatchObject({ since: 1_500, requests: 0, handshakes: 0 });

		const ttl = (await first.eval(
			`return redis.call('PTTL', KEYS[1])`,
			1,
			`wr:{${workflowId}}:node-in:counters`,
		)) as number;
		expect(ttl).toBeGreaterThan(COUNTER_TTL_MS - 60_000);
		expect(ttl).toBeLessThanOrEqual(COUNTER_TTL_MS);
		expect(await new RedisTriggerCounters(second, `wf-${randomUUID()}`).readAll(9_000)).toEqual([]);
	});
});
