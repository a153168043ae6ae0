import type { IExecuteFunctions } from 'n8n-workflow';

import { NodeOperationError } from 'n8n-workflow';

import type { SenderRole } from '../../core/conversationRecord';
import { normalizeRecipient, recipientId, type SendCommon } from '../../core/messages';
import { itemParameters, type ItemParameters } from './itemParameters';
import type { PreparedMessage } from './messageSender';

/** What an operation reads for its message; the fields every send has are read here. */
export type MessageDraft = Omit<
	PreparedMessage,
	'itemIndex' | 'to' | 'correlationId' | 'idempotencyKey' | 'sentBy'
>;

interface CommonFields extends SendCommon {
	idempotencyKey?: string;
	sentBy?: unknown;
}

const SENDER_ROLES: readonly SenderRole[] = ['bot', 'human', 'automation'];

/** The fields every send has: the recipient, reply-to, correlation id and idempotency key. */
function readCommon(item: ItemParameters): CommonFields {
	const fields = item.param('additionalFields', {}) as Record<string, unknown>;
	const text = (value: unknown) =>
		typeof value === 'string' && value !== ''
			? value
			: typeof value === 'number'
				? String(value)
				: undefined;
	return {
		to: String(item.param('to', '')),
		replyToMessageId: text(fields.replyToMessageId),
		// Top-level from version 1.1; Additional Fields in version 1 workflows.
		correlationId: text(item.param('correlationId', '')) ?? text(fields.correlationId),
		idempotencyKey:
			(text(item.param('idempotencyKey', '')) ?? text(fields.idempotencyKey))?.trim() || undefined,
		sentBy: fields.sentBy,
	};
}

/** Reads one item into a message ready to send; throws MessageValidationError naming the field and limit. */
export async function prepareSend(
	ctx: IExecuteFunctions,
	itemIndex: number,
	readMessage: (item: ItemParameters, common: SendCommon) => Promise<MessageDraft> | MessageDraft,
	defaults: { sentBy: SenderRole } = { sentBy: 'bot' },
): Promise<PreparedMessage> {
	const item = itemParameters(ctx, itemIndex);
	const common = readCommon(item);
	const sentBy =
		common.sentBy === undefined || common.sentBy === '' ? defaults.sentBy : common.sentBy;
	if (!SENDER_ROLES.includes(sentBy as SenderRole))
		throw new NodeOperationError(
			ctx.getNode(),
			`Sent By: "${String(sentBy)}" is not one of bot, human, automation`,
			{ itemIndex },
		);
	const to = recipientId(normalizeRecipient('To', common.to));
	const draft = await readMessage(item, common);
	return {
		itemIndex,
		to,
		correlationId: common.correlationId,
		idempotencyKey: common.idempotencyKey,
		sentBy: sentBy as SenderRole,
		...draft,
	};
}
