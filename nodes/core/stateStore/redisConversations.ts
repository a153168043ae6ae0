import { ConversationBook, DEFAULT_BOOK_CONFIG, type BookConfig } from '../conversationRecord';
import type { ConversationSnapshot } from '../conversationRecord/types';
import { normaliseCustomerId } from '../customerId';
import type { RedisScripts } from './redis';
import type { ConversationScope, ConversationStore } from './types';

/**
 * The Redis backend of the conversations (types.ts): one Redis hash per conversation (`r` a revision,
 * `d` the conversation as JSON), and one set per customer id listing that customer's conversations
 * (under every id Meta has shown: phone number, business-scoped user id).
 *
 * A change loads the scope's conversations into a small book, runs the same code as the in-process
 * backend on it, and writes back what changed with one script that first checks every revision it read:
 * if another process changed one of them meanwhile, nothing is written and the change runs again on
 * the new state. So a lease taken on one worker holds on every other.
 *
 * Bounded by time rather than count: a conversation expires `retentionDays` after its last change (a
 * human's lease keeps it longer, and a lease without end keeps it), and transcripts are capped by
 * `transcriptLength` as in the book. `maxConversations` does not apply here.
 */

const DAY_MS = 86_400_000;
/** How often a change runs again when other processes keep changing the same conversations. */
const MAX_ATTEMPTS = 20;

/** KEYS: index sets. Returns the union of their members. */
const FIND = `return redis.call('SUNION', unpack(KEYS))`;

/** KEYS: conversations. Returns revision and document of each, '' when missing. */
const LOAD = `
local out = {}
for _, key in ipairs(KEYS) do
	local found = redis.call('HMGET', key, 'r', 'd')
	out[#out + 1] = found[1] or '0'
	out[#out + 1] = found[2] or ''
end
return out`;

/**
 * KEYS: conversations. ARGV: per key, the revision read, the new document ('' deletes) and the time to
 * live in ms (0: none). Writes only if every revision is still the one read.
 */
const COMMIT = `
for i, key in ipairs(KEYS) do
	if (redis.call('HGET', key, 'r') or '0') ~= ARGV[i * 3 - 2] then return 0 end
end
for i, key in ipairs(KEYS) do
	local doc = ARGV[i * 3 - 1]
	if doc == '' then
		redis.call('DEL', key)
	else
		redis.call('HSET', key, 'r', tonumber(ARGV[i * 3 - 2]) + 1, 'd', doc)
		local ttl = tonumber(ARGV[i * 3])
		if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('PERSIST', key) end
	end
end
return 1`;

/** KEYS: index sets. ARGV: the conversation id, the time to live in ms (0: none). */
const INDEX = `
for _, key in ipairs(KEYS) do
	redis.call('SADD', key, ARGV[1])
	local ttl = tonumber(ARGV[2])
	if ttl == 0 then redis.call('PERSIST', key)
	else
		local left = redis.call('PTTL', key)
		if left == -1 or left < ttl then redis.call('PEXPIRE', key, ttl) end
	end
end
return 0`;

/** KEYS: index sets. ARGV: the conversation id. Empty sets disappear with their last member. */
const UNINDEX = `
for _, key in ipairs(KEYS) do redis.call('SREM', key, ARGV[1]) end
return 0`;

/** The ids a conversation's customer is known by: what its index sets are named after. */
function namesOf(conversation: ConversationSnapshot): string[] {
	const names = [conversation.customerId, conversation.profile.waId, conversation.profile.userId]
		.map(normaliseCustomerId)
		.filter((name): name is string => !!name);
	return [...new Set(names)];
}

interface Loaded {
	revision: string;
	json: string;
}

export class RedisConversationStore implements ConversationStore {
	private readonly config: BookConfig;

	constructor(
		private readonly redis: RedisScripts,
		/** `wr:{<workflow id>}`: conversations belong to the workflow, not to one node. */
		private readonly namespace: string,
		config: Partial<BookConfig> = {},
	) {
		this.config = { ...DEFAULT_BOOK_CONFIG, ...definedOnly(config) };
	}

	private conversationKey(id: string): string {
		return `${this.namespace}:cv:${id}`;
	}

	private indexKey(customerId: string): string {
		return `${this.namespace}:ci:${customerId}`;
	}

	async update<T>(
		scope: ConversationScope,
		change: (book: ConversationBook) => T,
		now: number,
	): Promise<T> {
		const ids = [
			...new Set(scope.customerIds.map(normaliseCustomerId).filter((id): id is string => !!id)),
		];
		for (let attempt = 1; ; attempt++) {
			const loaded = await this.load(scope.phoneNumberId, ids);
			// Every conversation of the scope is in this book, so no limit on the count may evict one.
			const book = new ConversationBook({
				...this.config,
				maxConversations: Number.POSITIVE_INFINITY,
			});
			const conversations: Record<string, unknown> = {};
			for (const [id, { json }] of loaded) conversations[id] = JSON.parse(json);
			book.restore({ v: 1, config: book.settings, conversations });
			const result = change(book);
			if (await this.commit(loaded, book, now)) return result;
			if (attempt >= MAX_ATTEMPTS)
				throw new Error(`conversations changed ${attempt} times while this change was made`);
		}
	}

	private async load(phoneNumberId: string | null, ids: string[]): Promise<Map<string, Loaded>> {
		const found =
			ids.length === 0
				? []
				: ((await this.redis.eval(
						FIND,
						ids.length,
						...ids.map((id) => this.indexKey(id)),
					)) as string[]);
		const candidates = new Set(found);
		if (phoneNumberId !== null) for (const id of ids) candidates.add(`${phoneNumberId}:${id}`);
		const wanted = [...candidates].filter(
			(key) => phoneNumberId === null || key.startsWith(`${phoneNumberId}:`),
		);
		const loaded = new Map<string, Loaded>();
		if (wanted.length === 0) return loaded;
		const rows = (await this.redis.eval(
			LOAD,
			wanted.length,
			...wanted.map((key) => this.conversationKey(key)),
		)) as string[];
		wanted.forEach((key, i) => {
			if (rows[i * 2 + 1] !== '') loaded.set(key, { revision: rows[i * 2], json: rows[i * 2 + 1] });
		});
		return loaded;
	}

	/** Writes what the change did; false when another process got there first. */
	private async commit(
		loaded: Map<string, Loaded>,
		book: ConversationBook,
		now: number,
	): Promise<boolean> {
		const after = book.snapshot().conversations;
		const writes: Array<{ id: string; revision: string; json: string; ttlMs: number }> = [];
		for (const [id, conversation] of Object.entries(after)) {
			const json = JSON.stringify(conversation);
			if (loaded.get(id)?.json === json) continue;
			writes.push({
				id,
				revision: loaded.get(id)?.revision ?? '0',
				json,
				ttlMs: this.timeToLive(conversation, now),
			});
		}
		for (const [id, { revision }] of loaded) {
			if (!(id in after)) writes.push({ id, revision, json: '', ttlMs: 0 });
		}
		if (writes.length === 0) return true;
		const committed = await this.redis.eval(
			COMMIT,
			writes.length,
			...writes.map((write) => this.conversationKey(write.id)),
			...writes.flatMap((write) => [write.revision, write.json, String(write.ttlMs)]),
		);
		if (committed !== 1) return false;
		// The index only helps find conversations; one written without it is still found by its number.
		// An erased conversation leaves no customer id behind in the index's key names either.
		for (const write of writes) {
			const deleted = write.json === '';
			const names = namesOf(
				deleted
					? (JSON.parse(loaded.get(write.id)!.json) as ConversationSnapshot)
					: after[write.id],
			);
			if (names.length === 0) continue;
			const keys = names.map((name) => this.indexKey(name));
			if (deleted) await this.redis.eval(UNINDEX, keys.length, ...keys, write.id);
			else await this.redis.eval(INDEX, keys.length, ...keys, write.id, String(write.ttlMs));
		}
		return true;
	}

	/** Retention after the last change; a human's lease keeps the conversation at least as long. */
	private timeToLive(conversation: ConversationSnapshot, now: number): number {
		const retention = Math.ceil(this.config.retentionDays * DAY_MS);
		const { owner, lease } = conversation.ownership;
		if (owner !== 'human' || !lease) return retention;
		if (lease.expiresAt === null) return 0;
		return Math.max(retention, Math.ceil(lease.expiresAt - now));
	}
}

function definedOnly(config: Partial<BookConfig>): Partial<BookConfig> {
	return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
}
