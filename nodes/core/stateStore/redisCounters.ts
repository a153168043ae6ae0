import {
	counterIncrements,
	countsFromFields,
	outcomeMarks,
	type TriggerCounts,
	type TriggerRequestOutcome,
} from '../triggerCounters';
import type { RedisScripts } from './redis';

/**
 * The trigger counters (../triggerCounters.ts) in Redis, so a queue-mode n8n's webhook processes count
 * and a worker's Check Setup reads the same numbers. One hash per trigger node,
 * `wr:{<workflow id>}:<node id>:counters`, and one index of the workflow's trigger nodes,
 * `wr:{<workflow id>}:triggers` (node id → node name); the braces keep both in the workflow's slot.
 * Each request is one script call; both keys expire `COUNTER_TTL_MS` after the last request.
 */

export const COUNTER_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** KEYS: counters, index. ARGV: now, ttl, node id, node name, request?, news?, then field/amount pairs. */
const RECORD = `
redis.call('HSETNX', KEYS[1], 'since', ARGV[1])
redis.call('HSET', KEYS[1], 'name', ARGV[4])
for i = 7, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'lastRequestAt', ARGV[1]) end
if ARGV[6] == '1' then redis.call('HSET', KEYS[1], 'lastNewEventAt', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 0`;

const READ_INDEX = `return redis.call('HGETALL', KEYS[1])`;

/** Every key's hash as one flat list per key. */
const READ_COUNTERS = `
local result = {}
for i, key in ipairs(KEYS) do result[i] = redis.call('HGETALL', key) end
return result`;

const pairs = (flat: unknown): Record<string, string> => {
	const record: Record<string, string> = {};
	if (!Array.isArray(flat)) return record;
	for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = String(flat[i + 1]);
	return record;
};

export function workflowPrefix(workflowId: string): string {
	return `wr:{${workflowId}}`;
}

export class RedisTriggerCounters {
	constructor(
		private readonly redis: RedisScripts,
		private readonly workflowId: string,
	) {}

	private countersKey(nodeId: string): string {
		return `${workflowPrefix(this.workflowId)}:${nodeId}:counters`;
	}

	private indexKey(): string {
		return `${workflowPrefix(this.workflowId)}:triggers`;
	}

	/**
	 * Adds one request's outcome; with no outcome, only makes sure the node's counters exist (on
	 * publish), so a trigger that never receives anything is still listed.
	 */
	async record(
		node: { id: string; name: string },
		outcome: TriggerRequestOutcome | undefined,
		now: number,
	): Promise<void> {
		const increments = outcome ? counterIncrements(outcome) : {};
		const marks = outcome ? outcomeMarks(outcome) : { request: false, news: false };
		await this.redis.eval(
			RECORD,
			2,
			this.countersKey(node.id),
			this.indexKey(),
			String(now),
			String(COUNTER_TTL_MS),
			node.id,
			node.name,
			marks.request ? '1' : '0',
			marks.news ? '1' : '0',
			...Object.entries(increments).flatMap(([field, by]) => [field, by]),
		);
	}

	/** The counts of every trigger node of the workflow that has counters, by node id. */
	async readAll(now: number): Promise<Array<{ id: string; name: string; counts: TriggerCounts }>> {
		const index = pairs(await this.redis.eval(READ_INDEX, 1, this.indexKey()));
		const ids = Object.keys(index);
		if (ids.length === 0) return [];
		const hashes = (await this.redis.eval(
			READ_COUNTERS,
			ids.length,
			...ids.map((id) => this.countersKey(id)),
		)) as unknown[];
		return ids.flatMap((id, i) => {
			const fields = pairs(hashes[i]);
			// The index outlived the counters (they expired): nothing to report for that node.
			if (Object.keys(fields).length === 0) return [];
			return [{ id, name: fields.name ?? index[id], counts: countsFromFields(fields, now) }];
		});
	}
}
