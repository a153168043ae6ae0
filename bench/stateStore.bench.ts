/**
 * The Redis backend's cost per event against the in-process one: the trigger's admission and
 * settlement of the same bodies (1 event each, and 100-event batches), through each backend, in one run.
 * Redis is a private redis-server on 127.0.0.1 (test/support/redisServer.ts), so the numbers include
 * a loopback round trip per script, as a webhook process and a worker on one host would pay.
 */
import { randomUUID } from 'node:crypto';

import { splitEvents, type WhatsAppEvent } from '../nodes/core/events';
import { MemoryTriggerStore } from '../nodes/core/stateStore/memory';
import { RedisTriggerStore, redisNamespace } from '../nodes/core/stateStore/redis';
import type { TriggerStore } from '../nodes/core/stateStore/types';
import { admitEvents, settleEvents } from '../nodes/core/triggerPipeline';
import { closeRedisClientsForTests, redisScripts } from '../nodes/shared/redisClient';
import { body, change, PHONE_A, status, textMessage } from '../test/support/payloads';
import { startRedis } from '../test/support/redisServer';

const WEEK_MS = 7 * 86400_000;
const ROUNDS = 5;

let offset = 0;
function bodies(count: number, eventsPerBody: number): WhatsAppEvent[][] {
	return Array.from({ length: count }, () => {
		const base = (offset += eventsPerBody);
		const half = Math.ceil(eventsPerBody / 2);
		const input = body(
			change(PHONE_A, {
				messages: Array.from({ length: half }, (_, i) => textMessage(`wamid.m${base + i}`, 'hi')),
				statuses: Array.from({ length: eventsPerBody - half }, (_, i) =>
					status(`wamid.o${base + i}`, 'delivered'),
				),
			}),
		);
		const split = splitEvents(input);
		if (!split.ok) throw new Error(split.reason);
		return split.events;
	});
}

/** Events per second through admission (webhook) and settlement (execution). */
async function eventsPerSecond(store: TriggerStore, work: WhatsAppEvent[][]): Promise<number> {
	const started = process.hrtime.bigint();
	let events = 0;
	for (const batch of work) {
		const admitted = await admitEvents(batch, {
			filters: { kinds: [], phoneNumberIds: [] },
			store,
			claimTtlMs: 120_000,
			emitDuplicates: false,
			emitStale: false,
		});
		for (const items of await settleEvents(admitted.outputs, { store })) events += items.length;
	}
	return events / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function median(run: () => Promise<number>): Promise<number> {
	const values: number[] = [];
	for (let round = 0; round < ROUNDS; round++) values.push(await run());
	return values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

async function main() {
	const server = await startRedis();
	try {
		const redis = redisScripts({ host: server.host, port: server.port }, 'bench');
		console.log(`trigger state per event, in-process vs Redis (median of ${ROUNDS} rounds)`);
		for (const [label, count, size] of [
			['1-event bodies', 500, 1],
			['100-event batches', 10, 100],
		] as const) {
			const memory = await median(
				async () =>
					await eventsPerSecond(
						new MemoryTriggerStore({ ttlMs: WEEK_MS, capacity: 1_000_000 }),
						bodies(count, size),
					),
			);
			const shared = await median(
				async () =>
					await eventsPerSecond(
						new RedisTriggerStore(redis, redisNamespace(randomUUID(), 'bench'), WEEK_MS),
						bodies(count, size),
					),
			);
			console.log(
				`${label}: in-process ${memory.toFixed(0)} events/s (${(1e6 / memory).toFixed(1)} µs each), Redis ${shared.toFixed(0)} events/s (${(1e6 / shared).toFixed(1)} µs each); Redis costs ${(memory / shared).toFixed(1)}× the in-process time per event`,
			);
		}
		// Memory per remembered event in Redis: 10,000 confirmed keys.
		const usedMemory = async () =>
			Number(/used_memory:(\d+)/.exec(String(await server.command('INFO', 'memory')))?.[1]);
		const before = await usedMemory();
		const store = new RedisTriggerStore(redis, redisNamespace(randomUUID(), 'bench'), WEEK_MS);
		for (let i = 0; i < 10_000; i++) await store.confirmFirst(`message:wamid.memory${i}`);
		console.log(
			`Redis memory: ${(((await usedMemory()) - before) / 10_000).toFixed(0)} bytes per remembered event key`,
		);
	} finally {
		closeRedisClientsForTests();
		await server.stop();
	}
}

void main();
