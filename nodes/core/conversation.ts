import { asRecord, asString } from './coerce';
import type { WhatsAppEvent } from './events';
import type { Priority } from './escalationRules';
import { StatusLedger, type LedgerSnapshot } from './statusLedger';

/**
 * The conversation record of one customer on one business number: a bounded transcript in both
 * directions (delivery statuses applied through the status ledger), the customer's profile, the
 * correlation ids (orders, payments) with the latest delivery state of their newest message, and who
 * owns the conversation (the bot, a human with a lease, or nobody because it was closed).
 *
 * Everything here is plain data plus one StatusLedger per conversation, so a snapshot is what the
 * workflow's static data stores and a restore brings it back after a restart. Times are ms since epoch.
 */

export type OwnerKind = 'bot' | 'human' | 'closed';
export type ReleaseReason = 'manual' | 'lease_expired';

export interface Lease {
	caseId: string;
	assignee: string | null;
	reason: string;
	/** The rule type that matched, or null for a manual escalation. */
	rule: string | null;
	detail: string | null;
	priority: Priority;
	since: number;
	/** When the conversation goes back to the bot by itself; null: only Release ends it. */
	expiresAt: number | null;
}

export interface Ownership {
	owner: OwnerKind;
	since: number;
	lease: Lease | null;
	/**
	 * Set when a case ends and kept until the bot handles its first item after that, which carries it
	 * (`handoff.resumedAfter`), so the bot knows it is picking up after a human.
	 */
	resumedAfter: { caseId: string; releasedAt: number; reason: ReleaseReason } | null;
}

export interface Profile {
	waId: string | null;
	userId: string | null;
	name: string | null;
	username: string | null;
}

/** One transcript line. Short optional fields keep the stored size down (see the README's numbers). */
export interface TranscriptEntry {
	dir: 'in' | 'out';
	/** The wamid. */
	id: string | null;
	at: number;
	/** Message type: `text`, `image`, `interactive.button_reply`, `template`, … */
	type: string;
	text?: string;
	/** Interactive reply id or template button payload (inbound). */
	reply?: string;
	/** Correlation id sent as biz_opaque_callback_data (outbound). */
	corr?: string;
	/** Who owned the conversation when we sent it (outbound). */
	by?: 'bot' | 'human';
	/** Meta's answer when it was not plain `accepted` (e.g. held_for_quality_assessment). */
	accepted?: string;
	/** Set when the send was the window-closed fallback template. */
	fallback?: true;
	/** The failure of an outbound message (kept as a note if a later status upgrades it). */
	err?: { code: number | null; cls: string };
	flow?: { token: string | null; fields: Record<string, unknown> };
	media?: { id: string | null; mime: string | null; name?: string; url?: string; link?: string };
	reaction?: { to: string | null; emoji: string | null };
	order?: { total: number | null; currency: string | null; items: number };
}

export interface CorrelationState {
	/** The newest outbound message with this correlation id; only its statuses move the state. */
	messageId: string;
	/** `accepted`, then the ledger's status: sent, delivered, read, played or failed. */
	state: string;
	errorClass?: string;
	updatedAt: number;
}

export interface ConversationData {
	phoneNumberId: string;
	customerId: string;
	profile: Profile;
	createdAt: number;
	updatedAt: number;
	lastInboundAt: number | null;
	transcript: TranscriptEntry[];
	correlations: Record<string, CorrelationState>;
	ownership: Ownership;
	/** Bot turns without a recognised answer in a row; the message last counted, so a re-run counts once. */
	unrecognised: { count: number; lastMessageId: string | null };
	casesOpened: number;
}

export interface ConversationSnapshot extends ConversationData {
	ledger: LedgerSnapshot;
}

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
	maxConversations: 500,
	transcriptLength: 30,
	retentionDays: 30,
	maxTextLength: 500,
	maxCorrelations: 10,
};

const DAY_MS = 86_400_000;
/** Inbound timestamps have whole-second resolution. */
const ORDER_SLACK_MS = 1000;
/** Flow answers are free-form: cap their stored size. */
const MAX_FLOW_JSON = 2000;

function cut(text: string | null | undefined, max: number): string | undefined {
	if (text === null || text === undefined || text === '') return undefined;
	return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

/** Phone numbers in any notation become digits, so "+49 151 1234" and the wa_id "491511234" meet. */
export function normaliseCustomerId(value: unknown): string | null {
	const text = asString(value)?.trim();
	if (!text) return null;
	return /^\+?[\d\s().-]+$/.test(text) ? text.replace(/\D/g, '') : text;
}

export function conversationKey(phoneNumberId: string, customerId: string): string {
	return `${phoneNumberId}:${customerId}`;
}

/** A transcript entry for an inbound message or Flow answer. */
export function inboundEntry(event: WhatsAppEvent, maxText: number, now: number): TranscriptEntry {
	const entry: TranscriptEntry = {
		dir: 'in',
		id: event.messageId,
		at: event.timestamp !== null ? event.timestamp * 1000 : now,
		type: event.subtype,
	};
	const text = cut(event.text, maxText);
	if (text) entry.text = text;
	if (event.reply?.id) entry.reply = event.reply.id;
	if (event.flow) {
		let fields = event.flow.fields;
		if (JSON.stringify(fields).length > MAX_FLOW_JSON)
			fields = { truncated: cut(JSON.stringify(fields), MAX_FLOW_JSON) };
		entry.flow = { token: event.flow.flowToken, fields };
	}
	if (event.media) {
		entry.media = { id: event.media.id, mime: event.media.mimeType };
		if (event.media.filename) entry.media.name = event.media.filename;
		if (event.media.url) entry.media.url = event.media.url;
	}
	if (event.reaction) {
		entry.reaction = { to: event.reaction.messageId, emoji: event.reaction.emoji };
		if (!entry.text && event.reaction.emoji) entry.text = event.reaction.emoji;
	}
	if (event.order)
		entry.order = {
			total: event.order.total,
			currency: event.order.currency,
			items: event.order.items.length,
		};
	return entry;
}

export interface OutboundRecord {
	phoneNumberId: string;
	/** wa_id Meta resolved, else the number we sent to. */
	customerId: string;
	messageId: string;
	/** The JSON body we POSTed to /messages. */
	message: Record<string, unknown>;
	correlationId?: string | null;
	/** Meta's message_status: accepted or held_for_quality_assessment. */
	messageStatus?: string | null;
	fallbackTemplate?: boolean;
	at: number;
}

/** What a human reads from an outbound body: the text, caption, template name and parameters, or body. */
function outboundText(type: string, payload: Record<string, unknown>): string | null {
	switch (type) {
		case 'text':
			return asString(payload.body);
		case 'template': {
			const params = (Array.isArray(payload.components) ? payload.components : [])
				.flatMap((c) =>
					Array.isArray(asRecord(c).parameters) ? (asRecord(c).parameters as unknown[]) : [],
				)
				.map(
					(p) =>
						asString(asRecord(p).text) ??
						asString(asRecord(asRecord(p).currency).fallback_value) ??
						asString(asRecord(asRecord(p).date_time).fallback_value),
				)
				.filter((p): p is string => p !== null);
			return `[template ${asString(payload.name) ?? '?'}${params.length ? `: ${params.join(' | ')}` : ''}]`;
		}
		case 'interactive':
			return asString(asRecord(payload.body).text);
		case 'reaction':
			return asString(payload.emoji);
		case 'location':
			return [asString(payload.name), asString(payload.address)].filter(Boolean).join(', ') || null;
		default:
			return asString(payload.caption);
	}
}

export function outboundEntry(
	record: OutboundRecord,
	owner: OwnerKind,
	maxText: number,
): TranscriptEntry {
	const type = asString(record.message.type) ?? 'unknown';
	const payload = asRecord(record.message[type]);
	const entry: TranscriptEntry = {
		dir: 'out',
		id: record.messageId,
		at: record.at,
		type,
		by: owner === 'human' ? 'human' : 'bot',
	};
	const text = cut(outboundText(type, payload), maxText);
	if (text) entry.text = text;
	if (record.correlationId) entry.corr = record.correlationId;
	if (record.messageStatus && record.messageStatus !== 'accepted')
		entry.accepted = record.messageStatus;
	if (record.fallbackTemplate) entry.fallback = true;
	if (['image', 'video', 'audio', 'document', 'sticker'].includes(type)) {
		const id = asString(payload.id);
		entry.media = { id: id === 'pending-upload' ? null : id, mime: null };
		if (asString(payload.filename)) entry.media.name = asString(payload.filename)!;
		if (asString(payload.link)) entry.media.link = asString(payload.link)!;
	}
	if (type === 'reaction')
		entry.reaction = { to: asString(payload.message_id), emoji: asString(payload.emoji) };
	return entry;
}

export class Conversation {
	readonly ledger: StatusLedger;

	constructor(
		readonly data: ConversationData,
		ledgerCapacity: number,
		ledger?: LedgerSnapshot,
	) {
		this.ledger = new StatusLedger(ledgerCapacity);
		if (ledger) this.ledger.restore(ledger);
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
			const current = this.data.correlations[correlationId];
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

	setCorrelation(correlationId: string, state: CorrelationState, max: number): void {
		const correlations = this.data.correlations;
		delete correlations[correlationId];
		correlations[correlationId] = state;
		const ids = Object.keys(correlations);
		for (const id of ids.slice(0, Math.max(0, ids.length - max))) delete correlations[id];
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

// ---- reading views: what Get, Escalate and Route output ----

export interface TranscriptLine {
	direction: 'inbound' | 'outbound';
	messageId: string | null;
	at: string;
	type: string;
	text: string | null;
	sentBy?: 'bot' | 'human';
	status?: string | null;
	error?: { code: number | null; errorClass: string };
	fallbackTemplate?: boolean;
	correlationId?: string;
	replyId?: string;
	flow?: { flowToken: string | null; fields: Record<string, unknown> };
	media?: {
		id: string | null;
		mimeType: string | null;
		filename?: string;
		url?: string;
		link?: string;
	};
	reaction?: { messageId: string | null; emoji: string | null };
	order?: { total: number | null; currency: string | null; items: number };
}

const iso = (ms: number | null | undefined) =>
	ms === null || ms === undefined ? null : new Date(ms).toISOString();

export function transcriptLine(conversation: Conversation, entry: TranscriptEntry): TranscriptLine {
	const line: TranscriptLine = {
		direction: entry.dir === 'in' ? 'inbound' : 'outbound',
		messageId: entry.id,
		at: iso(entry.at) ?? '',
		type: entry.type,
		text: entry.text ?? null,
	};
	if (entry.dir === 'out') {
		line.sentBy = entry.by ?? 'bot';
		line.status = conversation.statusOf(entry);
	}
	if (entry.err) line.error = { code: entry.err.code, errorClass: entry.err.cls };
	if (entry.fallback) line.fallbackTemplate = true;
	if (entry.corr) line.correlationId = entry.corr;
	if (entry.reply) line.replyId = entry.reply;
	if (entry.flow) line.flow = { flowToken: entry.flow.token, fields: entry.flow.fields };
	if (entry.media) {
		line.media = { id: entry.media.id, mimeType: entry.media.mime };
		if (entry.media.name) line.media.filename = entry.media.name;
		if (entry.media.url) line.media.url = entry.media.url;
		if (entry.media.link) line.media.link = entry.media.link;
	}
	if (entry.reaction) line.reaction = { messageId: entry.reaction.to, emoji: entry.reaction.emoji };
	if (entry.order) line.order = entry.order;
	return line;
}

/** A lease as output for people and other systems: times as ISO strings. */
export type LeaseView = Omit<Lease, 'since' | 'expiresAt'> & {
	since: string | null;
	expiresAt: string | null;
};

export function leaseView(lease: Lease): LeaseView {
	return { ...lease, since: iso(lease.since), expiresAt: iso(lease.expiresAt) };
}

export interface ConversationView {
	conversationKey: string;
	phoneNumberId: string;
	customer: {
		id: string;
		waId: string | null;
		userId: string | null;
		profileName: string | null;
		username: string | null;
	};
	owner: OwnerKind;
	ownerSince: string | null;
	lease: LeaseView | null;
	resumedAfter: { caseId: string; releasedAt: string | null; reason: ReleaseReason } | null;
	correlations: Array<{
		correlationId: string;
		messageId: string;
		state: string;
		errorClass: string | null;
		updatedAt: string | null;
	}>;
	unrecognisedTurns: number;
	casesOpened: number;
	createdAt: string | null;
	updatedAt: string | null;
	lastInboundAt: string | null;
	transcript: TranscriptLine[];
}

export function conversationView(
	conversation: Conversation,
	transcriptLimit?: number,
): ConversationView {
	const d = conversation.data;
	// undefined: every line kept; 0: none; N: the newest N.
	const entries =
		transcriptLimit === undefined
			? d.transcript
			: transcriptLimit <= 0
				? []
				: d.transcript.slice(-transcriptLimit);
	const resumed = d.ownership.resumedAfter;
	return {
		conversationKey: conversation.key,
		phoneNumberId: d.phoneNumberId,
		customer: {
			id: d.customerId,
			waId: d.profile.waId,
			userId: d.profile.userId,
			profileName: d.profile.name,
			username: d.profile.username,
		},
		owner: d.ownership.owner,
		ownerSince: iso(d.ownership.since),
		lease: d.ownership.lease ? leaseView(d.ownership.lease) : null,
		resumedAfter: resumed
			? { caseId: resumed.caseId, releasedAt: iso(resumed.releasedAt), reason: resumed.reason }
			: null,
		correlations: Object.entries(d.correlations).map(([correlationId, c]) => ({
			correlationId,
			messageId: c.messageId,
			state: c.state,
			errorClass: c.errorClass ?? null,
			updatedAt: iso(c.updatedAt),
		})),
		unrecognisedTurns: d.unrecognised.count,
		casesOpened: d.casesOpened,
		createdAt: iso(d.createdAt),
		updatedAt: iso(d.updatedAt),
		lastInboundAt: iso(d.lastInboundAt),
		transcript: entries.map((entry) => transcriptLine(conversation, entry)),
	};
}

// ---- the book: all conversations of a workflow ----

export interface BookSnapshot {
	v: 1;
	config: BookConfig;
	conversations: Record<string, ConversationSnapshot>;
}

export type RecordResult = 'recorded' | 'duplicate' | 'ignored';

/**
 * All conversations of one workflow, bounded in count and age. Every method runs to completion
 * synchronously, so concurrent executions in one n8n process see each other's changes exactly.
 */
export class ConversationBook {
	// Insertion order is activity order: the least recently active conversation comes first.
	private readonly conversations = new Map<string, Conversation>();
	private config: BookConfig;

	constructor(config: Partial<BookConfig> = {}) {
		this.config = { ...DEFAULT_BOOK_CONFIG, ...config };
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
		this.evictOverCapacity();
	}

	private ledgerCapacity(): number {
		return this.config.transcriptLength + this.config.maxCorrelations;
	}

	get(phoneNumberId: string, customerId: string): Conversation | undefined {
		return this.conversations.get(conversationKey(phoneNumberId, customerId));
	}

	/** Conversations of a customer on any number (to find one when an item has no phone number id). */
	findByCustomer(customerId: string): Conversation[] {
		return [...this.conversations.values()].filter((c) => c.data.customerId === customerId);
	}

	/** The conversation, created if missing, marked as the most recently active. */
	open(phoneNumberId: string, customerId: string, now: number): Conversation {
		const key = conversationKey(phoneNumberId, customerId);
		let conversation = this.conversations.get(key);
		if (conversation) this.conversations.delete(key);
		else conversation = Conversation.create(phoneNumberId, customerId, now, this.ledgerCapacity());
		conversation.data.updatedAt = Math.max(conversation.data.updatedAt, now);
		this.conversations.set(key, conversation);
		this.evictOverCapacity(key);
		return conversation;
	}

	/** Records a trigger event: messages and Flow answers as inbound entries, statuses onto outbound ones. */
	recordEvent(event: WhatsAppEvent, now: number): RecordResult {
		const customerId = normaliseCustomerId(event.customer?.id);
		if (!event.phoneNumberId || !customerId) return 'ignored';
		if (event.kind === 'message' || event.kind === 'flow_response') {
			const existing = this.get(event.phoneNumberId, customerId);
			if (existing?.has(event.messageId)) return 'duplicate';
			const conversation = this.open(event.phoneNumberId, customerId, now);
			conversation.updateProfile(event.customer);
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
			const existing = this.get(event.phoneNumberId, customerId);
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

	/** Records an accepted send; the owner at this moment tells whether the bot or a human sent it. */
	recordOutbound(record: OutboundRecord, now: number): RecordResult {
		const customerId = normaliseCustomerId(record.customerId);
		if (!record.phoneNumberId || !customerId) return 'ignored';
		const conversation = this.open(record.phoneNumberId, customerId, now);
		const entry = outboundEntry(
			record,
			conversation.data.ownership.owner,
			this.config.maxTextLength,
		);
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
		const restored = new Map<string, Conversation>();
		const entries = Object.entries(asRecord(snapshot.conversations)).sort(
			(a, b) => (asRecord(a[1]).updatedAt as number) - (asRecord(b[1]).updatedAt as number),
		);
		for (const [key, raw] of entries) {
			if (this.conversations.has(key)) continue;
			const conversation = reviveConversation(raw, this.ledgerCapacity());
			if (conversation) restored.set(key, conversation);
		}
		for (const [key, conversation] of this.conversations) restored.set(key, conversation);
		this.conversations.clear();
		for (const [key, conversation] of restored) this.conversations.set(key, conversation);
		this.evictOverCapacity();
	}

	/** Evicts the least recently active conversations, bot-owned or closed before human-owned ones. */
	private evictOverCapacity(keep?: string): void {
		let excess = this.conversations.size - this.config.maxConversations;
		if (excess <= 0) return;
		for (const pass of ['notHuman', 'any'] as const) {
			for (const [key, conversation] of this.conversations) {
				if (excess <= 0) return;
				if (key === keep) continue;
				if (pass === 'notHuman' && conversation.data.ownership.owner === 'human') continue;
				this.conversations.delete(key);
				excess--;
			}
		}
	}
}

function reviveConversation(raw: unknown, ledgerCapacity: number): Conversation | undefined {
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
		createdAt: Number(s.createdAt) || 0,
		updatedAt: Number(s.updatedAt) || 0,
		lastInboundAt: typeof s.lastInboundAt === 'number' ? s.lastInboundAt : null,
		transcript: s.transcript,
		correlations: asRecord(s.correlations) as Record<string, CorrelationState>,
		ownership: {
			owner: ownership.owner === 'human' || ownership.owner === 'closed' ? ownership.owner : 'bot',
			since: Number(ownership.since) || 0,
			lease: (ownership.lease as Lease | null | undefined) ?? null,
			resumedAfter: ownership.resumedAfter ?? null,
		},
		unrecognised: { count: 0, lastMessageId: null, ...asRecord(s.unrecognised) },
		casesOpened: Number(s.casesOpened) || 0,
	};
	return new Conversation(data, ledgerCapacity, s.ledger);
}
