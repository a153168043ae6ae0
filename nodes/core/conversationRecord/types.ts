import type { Priority } from '../escalationRules';
import type { LedgerSnapshot } from '../statusLedger';

/**
 * The conversation record of one customer on one business number: a bounded transcript in both
 * directions (delivery statuses applied through the status ledger), the customer's profile, the
 * correlation ids (orders, payments) with the latest delivery state of their newest message, and who
 * owns the conversation (the bot, a human with a lease, or nobody because it was closed).
 *
 * Everything here is plain data, so a snapshot is what the workflow's static data stores and a
 * restore brings it back after a restart. Times are ms since epoch.
 */

export type OwnerKind = 'bot' | 'human' | 'closed';
/** Who sent an outbound message, as the sender declared it: the bot, a human agent, or an automation (e.g. an order template). */
export type SenderRole = 'bot' | 'human' | 'automation';
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

/**
 * Who Meta says owns the thread when the number uses conversation routing (more than one app answers
 * on it): this app, or another one (e.g. Meta's business agent). Unknown until a handover or a standby
 * copy tells; a conversation with no record is treated as this app's.
 */
export interface ThreadOwner {
	owner: 'this_app' | 'other';
	/** When Meta's event said so (ms). */
	since: number;
	/** The app that owns it, when Meta named it. */
	appId: string | null;
	/** What told: the handover's name (e.g. `control_taken`), `standby`, or a thread control call. */
	via: string;
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
	/**
	 * Who sent it (outbound): the role the send node declared, or (for sends recorded without one) who
	 * owned the conversation when it was recorded. Absent in old records: the bot.
	 */
	by?: SenderRole;
	/** Sent by a person from the WhatsApp Business app (an echo, or a history message of the business). */
	app?: true;
	/** Recorded from the chat history Meta synced, not as it happened. */
	history?: true;
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
	/** Correlation id → state, least recently updated first (see Conversation.correlations). */
	readonly correlations: Readonly<Record<string, CorrelationState>>;
	ownership: Ownership;
	/** Bot turns without a recognised answer in a row; the message last counted, so a re-run counts once. */
	unrecognised: { count: number; lastMessageId: string | null };
	casesOpened: number;
	/**
	 * A bot message cleared to leave (the send node checked that the bot owns the conversation) and not
	 * yet recorded as sent: an escalation landing meanwhile tells the agent one may still arrive.
	 * Cleared when the bot's send is recorded; otherwise it lapses at `until`.
	 */
	pendingBotSend?: { at: number; until: number } | null;
	/** Meta's owner of the thread under conversation routing; absent until Meta tells. */
	threadOwner?: ThreadOwner;
}

export interface ConversationSnapshot extends ConversationData {
	ledger: LedgerSnapshot;
}
