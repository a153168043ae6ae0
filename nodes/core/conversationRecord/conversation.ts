import { BoundedMap } from '../boundedMap';
import { asNumber, asRecord } from '../coerce';
import type { WhatsAppEvent } from '../events';
import { StatusLedger, type LedgerSnapshot } from '../statusLedger';
import type {
	ConversationData,
	ConversationSnapshot,
	CorrelationState,
	Lease,
	Ownership,
	ThreadOwner,
	TranscriptEntry,
} from './types';

/** Inbound timestamps have whole-second resolution. */
const ORDER_SLACK_MS = 1000;

export function conversationKey(phoneNumberId: string, customerId: string): string {
	return `${phoneNumberId}:${customerId}`;
}

/**
 * One conversation record with its status ledger. Correlation ids live in a Map, least recently
 * updated first, because a plain object lists integer-like keys ("1001") first whatever their age;
 * `data.correlations` reads them as a plain record for snapshots.
 */
export class Conversation {
	readonly ledger: StatusLedger;
	readonly correlations = new BoundedMap<string, CorrelationState>(Number.POSITIVE_INFINITY);

	constructor(
		readonly data: ConversationData,
		ledgerCapacity: number,
		ledger?: LedgerSnapshot,
	) {
		this.ledger = new StatusLedger(ledgerCapacity);
		if (ledger) this.ledger.restore(ledger);
		// A stored record lists integer-like ids first: order by the time they were updated.
		this.correlations.mergeUnder(
			Object.entries(data.correlations),
			(c) => asNumber(c.updatedAt) ?? 0,
		);
		Object.defineProperty(data, 'correlations', {
			enumerable: true,
			get: () => Object.fromEntries(this.correlations),
		});
	}

	static create(
		phoneNumberId: string,
		customerId: string,
		now: number,
		ledgerCapacity: number,
	): Conversation {
		return new Conversation(
			{
				phoneNumberId,
				customerId,
				profile: { waId: null, userId: null, name: null, username: null },
				createdAt: now,
				updatedAt: now,
				lastInboundAt: null,
				transcript: [],
				correlations: {},
				ownership: { owner: 'bot', since: now, lease: null, resumedAfter: null },
				unrecognised: { count: 0, lastMessageId: null },
				casesOpened: 0,
			},
			ledgerCapacity,
		);
	}

	get key(): string {
		return conversationKey(this.data.phoneNumberId, this.data.customerId);
	}

	has(messageId: string | null): boolean {
		return messageId !== null && this.data.transcript.some((e) => e.id === messageId);
	}

	/** Appends an entry unless one with the same message id exists; keeps the newest `limit`. */
	append(entry: TranscriptEntry, limit: number): boolean {
		if (this.has(entry.id)) return false;
		const transcript = this.data.transcript;
		// Arrival order, except that a clearly older entry (a webhook Meta redelivered after an outage)
		// moves back to its time. WhatsApp stamps inbound messages in whole seconds and our sends in ms,
		// so within the same second arrival order is the truer order.
		let at = transcript.length;
		while (at > 0 && transcript[at - 1].at > entry.at + ORDER_SLACK_MS) at--;
		transcript.splice(at, 0, entry);
		if (transcript.length > limit) transcript.splice(0, transcript.length - limit);
		return true;
	}

	updateProfile(customer: WhatsAppEvent['customer']): void {
		if (!customer) return;
		const profile = this.data.profile;
		profile.waId = customer.waId ?? profile.waId;
		profile.userId = customer.userId ?? profile.userId;
		profile.name = customer.profileName ?? profile.name;
		profile.username = customer.username ?? profile.username;
	}

	/** The delivery status of an outbound message: the ledger's high-water mark, else Meta's send answer. */
	statusOf(entry: TranscriptEntry): string | null {
		if (entry.dir !== 'out') return null;
		return (entry.id ? this.ledger.current(entry.id) : null) ?? entry.accepted ?? 'accepted';
	}

	/** Applies a status event through the ledger; returns true when it moved the message's status. */
	applyStatus(event: WhatsAppEvent, now: number, maxCorrelations: number): boolean {
		if (!event.messageId || !event.status) return false;
		const entry = this.data.transcript.find((e) => e.id === event.messageId && e.dir === 'out');
		const judgement = this.ledger.apply(event.messageId, event.status);
		const advanced = judgement.verdict === 'advanced';
		const failure = event.status === 'failed' ? event.errors[0] : undefined;
		if (entry && failure && !entry.err) entry.err = { code: failure.code, cls: failure.errorClass };
		const correlationId = event.correlationId ?? entry?.corr ?? null;
		if (correlationId) {
			const current = this.correlations.get(correlationId);
			if (!current || current.messageId === event.messageId) {
				const state: CorrelationState = current ?? {
					messageId: event.messageId,
					state: judgement.current,
					updatedAt: now,
				};
				if (advanced || !current) {
					state.state = judgement.current;
					state.updatedAt = now;
				}
				if (failure && !state.errorClass) state.errorClass = failure.errorClass;
				this.setCorrelation(correlationId, state, maxCorrelations);
			}
		}
		return advanced;
	}

	/** Sets a correlation id's state as the most recently updated; keeps the newest `max`. */
	setCorrelation(correlationId: string, state: CorrelationState, max: number): void {
		this.correlations.resize(max);
		this.correlations.set(correlationId, state);
	}

	/** Counts a bot turn for the unrecognised-answers rule, once per message; returns the count. */
	countTurn(messageId: string | null, recognised: boolean): number {
		const turns = this.data.unrecognised;
		if (messageId !== null && turns.lastMessageId === messageId) return turns.count;
		turns.lastMessageId = messageId;
		turns.count = recognised ? 0 : turns.count + 1;
		return turns.count;
	}

	snapshot(): ConversationSnapshot {
		return { ...this.data, ledger: this.ledger.snapshot() };
	}
}

/** A conversation from its stored snapshot, or undefined when the snapshot is not one. */
export function reviveConversation(raw: unknown, ledgerCapacity: number): Conversation | undefined {
	const s = asRecord(raw) as Partial<ConversationSnapshot>;
	if (
		typeof s.phoneNumberId !== 'string' ||
		typeof s.customerId !== 'string' ||
		!Array.isArray(s.transcript)
	)
		return undefined;
	const ownership = asRecord(s.ownership) as Partial<Ownership>;
	const data: ConversationData = {
		phoneNumberId: s.phoneNumberId,
		customerId: s.customerId,
		profile: { waId: null, userId: null, name: null, username: null, ...asRecord(s.profile) },
		createdAt: asNumber(s.createdAt) ?? 0,
		updatedAt: asNumber(s.updatedAt) ?? 0,
		lastInboundAt: asNumber(s.lastInboundAt),
		transcript: s.transcript,
		correlations: asRecord(s.correlations) as Record<string, CorrelationState>,
		ownership: {
			owner: ownership.owner === 'human' || ownership.owner === 'closed' ? ownership.owner : 'bot',
			since: asNumber(ownership.since) ?? 0,
			lease: (ownership.lease as Lease | null | undefined) ?? null,
			resumedAfter: ownership.resumedAfter ?? null,
		},
		unrecognised: { count: 0, lastMessageId: null, ...asRecord(s.unrecognised) },
		casesOpened: asNumber(s.casesOpened) ?? 0,
	};
	const pending = asRecord(s.pendingBotSend);
	const pendingAt = asNumber(pending.at);
	const pendingUntil = asNumber(pending.until);
	if (pendingAt !== null && pendingUntil !== null)
		data.pendingBotSend = { at: pendingAt, until: pendingUntil };
	const threadOwner = asRecord(s.threadOwner) as Partial<ThreadOwner>;
	if (threadOwner.owner === 'this_app' || threadOwner.owner === 'other')
		data.threadOwner = {
			owner: threadOwner.owner,
			since: asNumber(threadOwner.since) ?? 0,
			appId: typeof threadOwner.appId === 'string' ? threadOwner.appId : null,
			via: typeof threadOwner.via === 'string' ? threadOwner.via : 'unknown',
		};
	return new Conversation(data, ledgerCapacity, s.ledger);
}
