import { randomBytes } from 'node:crypto';

import type {
	Conversation,
	Lease,
	OwnerKind,
	Ownership,
	ReleaseReason,
} from './conversationRecord';
import type { ThreadOwner } from './conversationRecord/types';
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

/** A new owner starts counting unrecognised bot turns from zero (the last message stays counted). */
function resetUnrecognisedTurns(conversation: Conversation): void {
	conversation.data.unrecognised = {
		count: 0,
		lastMessageId: conversation.data.unrecognised.lastMessageId,
	};
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
	resetUnrecognisedTurns(conversation);
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
	resetUnrecognisedTurns(conversation);
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

export type BotSendCheck =
	| { allowed: true }
	| { allowed: false; owner: Exclude<OwnerKind, 'bot'>; lease: Lease | null };

/**
 * The check a bot message passes right before it leaves: allowed only while the bot owns the
 * conversation (an expired lease is applied first). An allowed send is marked pending until `until`
 * (or until it is recorded as sent), so an escalation that lands while it is on its way can say so.
 * Together with the caller's store, check and mark are one step: an escalation lands before it (the
 * send is blocked) or after it (the case knows a bot message may still arrive), never in between.
 */
export function checkBotSend(conversation: Conversation, now: number, until: number): BotSendCheck {
	expireLease(conversation, now);
	const { owner, lease } = conversation.data.ownership;
	if (owner !== 'bot') return { allowed: false, owner, lease };
	conversation.data.pendingBotSend = { at: now, until: Math.max(now, until) };
	return { allowed: true };
}

/** The bot message cleared to leave and not yet recorded as sent, if any at `now`. */
export function pendingBotSend(
	conversation: Conversation,
	now: number,
): { at: number; until: number } | null {
	const pending = conversation.data.pendingBotSend;
	return pending && pending.until > now ? pending : null;
}

/** The reason of a lease an echo of the WhatsApp Business app opened. */
export const OWNER_REPLIED_FROM_APP = 'owner_replied_from_app';

/**
 * A person at the business replied from the WhatsApp Business app (an echo, coexistence): that person
 * holds the conversation for `leaseMs` from the reply (null or 0: until Release). An open case stays
 * open, its lease extended to cover the reply; otherwise a case opens with the reason
 * `owner_replied_from_app`. A reply older than the lease (a redelivery after an outage) changes
 * nothing and returns null.
 */
export function holdForOwnerReply(
	conversation: Conversation,
	leaseMs: number | null,
	repliedAt: number,
	now: number,
	caseId?: () => string,
): EscalationResult | null {
	const at = Math.min(repliedAt, now);
	const expiresAt = leaseMs ? at + leaseMs : null;
	if (expiresAt !== null && expiresAt <= now) return null;
	const current = conversation.data.ownership.lease;
	if (isWithHuman(conversation, now) && current) {
		if (current.expiresAt !== null && (expiresAt === null || expiresAt > current.expiresAt))
			current.expiresAt = expiresAt;
		return { lease: current, created: false };
	}
	const result = escalate(
		conversation,
		{
			reason: OWNER_REPLIED_FROM_APP,
			rule: null,
			detail: 'A person replied from the WhatsApp Business app',
			priority: 'normal',
			assignee: null,
			leaseMs,
		},
		now,
		caseId,
	);
	result.lease.since = at;
	result.lease.expiresAt = expiresAt;
	return result;
}

/**
 * Records who Meta says owns the thread. An older report than the one recorded (webhooks arrive out of
 * order) changes nothing; returns true when the record changed.
 */
export function recordThreadOwner(
	conversation: Conversation,
	owner: ThreadOwner['owner'],
	since: number,
	appId: string | null,
	via: string,
): boolean {
	const current = conversation.data.threadOwner;
	if (current && current.since > since) return false;
	if (current && current.owner === owner && current.appId === (appId ?? current.appId))
		return false;
	conversation.data.threadOwner = { owner, since, appId, via };
	return true;
}

/** The routing reason of an item whose thread another app owns (Meta's conversation routing). */
export const THREAD_OWNED_BY_OTHER_APP = 'thread_owned_by_other_app';

/** The thread owner when another app owns the thread under conversation routing, else null. */
export function threadOwnedElsewhere(conversation: Conversation): ThreadOwner | null {
	const owner = conversation.data.threadOwner;
	return owner?.owner === 'other' ? owner : null;
}
