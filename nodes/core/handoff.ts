import { randomBytes } from 'node:crypto';

import {
	conversationView,
	transcriptLine,
	type Conversation,
	type ConversationView,
	type Lease,
	type LeaseView,
	type Ownership,
	type ReleaseReason,
	type TranscriptLine,
	leaseView,
} from './conversation';
import type { Priority } from './escalationRules';

/**
 * Who answers a conversation. The bot owns it until an escalation hands it to a human under a lease:
 * one open case per conversation, so a second escalation (a second rule firing, a second execution
 * racing the first) returns the case that is already open instead of opening another. The human keeps
 * it until Release, or until the lease expires; the expiry is applied whenever the conversation is
 * next looked at, before anything is decided, so the item that finds the lease expired already goes to
 * the bot. Every function here is synchronous: within one n8n process a check-and-set cannot interleave.
 */

export interface EscalationRequest {
	reason: string;
	rule: string | null;
	detail: string | null;
	priority: Priority;
	assignee: string | null;
	/** Lease length; null or 0: no expiry, only Release ends it. */
	leaseMs: number | null;
}

export interface EscalationResult {
	lease: Lease;
	/** False when the conversation already had an open case: that case is returned unchanged. */
	created: boolean;
}

export interface ReleaseResult {
	released: boolean;
	/** The case that ended, or null when no human owned the conversation. */
	caseId: string | null;
	previousOwner: Ownership['owner'];
}

/** `WA-20250101-5f2c9a1e`: the day it opened and 32 random bits, readable on the phone. */
export function newCaseId(now: number): string {
	return `WA-${new Date(now).toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
}

function endCase(
	conversation: Conversation,
	to: 'bot' | 'closed',
	reason: ReleaseReason,
	now: number,
): ReleaseResult {
	const ownership = conversation.data.ownership;
	const previousOwner = ownership.owner;
	const caseId = ownership.lease?.caseId ?? null;
	conversation.data.ownership = {
		owner: to,
		since: now,
		lease: null,
		resumedAfter: caseId !== null ? { caseId, releasedAt: now, reason } : ownership.resumedAfter,
	};
	conversation.data.unrecognised = {
		count: 0,
		lastMessageId: conversation.data.unrecognised.lastMessageId,
	};
	return { released: previousOwner === 'human', caseId, previousOwner };
}

/** Returns the conversation to the bot if its lease has run out; true when it did. */
export function expireLease(conversation: Conversation, now: number): boolean {
	const { owner, lease } = conversation.data.ownership;
	if (
		owner !== 'human' ||
		lease?.expiresAt === null ||
		lease?.expiresAt === undefined ||
		lease.expiresAt > now
	)
		return false;
	endCase(conversation, 'bot', 'lease_expired', now);
	return true;
}

/** True while a human holds the conversation (after applying an expired lease). */
export function isWithHuman(conversation: Conversation, now: number): boolean {
	expireLease(conversation, now);
	return conversation.data.ownership.owner === 'human';
}

/** Hands the conversation to a human, or returns the case already open. */
export function escalate(
	conversation: Conversation,
	request: EscalationRequest,
	now: number,
	caseId: () => string = () => newCaseId(now),
): EscalationResult {
	if (isWithHuman(conversation, now) && conversation.data.ownership.lease) {
		return { lease: conversation.data.ownership.lease, created: false };
	}
	const lease: Lease = {
		caseId: caseId(),
		assignee: request.assignee,
		reason: request.reason,
		rule: request.rule,
		detail: request.detail,
		priority: request.priority,
		since: now,
		expiresAt: request.leaseMs ? now + request.leaseMs : null,
	};
	conversation.data.ownership = { owner: 'human', since: now, lease, resumedAfter: null };
	conversation.data.unrecognised = {
		count: 0,
		lastMessageId: conversation.data.unrecognised.lastMessageId,
	};
	conversation.data.casesOpened += 1;
	return { lease, created: true };
}

/** Ends the human's lease: back to the bot, or closed until the customer writes again. Idempotent. */
export function release(
	conversation: Conversation,
	to: 'bot' | 'closed',
	now: number,
): ReleaseResult {
	expireLease(conversation, now);
	const owner = conversation.data.ownership.owner;
	if (owner !== 'human') {
		if (owner !== to)
			conversation.data.ownership = { ...conversation.data.ownership, owner: to, since: now };
		return { released: false, caseId: null, previousOwner: owner };
	}
	return endCase(conversation, to, 'manual', now);
}

/** The case the bot picks up after, once: the first bot item after a release carries it. */
export function takeResumedAfter(conversation: Conversation): Ownership['resumedAfter'] {
	const resumed = conversation.data.ownership.resumedAfter;
	if (resumed) conversation.data.ownership.resumedAfter = null;
	return resumed;
}

// ---- the case package: what an agent, a helpdesk or a Slack message needs, in one item ----

export interface CasePackage {
	caseId: string;
	/** False when the conversation already had this case open (a repeated or racing escalation). */
	created: boolean;
	reason: string;
	rule: string | null;
	detail: string | null;
	priority: Priority;
	assignee: string | null;
	openedAt: string | null;
	leaseExpiresAt: string | null;
	conversationKey: string;
	phoneNumberId: string;
	customer: ConversationView['customer'];
	/** Both directions, oldest first, outbound lines with their delivery status. */
	transcript: TranscriptLine[];
	/** Correlation ids (orders, payments) with the latest delivery state of their newest message. */
	orders: ConversationView['correlations'];
	/** Order messages the customer sent from the catalogue. */
	orderMessages: Array<{
		messageId: string | null;
		at: string;
		total: number | null;
		currency: string | null;
		items: number;
	}>;
	flowAnswers: Array<{
		messageId: string | null;
		at: string;
		flowToken: string | null;
		fields: Record<string, unknown>;
	}>;
	media: Array<{
		direction: TranscriptLine['direction'];
		messageId: string | null;
		at: string;
		id: string | null;
		mimeType: string | null;
		filename?: string;
		link: string | null;
	}>;
	summary: {
		inbound: number;
		outbound: number;
		firstAt: string | null;
		lastAt: string | null;
		lastCustomerMessage: string | null;
	};
	lease: LeaseView;
	/** The item that escalated (event or business payload), without Meta's raw copy. */
	trigger: Record<string, unknown>;
}

export interface CasePackageOptions {
	/** Newest transcript lines to include; 0 or undefined: all kept. */
	transcriptLimit?: number;
	/** A link per media id: `{id}` (or `{ID}`) is replaced. Empty: the id only (and Meta's URL when the webhook had one). */
	mediaLinkTemplate?: string;
}

export function buildCasePackage(
	conversation: Conversation,
	result: EscalationResult,
	trigger: Record<string, unknown>,
	options: CasePackageOptions = {},
): CasePackage {
	const view = conversationView(conversation, options.transcriptLimit || undefined);
	const all = conversation.data.transcript.map((entry) => transcriptLine(conversation, entry));
	const linkFor = (line: TranscriptLine): string | null => {
		if (line.media?.link) return line.media.link;
		if (line.media?.id && options.mediaLinkTemplate)
			return options.mediaLinkTemplate.replace(/\{id\}/gi, encodeURIComponent(line.media.id));
		return line.media?.url ?? null;
	};
	const inbound = all.filter((l) => l.direction === 'inbound');
	const lastText = [...inbound].reverse().find((l) => l.text)?.text ?? null;
	const rest = { ...trigger };
	delete rest.raw;
	return {
		caseId: result.lease.caseId,
		created: result.created,
		reason: result.lease.reason,
		rule: result.lease.rule,
		detail: result.lease.detail,
		priority: result.lease.priority,
		assignee: result.lease.assignee,
		openedAt: leaseView(result.lease).since,
		leaseExpiresAt: leaseView(result.lease).expiresAt,
		conversationKey: view.conversationKey,
		phoneNumberId: view.phoneNumberId,
		customer: view.customer,
		transcript: view.transcript,
		orders: view.correlations,
		orderMessages: all
			.filter((l) => l.order)
			.map((l) => ({ messageId: l.messageId, at: l.at, ...l.order! })),
		flowAnswers: all
			.filter((l) => l.flow)
			.map((l) => ({
				messageId: l.messageId,
				at: l.at,
				flowToken: l.flow!.flowToken,
				fields: l.flow!.fields,
			})),
		media: all
			.filter((l) => l.media)
			.map((l) => ({
				direction: l.direction,
				messageId: l.messageId,
				at: l.at,
				id: l.media!.id,
				mimeType: l.media!.mimeType,
				...(l.media!.filename ? { filename: l.media!.filename } : {}),
				link: linkFor(l),
			})),
		summary: {
			inbound: inbound.length,
			outbound: all.length - inbound.length,
			firstAt: all[0]?.at ?? null,
			lastAt: all[all.length - 1]?.at ?? null,
			lastCustomerMessage: lastText,
		},
		lease: leaseView(result.lease),
		trigger: rest,
	};
}

/** Inbound lines after the last outbound one: what nobody answered yet when a case ends. */
export function unansweredInbound(conversation: Conversation): TranscriptLine[] {
	const transcript = conversation.data.transcript;
	let start = transcript.length;
	while (start > 0 && transcript[start - 1].dir === 'in') start--;
	return transcript.slice(start).map((entry) => transcriptLine(conversation, entry));
}
