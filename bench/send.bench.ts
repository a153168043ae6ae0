/**
 * Items/s of the WhatsApp Reliable send path (parameters → validation → Graph JSON → transport with
 * retry policy, pacing and per-recipient dispatch → output items) against the fake Graph API, next to
 * a plain `fetch` loop posting the same bodies with the same concurrency (the floor). Both use fetch
 * in this process, so the ratio is what the node adds. Printed, never asserted.
 *
 *   npm run build && npx tsc -p tsconfig.bench.json && node .cache/bench/bench/send.bench.js
 *   (or `npm run bench`, which runs every benchmark)
 */
import { WhatsAppReliable } from '../nodes/WhatsAppReliable/WhatsAppReliable.node';
import { buildText } from '../nodes/core/messages';
import { resetWorkflowStatesForTests as resetProcessStateForTests } from '../nodes/shared/workflowState';
import { FakeGraphApi } from '../test/support/fakeGraphApi';
import { mockContext } from '../test/nodes/sendContext';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);
const RECIPIENTS = 500;

const recipient = (i: number) => `1555${String(1_000_000 + (i % RECIPIENTS))}`;
const text = (i: number) => `Order ${i} confirmed. Thank you for shopping with us – grüße!`;

async function plainFetch(graph: FakeGraphApi): Promise<number> {
	const url = `${graph.baseUrl}/v23.0/${graph.phoneNumberId}/messages`;
	let next = 0;
	let accepted = 0;
	const lane = async () => {
		while (next < ITEMS) {
			const i = next++;
			const response = await fetch(url, {
				method: 'POST',
				headers: {
					Authorization: `Bearer ${graph.token}`,
					'Content-Type': 'application/json',
					Accept: 'application/json',
				},
				body: JSON.stringify(buildText({ to: recipient(i) }, { body: text(i) })),
			});
			const body = (await response.json()) as { messages?: Array<{ id: string }> };
			if (body.messages?.[0]?.id) accepted++;
		}
	};
	await Promise.all(Array.from({ length: CONCURRENCY }, lane));
	return accepted;
}

async function node(
	graph: FakeGraphApi,
	options: Record<string, unknown>,
	idempotent: boolean,
): Promise<number> {
	resetProcessStateForTests();
	const ctx = mockContext({
		credentials: graph.credentials(),
		items: Array.from({ length: ITEMS }, (_, i) => ({ json: { i } })),
		params: (i) => ({
			resource: 'message',
			operation: 'send',
			to: recipient(i),
			messageType: 'text',
			text: text(i),
			additionalFields: idempotent
				? { idempotencyKey: `bench-${Date.now()}-${i}`, correlationId: `order-${i}` }
				: { correlationId: `order-${i}` },
			options: { concurrency: CONCURRENCY, ...options },
		}),
	});
	const [out] = await new WhatsAppReliable().execute.call(ctx);
	return out.filter((item) => typeof item.json.messageId === 'string').length;
}

async function timed(run: () => Promise<number>): Promise<number> {
	const started = process.hrtime.bigint();
	const accepted = await run();
	const seconds = Number(process.hrtime.bigint() - started) / 1e9;
	if (accepted !== ITEMS) throw new Error(`accepted ${accepted} of ${ITEMS}`);
	return ITEMS / seconds;
}

const median = (values: number[]) =>
	[...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
	const graph = new FakeGraphApi();
	await graph.start();
	const variants: Array<[string, () => Promise<number>]> = [
		['plain fetch loop (floor)', () => plainFetch(graph)],
		['send node, no ceiling', () => node(graph, { maxPerSecond: 0 }, false)],
		['send node, no ceiling, idempotency key', () => node(graph, { maxPerSecond: 0 }, true)],
		['send node, ceiling 1000/s', () => node(graph, { maxPerSecond: 1000 }, false)],
	];
	const results = new Map<string, number[]>(variants.map(([name]) => [name, []]));
	await plainFetch(graph); // warm-up: connections, JIT
	await node(graph, { maxPerSecond: 0 }, false);
	// Interleaved rounds, so drift on a shared machine hits every variant alike.
	for (let round = 0; round < ROUNDS; round++) {
		for (const [name, run] of variants) {
			graph.reset();
			results.get(name)!.push(await timed(run));
		}
	}
	await graph.stop();
	const floor = median(results.get(variants[0][0])!);
	console.log(
		`send path: ${ITEMS} text messages to ${RECIPIENTS} recipients, concurrency ${CONCURRENCY}, ${ROUNDS} rounds, median items/s`,
	);
	for (const [name] of variants) {
		const value = median(results.get(name)!);
		console.log(
			`  ${name.padEnd(42)} ${value.toFixed(0).padStart(6)} items/s   ratio to floor ${(value / floor).toFixed(2)}`,
		);
	}
}

void main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
