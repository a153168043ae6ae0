import { digestKey } from '../keyDigest';
import { applyToCode, type LedgerJudgement } from '../statusLedger';
import {
	StateStoreUnavailableError,
	type ClaimBodyResult,
	type JournalEntry,
	type SendOnceClaim,
	type SendOnceStore,
	type TriggerJournal,
	type TriggerStore,
	type UnfinishedExecution,
} from './types';

/**
 * The Redis backend of the trigger's and the send node's state (types.ts), shared by every process of
 * a queue-mode n8n: the webhook process claims, the worker confirms, and both see the same keys.
 *
 * Every check-and-record is one Lua script, which Redis runs atomically. Keys are namespaced by
 * workflow and node, `wr:{<workflow id>}:<node id>:<kind>:<12-character digest>`: the braces keep one
 * workflow's keys in one Redis Cluster slot, so a script may touch several; the digest keeps Meta's ids
 * and phone numbers out of Redis. Every key expires (the node's window), so memory is bounded by the
 * window times the event rate (about 200 bytes a key, measured in bench/stateStore.bench.ts).
 */

/** The one Redis command the Redis backends use; ioredis's client has it (nodes/shared/redisClient.ts). */
export interface RedisScripts {
	eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

/**
 * The client's scripts, with every failure reported as the store being unavailable, naming the
 * credential so the operator knows which one to check.
 */
export function reportingFailures(redis: RedisScripts, credentialName: string): RedisScripts {
	return {
		async eval(script, numKeys, ...args) {
			return await redis.eval(script, numKeys, ...args).catch(async (error: Error) => {
				return await Promise.reject(
					new StateStoreUnavailableError(
						`Redis (credential "${credentialName}") did not answer: ${error.message}`,
					),
				);
			});
		},
	};
}

/** `wr:{<workflow id>}:<node id>`, the prefix of one node's keys. */
export function redisNamespace(workflowId: string, nodeId: string): string {
	return `wr:{${workflowId}}:${nodeId}`;
}

// Values: 'c' a claim (someone is working on it), 'k' confirmed, 'r:<record>' a send's record.

const CLAIM_BODY = `
local busy = 0
for _, key in ipairs(KEYS) do
	if redis.call('GET', key) == 'c' then busy = busy + 1 end
end
if busy > 0 then return {busy} end
local result = {0}
for i, key in ipairs(KEYS) do
	if not redis.call('SET', key, 'c', 'PX', ARGV[1], 'NX') then result[#result + 1] = i end
end
return result`;

const RELEASE_CLAIM = `
if redis.call('GET', KEYS[1]) == 'c' then redis.call('DEL', KEYS[1]) end
return 0`;

const CONFIRM_FIRST = `
if redis.call('GET', KEYS[1]) == 'k' then return 0 end
redis.call('SET', KEYS[1], 'k', 'PX', ARGV[1])
return 1`;

/** Sets the key only if it still holds what was read ('' for nothing): a compare-and-set. */
const COMPARE_AND_SET = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

const SEND_CLAIM = `
local value = redis.call('GET', KEYS[1])
if not value then
	redis.call('SET', KEYS[1], 'c', 'PX', ARGV[1])
	return {1}
end
if value == 'c' then return {0} end
return {0, string.sub(value, 3)}`;

const SEND_SETTLE = `
redis.call('SET', KEYS[1], 'r:' .. ARGV[1], 'PX', ARGV[2])
return 0`;

const FORGET = `
redis.call('DEL', KEYS[1])
return 0`;

/**
 * KEYS: the journal entry, the journal's index, then the dedupe key of each entry that has one, in
 * order. ARGV: confirmed keys' time to live, the entry's time to live, now, the execution id, the number
 * of entries, then per entry: '1' if it has a key, its output, its item as JSON. Confirms (first wins)
 * and records what is kept, together; returns 1 or 0 per entry.
 */
const CONFIRM_AND_RECORD = `
local kept = {}
local flags = {}
local nextKey = 3
for i = 1, tonumber(ARGV[5]) do
	local at = 5 + (i - 1) * 3
	local keep = true
	if ARGV[at + 1] == '1' then
		local key = KEYS[nextKey]
		nextKey = nextKey + 1
		if redis.call('GET', key) == 'k' then keep = false
		else redis.call('SET', key, 'k', 'PX', ARGV[1]) end
	end
	if keep then kept[#kept + 1] = '[' .. ARGV[at + 2] .. ',' .. ARGV[at + 3] .. ']' end
	flags[i] = keep and 1 or 0
end
if #kept > 0 then
	redis.call('SET', KEYS[1], '[' .. table.concat(kept, ',') .. ']', 'PX', ARGV[2])
	redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
end
return flags`;

const JOURNAL_FINISHED = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 0`;

/**
 * KEYS[1]: the journal's index. ARGV: the cut-off time, now, the limit, the prefix of entries. Entries
 * are named from the prefix inside the script; the braces of the namespace keep them in the index's
 * Redis Cluster slot.
 */
const JOURNAL_TAKE = `
local out = {}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
	local items = redis.call('GET', ARGV[4] .. id)
	if items then
		redis.call('ZADD', KEYS[1], ARGV[2], id)
		out[#out + 1] = id
		out[#out + 1] = items
	else
		redis.call('ZREM', KEYS[1], id)
	end
end
return out`;

/** How long an unfinished execution's items are kept at most (Meta's own retry window). */
const JOURNAL_TTL_MS = 7 * 86_400_000;

/** How often a status is judged again when another process changed the same message meanwhile. */
const MAX_LEDGER_ATTEMPTS = 20;

/** Redis keeps real time: the `now` the interface passes (for the in-process backend's tests) is not used. */
const ms = (value: number) => String(Math.max(1, Math.ceil(value)));

export class RedisTriggerStore implements TriggerStore, TriggerJournal {
	constructor(
		private readonly redis: RedisScripts,
		private readonly namespace: string,
		/** How long confirmed keys and message statuses are remembered. */
		private readonly ttlMs: number,
	) {}

	private key(kind: 'd' | 'l', id: string): string {
		return `${this.namespace}:${kind}:${digestKey(id)}`;
	}

	async claimBody(
		keys: readonly string[],
		claimTtlMs: number,
		_now?: number,
	): Promise<ClaimBodyResult> {
		if (keys.length === 0) return { busy: false, known: new Set() };
		const result = (await this.redis.eval(
			CLAIM_BODY,
			keys.length,
			...keys.map((key) => this.key('d', key)),
			ms(claimTtlMs),
		)) as number[];
		if (result[0] > 0) return { busy: true, inFlight: result[0] };
		return { busy: false, known: new Set(result.slice(1).map((index) => keys[index - 1])) };
	}

	async releaseClaim(key: string, _now?: number): Promise<void> {
		await this.redis.eval(RELEASE_CLAIM, 1, this.key('d', key));
	}

	async applyStatus(messageId: string, status: string, _now?: number): Promise<LedgerJudgement> {
		const key = this.key('l', messageId);
		for (let attempt = 1; ; attempt++) {
			const stored = (await this.redis.eval(`return redis.call('GET', KEYS[1])`, 1, key)) as
				| string
				| null;
			const { judgement, code } = applyToCode(stored || null, status);
			const set = await this.redis.eval(
				COMPARE_AND_SET,
				1,
				key,
				stored ?? '',
				code,
				ms(this.ttlMs),
			);
			if (set === 1) return judgement;
			if (attempt >= MAX_LEDGER_ATTEMPTS)
				throw new Error(`the status of a message changed ${attempt} times while it was judged`);
		}
	}

	async confirmFirst(key: string, _now?: number): Promise<boolean> {
		return (await this.redis.eval(CONFIRM_FIRST, 1, this.key('d', key), ms(this.ttlMs))) === 1;
	}

	private journalKeys(executionId: string): [string, string] {
		return [`${this.namespace}:j:${executionId}`, `${this.namespace}:jz`];
	}

	async confirmAndRecord(
		executionId: string,
		entries: JournalEntry[],
		now: number,
	): Promise<boolean[]> {
		if (entries.length === 0) return [];
		const [entry, index] = this.journalKeys(executionId);
		const keys = entries.flatMap(({ key }) => (key === null ? [] : [this.key('d', key)]));
		const flags = (await this.redis.eval(
			CONFIRM_AND_RECORD,
			2 + keys.length,
			entry,
			index,
			...keys,
			ms(this.ttlMs),
			ms(JOURNAL_TTL_MS),
			String(now),
			executionId,
			String(entries.length),
			...entries.flatMap(({ key, output, item }) => [
				key === null ? '0' : '1',
				String(output),
				JSON.stringify(item),
			]),
		)) as number[];
		return flags.map((flag) => flag === 1);
	}

	async finished(executionId: string): Promise<void> {
		await this.redis.eval(JOURNAL_FINISHED, 2, ...this.journalKeys(executionId), executionId);
	}

	async takeUnfinished(
		olderThanMs: number,
		now: number,
		limit: number,
	): Promise<UnfinishedExecution[]> {
		const [, index] = this.journalKeys('');
		const flat = (await this.redis.eval(
			JOURNAL_TAKE,
			1,
			index,
			String(now - olderThanMs),
			String(now),
			String(limit),
			`${this.namespace}:j:`,
		)) as string[];
		const taken: UnfinishedExecution[] = [];
		for (let i = 0; i + 1 < flat.length; i += 2)
			taken.push({
				executionId: flat[i],
				items: JSON.parse(flat[i + 1]) as Array<[number, unknown]>,
			});
		return taken;
	}
}

export class RedisSendOnceStore implements SendOnceStore {
	constructor(
		private readonly redis: RedisScripts,
		private readonly namespace: string,
		/** How long a settled key is kept. */
		private readonly ttlMs: number,
	) {}

	private key(id: string): string {
		return `${this.namespace}:s:${digestKey(id)}`;
	}

	async claim(key: string, ttlMs: number, _now?: number): Promise<SendOnceClaim> {
		const [claimed, record] = (await this.redis.eval(SEND_CLAIM, 1, this.key(key), ms(ttlMs))) as [
			number,
			string?,
		];
		return claimed === 1 ? { claimed: true } : { claimed: false, record };
	}

	async settle(key: string, record: string, _now?: number): Promise<void> {
		await this.redis.eval(SEND_SETTLE, 1, this.key(key), record, ms(this.ttlMs));
	}

	async forget(key: string): Promise<void> {
		await this.redis.eval(FORGET, 1, this.key(key));
	}
}
