import {
	conversationView,
	leaseView,
	transcriptLine,
	type Conversation,
	type ConversationView,
	type LeaseView,
	type TranscriptLine,
} from './conversationRecord';
import type { Priority } from './escalationRules';
import { pendingBotSend, type EscalationResult } from './lease';

/** The case package: what an agent, a helpdesk or a Slack message needs about a handoff, in one item. */

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
	/**
	 * A bot message that was cleared to leave (Only If Bot Owns Conversation) before the case opened and
	 * not yet recorded as sent: it may still reach the customer. Null when none was on its way.
	 */
	botMessageInFlight: { clearedAt: string; until: string } | null;
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
	const inFlight = pendingBotSend(conversation, result.lease.since);
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
		botMessageInFlight: inFlight
			? {
					clearedAt: new Date(inFlight.at).toISOString(),
					until: new Date(inFlight.until).toISOString(),
				}
			: null,
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
