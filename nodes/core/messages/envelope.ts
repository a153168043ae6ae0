import { LIMITS } from './limits';
import { maxBytes, normalizeRecipient, optionalText } from './validation';

/** What every send carries besides the message itself. */
export interface SendCommon {
	/**
	 * Recipient: a phone number (`+`, spaces and dashes are dropped), sent as `to`, or a business-scoped
	 * user id (e.g. "US.13491208655302741918"), sent as `recipient`.
	 */
	to: string;
	/** wamid of the message this one replies to (shown quoted). */
	replyToMessageId?: string;
	/** Sent as `biz_opaque_callback_data`; echoed back on every status webhook of this message. */
	correlationId?: string;
}

export type MessageType =
	| 'text'
	| 'image'
	| 'video'
	| 'audio'
	| 'document'
	| 'sticker'
	| 'location'
	| 'contacts'
	| 'reaction'
	| 'interactive'
	| 'template';

/** The JSON body of POST /{phone-number-id}/messages. */
export interface OutgoingMessage {
	messaging_product: 'whatsapp';
	recipient_type: 'individual';
	/** The phone number; Meta reads it before `recipient` when both are given. */
	to?: string;
	/** The business-scoped user id of a customer known only by one. */
	recipient?: string;
	type: MessageType;
	context?: { message_id: string };
	biz_opaque_callback_data?: string;
	[payload: string]: unknown;
}

/** Wraps a message body in the envelope Meta expects (docs/whatsapp-facts.md §3). */
export function envelope<T extends MessageType>(
	common: SendCommon,
	type: T,
	body: unknown,
): OutgoingMessage {
	const recipient = normalizeRecipient('To', common.to);
	const replyTo = optionalText('Reply To Message ID', common.replyToMessageId?.trim());
	const correlationId = optionalText('Correlation ID', common.correlationId);
	if (correlationId !== undefined)
		maxBytes('Correlation ID', correlationId, LIMITS.correlationIdBytes);
	const message: OutgoingMessage = {
		messaging_product: 'whatsapp',
		recipient_type: 'individual',
		...(recipient.to !== undefined ? { to: recipient.to } : { recipient: recipient.recipient }),
		type,
	};
	if (replyTo) message.context = { message_id: replyTo };
	message[type] = body;
	if (correlationId !== undefined) message.biz_opaque_callback_data = correlationId;
	return message;
}
