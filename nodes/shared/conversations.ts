import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { Lease, SenderRole } from '../core/conversationRecord';
import { normaliseCustomerId } from '../core/customerId';
import type { RecordOptions } from '../core/conversationRecord/book';
import type { WhatsAppEvent } from '../core/events';
import { checkBotSend, type BotSendCheck } from '../core/lease';
import { openConversationStore } from './stateStores';

/**
 * The conversations of a workflow, shared by every node in it: the trigger records inbound events
 * and statuses, the send node records accepted sends, the escalation node routes, escalates, releases
 * and reads. Where they live is the node's State Store (stateStores.ts). Only `execute()` may open
 * them, never a `webhook()`.
 */

type Context = IExecuteFunctions;

/** The boolean option "Record Conversations" (default on) in the given collection parameter. */
function recordingOn(ctx: Context, collection: string, itemIndex: number): boolean {
	try {
		const values = ctx.getNodeParameter(collection, itemIndex, {}) as IDataObject | undefined;
		return values?.recordConversations !== false;
	} catch {
		return true;
	}
}

function warn(ctx: Context, what: string, error: unknown): void {
	ctx.logger?.warn(
		`WhatsApp conversations: could not record ${what}: ${(error as Error)?.message ?? String(error)}`,
		{
			workflowId: ctx.getWorkflow().id,
			node: ctx.getNode().name,
		},
	);
}

/**
 * Called by the trigger's `execute()` with the settled events, when its option "Record Conversations"
 * (in Options) is on. Never throws: a recording problem is logged and the events go on unchanged.
 */
export async function recordInbound(
	ctx: Context,
	events: Iterable<WhatsAppEvent & { duplicate?: boolean }>,
	options: RecordOptions = {},
): Promise<number> {
	if (!recordingOn(ctx, 'options', 0)) return 0;
	try {
		const fresh = [...events].filter((event) => !event.duplicate);
		if (fresh.length === 0) return 0;
		const now = Date.now();
		const store = await openConversationStore(ctx, {}, now);
		const customerIds = fresh.flatMap((event) =>
			[event.customer?.id, event.customer?.userId, event.customer?.waId].filter(
				(id): id is string => typeof id === 'string',
			),
		);
		return await store.update(
			{ phoneNumberId: null, customerIds },
			(book) =>
				fresh.filter((event) => book.recordEvent(event, now, options) === 'recorded').length,
			now,
		);
	} catch (error) {
		warn(ctx, 'inbound events', error);
		return 0;
	}
}

export interface AcceptedSend {
	phoneNumberId: string;
	/** The normalised number or business-scoped user id we sent to. */
	to: string;
	/** The wa_id (or user_id) Meta resolved, when it said: the trigger keys the customer the same way. */
	waId?: string | null;
	messageId: string;
	/** The JSON body that was accepted (the fallback template when that was sent instead). */
	message: object;
	correlationId?: string;
	messageStatus?: string;
	fallbackTemplate?: boolean;
	/** The role the send node declared (its option Sent By). */
	sentBy?: SenderRole;
}

/**
 * Called by the send node for each accepted send, when its additional field "Record Conversations"
 * is on (the default). Never throws.
 */
export async function recordOutbound(
	ctx: Context,
	itemIndex: number,
	send: AcceptedSend,
): Promise<boolean> {
	if (!recordingOn(ctx, 'additionalFields', itemIndex)) return false;
	try {
		const now = Date.now();
		const store = await openConversationStore(ctx, {}, now);
		const scope = {
			phoneNumberId: send.phoneNumberId,
			customerIds: [send.waId, send.to].filter((id): id is string => !!id),
		};
		const result = await store.update(
			scope,
			(book) =>
				book.recordOutbound(
					{
						phoneNumberId: send.phoneNumberId,
						customerId: send.waId || send.to,
						messageId: send.messageId,
						message: send.message as Record<string, unknown>,
						correlationId: send.correlationId,
						messageStatus: send.messageStatus,
						fallbackTemplate: send.fallbackTemplate,
						sentBy: send.sentBy,
						at: now,
					},
					now,
				),
			now,
		);
		return result === 'recorded';
	} catch (error) {
		warn(ctx, 'a sent message', error);
		return false;
	}
}

export type OwnershipCheck =
	| { allowed: true }
	| {
			allowed: false;
			conversationKey: string;
			owner: Exclude<BotSendCheck, { allowed: true }>['owner'];
			lease: Lease | null;
	  };

/**
 * Called by the send node right before a bot message leaves, when its option "Only If Bot Owns
 * Conversation" is on: checks the owner of the recipient's conversation on this number and, when the
 * bot owns it, marks the send pending, in one change of the store (core/lease.ts checkBotSend). A
 * customer without a conversation yet is the bot's. Unlike the recording, this throws: without an
 * answer from the store the send does not go.
 */
export async function checkBotOwnership(
	ctx: Context,
	recipient: { phoneNumberId: string; to: string },
	holdMs: number,
): Promise<OwnershipCheck> {
	const now = Date.now();
	const customerId = normaliseCustomerId(recipient.to);
	if (!customerId) return { allowed: true };
	const store = await openConversationStore(ctx, {}, now);
	return await store.update(
		{ phoneNumberId: recipient.phoneNumberId, customerIds: [customerId] },
		(book): OwnershipCheck => {
			const conversation = book.open(recipient.phoneNumberId, customerId, now);
			const check = checkBotSend(conversation, now, now + holdMs);
			return check.allowed ? check : { ...check, conversationKey: conversation.key };
		},
		now,
	);
}
