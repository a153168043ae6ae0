import { BoundedMap } from '../boundedMap';
import { asRecord } from '../coerce';
import { normaliseCustomerId } from '../customerId';
import type { WhatsAppEvent } from '../events';
import { Conversation, conversationKey, reviveConversation } from './conversation';
import { holdForOwnerReply, recordThreadOwner } from '../lease';
import { appEntry, inboundEntry, outboundEntry, type OutboundRecord } from './entries';
import type { ConversationSnapshot } from './types';

export interface BookConfig {
	/** Conversations kept at most; the least recently active bot-owned ones go first. */
	maxConversations: number;
	/** Transcript entries kept per conversation; the oldest go first. */
	transcriptLength: number;
	/** Conversations without activity for longer are dropped (human-owned ones with a live lease are kept). */
	retentionDays: number;
	/** Longer texts are cut (with an ellipsis) before they are stored. */
	maxTextLength: number;
	/** Correlation ids kept per conversation; the least recently updated go first. */
	maxCorrelations: number;
}

export const DEFAULT_BOOK_CONFIG: BookConfig = {
	// Every execution of the workflow writes the whole book (see workflowState.ts): 200 conversations of
	// 20 messages are about 0.9 MB, which keeps an execution's save well under the cost of n8n's own work.
	maxConversations: 200,
	transcriptLength: 20,
	retentionDays: 30,
	maxTextLength: 500,
	maxCorrelations: 10,
};

const DAY_MS = 86_400_000;

export interface BookSnapshot {
	v: 1;
	config: BookConfig;
	conversations: Record<string, ConversationSnapshot>;
}

export type RecordResult = 'recorded' | 'duplicate' | 'ignored';

/** What the trigger's options decide about recording the events of the 2026 platform. */
export interface RecordOptions {
	/**
	 * Echoes of the WhatsApp Business app give a human the conversation for `leaseMs` from the reply
	 * (null or 0: until Release). Absent: echoes are only recorded.
	 */
	echoOwnership?: { leaseMs: number | null } | null;
	/** This app's id: with it, a handover that names the new owner's app id is read exactly. */
	appId?: string | null;
}

/**
 * All conversations of one workflow, bounded in count and age. Every method runs to completion
 * synchronously, so concurrent executions in one n8n process see each other's changes exactly.
 */
/** True when Meta has shown the conversation's customer under this id (wa_id or business-scoped user id). */
function knownAs(conversation: Conversation, customerId: string): boolean {
	const { waId, userId } = conversation.data.profile;
	return (
		(waId !== null && normaliseCustomerId(waId) === customerId) ||
		(userId !== null && normaliseCustomerId(userId) === customerId)
	);
}

export class ConversationBook {
	/**
	 * Insertion order is activity order: the least recently active conversation comes first and is
	 * evicted first over capacity, bot-owned or closed ones before those a human holds.
	 */
	private readonly conversations: BoundedMap<string, Conversation>;
	private config: BookConfig;

	constructor(config: Partial<BookConfig> = {}) {
		this.config = { ...DEFAULT_BOOK_CONFIG, ...config };
		this.conversations = new BoundedMap(this.config.maxConversations, {
			evictLast: (conversation) => conversation.data.ownership.owner === 'human',
		});
	}

	get size(): number {
		return this.conversations.size;
	}

	get settings(): BookConfig {
		return { ...this.config };
	}

	/** New limits apply at once: transcripts are cut and conversations evicted to fit. */
	configure(config: Partial<BookConfig>): void {
		const next = {
			...this.config,
			...Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)),
		} as BookConfig;
		const changed = (Object.keys(next) as Array<keyof BookConfig>).some(
			(k) => next[k] !== this.config[k],
		);
		this.config = next;
		if (!changed) return;
		for (const conversation of this.conversations.values()) {
			const t = conversation.data.transcript;
			if (t.length > next.transcriptLength) t.splice(0, t.length - next.transcriptLength);
			conversation.ledger.configure(this.ledgerCapacity());
		}
		this.conversations.resize(next.maxConversations);
	}

	private ledgerCapacity(): number {
		return this.config.transcriptLength + this.config.maxCorrelations;
	}

	/**
	 * The customer's conversation on a number: the one keyed by this id, else the one whose customer
	 * Meta has shown under this id too (a wa_id and a business-scoped user id in one webhook), so a
	 * customer first known by one and later by the other stays one conversation.
	 */
	get(phoneNumberId: string, customerId: string): Conversation | undefined {
		const direct = this.conversations.get(conversationKey(phoneNumberId, customerId));
		if (direct) return direct;
		for (const conversation of this.conversations.values()) {
			if (conversation.data.phoneNumberId === phoneNumberId && knownAs(conversation, customerId))
				return conversation;
		}
		return undefined;
	}

	/** Conversations of a customer on any number (to find one when an item has no phone number id). */
	findByCustomer(customerId: string): Conversation[] {
		const keyed = [...this.conversations.values()].filter((c) => c.data.customerId === customerId);
		const numbers = new Set(keyed.map((c) => c.data.phoneNumberId));
		const linked = [...this.conversations.values()].filter(
			(c) =>
				c.data.customerId !== customerId &&
				!numbers.has(c.data.phoneNumberId) &&
				knownAs(c, customerId),
		);
		return [...keyed, ...linked];
	}

	/**
	 * Forgets a customer's conversations (transcript, profile, orders, case), on one business number
	 * or on all; returns how many were removed. A customer's right to erasure ends here.
	 */
	erase(customerId: string, phoneNumberId: string | null = null): number {
		const doomed = this.findByCustomer(customerId).filter(
			(c) => phoneNumberId === null || c.data.phoneNumberId === phoneNumberId,
		);
		for (const conversation of doomed) this.conversations.delete(conversation.key);
		return doomed.length;
	}

	/** The conversation, created if missing, marked as the most recently active. */
	open(phoneNumberId: string, customerId: string, now: number): Conversation {
		const conversation =
			this.get(phoneNumberId, customerId) ??
			Conversation.create(phoneNumberId, customerId, now, this.ledgerCapacity());
		conversation.data.updatedAt = Math.max(conversation.data.updatedAt, now);
		this.conversations.set(conversation.key, conversation);
		return conversation;
	}

	/** The conversation of an event's customer: by `customer.id`, else by the other id Meta gave. */
	private find(phoneNumberId: string, event: WhatsAppEvent): Conversation | undefined {
		for (const id of [event.customer?.id, event.customer?.userId, event.customer?.waId]) {
			const customerId = normaliseCustomerId(id);
			const conversation = customerId ? this.get(phoneNumberId, customerId) : undefined;
			if (conversation) return conversation;
		}
		return undefined;
	}

	/**
	 * `user_changed_user_id`: the customer's business-scoped user id changed. The conversation keeps
	 * its history under the new id (re-keyed when it was keyed by the old one).
	 */
	private followIdentityChange(conversation: Conversation, event: WhatsAppEvent): void {
		const details = event.details;
		if (details?.type !== 'identity_change' || details.change !== 'user_changed_user_id') return;
		const next = normaliseCustomerId(details.userId);
		if (!next) return;
		const previous = conversation.data.profile.userId;
		conversation.data.profile.userId = next;
		const keyedByUserId =
			conversation.data.customerId === previous ||
			conversation.data.customerId === normaliseCustomerId(details.previousUserId);
		if (!keyedByUserId || conversation.data.customerId === next) return;
		if (this.conversations.has(conversationKey(conversation.data.phoneNumberId, next))) return;
		this.conversations.delete(conversation.key);
		conversation.data.customerId = next;
		this.conversations.set(conversation.key, conversation);
	}

	/**
	 * Records a trigger event: messages and Flow answers as inbound entries, statuses onto outbound ones;
	 * echoes of the WhatsApp Business app as outbound entries by a human (who may take the conversation,
	 * see RecordOptions); chat history as it was, changing no owner; handovers and standby copies as
	 * Meta's owner of the thread.
	 */
	recordEvent(event: WhatsAppEvent, now: number, options: RecordOptions = {}): RecordResult {
		const customerId = normaliseCustomerId(event.customer?.id);
		if (!event.phoneNumberId || !customerId) return 'ignored';
		if (event.standby) return this.recordStandby(event, event.phoneNumberId, customerId, now);
		if (event.kind === 'echo')
			return this.recordEcho(event, event.phoneNumberId, customerId, now, options);
		if (event.kind === 'history')
			return this.recordHistory(event, event.phoneNumberId, customerId, now);
		if (event.kind === 'handover')
			return this.recordHandover(event, event.phoneNumberId, customerId, now, options);
		if (event.kind === 'message' || event.kind === 'flow_response') {
			const existing = this.find(event.phoneNumberId, event);
			if (existing?.has(event.messageId)) return 'duplicate';
			const conversation = existing
				? this.open(existing.data.phoneNumberId, existing.data.customerId, now)
				: this.open(event.phoneNumberId, customerId, now);
			conversation.updateProfile(event.customer);
			this.followIdentityChange(conversation, event);
			const entry = inboundEntry(event, this.config.maxTextLength, now);
			conversation.append(entry, this.config.transcriptLength);
			conversation.data.lastInboundAt = Math.max(conversation.data.lastInboundAt ?? 0, entry.at);
			// A closed conversation opens again, with the bot, when the customer writes.
			if (conversation.data.ownership.owner === 'closed')
				conversation.data.ownership = {
					...conversation.data.ownership,
					owner: 'bot',
					since: now,
					lease: null,
				};
			return 'recorded';
		}
		if (event.kind === 'status') {
			const existing = this.find(event.phoneNumberId, event);
			// A status of a message we never saw is kept only when it tells an order's state.
			if (!existing && !event.correlationId) return 'ignored';
			const conversation = existing ?? this.open(event.phoneNumberId, customerId, now);
			conversation.updateProfile(event.customer);
			return conversation.applyStatus(event, now, this.config.maxCorrelations)
				? 'recorded'
				: 'duplicate';
		}
		return 'ignored';
	}

	/** The event's conversation, created if missing, marked as the most recently active. */
	private openFor(event: WhatsAppEvent, phoneNumberId: string, customerId: string, now: number) {
		const existing = this.find(phoneNumberId, event);
		const conversation = existing
			? this.open(existing.data.phoneNumberId, existing.data.customerId, now)
			: this.open(phoneNumberId, customerId, now);
		conversation.updateProfile(event.customer);
		return conversation;
	}

	/** When the event happened, in ms: Meta's timestamp, else now. */
	private static eventTime(event: WhatsAppEvent, now: number): number {
		return event.timestamp !== null ? event.timestamp * 1000 : now;
	}

	private recordEcho(
		event: WhatsAppEvent,
		phoneNumberId: string,
		customerId: string,
		now: number,
		options: RecordOptions,
	): RecordResult {
		if (this.find(phoneNumberId, event)?.has(event.messageId)) return 'duplicate';
		const conversation = this.openFor(event, phoneNumberId, customerId, now);
		const entry = appEntry(event, this.config.maxTextLength, now);
		conversation.append(entry, this.config.transcriptLength);
		if (options.echoOwnership)
			holdForOwnerReply(conversation, options.echoOwnership.leaseMs, entry.at, now);
		return 'recorded';
	}

	/**
	 * A message of the synced chat history, in its place in the transcript. It changes no owner, opens
	 * no closed conversation, and does not make a conversation recently active (a sync of 180 days must
	 * not evict today's conversations); a conversation it creates is as old as the message, and one
	 * older than the retention is not created at all.
	 */
	private recordHistory(
		event: WhatsAppEvent,
		phoneNumberId: string,
		customerId: string,
		now: number,
	): RecordResult {
		if (event.messageId === null) return 'ignored';
		const entry = appEntry(event, this.config.maxTextLength, now);
		let conversation = this.find(phoneNumberId, event);
		if (conversation?.has(event.messageId)) return 'duplicate';
		if (!conversation) {
			if (entry.at < now - this.config.retentionDays * DAY_MS) return 'ignored';
			conversation = Conversation.create(
				phoneNumberId,
				customerId,
				entry.at,
				this.ledgerCapacity(),
			);
			this.conversations.mergeUnder([[conversation.key, conversation]]);
			if (!this.conversations.has(conversation.key)) return 'ignored';
		}
		conversation.updateProfile(event.customer);
		conversation.append(entry, this.config.transcriptLength);
		if (entry.dir === 'in')
			conversation.data.lastInboundAt = Math.max(conversation.data.lastInboundAt ?? 0, entry.at);
		return 'recorded';
	}

	/** A handover: Meta's owner of the thread, by the app ids when this app's id is known. */
	private recordHandover(
		event: WhatsAppEvent,
		phoneNumberId: string,
		customerId: string,
		now: number,
		options: RecordOptions,
	): RecordResult {
		const details = event.details;
		if (details?.type !== 'handover') return 'ignored';
		let owner = details.threadOwner;
		if (options.appId && details.newOwnerAppId)
			owner = details.newOwnerAppId === options.appId ? 'this_app' : 'other';
		if (owner === null) return 'ignored';
		const conversation = this.openFor(event, phoneNumberId, customerId, now);
		const appId =
			owner === 'other' ? details.newOwnerAppId : (options.appId ?? details.newOwnerAppId);
		return recordThreadOwner(
			conversation,
			owner,
			ConversationBook.eventTime(event, now),
			appId ?? null,
			details.event ?? 'handover',
		)
			? 'recorded'
			: 'duplicate';
	}

	/**
	 * A standby copy: another app owns the thread. A customer's message is kept in the transcript (it
	 * was said, and it opens the 24-hour window), but it reopens nothing and nobody answers it here.
	 */
	private recordStandby(
		event: WhatsAppEvent,
		phoneNumberId: string,
		customerId: string,
		now: number,
	): RecordResult {
		const inbound = event.kind === 'message' || event.kind === 'flow_response';
		if (inbound && this.find(phoneNumberId, event)?.has(event.messageId)) return 'duplicate';
		const conversation = this.openFor(event, phoneNumberId, customerId, now);
		const at = ConversationBook.eventTime(event, now);
		const changed = recordThreadOwner(conversation, 'other', at, null, 'standby');
		if (!inbound) return changed ? 'recorded' : 'duplicate';
		const entry = inboundEntry(event, this.config.maxTextLength, now);
		conversation.append(entry, this.config.transcriptLength);
		conversation.data.lastInboundAt = Math.max(conversation.data.lastInboundAt ?? 0, entry.at);
		return 'recorded';
	}

	/**
	 * Records an accepted send, as sent by the role the sender declared (else by whoever owns the
	 * conversation at this moment). A bot send ends the conversation's pending bot send.
	 */
	recordOutbound(record: OutboundRecord, now: number): RecordResult {
		const customerId = normaliseCustomerId(record.customerId);
		if (!record.phoneNumberId || !customerId) return 'ignored';
		const conversation = this.open(record.phoneNumberId, customerId, now);
		const entry = outboundEntry(
			record,
			conversation.data.ownership.owner,
			this.config.maxTextLength,
		);
		if (entry.by === 'bot') conversation.data.pendingBotSend = null;
		if (!conversation.append(entry, this.config.transcriptLength)) return 'duplicate';
		if (record.correlationId) {
			conversation.setCorrelation(
				record.correlationId,
				{ messageId: record.messageId, state: record.messageStatus ?? 'accepted', updatedAt: now },
				this.config.maxCorrelations,
			);
		}
		return 'recorded';
	}

	/** Drops conversations idle for longer than the retention, except those a human holds on a live lease. */
	purge(now: number): number {
		const cutoff = now - this.config.retentionDays * DAY_MS;
		let dropped = 0;
		for (const [key, conversation] of this.conversations) {
			// Activity order: once one is recent enough, all after it are too.
			if (conversation.data.updatedAt > cutoff) break;
			const lease = conversation.data.ownership.lease;
			if (
				conversation.data.ownership.owner === 'human' &&
				(lease?.expiresAt === null || (lease?.expiresAt ?? 0) > now)
			)
				continue;
			this.conversations.delete(key);
			dropped++;
		}
		return dropped;
	}

	snapshot(): BookSnapshot {
		const conversations: Record<string, ConversationSnapshot> = {};
		for (const [key, conversation] of this.conversations)
			conversations[key] = conversation.snapshot();
		return { v: 1, config: this.config, conversations };
	}

	/** Merges a persisted book: conversations already live win (they are at least as new). */
	restore(data: unknown): void {
		const snapshot = asRecord(data);
		if (snapshot.v !== 1) return;
		const config = asRecord(snapshot.config);
		for (const key of Object.keys(DEFAULT_BOOK_CONFIG) as Array<keyof BookConfig>) {
			if (typeof config[key] === 'number' && Number.isFinite(config[key]))
				this.config[key] = config[key] as number;
		}
		this.conversations.resize(this.config.maxConversations);
		const persisted: Array<[string, Conversation]> = [];
		for (const [key, raw] of Object.entries(asRecord(snapshot.conversations))) {
			if (this.conversations.has(key)) continue;
			const conversation = reviveConversation(raw, this.ledgerCapacity());
			if (conversation) persisted.push([key, conversation]);
		}
		this.conversations.mergeUnder(persisted, (conversation) => conversation.data.updatedAt);
	}
}
