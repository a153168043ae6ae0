/**
 * The trigger's pure pipeline (verify signature + parse + split + filter/dedupe + status ledger)
 * against whatsapp-api-js's `post()` (signature check + dispatch to `on.message` / `on.status`) on
 * the same signed bodies, in the same run. whatsapp-api-js hands over only the first item of a body,
 * so both bodies/s and delivered items/s are printed. Also the dedupe store's memory per key.
 * Printed, never asserted.
 */
import { MemoryDedupeStore } from '../nodes/core/dedupeStore';
import { splitEvents } from '../nodes/core/events';
import { verifySignature } from '../nodes/core/signature';
import { MemoryTriggerStore } from '../nodes/core/stateStore/memory';
import { admitEvents, settleEvents } from '../nodes/core/triggerPipeline';
import {
	body,
	change,
	metaSerialise,
	PHONE_A,
	sign,
	status,
	textMessage,
} from '../test/support/payloads';

const SECRET = 'bench-secret';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BODIES = Number(process.env.BENCH_BODIES ?? 2000);

interface Signed {
	raw: Buffer;
	text: string;
	signature: string;
	events: number;
}

function signed(payload: unknown, events: number): Signed {
	const text = metaSerialise(payload);
	const raw = Buffer.from(text);
	return { raw, text, signature: sign(raw, SECRET), events };
}

function singleBodies(n: number, offset: number): Signed[] {
	return Array.from({ length: n }, (_, i) =>
		signed(
			body(
				change(PHONE_A, { messages: [textMessage(`wamid.s${offset + i}`, `hello ${i} – grüße`)] }),
			),
			1,
		),
	);
}

function batchBodies(n: number, offset: number): Signed[] {
	return Array.from({ length: n }, (_, b) => {
		const messages = Array.from({ length: 50 }, (_, i) =>
			textMessage(`wamid.b${offset + b}-${i}`, `hello ${i}`),
		);
		const statuses = Array.from({ length: 50 }, (_, i) =>
			status(`wamid.o${offset + b}-${i % 25}`, i < 25 ? 'delivered' : 'read'),
		);
		return signed(body(change(PHONE_A, { messages, statuses })), 100);
	});
}

async function ours(bodies: Signed[]): Promise<number> {
	const store = new MemoryTriggerStore({ ttlMs: 7 * 86400_000, capacity: 1_000_000 });
	let emitted = 0;
	for (const b of bodies) {
		if (!verifySignature(b.raw, b.signature, SECRET).valid) throw new Error('signature');
		const split = splitEvents(JSON.parse(b.raw.toString('utf8')));
		if (!split.ok) throw new Error(split.reason);
		const admitted = await admitEvents(split.events, {
			filters: { kinds: [], phoneNumberIds: [] },
			store,
			claimTtlMs: 10_000,
			emitDuplicates: false,
			emitStale: false,
		});
		for (const out of await settleEvents(admitted.outputs, { store })) emitted += out.length;
	}
	return emitted;
}

async function theirs(bodies: Signed[]): Promise<number> {
	// whatsapp-api-js is an ES module; a dynamic import keeps it out of the product build.
	const { WhatsAppAPI } = (await import('whatsapp-api-js')) as unknown as {
		WhatsAppAPI: new (o: object) => {
			post(d: unknown, raw: string, sig: string): Promise<unknown>;
			on: Record<string, unknown>;
		};
	};
	const api = new WhatsAppAPI({ token: 'x', appSecret: SECRET, v: 'v23.0' });
	let emitted = 0;
	api.on.message = () => void emitted++;
	api.on.status = () => void emitted++;
	for (const b of bodies) await api.post(JSON.parse(b.text), b.text, b.signature);
	return emitted;
}

/** Median over rounds of bodies/s and delivered items/s (items handed to the workflow or handler). */
async function measure(run: () => number | Promise<number>, bodies: number) {
	const rounds: Array<{ bodies: number; items: number }> = [];
	for (let round = 0; round < ROUNDS; round++) {
		const start = process.hrtime.bigint();
		const emitted = await run();
		const seconds = Number(process.hrtime.bigint() - start) / 1e9;
		rounds.push({ bodies: bodies / seconds, items: emitted / seconds });
	}
	rounds.sort((a, b) => a.bodies - b.bodies);
	return rounds[Math.floor(rounds.length / 2)];
}

function memoryPerKey(): number {
	const n = 200_000;
	const gc = (globalThis as { gc?: () => void }).gc;
	gc?.();
	const before = process.memoryUsage().heapUsed;
	const store = new MemoryDedupeStore({ ttlMs: 7 * 86400_000, capacity: n });
	const now = Date.now();
	for (let i = 0; i < n; i += 100) {
		store.checkAndRecord(
			Array.from(
				{ length: 100 },
				(_, j) => `message:wamid.HBgLNDkxNTExMjM0NTY3OBUCABIYIDNFQjA${i + j}`,
			),
			now,
		);
	}
	gc?.();
	const bytes = (process.memoryUsage().heapUsed - before) / n;
	const persisted = JSON.stringify(store.snapshot()).length / n;
	console.log(
		`dedupe store: ${bytes.toFixed(0)} bytes of heap per key, ${persisted.toFixed(0)} bytes per key in static data (${store.size} keys)`,
	);
	return bytes;
}

async function main() {
	console.log(
		`trigger core pipeline vs whatsapp-api-js post(), ${BODIES} bodies per round, median of ${ROUNDS} rounds`,
	);
	let offset = 0;
	const batches = Math.max(1, Math.floor(BODIES / 20));
	for (const [label, make, count] of [
		['1-event body', singleBodies, BODIES],
		['100-event batch', batchBodies, batches],
	] as const) {
		// Fresh bodies for every round so our dedupe never sees a repeat.
		const a = await measure(() => ours(make(count, (offset += count))), count);
		const b = await measure(() => theirs(make(count, (offset += count))), count);
		console.log(
			`${label}: ours ${a.bodies.toFixed(0)} bodies/s, ${a.items.toFixed(0)} items/s | whatsapp-api-js ${b.bodies.toFixed(0)} bodies/s, ` +
				`${b.items.toFixed(0)} items/s | ratio ours/theirs: bodies ${(a.bodies / b.bodies).toFixed(2)}, items ${(a.items / b.items).toFixed(2)}`,
		);
	}
	memoryPerKey();
}

void main();
