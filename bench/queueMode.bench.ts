/**
 * In one run: acks/s and ack latency (p50/p99) of the WhatsApp Reliable Trigger at concurrency 10 and
 * 50, in a single-process n8n (State Store "This Instance") vs n8n's queue mode (test/support/cluster.ts:
 * 1 main, 2 webhook processes, 2 workers; State Store "Redis" on the queue's Redis, requests alternating
 * between the two webhook processes). The trigger answers 200 from the execution, so in queue mode an
 * ack includes the trip through the queue to a worker and back. One n8n at a time: the single process
 * is stopped before the cluster starts. Printed as ratios, never asserted.
 *
 * Needs `npm run build`, the cached n8n (`bash scripts/n8n.sh install`) and redis-server and Postgres
 * (`bash scripts/cluster.sh install`). Environment: BENCH_REQUESTS (per concurrency, default 300).
 */
import { N8nCluster } from '../test/support/cluster';
import { N8nInstance } from '../test/support/n8n';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../test/support/payloads';

const SECRET = 'bench-secret';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const CONCURRENCY = [10, 50];
const HOOK = 'bench-queue-trigger';

let sequence = 0;

interface Result {
	rps: number;
	p50: number;
	p99: number;
	/** Requests answered other than 200 (then retried until 200, as Meta would). */
	retries: number;
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `requests` deliveries, `concurrency` at a time; a delivery's latency runs until its 200. */
async function load(
	send: (n: number) => Promise<number>,
	requests: number,
	concurrency: number,
): Promise<Result> {
	const latencies: number[] = [];
	let next = 0;
	let retries = 0;
	const start = performance.now();
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < requests) {
				const n = next++;
				const t = performance.now();
				for (let attempt = 0; ; attempt++) {
					const status = await send(n + attempt);
					if (status === 200) break;
					retries++;
					if (attempt >= 20) throw new Error(`answered ${status} 20 times`);
					await new Promise((resolve) => setTimeout(resolve, 100));
				}
				latencies.push(performance.now() - t);
			}
		}),
	);
	const seconds = (performance.now() - start) / 1000;
	latencies.sort((a, b) => a - b);
	return {
		rps: requests / seconds,
		p50: percentile(latencies, 50),
		p99: percentile(latencies, 99),
		retries,
	};
}

function triggerWorkflow(
	credentials: Record<string, { id: string; name: string }>,
	stateStore: string,
) {
	return {
		id: 'benchQueueTrig01',
		name: `bench: trigger (${stateStore})`,
		nodes: [
			{
				id: 'c0a80002-0000-4000-8000-000000000001',
				name: 'WhatsApp Reliable Trigger',
				type: 'n8n-nodes-whatsapp-reliable.whatsAppReliableTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId: HOOK,
				parameters: { stateStore, options: {} },
				credentials,
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
}

/** A signed one-message body, posted to `url`; resolves the status. */
async function post(url: string): Promise<number> {
	const raw = Buffer.from(
		metaSerialise(
			body(
				change(PHONE_A, {
					messages: [
						textMessage(
							`wamid.qbench${sequence++}`,
							'hello – grüße',
							String(4915100000000 + (sequence % 500)),
						),
					],
				}),
			),
		),
	);
	const res = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, SECRET) },
		body: raw,
	});
	await res.arrayBuffer();
	return res.status;
}

async function measure(
	urls: (n: number) => string,
	settle: () => Promise<unknown>,
): Promise<Map<number, Result>> {
	const results = new Map<number, Result>();
	await load(async (n) => await post(urls(n)), 30, 10); // warm-up
	await settle();
	for (const concurrency of CONCURRENCY) {
		results.set(concurrency, await load(async (n) => await post(urls(n)), REQUESTS, concurrency));
		await settle();
	}
	return results;
}

async function single(): Promise<Map<number, Result>> {
	const n8n = await N8nInstance.start();
	try {
		const webhook = await n8n.createCredential('whatsAppWebhookApi', 'bench', {
			appSecret: SECRET,
			verifyToken: 'bench',
		});
		const url = n8n.webhookUrl(HOOK, 'whatsapp');
		await n8n.importAndPublish(
			triggerWorkflow({ whatsAppWebhookApi: { id: webhook, name: 'bench' } }, 'instance'),
			{ probe: `${url}?hub.mode=subscribe` },
		);
		return await measure(
			() => url,
			async () => await n8n.settle(undefined, { timeoutMs: 300_000 }),
		);
	} finally {
		await n8n.stop();
	}
}

async function cluster(): Promise<Map<number, Result>> {
	const c = await N8nCluster.start();
	try {
		const webhook = await c.createCredential('whatsAppWebhookApi', 'bench', {
			appSecret: SECRET,
			verifyToken: 'bench',
		});
		const redis = await c.createCredential('whatsAppRedisApi', 'redis', {
			host: c.redis.host,
			port: c.redis.port,
			database: 0,
			user: '',
			password: '',
			ssl: false,
		});
		await c.importAndPublish(
			triggerWorkflow(
				{
					whatsAppWebhookApi: { id: webhook, name: 'bench' },
					whatsAppRedisApi: { id: redis, name: 'redis' },
				},
				'redis',
			),
		);
		return await measure(
			(n) => c.webhookUrl(n % 2, HOOK, 'whatsapp'),
			async () => await c.settle(undefined, { timeoutMs: 300_000 }),
		);
	} finally {
		await c.stop();
	}
}

async function main() {
	const one = await single();
	const queue = await cluster();
	console.log(
		`WhatsApp Reliable Trigger acks: single-process n8n (This Instance) vs queue mode with 2 webhook processes and 2 workers (Redis); ${REQUESTS} requests per concurrency, same run`,
	);
	console.log('| concurrency | n8n | acks/s | p50 ms | p99 ms | non-200 answers |');
	console.log('|---|---|---|---|---|---|');
	for (const concurrency of CONCURRENCY) {
		const s = one.get(concurrency)!;
		const q = queue.get(concurrency)!;
		for (const [name, r] of [
			['single process', s],
			['queue mode', q],
		] as const) {
			console.log(
				`| ${concurrency} | ${name} | ${r.rps.toFixed(1)} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${r.retries} |`,
			);
		}
		console.log(
			`ratio queue/single at c=${concurrency}: acks/s ${(q.rps / s.rps).toFixed(2)}, p50 ${(q.p50 / s.p50).toFixed(2)}, p99 ${(q.p99 / s.p99).toFixed(2)}`,
		);
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
