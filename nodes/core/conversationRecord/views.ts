import type { Conversation } from './conversation';
import type { Lease, OwnerKind, ReleaseReason, SenderRole, TranscriptEntry } from './types';

/** Reading views of a conversation, as Get, Escalate and Route output them: times as ISO strings. */

export interface TranscriptLine {
	direction: 'inbound' | 'outbound';
	messageId: string | null;
	at: string;
	type: string;
	text: string | null;
	sentBy?: SenderRole;
	/** Sent from the WhatsApp Business app by a person at the business. */
	sentFromApp?: true;
	/** Recorded from the chat history Meta synced. */
	fromHistory?: true;
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
	if (entry.app) line.sentFromApp = true;
	if (entry.history) line.fromHistory = true;
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
	/** Meta's owner of the thread under conversation routing; null until Meta tells. */
	threadOwner: {
		owner: 'this_app' | 'other';
		since: string | null;
		appId: string | null;
		via: string;
	} | null;
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
		threadOwner: d.threadOwner ? { ...d.threadOwner, since: iso(d.threadOwner.since) } : null,
		correlations: [...conversation.correlations].map(([correlationId, c]) => ({
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
