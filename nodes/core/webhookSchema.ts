import { z } from 'zod';

/**
 * The shapes Meta posts to a WhatsApp webhook, as far as we rely on them. Every object is
 * `passthrough`: new fields are kept, and only what we read is checked. Anything that fails these
 * schemas still reaches the workflow as an `unknown` event.
 */

const str = z.string();
const optStr = z.string().optional();

export const webhookEnvelopeSchema = z.object({
	object: z.literal('whatsapp_business_account'),
	entry: z.array(z.unknown()),
});

export const entrySchema = z
	.object({
		id: optStr,
		time: z.number().optional(),
		changes: z.array(z.unknown()),
	})
	.passthrough();

export const changeSchema = z
	.object({
		field: str,
		value: z.record(z.unknown()),
	})
	.passthrough();

export const metadataSchema = z
	.object({ display_phone_number: optStr, phone_number_id: optStr })
	.passthrough();

export const contactSchema = z
	.object({
		wa_id: optStr,
		user_id: optStr,
		profile: z.object({ name: optStr, username: optStr }).passthrough().optional(),
	})
	.passthrough();

export const graphErrorItemSchema = z
	.object({
		code: z.number().optional(),
		title: optStr,
		message: optStr,
		href: optStr,
		error_data: z.object({ details: optStr }).passthrough().optional(),
	})
	.passthrough();

export const inboundMessageSchema = z
	.object({
		id: str,
		type: str,
		from: optStr,
		from_user_id: optStr,
		timestamp: z.union([str, z.number()]).optional(),
		context: z
			.object({
				id: optStr,
				from: optStr,
				forwarded: z.boolean().optional(),
				frequently_forwarded: z.boolean().optional(),
				referred_product: z
					.object({ catalog_id: optStr, product_retailer_id: optStr })
					.passthrough()
					.optional(),
			})
			.passthrough()
			.optional(),
		errors: z.array(graphErrorItemSchema).optional(),
	})
	.passthrough();

/**
 * A message the business typed in the WhatsApp Business app (`smb_message_echoes`): a message with the
 * customer in `to` (verified, Meta's reference of 2025-10-22) or `to_user_id` (assumed).
 */
export const echoMessageSchema = inboundMessageSchema.extend({ to: optStr, to_user_id: optStr });

/**
 * A message of a chat history sync (`history`, Meta's reference of 2025-12-12): `to` only on the
 * business's messages, and `history_context.status`.
 */
export const historyMessageSchema = echoMessageSchema.extend({
	history_context: z.object({ status: optStr }).passthrough().optional(),
});

export const statusSchema = z
	.object({
		id: str,
		status: str,
		timestamp: z.union([str, z.number()]).optional(),
		recipient_id: optStr,
		recipient_user_id: optStr,
		biz_opaque_callback_data: optStr,
		conversation: z.record(z.unknown()).optional(),
		pricing: z.record(z.unknown()).optional(),
		errors: z.array(graphErrorItemSchema).optional(),
	})
	.passthrough();

export type InboundMessage = z.infer<typeof inboundMessageSchema>;
export type StatusItem = z.infer<typeof statusSchema>;
export type GraphErrorItem = z.infer<typeof graphErrorItemSchema>;
export type Contact = z.infer<typeof contactSchema>;
