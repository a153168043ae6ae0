/**
 * The package's nodes in n8n's queue mode (test/support/cluster.ts: 1 main, 2 webhook processes, 2
 * workers), every node on State Store "Redis" (the cluster's Redis): the trigger claims events in the
 * webhook processes and confirms them in the workers, so redeliveries to either webhook process, a
 * worker killed with SIGKILL and a restart of everything emit no event twice and lose none that was
 * acknowledged; send-once keys and human-owned conversations hold across both workers.
 *
 * One cluster for the whole file and two workflows: the trigger followed by Route (the bot gate) with
 * an Escalate behind an n8n Webhook node, and an n8n Webhook node in front of a send node.
 */
import { N8nCluster } from '../support/cluster';
import { FakeGraphApi } from '../support/fakeGraphApi';
import { PACKAGE_NAME, type Execution } from '../support/n8n';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../support/payloads';
import { connect, nodeOutputs, workflowNode } from '../support/workflows';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const APP_SECRET = 'e2e-queue-app-secret';
const TRIGGER_HOOK = 'queue-whatsapp';
const TRIGGER = 'WhatsApp Trigger';
const ROUTE = 'Route';
const HUMAN_CUSTOMER = '4915100007777';
/** Meta retries anything but 200; these bound how long a test keeps retrying one body. */
const RETRY_DELAY_MS = 300;
const REQUEST_TIMEOUT_MS = 60_000;

const webhookNode = (name: string, path: string): Json =>
	workflowNode(
		name,
		'n8n-nodes-base.webhook',
		{ httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
		{ typeVersion: 2, webhookId: path },
	);

/**
 * The trigger in front of Route (the bot gate), and an Escalate behind an n8n Webhook: conversations
 * belong to a workflow, so Escalate and Route share them only in one workflow.
 */
function triggerWorkflow(ids: { webhook: string; redis: string }): Json {
	const redis = { whatsAppRedisApi: { id: ids.redis, name: 'redis' } };
	return {
		id: 'queueTrigger00001',
		name: 'e2e queue: trigger → route, escalate',
		nodes: [
			workflowNode(
				TRIGGER,
				`${PACKAGE_NAME}.whatsAppReliableTrigger`,
				// A minute, so the test can wait for it (the default is 10).
				{ stateStore: 'redis', options: { recoverAfterMinutes: 1 } },
				{
					webhookId: TRIGGER_HOOK,
					credentials: { whatsAppWebhookApi: { id: ids.webhook, name: 'webhook' }, ...redis },
				},
			),
			workflowNode(
				ROUTE,
				`${PACKAGE_NAME}.whatsAppEscalation`,
				{
					stateStore: 'redis',
					operation: 'route',
					rules: { rule: [{ type: 'keywords', keywords: 'refund*', reason: 'Refund' }] },
				},
				{ credentials: redis },
			),
			webhookNode('Escalate Request', 'queue-escalate'),
			workflowNode(
				'Escalate',
				`${PACKAGE_NAME}.whatsAppEscalation`,
				{
					stateStore: 'redis',
					operation: 'escalate',
					customerId: '={{ $json.body.customer }}',
					phoneNumberId: PHONE_A.phone_number_id,
					reason: 'Queue mode',
					leaseMinutes: 1440,
				},
				{ credentials: redis },
			),
		],
		connections: connect([TRIGGER, 0, ROUTE], ['Escalate Request', 0, 'Escalate']),
		settings: { executionOrder: 'v1' },
	};
}

function webhookWorkflow(ids: { api: string; redis: string }): Json {
	const redis = { whatsAppRedisApi: { id: ids.redis, name: 'redis' } };
	return {
		id: 'queueWebhooks0001',
		name: 'e2e queue: send once',
		nodes: [
			webhookNode('Send Request', 'queue-send'),
			workflowNode(
				'Send',
				`${PACKAGE_NAME}.whatsAppReliable`,
				{
					stateStore: 'redis',
					resource: 'message',
					operation: 'send',
					to: '={{ $json.body.to }}',
					messageType: 'text',
					text: '={{ "run " + $json.body.run }}',
					idempotencyKey: '={{ $json.body.key }}',
				},
				{
					typeVersion: 1.1,
					credentials: { whatsAppCloudApi: { id: ids.api, name: 'api' }, ...redis },
				},
			),
		],
		connections: connect(['Send Request', 0, 'Send']),
		settings: { executionOrder: 'v1' },
	};
}

/**
 * The items the trigger emitted in an execution that ran it (`ran`), else the items the execution was
 * started with (a crashed or failed execution keeps them in its stack, retryable in n8n).
 */
function triggerItems(execution: Execution): { ran: boolean; items: Json[] } {
	const run = execution.data?.resultData?.runData?.[TRIGGER]?.[0];
	if (run?.data?.main && !run.error)
		return { ran: true, items: (run.data.main as Json[][]).flat().map((item) => item.json) };
	const stack = execution.data?.executionData?.nodeExecutionStack ?? [];
	const start = stack.find((entry: Json) => entry.node?.name === TRIGGER);
	return {
		ran: false,
		items: ((start?.data?.main ?? []) as Json[][]).flat().map((item) => item.json),
	};
}

/** Runs `tasks` `concurrency` at a time. */
async function pool<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
	const results: T[] = new Array(tasks.length);
	let next = 0;
	const lane = async () => {
		while (next < tasks.length) {
			const i = next++;
			results[i] = await tasks[i]();
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, lane));
	return results;
}

/** Deterministic pseudo-random numbers, so a failing run can be repeated. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1103515245 + 12345) & 0x7fffffff;
		return state / 0x7fffffff;
	};
}

const delay = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

/** A body of text messages, serialised and signed like Meta's. */
interface Delivery {
	raw: Buffer;
	ids: string[];
}

function messages(ids: string[], from: (i: number) => string, text = 'hello'): Delivery {
	const payload = body(
		change(PHONE_A, { messages: ids.map((id, i) => textMessage(id, text, from(i))) }),
	);
	return { raw: Buffer.from(metaSerialise(payload)), ids };
}

describe('the package in n8n queue mode, state in Redis', () => {
	const graph = new FakeGraphApi({ phoneNumberId: PHONE_A.phone_number_id });
	let cluster: N8nCluster;
	let triggerWf: Json;
	let webhookWf: Json;
	/** Every delivery the tests made, for the redeliveries after the restart. */
	const processed: Delivery[] = [];
	const timings: Record<string, number> = {};
	const answers: Record<string, number> = {};
	/** How long each request that got no answer (status 0) was open, ms. */
	const unanswered: number[] = [];

	/** One POST; 0 when the connection failed or took longer than REQUEST_TIMEOUT_MS. */
	const postOnce = async (via: number, raw: Buffer): Promise<number> => {
		const sent = Date.now();
		try {
			const res = await fetch(cluster.webhookUrl(via, TRIGGER_HOOK, 'whatsapp'), {
				method: 'POST',
				headers: {
					'content-type': 'application/json',
					'x-hub-signature-256': sign(raw, APP_SECRET),
				},
				body: raw,
				signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
			});
			await res.arrayBuffer();
			return res.status;
		} catch {
			unanswered.push(Date.now() - sent);
			return 0;
		}
	};
	/** Posts like Meta until the answer is 200 (bounded); resolves the number of attempts, or 0 if none got 200. */
	const deliver = async (via: number, raw: Buffer, maxMs: number): Promise<number> => {
		const deadline = Date.now() + maxMs;
		for (let attempt = 1; ; attempt++) {
			const status = await postOnce((via + attempt - 1) % 2, raw);
			answers[status] = (answers[status] ?? 0) + 1;
			if (status === 200) return attempt;
			if (Date.now() > deadline) return 0;
			await delay(RETRY_DELAY_MS);
		}
	};
	const triggerRuns = async () =>
		await cluster.settle(triggerWf.id, { includeData: true, quietMs: 1500, timeoutMs: 180_000 });
	/** messageId → how many executions that ran the trigger emitted it. */
	const emittedCounts = (runs: Execution[]) => {
		const counts = new Map<string, number>();
		for (const run of runs) {
			const { ran, items } = triggerItems(run);
			if (!ran) continue;
			for (const item of items) counts.set(item.messageId, (counts.get(item.messageId) ?? 0) + 1);
		}
		return counts;
	};

	beforeAll(async () => {
		await graph.start();
		cluster = await N8nCluster.start();
		timings.clusterStartMs = cluster.lastStartMs;
		const ids = {
			webhook: await cluster.createCredential('whatsAppWebhookApi', 'webhook', {
				appSecret: APP_SECRET,
				verifyToken: 'queue-verify',
			}),
			api: await cluster.createCredential('whatsAppCloudApi', 'api', graph.credentials()),
			redis: await cluster.createCredential('whatsAppRedisApi', 'redis', {
				host: cluster.redis.host,
				port: cluster.redis.port,
				database: 0,
				user: '',
				password: '',
				ssl: false,
			}),
		};
		triggerWf = triggerWorkflow(ids);
		webhookWf = webhookWorkflow(ids);
		await cluster.importAndPublish(triggerWf);
		await cluster.importAndPublish(webhookWf);
	});

	afterAll(async () => {
		console.log(
			`queue-mode e2e timings (ms): ${JSON.stringify(timings)}; answers: ${JSON.stringify(answers)}; requests without an answer were open ${JSON.stringify(unanswered)} ms`,
		);
		await cluster?.stop();
		await graph.stop();
	});

	it('emits each of 150 events once over 78 deliveries on both webhook processes, 30 % of them redeliveries', async () => {
		const started = Date.now();
		const next = random(11);
		const bodies: Delivery[] = [];
		let n = 0;
		for (let b = 0; b < 60; b++) {
			const size = (b % 4) + 1; // 1..4 events, 150 in all
			const ids = Array.from({ length: size }, () => `wamid.queue-a${n++}`);
			bodies.push(messages(ids, (i) => `49151000${String(b * 4 + i).padStart(5, '0')}`));
		}
		expect(n).toBe(150);
		const redelivered = bodies.filter((_, b) => b % 10 < 3); // 18 of 60, 30 %
		const deliveries = [...bodies, ...redelivered]
			.map((d) => ({ d, key: next() }))
			.sort((a, b) => a.key - b.key)
			.map(({ d }) => d);

		const attempts = await pool(
			deliveries.map((d, i) => async () => await deliver(i % 2, d.raw, 90_000)),
			10,
		);
		expect(attempts.filter((a) => a === 0)).toEqual([]);
		processed.push(...bodies);

		const runs = await triggerRuns();
		expect(runs.map((e) => e.status).filter((s) => s !== 'success')).toEqual([]);
		const counts = emittedCounts(runs);
		const expected = bodies.flatMap((d) => d.ids);
		expect(expected.filter((id) => counts.get(id) !== 1)).toEqual([]);
		expect(counts.size).toBe(150);
		const workers = cluster.executionWorkers();
		const perWorker = [0, 1].map((w) => runs.filter((e) => workers.get(e.id) === w).length);
		expect(perWorker.every((count) => count > 0)).toBe(true);
		timings.burstMs = Date.now() - started;
		console.log(
			`150 events, ${deliveries.length} deliveries (${attempts.reduce((a, b) => a + b, 0)} attempts): ${runs.length} executions, per worker ${perWorker.join(' / ')}`,
		);
	});

	it('starts exactly 50 executions for 50 bodies each sent to both webhook processes at once', async () => {
		const started = Date.now();
		const before = new Set((await cluster.executions(triggerWf.id)).map((e) => e.id));
		const bodies = Array.from({ length: 50 }, (_, i) =>
			messages([`wamid.queue-b${i}`], () => `49152000${String(i).padStart(5, '0')}`),
		);
		const attempts = await pool(
			bodies.flatMap((d) => [
				async () => await deliver(0, d.raw, 90_000),
				async () => await deliver(1, d.raw, 90_000),
			]),
			20,
		);
		expect(attempts.filter((a) => a === 0)).toEqual([]);
		processed.push(...bodies);

		const fresh = (await triggerRuns()).filter((e) => !before.has(e.id));
		const withItems = fresh.filter((e) => triggerItems(e).items.length > 0);
		expect(fresh.map((e) => e.status).filter((s) => s !== 'success')).toEqual([]);
		expect(withItems).toHaveLength(50);
		expect(fresh).toHaveLength(50);
		const counts = emittedCounts(fresh);
		expect(bodies.filter((d) => counts.get(d.ids[0]) !== 1)).toEqual([]);
		timings.bothProcessesMs = Date.now() - started;
	});

	it('emits every acknowledged event once when a worker is killed with SIGKILL mid-burst', async () => {
		const started = Date.now();
		const before = new Set((await cluster.executions(triggerWf.id)).map((e) => e.id));
		const bodies = Array.from({ length: 60 }, (_, b) => {
			const ids = Array.from({ length: (b % 2) + 1 }, (_, i) => `wamid.queue-k${b}-${i}`);
			return messages(ids, (i) => `49153000${String(b * 2 + i).padStart(5, '0')}`);
		});
		const acknowledgedAt: number[] = new Array(bodies.length).fill(0);
		let acknowledged = 0;
		let kill: Promise<void> | undefined;
		let killedAt = 0;
		// Beyond the trigger's claim (120 s): a body whose execution died before it confirmed is answered
		// 503 until its claim expires, then admitted again.
		const attempts = await pool(
			bodies.map((d, b) => async () => {
				const result = await deliver(b % 2, d.raw, 200_000);
				if (result > 0) {
					acknowledgedAt[b] = Date.now();
					acknowledged++;
					if (acknowledged === 12 && !kill) {
						killedAt = Date.now();
						kill = cluster.killWorker(0);
					}
				}
				return result;
			}),
			10,
		);
		await kill;
		expect(killedAt).toBeGreaterThan(0);
		expect(cluster.workers[0].running()).toBe(false);
		timings.killBurstMs = Date.now() - started;

		// Executions the kill cut short after their 200 are failed in n8n without their data; the
		// trigger's journal (in Redis) runs their events again with a later request once they are a
		// minute overdue. Executions that finished were taken off the journal when n8n saved them.
		const journal = `wr:{${triggerWf.id}}:whatsapp-trigger:jz`;
		const overdue = async () => Number(await cluster.redis.command('ZCARD', journal));
		await triggerRuns();
		timings.unfinishedAfterBurst = await overdue();
		let nudges = 0;
		while ((await overdue()) > 0 && nudges < 15) {
			await delay(Math.max(0, killedAt + 65_000 - Date.now()) + 2_000);
			const nudge = messages([`wamid.queue-nudge${nudges}`], () => '4915300099999');
			expect(await deliver(nudges % 2, nudge.raw, 60_000)).toBeGreaterThan(0);
			processed.push(nudge);
			nudges++;
			await triggerRuns();
		}
		timings.nudges = nudges;
		expect(await overdue()).toBe(0);

		const fresh = (await triggerRuns()).filter((e) => !before.has(e.id));
		const counts = emittedCounts(fresh);
		const broken = fresh.filter((e) => e.status !== 'success');
		const recovered = fresh
			.flatMap((e) => (triggerItems(e).ran ? triggerItems(e).items : []))
			.filter((item) => item.recoveredFrom !== undefined);
		const twice = [...counts].filter(([, c]) => c > 1).map(([id]) => id);
		const acked = bodies.filter((_, b) => acknowledgedAt[b] > 0).flatMap((d) => d.ids);
		const lost = acked.filter((id) => !counts.has(id));
		for (const id of lost) {
			// Where a lost event went: every execution whose data mentions it, with its status.
			const holders = fresh.filter((e) => JSON.stringify(e.data ?? {}).includes(id));
			console.log(
				`lost ${id}: in ${holders.map((e) => `${e.id} ${e.status} on worker ${cluster.workerOfExecution(e.id) ?? '?'} ran=${triggerItems(e).ran}`).join('; ') || 'no execution'}`,
			);
		}
		console.log(
			`kill -9 of worker 0 after 12 acknowledged bodies: ${attempts.filter((a) => a > 0).length}/60 bodies acknowledged ` +
				`(${attempts.filter((a) => a > 1).length} after retries, at most ${Math.max(...attempts)} attempts), ` +
				`${fresh.length} executions (${JSON.stringify(countBy(fresh.map((e) => e.status)))}), ` +
				`${timings.unfinishedAfterBurst} acknowledged executions unfinished after the burst, ${recovered.length} events re-run from them after ${nudges} later requests, ` +
				`${counts.size} events emitted, ${twice.length} emitted twice, ${lost.length} acknowledged but never emitted; ${timings.killBurstMs} ms`,
		);
		expect(twice).toEqual([]);
		expect(lost).toEqual([]);
		// Only cut-short executions are re-run: finished ones left the journal when n8n saved them.
		expect(recovered.filter((item) => !acked.includes(item.messageId))).toEqual([]);
		expect(broken.length).toBeGreaterThanOrEqual(timings.unfinishedAfterBurst);
		expect(attempts.filter((a) => a === 0)).toEqual([]);
		processed.push(...bodies);

		await cluster.startWorker(0);
		expect(cluster.workers[0].running()).toBe(true);
	});

	it('starts no execution with items for redeliveries of processed bodies after a restart of the cluster', async () => {
		await cluster.restart();
		timings.restartMs = cluster.lastRestartMs;
		const before = new Set((await cluster.executions(triggerWf.id)).map((e) => e.id));
		const replay = processed.filter((_, i) => i % 4 === 0); // 42 bodies from the three tests above
		const attempts = await pool(
			replay.map((d, i) => async () => await deliver(i % 2, d.raw, 60_000)),
			10,
		);
		expect(attempts.filter((a) => a === 0)).toEqual([]);
		const fresh = (await triggerRuns()).filter((e) => !before.has(e.id));
		expect(fresh.filter((e) => triggerItems(e).items.length > 0)).toEqual([]);
	});

	it('sends once for 8 concurrent executions with one idempotency key, spread over both workers', async () => {
		graph.latencyMs = 300; // the first send is still in flight when the others arrive
		const runs: Execution[] = [];
		for (let round = 0; round < 3; round++) {
			const before = new Set((await cluster.executions(webhookWf.id)).map((e) => e.id));
			const key = `queue-order-${round}`;
			const statuses = await Promise.all(
				Array.from(
					{ length: 8 },
					async (_, run) =>
						(
							await cluster.http('POST', cluster.webhookUrl(run % 2, '', 'queue-send'), {
								body: { key, run, to: '+1 555 010 0099' },
							})
						).status,
				),
			);
			expect(statuses).toEqual(Array(8).fill(200));
			const fresh = (
				await cluster.waitForExecutions(webhookWf.id, before.size + 8, { timeoutMs: 120_000 })
			).filter((e) => !before.has(e.id));
			expect(fresh.map((e) => e.status)).toEqual(Array(8).fill('success'));
			const sends = graph.accepted().filter((s) => (s.body.text as Json)?.body?.startsWith('run '));
			expect(sends).toHaveLength(round + 1);
			runs.splice(0, runs.length, ...fresh);
			const workers = cluster.executionWorkers();
			if (new Set(fresh.map((e) => workers.get(e.id))).size === 2) break;
		}
		const workers = cluster.executionWorkers();
		expect(new Set(runs.map((e) => workers.get(e.id)))).toEqual(new Set([0, 1]));
		graph.latencyMs = 0;
	});

	it('keeps a human-owned conversation with the human on both workers', async () => {
		const before = new Set((await cluster.executions(triggerWf.id)).map((e) => e.id));
		const escalated = await cluster.http('POST', cluster.webhookUrl(1, '', 'queue-escalate'), {
			body: { customer: HUMAN_CUSTOMER },
		});
		expect(escalated.status).toBe(200);
		const [escalation] = (
			await cluster.waitForExecutions(triggerWf.id, before.size + 1, { includeData: true })
		).filter((e) => !before.has(e.id));
		expect(escalation.status).toBe('success');
		expect(nodeOutputs(escalation, 'Escalate')[0]).toHaveLength(1); // New Case

		const routed: Execution[] = [];
		let sent = 0;
		for (let round = 0; round < 3; round++) {
			const triggerBefore = new Set((await cluster.executions(triggerWf.id)).map((e) => e.id));
			const attempts = await Promise.all(
				Array.from({ length: 8 }, async (_, i) => {
					const d = messages([`wamid.queue-h${sent + i}`], () => HUMAN_CUSTOMER, 'still there?');
					return await deliver(i % 2, d.raw, 60_000);
				}),
			);
			sent += 8;
			expect(attempts.filter((a) => a === 0)).toEqual([]);
			routed.push(...(await triggerRuns()).filter((e) => !triggerBefore.has(e.id)));
			const workers = cluster.executionWorkers();
			if (new Set(routed.map((e) => workers.get(e.id))).size === 2) break;
		}
		const workers = cluster.executionWorkers();
		expect(new Set(routed.map((e) => workers.get(e.id)))).toEqual(new Set([0, 1]));
		expect(routed.map((e) => e.status).filter((s) => s !== 'success')).toEqual([]);
		const outputs = routed.map((e) => {
			const main = e.data.resultData.runData[ROUTE][0].data.main as Array<Json[] | null>;
			return main.map((items) => (items ?? []).length);
		});
		// Human, Bot, Already With Human
		expect(outputs).toEqual(Array(sent).fill([0, 0, 1]));
		console.log(
			`${sent} messages of a human-owned conversation, per worker ${[0, 1]
				.map((w) => routed.filter((e) => workers.get(e.id) === w).length)
				.join(' / ')}: all Already With Human`,
		);
	});
});

function countBy(values: string[]): Record<string, number> {
	const out: Record<string, number> = {};
	for (const value of values) out[value] = (out[value] ?? 0) + 1;
	return out;
}
