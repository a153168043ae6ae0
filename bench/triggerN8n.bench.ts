/**
 * In one real n8n, in one run: acks/s and ack latency (p50/p99) of the WhatsApp Reliable Trigger
 * against a plain n8n Webhook node in an equivalent one-node workflow, at concurrency 1 and 10; then
 * our trigger's p50 with its dedupe store and conversation book empty vs near capacity, and what each
 * execution writes to n8n's database (the workflow's static data) then. Printed as ratios, never asserted.
 *
 * Needs `npm run build` and the cached n8n (`bash scripts/n8n.sh install`); `npm run bench` does both.
 * Environment: BENCH_REQUESTS (per run at concurrency 1, default 150; concurrency 10 sends twice as many).
 */
import { DEFAULT_BOOK_CONFIG } from '../nodes/core/conversationRecord';
import { N8nInstance } from '../test/support/n8n';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../test/support/payloads';

const SECRET = 'bench-secret';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 150);
const CAPACITY = 20_000;
/** The conversation book's default capacity. */
const BOOK_CAPACITY = DEFAULT_BOOK_CONFIG.maxConversations;

let sequence = 0;

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function load(send: () => Promise<number>, requests: number, concurrency: number) {
	const latencies: number[] = [];
	let next = 0;
	const start = performance.now();
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next++ < requests) {
				const t = performance.now();
				const status = await send();
				if (status !== 200) throw new Error(`answered ${status}`);
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
	};
}

function workflows(credentialId: string) {
	const trigger = {
		id: 'benchTrigger0001',
		name: 'bench: WhatsApp Reliable Trigger',
		nodes: [
			{
				id: 'c0a80001-0000-4000-8000-000000000001',
				name: 'WhatsApp Reliable Trigger',
				type: 'n8n-nodes-whatsapp-reliable.whatsAppReliableTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId: 'bench-trigger',
				parameters: { options: { dedupeCapacity: CAPACITY } },
				credentials: { whatsAppWebhookApi: { id: credentialId, name: 'bench' } },
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
	const plain = {
		id: 'benchWebhook0001',
		name: 'bench: plain Webhook',
		nodes: [
			{
				id: 'c0a80001-0000-4000-8000-000000000002',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: 'bench-plain',
				parameters: {
					httpMethod: 'POST',
					path: 'bench-plain',
					responseMode: 'onReceived',
					options: { responseData: 'noData' },
				},
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
	return { trigger, plain };
}

async function main() {
	const n8n = await N8nInstance.start();
	try {
		const credentialId = await n8n.createCredential('whatsAppWebhookApi', 'bench', {
			appSecret: SECRET,
			verifyToken: 'bench',
		});
		const { trigger, plain } = workflows(credentialId);
		const triggerUrl = n8n.webhookUrl('bench-trigger', 'whatsapp');
		await n8n.importAndPublish(trigger, { probe: `${triggerUrl}?hub.mode=subscribe` });
		await n8n.importAndPublish(plain, {
			probe: async () =>
				(await n8n.http('POST', '/webhook/bench-plain', { body: {} })).status === 200,
		});

		const sendOurs = async () => {
			const raw = Buffer.from(
				metaSerialise(
					body(
						change(PHONE_A, {
							messages: [textMessage(`wamid.bench${sequence++}`, 'hello – grüße')],
						}),
					),
				),
			);
			const res = await fetch(triggerUrl, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, SECRET) },
				body: raw,
			});
			await res.arrayBuffer();
			return res.status;
		};
		const sendPlain = async () => {
			const raw = metaSerialise(
				body(
					change(PHONE_A, { messages: [textMessage(`wamid.plain${sequence++}`, 'hello – grüße')] }),
				),
			);
			const res = await fetch(n8n.url('/webhook/bench-plain'), {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: raw,
			});
			await res.arrayBuffer();
			return res.status;
		};

		console.log(
			`n8n acks: WhatsApp Reliable Trigger vs plain Webhook node (same n8n, same run; ${REQUESTS} requests at c=1, ${REQUESTS * 2} at c=10)`,
		);
		console.log('| concurrency | node | acks/s | p50 ms | p99 ms |');
		console.log('|---|---|---|---|---|');
		for (const concurrency of [1, 10]) {
			const requests = concurrency === 1 ? REQUESTS : REQUESTS * 2;
			await load(sendPlain, 20, concurrency); // warm-up
			await load(sendOurs, 20, concurrency);
			const p = await load(sendPlain, requests, concurrency);
			await n8n.settle();
			const o = await load(sendOurs, requests, concurrency);
			await n8n.settle();
			console.log(
				`| ${concurrency} | plain Webhook | ${p.rps.toFixed(1)} | ${p.p50.toFixed(0)} | ${p.p99.toFixed(0)} |`,
			);
			console.log(
				`| ${concurrency} | WhatsApp Reliable Trigger | ${o.rps.toFixed(1)} | ${o.p50.toFixed(0)} | ${o.p99.toFixed(0)} |`,
			);
			console.log(
				`ratio at c=${concurrency}: acks/s ${(o.rps / p.rps).toFixed(2)}, p50 ${(o.p50 / p.p50).toFixed(2)}, p99 ${(o.p99 / p.p99).toFixed(2)}`,
			);
		}

		const staticBytes = async () => {
			const workflow = await n8n.rest<{ staticData?: unknown }>(
				'GET',
				`/rest/workflows/${trigger.id}`,
			);
			return Buffer.byteLength(JSON.stringify(workflow.staticData ?? {}));
		};
		const empty = await load(sendOurs, REQUESTS, 1);
		const emptyBytes = await staticBytes();
		// Fill the store to ~95% of its capacity with 100-event batches (one execution each), from
		// BOOK_CAPACITY customers, so the conversation book is at capacity with full transcripts too.
		const target = Math.floor(CAPACITY * 0.95);
		for (let filled = 0; filled < target; filled += 100) {
			const messages = Array.from({ length: 100 }, (_, i) =>
				textMessage(
					`wamid.fill${sequence++}`,
					'Hello, I have a question about my order and its delivery date – grüße',
					String(4915100000000 + ((filled + i) % BOOK_CAPACITY)),
				),
			);
			const raw = Buffer.from(metaSerialise(body(change(PHONE_A, { messages }))));
			const res = await fetch(triggerUrl, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, SECRET) },
				body: raw,
			});
			if (res.status !== 200) throw new Error(`fill answered ${res.status}`);
		}
		await n8n.settle();
		const full = await load(sendOurs, REQUESTS, 1);
		const fullBytes = await staticBytes();
		console.log(
			`dedupe store near capacity (${target}+ of ${CAPACITY} keys) and ${BOOK_CAPACITY} conversations: p50 ${full.p50.toFixed(0)} ms vs ${empty.p50.toFixed(0)} ms with few keys; ratio ${(full.p50 / empty.p50).toFixed(2)}; acks/s ${full.rps.toFixed(1)} vs ${empty.rps.toFixed(1)}`,
		);
		console.log(
			`static data written per execution: ${(fullBytes / 1024).toFixed(0)} KB at capacity vs ${(emptyBytes / 1024).toFixed(1)} KB near empty`,
		);
	} finally {
		await n8n.stop();
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
