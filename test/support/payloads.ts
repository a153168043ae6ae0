import CryptoJS from 'crypto-js';

/**
 * Webhook bodies in the shapes Meta posts (see docs/whatsapp-facts.md §2), built from small parts so tests can
 * mix messages, statuses and errors across numbers and entries.
 */

export const WABA_ID = '102290129340398';
export const PHONE_A = { phone_number_id: '106540352242922', display_phone_number: '15550783881' };
export const PHONE_B = { phone_number_id: '107655329012345', display_phone_number: '15550009999' };

type Value = Record<string, unknown>;

export function textMessage(
	id: string,
	body: string,
	from = '4915112345678',
	timestamp = '1730000000',
): Value {
	return { from, id, timestamp, type: 'text', text: { body } };
}

export function buttonReply(
	id: string,
	replyId: string,
	title: string,
	from = '4915112345678',
): Value {
	return {
		from,
		id,
		timestamp: '1730000100',
		type: 'interactive',
		context: { from: PHONE_A.display_phone_number, id: 'wamid.out-menu' },
		interactive: { type: 'button_reply', button_reply: { id: replyId, title } },
	};
}

export function flowReply(
	id: string,
	flowToken: string,
	fields: Record<string, unknown>,
	from = '4915112345678',
): Value {
	return {
		from,
		id,
		timestamp: '1730000200',
		type: 'interactive',
		context: { from: PHONE_A.display_phone_number, id: 'wamid.out-flow' },
		interactive: {
			type: 'nfm_reply',
			nfm_reply: {
				name: 'flow',
				body: 'Sent',
				response_json: JSON.stringify({ flow_token: flowToken, ...fields }),
			},
		},
	};
}

export function orderMessage(id: string, from = '4915112345678'): Value {
	return {
		from,
		id,
		timestamp: '1730000300',
		type: 'order',
		order: {
			catalog_id: 'cat-1',
			text: 'please deliver fast',
			product_items: [
				{ product_retailer_id: 'sku-1', quantity: 2, item_price: 10.5, currency: 'EUR' },
				{ product_retailer_id: 'sku-2', quantity: 1, item_price: 4, currency: 'EUR' },
			],
		},
	};
}

export function status(
	id: string,
	value: 'sent' | 'delivered' | 'read' | 'played' | 'failed' | string,
	options: {
		timestamp?: string;
		correlationId?: string;
		recipient?: string;
		errorCode?: number;
	} = {},
): Value {
	return {
		id,
		status: value,
		timestamp: options.timestamp ?? '1730000400',
		recipient_id: options.recipient ?? '4915112345678',
		...(options.correlationId ? { biz_opaque_callback_data: options.correlationId } : {}),
		...(value === 'failed'
			? {
					errors: [
						{
							code: options.errorCode ?? 131047,
							title: 'Re-engagement message',
							message: 'Re-engagement message',
							error_data: {
								details: 'Message failed to send because more than 24 hours have passed',
							},
						},
					],
				}
			: {
					pricing: { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' },
				}),
	};
}

export function valueError(code: number, message: string): Value {
	return { code, title: message, message, error_data: { details: `${message} (details)` } };
}

export function change(
	phone: { phone_number_id: string; display_phone_number: string },
	items: { messages?: Value[]; statuses?: Value[]; errors?: Value[]; contacts?: Value[] },
): Value {
	const contacts =
		items.contacts ??
		(items.messages?.length
			? [
					{
						profile: { name: 'Zoë Müller' },
						wa_id: String(items.messages[0].from ?? '4915112345678'),
					},
				]
			: undefined);
	return {
		field: 'messages',
		value: {
			messaging_product: 'whatsapp',
			metadata: phone,
			...(contacts ? { contacts } : {}),
			...(items.messages ? { messages: items.messages } : {}),
			...(items.statuses ? { statuses: items.statuses } : {}),
			...(items.errors ? { errors: items.errors } : {}),
		},
	};
}

export function body(...changes: Value[]): Value {
	return { object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes }] };
}

export function bodyWithEntries(...entries: Value[][]): Value {
	return {
		object: 'whatsapp_business_account',
		entry: entries.map((changes) => ({ id: WABA_ID, changes })),
	};
}

export function templateStatusUpdate(templateId: string, event: string, time = 1730000500): Value {
	return {
		object: 'whatsapp_business_account',
		entry: [
			{
				id: WABA_ID,
				time,
				changes: [
					{
						field: 'message_template_status_update',
						value: {
							event,
							message_template_id: templateId,
							message_template_name: 'order_confirmation',
							message_template_language: 'en_US',
							reason: 'NONE',
						},
					},
				],
			},
		],
	};
}

/** Serialises like Meta: non-ASCII escaped as lowercase \uXXXX, so the signed bytes are pure ASCII. */
export function metaSerialise(value: unknown): string {
	return JSON.stringify(value).replace(
		/[\u007f-\uffff]/g,
		(c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
	);
}

/** Signs like Meta, with crypto-js: an HMAC independent of the node:crypto code under test. */
export function sign(raw: string | Buffer, appSecret: string): string {
	const bytes = CryptoJS.enc.Hex.parse(Buffer.from(raw).toString('hex'));
	return 'sha256=' + CryptoJS.HmacSHA256(bytes, appSecret).toString(CryptoJS.enc.Hex);
}

/** A change of any field that carries no messages, as Meta posts account, template, Flow, call and group updates. */
export function fieldChange(field: string, value: Value, time = 1730000700): Value {
	return {
		object: 'whatsapp_business_account',
		entry: [{ id: WABA_ID, time, changes: [{ field, value }] }],
	};
}

/** A message from a customer who uses a username: no `from`, a business-scoped `from_user_id`. */
export function usernameMessage(
	id: string,
	text: string,
	userId = 'US.13491208655302741918',
	extra: Value = {},
): Value {
	return {
		id,
		timestamp: '1730000000',
		type: 'text',
		text: { body: text },
		from_user_id: userId,
		...extra,
	};
}

/** The contact Meta sends with a username customer's message. */
export function usernameContact(
	userId = 'US.13491208655302741918',
	username = 'anon_1',
	parentUserId?: string,
): Value {
	return {
		profile: { name: 'Anon', username },
		user_id: userId,
		...(parentUserId ? { parent_user_id: parentUserId } : {}),
	};
}

/**
 * Coexistence and conversation routing (the 2026 platform, shared API notes §7). Echo and history
 * bodies follow Meta's webhook references (smb_message_echoes 2025-10-22, history 2025-12-12);
 * the handover and standby bodies are ASSUMED shapes (no Meta payload found), see nodes/core/events.ts.
 */

/** A message a person at the business typed in the WhatsApp Business app, to a customer. */
export function echoMessage(
	id: string,
	text: string,
	to = '4915112345678',
	timestamp = '1739321024',
): Value {
	return {
		from: PHONE_A.display_phone_number,
		to,
		id,
		timestamp,
		type: 'text',
		text: { body: text },
	};
}

/** An `smb_message_echoes` change of echoes on one number. */
export function echoChange(
	echoes: Value[],
	phone: { phone_number_id: string; display_phone_number: string } = PHONE_A,
): Value {
	return {
		field: 'smb_message_echoes',
		value: { messaging_product: 'whatsapp', metadata: phone, message_echoes: echoes },
	};
}

/** A `history` change: one chunk with one thread per customer, messages as given. */
export function historyChange(
	threads: Array<{ id: string; messages: Value[] }>,
	chunk: { phase?: number; chunk_order?: number; progress?: number } = {},
): Value {
	return {
		field: 'history',
		value: {
			messaging_product: 'whatsapp',
			metadata: PHONE_A,
			history: [
				{
					metadata: { phase: 0, chunk_order: 1, progress: 55, ...chunk },
					threads,
				},
			],
		},
	};
}

/** A message of a history thread; `to` is set only on the business's messages, as Meta does. */
export function historyMessage(
	id: string,
	text: string,
	from: string,
	options: { to?: string; timestamp?: string; status?: string } = {},
): Value {
	return {
		from,
		...(options.to ? { to: options.to } : {}),
		id,
		timestamp: options.timestamp ?? '1739230955',
		type: 'text',
		text: { body: text },
		history_context: { status: options.status ?? 'read' },
	};
}

/** A `messaging_handovers` change (assumed shape: Messenger's handover payload in WhatsApp's envelope). */
export function handoverChange(
	event: 'control_passed' | 'control_taken' | string,
	customer = '4915112345678',
	apps: { newOwner?: string; previousOwner?: string } = {},
	timestamp = '1739321100',
): Value {
	return {
		field: 'messaging_handovers',
		value: {
			messaging_product: 'whatsapp',
			metadata: PHONE_A,
			messaging_handovers: [
				{
					from: customer,
					timestamp,
					type: event,
					[event]: {
						...(apps.newOwner ? { new_owner_app_id: apps.newOwner } : {}),
						...(apps.previousOwner ? { previous_owner_app_id: apps.previousOwner } : {}),
						metadata: 'handed over by the business agent',
					},
				},
			],
		},
	};
}

/** A `standby` change (assumed shape: a `messages` value delivered to the app that does not own the thread). */
export function standbyChange(messages: Value[]): Value {
	return { ...change(PHONE_A, { messages }), field: 'standby' };
}
