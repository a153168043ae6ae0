import { createHash } from 'node:crypto';

import { asNumber, asRecord, asString } from './coerce';
import { normaliseCustomerId, phoneDigits } from './customerId';
import { classifyGraphError, type GraphErrorClass, type RetryDecision } from './graphErrors';
import { applyJsonBudget, describeLimit, type BudgetedJson } from './jsonBudget';
import {
	changeSchema,
	contactSchema,
	echoMessageSchema,
	entrySchema,
	historyMessageSchema,
	graphErrorItemSchema,
	inboundMessageSchema,
	metadataSchema,
	statusSchema,
	webhookEnvelopeSchema,
	type Contact,
	type GraphErrorItem,
	type InboundMessage,
	type StatusItem,
} from './webhookSchema';

/**
 * The one event model: a webhook body becomes one `WhatsAppEvent` per message, status, value-level
 * error or field update, across all entries and changes. Every node reads these fields.
 */

export type EventKind =
	| 'message'
	| 'flow_response'
	| 'status'
	| 'error'
	| 'account_update'
	| 'call'
	| 'group'
	/** A message the business sent from the WhatsApp Business app (coexistence, `smb_message_echoes`). */
	| 'echo'
	/** One message of the chat history Meta syncs after onboarding (coexistence, `history`). */
	| 'history'
	/** Who owns the thread changed (conversation routing, `messaging_handovers`). */
	| 'handover'
	| 'unknown';

export interface EventError {
	code: number | null;
	title: string | null;
	message: string | null;
	details: string | null;
	href: string | null;
	errorClass: GraphErrorClass;
	retry: RetryDecision;
	guidance: string;
}

export interface Customer {
	/** `wa_id`, or the business-scoped `user_id` for customers who use a username: use this one. */
	id: string | null;
	waId: string | null;
	userId: string | null;
	profileName: string | null;
	username: string | null;
	/** The parent business-scoped user id (`CC.ENT.…`), only when Meta sends one. */
	parentUserId?: string;
}

/** `pricing` of a status: per-message pricing since July 2025. */
export interface StatusPricing {
	/** `PMP` for per-message pricing. */
	model: string | null;
	/** e.g. marketing, marketing_lite, utility, authentication, authentication_international, service. */
	category: string | null;
	/** `regular`, `free_customer_service` or `free_entry_point`. */
	type: string | null;
	/** Deprecated by Meta; kept while it is sent. */
	billable: boolean | null;
}

/**
 * What a field update, call, group event or identity change said, typed per kind of update. Set only
 * on the events it applies to.
 */
export type EventDetails =
	| {
			type: 'identity_change';
			/** `user_changed_user_id`, `user_changed_number` or another system message type. */
			change: string;
			previousUserId: string | null;
			userId: string | null;
			parentUserId: string | null;
			waId: string | null;
	  }
	| {
			type: 'call';
			callId: string | null;
			/** e.g. `connect`, `terminate`. */
			event: string | null;
			direction: string | null;
			status: string | null;
			from: string | null;
			to: string | null;
			startTime: number | null;
			endTime: number | null;
			durationSeconds: number | null;
	  }
	| {
			type: 'group';
			groupId: string | null;
			/** The change within the field, e.g. `group_create` or `group_participants_add`. */
			event: string | null;
			subject: string | null;
			requestId: string | null;
	  }
	| {
			type: 'flow_health';
			flowId: string | null;
			flowName: string | null;
			/** e.g. ENDPOINT_ERROR_RATE, ENDPOINT_LATENCY, ENDPOINT_AVAILABILITY, CLIENT_ERROR_RATE, FLOW_STATUS_CHANGE. */
			event: string | null;
			alertState: string | null;
			oldStatus: string | null;
			newStatus: string | null;
			/** True for an activated alert or a Flow moved to THROTTLED or BLOCKED: it reaches Failures. */
			failing: boolean;
	  }
	| {
			type: 'template_category';
			/** `impending` (the category will change) or `completed` (it changed). */
			stage: 'impending' | 'completed';
			templateId: string | null;
			templateName: string | null;
			language: string | null;
			previousCategory: string | null;
			newCategory: string | null;
			correctCategory: string | null;
			categoryUpdateTimestamp: number | null;
	  }
	| {
			type: 'history';
			/** 0: the first day before onboarding, 1: up to day 90, 2: up to day 180. */
			phase: number | null;
			chunkOrder: number | null;
			/** Overall progress of the sync, 100 when it is complete. */
			progress: number | null;
			/** `history_context.status` of the message, e.g. `read` or `delivered`. */
			status: string | null;
	  }
	| {
			type: 'handover';
			/** The handover as Meta named it, e.g. `control_passed` or `control_taken`. */
			event: string | null;
			/**
			 * Who owns the thread after this event, as far as the event alone tells: `this_app` when control
			 * was passed to this app, `other` when another app took it, null when it cannot be told (the
			 * conversation book decides with the trigger's App ID when the app ids are given).
			 */
			threadOwner: 'this_app' | 'other' | null;
			newOwnerAppId: string | null;
			previousOwnerAppId: string | null;
			metadata: string | null;
	  }
	| {
			type: 'phone_number_quality';
			event: string | null;
			/** Older field, replaced from February 2026 by `maxDailyConversationsPerBusiness`. */
			currentLimit: string | null;
			maxDailyConversationsPerBusiness: string | number | null;
	  };

export interface ReplyInfo {
	type: 'button_reply' | 'list_reply' | 'template_button';
	id: string | null;
	title: string | null;
	description: string | null;
}

export interface FlowResponse {
	flowToken: string | null;
	/** The form answers from `response_json`, without `flow_token`. */
	fields: Record<string, unknown>;
	/** `response_json` as Meta sent it, for when it is not valid JSON. */
	responseJson: string | null;
	name: string | null;
	body: string | null;
}

export interface OrderInfo {
	catalogId: string | null;
	text: string | null;
	items: Array<{
		productRetailerId: string | null;
		quantity: number | null;
		itemPrice: number | null;
		currency: string | null;
	}>;
	/** Sum of quantity × item price when every item has both. */
	total: number | null;
	currency: string | null;
}

export interface WhatsAppEvent {
	kind: EventKind;
	/** Message type, status value, error code or webhook field. */
	subtype: string;
	/** Stable across redeliveries of the same event: the dedupe key. */
	dedupeKey: string;
	field: string | null;
	wabaId: string | null;
	phoneNumberId: string | null;
	displayPhoneNumber: string | null;
	customer: Customer | null;
	/** The wamid of an inbound message, or of our outbound message a status is about. */
	messageId: string | null;
	timestamp: number | null;
	timestampIso: string | null;
	/** Text body, caption, button or reply title: whatever a human would read. */
	text: string | null;
	context: {
		messageId: string | null;
		from: string | null;
		forwarded: boolean;
		frequentlyForwarded: boolean;
	} | null;
	reply: ReplyInfo | null;
	flow: FlowResponse | null;
	order: OrderInfo | null;
	media: {
		id: string | null;
		mimeType: string | null;
		sha256: string | null;
		filename: string | null;
		caption: string | null;
		url: string | null;
	} | null;
	reaction: { messageId: string | null; emoji: string | null; removed: boolean } | null;
	status: string | null;
	/** `biz_opaque_callback_data` from the send, e.g. an order id: ties statuses to the business object. */
	correlationId: string | null;
	/** `group_id` of a message sent in a group, only on such messages. */
	groupId?: string;
	/** Pricing category and type of a status, only when Meta sends `pricing`. */
	pricing?: StatusPricing;
	/** Typed content of calls, group events, Flow health, template category and quality updates. */
	details?: EventDetails;
	/**
	 * Who wrote a message: set on echoes (always `outbound`) and history messages (the customer's are
	 * `inbound`, the business's `outbound`).
	 */
	direction?: 'inbound' | 'outbound';
	/**
	 * True on what Meta delivers on the `standby` field: a copy of a message (or status) of a thread
	 * another app owns. Never something for this workflow to answer: it reaches the Other output.
	 */
	standby?: true;
	errors: EventError[];
	/** The item as Meta sent it, within the input budget (see jsonBudget). */
	raw: unknown;
	/**
	 * True when part of this event was past the input budget and replaced by a marker such as
	 * `{ "truncated": "depth" }` (in `raw`, the contact or metadata it was read with, or Flow fields).
	 * Always set by `splitEvents`.
	 */
	truncated?: boolean;
}

export type EnvelopeResult = { ok: true; events: WhatsAppEvent[] } | { ok: false; reason: string };

/** Fields that are part of the messages flow; everything else is an account-level update. */
const KNOWN_ACCOUNT_FIELDS = new Set([
	'message_template_status_update',
	'message_template_quality_update',
	'message_template_components_update',
	'template_category_update',
	'account_update',
	'account_alerts',
	'account_review_update',
	'account_settings_update',
	'phone_number_quality_update',
	'phone_number_name_update',
	'business_capability_update',
	'business_status_update',
	'security',
	'flows',
	'automatic_events',
	'payment_configuration_update',
	'user_preferences',
	'partner_solutions',
]);

const GROUP_FIELDS = new Set([
	'group_lifecycle_update',
	'group_participants_update',
	'group_settings_update',
	'group_status_update',
]);

/** The kind of a field update that carries no messages. */
function fieldKind(field: string): EventKind {
	if (field === 'calls') return 'call';
	if (GROUP_FIELDS.has(field)) return 'group';
	return KNOWN_ACCOUNT_FIELDS.has(field) ? 'account_update' : 'unknown';
}

interface Scope {
	field: string | null;
	wabaId: string | null;
	entryTime: number | null;
	phoneNumberId: string | null;
	displayPhoneNumber: string | null;
	contacts: Contact[];
	/** Where the current part sits in the body, e.g. `entry[0].changes[1].value`. */
	path: string;
	/**
	 * A hash of the part that encloses the current one (the change, the entry or the body), computed
	 * once when first needed. It tells apart equal malformed parts (two `null` messages) of different
	 * bodies, while a redelivery of the same body gets the same keys again.
	 */
	context: () => string;
	budget: BudgetedJson;
	/** The metadata or contacts this scope read were past the budget. */
	truncated: boolean;
}

/** Only for values that went through the input budget: `JSON.stringify` recurses. */
function hash(value: unknown): string {
	return createHash('sha256')
		.update(JSON.stringify(value) ?? 'undefined')
		.digest('hex')
		.slice(0, 32);
}

function lazyHash(value: unknown): () => string {
	let memo: string | undefined;
	return () => (memo ??= hash(value));
}

function toTimestamp(value: unknown): { timestamp: number | null; timestampIso: string | null } {
	const timestamp = asNumber(value);
	if (timestamp === null) return { timestamp: null, timestampIso: null };
	const date = new Date(timestamp * 1000);
	return { timestamp, timestampIso: Number.isNaN(date.getTime()) ? null : date.toISOString() };
}

export function toEventErrors(items: GraphErrorItem[] | undefined): EventError[] {
	return (items ?? []).map((item) => {
		const info = classifyGraphError(item.code);
		return {
			code: item.code ?? null,
			title: item.title ?? null,
			message: item.message ?? null,
			details: item.error_data?.details ?? null,
			href: item.href ?? null,
			errorClass: info.errorClass,
			retry: info.retry,
			guidance: info.guidance,
		};
	});
}

function baseEvent(
	scope: Scope,
	kind: EventKind,
	subtype: string,
	dedupeKey: string,
	raw: unknown,
): WhatsAppEvent {
	return {
		kind,
		subtype,
		dedupeKey,
		field: scope.field,
		wabaId: scope.wabaId,
		phoneNumberId: scope.phoneNumberId,
		displayPhoneNumber: scope.displayPhoneNumber,
		customer: null,
		messageId: null,
		timestamp: null,
		timestampIso: null,
		text: null,
		context: null,
		reply: null,
		flow: null,
		order: null,
		media: null,
		reaction: null,
		status: null,
		correlationId: null,
		errors: [],
		raw,
		truncated: scope.truncated || scope.budget.isTruncated(raw),
	};
}

/**
 * A part we cannot read, whatever its type (null, a number, a string, an object of the wrong shape):
 * always an event of its own. Keyed by where it sits and what encloses it, not by its content alone:
 * `null` is `null` in every body.
 */
function unknownEvent(scope: Scope, subtype: string, raw: unknown, path: string): WhatsAppEvent {
	const event = baseEvent(
		scope,
		'unknown',
		subtype,
		`unknown:${hash([scope.wabaId, scope.field, scope.entryTime, subtype, path, scope.context()])}`,
		raw,
	);
	event.timestamp = scope.entryTime;
	event.timestampIso = toTimestamp(scope.entryTime).timestampIso;
	return event;
}

function findCustomer(
	scope: Scope,
	waId: string | null,
	userId: string | null,
	parentUserIdOf: string | null = null,
): Customer | null {
	if (!waId && !userId) return null;
	const contact =
		scope.contacts.find((c) => (waId && c.wa_id === waId) || (userId && c.user_id === userId)) ??
		(scope.contacts.length === 1 ? scope.contacts[0] : undefined);
	const resolvedWaId = waId ?? contact?.wa_id ?? null;
	const resolvedUserId = userId ?? contact?.user_id ?? null;
	const customer: Customer = {
		id: resolvedWaId ?? resolvedUserId,
		waId: resolvedWaId,
		userId: resolvedUserId,
		profileName: contact?.profile?.name ?? null,
		username: contact?.profile?.username ?? null,
	};
	const parentUserId = parentUserIdOf ?? asString(contact?.parent_user_id);
	if (parentUserId) customer.parentUserId = parentUserId;
	return customer;
}

function parseFlowResponse(nfm: Record<string, unknown>): FlowResponse & { truncated: boolean } {
	const responseJson = asString(nfm.response_json);
	let parsed: Record<string, unknown> = {};
	let truncated = false;
	if (responseJson) {
		try {
			// A string inside the body can hold JSON of any depth: the same budget applies to it.
			const budgeted = applyJsonBudget(JSON.parse(responseJson));
			parsed = asRecord(budgeted.value);
			truncated = budgeted.truncations > 0;
		} catch {
			parsed = {};
		}
	}
	const { flow_token: flowToken, ...fields } = parsed;
	return {
		flowToken: asString(flowToken),
		fields,
		responseJson,
		name: asString(nfm.name),
		body: asString(nfm.body),
		truncated,
	};
}

function parseOrder(order: Record<string, unknown>): OrderInfo {
	const items = (Array.isArray(order.product_items) ? order.product_items : []).map((raw) => {
		const item = asRecord(raw);
		return {
			productRetailerId: asString(item.product_retailer_id),
			quantity: asNumber(item.quantity),
			itemPrice: asNumber(item.item_price),
			currency: asString(item.currency),
		};
	});
	const priced =
		items.length > 0 && items.every((i) => i.quantity !== null && i.itemPrice !== null);
	const currencies = new Set(items.map((i) => i.currency));
	return {
		catalogId: asString(order.catalog_id),
		text: asString(order.text),
		items,
		total: priced
			? items.reduce((sum, i) => sum + (i.quantity ?? 0) * (i.itemPrice ?? 0), 0)
			: null,
		currency: currencies.size === 1 ? (items[0]?.currency ?? null) : null,
	};
}

function messageEvent(scope: Scope, message: InboundMessage): WhatsAppEvent {
	const body = asRecord(message[message.type as keyof InboundMessage]);
	const interactive = message.type === 'interactive' ? asRecord(message.interactive) : {};
	const interactiveType = asString(interactive.type);
	const isFlow = interactiveType === 'nfm_reply';
	const subtype = interactiveType ? `interactive.${interactiveType}` : message.type;
	const event = baseEvent(
		scope,
		isFlow ? 'flow_response' : 'message',
		subtype,
		`message:${message.id}`,
		message,
	);

	event.messageId = message.id;
	Object.assign(event, toTimestamp(message.timestamp));
	event.customer = findCustomer(scope, message.from ?? null, message.from_user_id ?? null);
	event.errors = toEventErrors(message.errors);
	const groupId = asString(message.group_id);
	if (groupId) event.groupId = groupId;
	if (message.context) {
		event.context = {
			messageId: message.context.id ?? null,
			from: message.context.from ?? null,
			forwarded: message.context.forwarded === true,
			frequentlyForwarded: message.context.frequently_forwarded === true,
		};
	}

	switch (message.type) {
		case 'text':
			event.text = asString(body.body);
			break;
		case 'image':
		case 'video':
		case 'audio':
		case 'document':
		case 'sticker':
			event.media = {
				id: asString(body.id),
				mimeType: asString(body.mime_type),
				sha256: asString(body.sha256),
				filename: asString(body.filename),
				caption: asString(body.caption),
				url: asString(body.url),
			};
			event.text = event.media.caption;
			break;
		case 'button':
			event.text = asString(body.text);
			event.reply = {
				type: 'template_button',
				id: asString(body.payload),
				title: asString(body.text),
				description: null,
			};
			break;
		case 'reaction': {
			const emoji = asString(body.emoji);
			event.reaction = {
				messageId: asString(body.message_id),
				emoji: emoji || null,
				removed: !emoji,
			};
			break;
		}
		case 'order':
			event.order = parseOrder(body);
			event.text = event.order.text;
			break;
		case 'system': {
			event.text = asString(body.body);
			const change = asString(body.type);
			if (change) {
				event.details = {
					type: 'identity_change',
					change,
					previousUserId: asString(body.previous_user_id),
					userId: asString(body.user_id),
					parentUserId: asString(body.parent_user_id),
					waId: asString(body.wa_id) ?? asString(body.new_wa_id),
				};
			}
			break;
		}
		case 'interactive': {
			if (interactiveType === 'button_reply' || interactiveType === 'list_reply') {
				const reply = asRecord(interactive[interactiveType]);
				event.reply = {
					type: interactiveType,
					id: asString(reply.id),
					title: asString(reply.title),
					description: asString(reply.description),
				};
				event.text = event.reply.title;
			} else if (isFlow) {
				const { truncated, ...flow } = parseFlowResponse(asRecord(interactive.nfm_reply));
				event.flow = flow;
				if (truncated) event.truncated = true;
			}
			break;
		}
	}
	return event;
}

function statusEvent(scope: Scope, status: StatusItem): WhatsAppEvent {
	const event = baseEvent(
		scope,
		'status',
		status.status,
		`status:${status.id}:${status.status}`,
		status,
	);
	event.messageId = status.id;
	event.status = status.status;
	Object.assign(event, toTimestamp(status.timestamp));
	event.customer = findCustomer(
		scope,
		status.recipient_id ?? null,
		status.recipient_user_id ?? null,
	);
	event.correlationId = status.biz_opaque_callback_data ?? null;
	event.errors = toEventErrors(status.errors);
	if (status.pricing) {
		const billable = status.pricing.billable;
		event.pricing = {
			model: asString(status.pricing.pricing_model),
			category: asString(status.pricing.category),
			type: asString(status.pricing.type),
			billable: typeof billable === 'boolean' ? billable : null,
		};
	}
	return event;
}

function valueErrorEvent(scope: Scope, raw: unknown, path: string): WhatsAppEvent {
	const parsed = graphErrorItemSchema.safeParse(raw);
	if (!parsed.success) return unknownEvent(scope, 'errors', raw, path);
	const key = `error:${hash([scope.wabaId, scope.phoneNumberId, raw])}`;
	const event = baseEvent(scope, 'error', String(parsed.data.code ?? 'unknown'), key, raw);
	event.errors = toEventErrors([parsed.data]);
	event.text = parsed.data.message ?? parsed.data.title ?? null;
	Object.assign(event, toTimestamp(scope.entryTime));
	return event;
}

/** Fields whose `message_echoes` are messages the business typed in the WhatsApp Business app. */
const ECHO_FIELDS = new Set(['smb_message_echoes', 'standby']);

/**
 * Items of a `messages` change: messages, statuses and value-level errors, and the `message_echoes` of
 * an `smb_message_echoes` or `standby` change; other arrays are kept as unknown.
 */
function messagesChangeEvents(scope: Scope, value: Record<string, unknown>): WhatsAppEvent[] {
	const events: WhatsAppEvent[] = [];
	const handled = new Set([
		'messaging_product',
		'metadata',
		'contacts',
		'messages',
		'statuses',
		'errors',
	]);
	// Other fields may carry `message_echoes` of a different meaning (echoes of API sends): not ours to read.
	if (scope.field !== null && ECHO_FIELDS.has(scope.field)) handled.add('message_echoes');
	const each = (name: string, toEvent: (item: unknown, path: string) => WhatsAppEvent) => {
		const items = value[name];
		const path = `${scope.path}.${name}`;
		if (items === undefined) return;
		if (!Array.isArray(items)) {
			events.push(unknownEvent(scope, name, items, path));
			return;
		}
		items.forEach((item, i) => {
			const event = toEvent(item, `${path}[${i}]`);
			// Parsed items are zod's copies: the budget knows the item as it was in the body.
			if (scope.budget.isTruncated(item)) event.truncated = true;
			events.push(event);
		});
	};
	each('messages', (item, path) => {
		const parsed = inboundMessageSchema.safeParse(item);
		return parsed.success
			? messageEvent(scope, parsed.data)
			: unknownEvent(scope, 'messages', item, path);
	});
	each('statuses', (item, path) => {
		const parsed = statusSchema.safeParse(item);
		return parsed.success
			? statusEvent(scope, parsed.data)
			: unknownEvent(scope, 'statuses', item, path);
	});
	each('errors', (item, path) => valueErrorEvent(scope, item, path));
	if (handled.has('message_echoes'))
		each('message_echoes', (item, path) => echoEvent(scope, item, path));
	for (const [name, extra] of Object.entries(value)) {
		if (!handled.has(name)) events.push(unknownEvent(scope, name, extra, `${scope.path}.${name}`));
	}
	return events;
}

/**
 * A message the business typed in the WhatsApp Business app (coexistence). Verified against Meta's
 * `smb_message_echoes` webhook reference (updated 2025-10-22, as cited in the shared API notes §7):
 * `value.message_echoes[]` with `from` (the business's display number), `to` (the customer's phone
 * number), `id`, `timestamp`, `type` and the `<type>` object as in a sent message. Assumed, not in that
 * reference: `to_user_id` for a customer known only by a business-scoped user id (named after
 * `from_user_id` and `recipient_user_id`).
 */
function echoEvent(scope: Scope, raw: unknown, path: string): WhatsAppEvent {
	const parsed = echoMessageSchema.safeParse(raw);
	if (!parsed.success) return unknownEvent(scope, 'message_echoes', raw, path);
	const event = messageEvent(scope, parsed.data);
	event.kind = 'echo';
	event.dedupeKey = `echo:${parsed.data.id}`;
	event.customer = findCustomer(scope, parsed.data.to ?? null, parsed.data.to_user_id ?? null);
	event.direction = 'outbound';
	return event;
}

interface HistoryChunk {
	phase: number | null;
	chunkOrder: number | null;
	progress: number | null;
}

/**
 * One message of a chat history sync. The thread id is the customer (a phone number; a business-scoped
 * user id is assumed to come in the same place), and a message whose sender is the thread's customer
 * is inbound; anything else the business sent (Meta adds `to` only to the business's messages).
 */
function historyEvent(
	scope: Scope,
	threadId: string,
	chunk: HistoryChunk,
	raw: unknown,
	path: string,
): WhatsAppEvent {
	const parsed = historyMessageSchema.safeParse(raw);
	if (!parsed.success) return unknownEvent(scope, 'history', raw, path);
	const message = parsed.data;
	const event = messageEvent(scope, message);
	event.kind = 'history';
	event.dedupeKey = `history:${message.id}`;
	const thread = normaliseCustomerId(threadId);
	const sender = normaliseCustomerId(message.from) ?? normaliseCustomerId(message.from_user_id);
	event.direction =
		sender !== null && sender === thread && message.to === undefined ? 'inbound' : 'outbound';
	const isPhone = phoneDigits(threadId) !== null;
	event.customer = findCustomer(scope, isPhone ? threadId : null, isPhone ? null : threadId);
	event.details = {
		type: 'history',
		...chunk,
		status: message.history_context?.status ?? null,
	};
	return event;
}

/**
 * A `history` change: the chat history of the WhatsApp Business app, phased and chunked. Verified
 * against Meta's `history` webhook reference (updated 2025-12-12): `value.history[]` of chunks, each
 * with `metadata { phase, chunk_order, progress }` and `threads[] { id, messages[] }`, each message
 * shaped like a webhook message plus `history_context.status`; a business that declined to share
 * sends a chunk with `errors[]` (secondary sources: code 2593109). One event per message; a chunk with
 * no message and no error is one `history` event of subtype `progress`, so progress is never dropped.
 */
function historyChangeEvents(scope: Scope, value: Record<string, unknown>): WhatsAppEvent[] {
	const events: WhatsAppEvent[] = [];
	const push = (event: WhatsAppEvent, raw: unknown) => {
		if (scope.budget.isTruncated(raw)) event.truncated = true;
		events.push(event);
	};
	const chunks = value.history;
	const path = `${scope.path}.history`;
	if (!Array.isArray(chunks)) {
		events.push(unknownEvent(scope, 'history', chunks, path));
		return events;
	}
	chunks.forEach((rawChunk, c) => {
		const chunkPath = `${path}[${c}]`;
		const chunkValue = asRecord(rawChunk);
		const meta = asRecord(chunkValue.metadata);
		const chunk: HistoryChunk = {
			phase: asNumber(meta.phase),
			chunkOrder: asNumber(meta.chunk_order),
			progress: asNumber(meta.progress),
		};
		const before = events.length;
		const errors = chunkValue.errors;
		if (Array.isArray(errors))
			errors.forEach((item, i) =>
				push(valueErrorEvent(scope, item, `${chunkPath}.errors[${i}]`), item),
			);
		const threads = chunkValue.threads;
		if (Array.isArray(threads)) {
			threads.forEach((rawThread, t) => {
				const threadPath = `${chunkPath}.threads[${t}]`;
				const thread = asRecord(rawThread);
				const threadId = asString(thread.id);
				if (threadId === null || !Array.isArray(thread.messages)) {
					push(unknownEvent(scope, 'threads', rawThread, threadPath), rawThread);
					return;
				}
				thread.messages.forEach((item, m) =>
					push(historyEvent(scope, threadId, chunk, item, `${threadPath}.messages[${m}]`), item),
				);
			});
		} else if (threads !== undefined) {
			push(unknownEvent(scope, 'threads', threads, `${chunkPath}.threads`), threads);
		}
		if (events.length === before) {
			const event = baseEvent(
				scope,
				'history',
				'progress',
				`history:progress:${hash([scope.wabaId, scope.phoneNumberId, rawChunk])}`,
				rawChunk,
			);
			event.details = { type: 'history', ...chunk, status: null };
			Object.assign(event, toTimestamp(scope.entryTime));
			events.push(event);
		}
	});
	const handled = new Set(['messaging_product', 'metadata', 'contacts', 'history']);
	for (const [key, extra] of Object.entries(value)) {
		if (!handled.has(key)) events.push(unknownEvent(scope, key, extra, `${scope.path}.${key}`));
	}
	return events;
}

/** Handover names, as Meta's WhatsApp pages name them and as the Messenger handover protocol does. */
const HANDOVER_NAMES = [
	'control_passed',
	'control_taken',
	'control_released',
	'control_requested',
	'pass_thread_control',
	'take_thread_control',
	'release_thread_control',
	'request_thread_control',
];

function ownerAfter(name: string | null): 'this_app' | 'other' | null {
	if (name === null) return null;
	if (/pass/.test(name)) return 'this_app';
	if (/tak/.test(name)) return 'other';
	return null;
}

/**
 * One handover of a `messaging_handovers` change. ASSUMED SHAPE: the shared API notes (§7) name the
 * field and its events (`control_passed`, `control_taken`) but no payload was found in the stored
 * copies of Meta's WhatsApp pages. This reads what Messenger's handover protocol sends
 * (`pass_thread_control { new_owner_app_id, previous_owner_app_id, metadata }`) and the WhatsApp
 * envelope around it, tolerantly: the name from `type`, `event` or a key of that name; the owner ids
 * from that object or the item; the customer from `from`, `wa_id`, `recipient_id` or `user_id`
 * (or the value's single contact). What it cannot read stays in `raw`.
 */
function handoverEvent(scope: Scope, raw: unknown, path: string): WhatsAppEvent {
	const item = asRecord(raw);
	const name =
		asString(item.type) ??
		asString(item.event) ??
		HANDOVER_NAMES.find((key) => key in item) ??
		null;
	const inner = name !== null ? asRecord(item[name]) : {};
	const pick = (key: string) => asString(inner[key]) ?? asString(item[key]);
	const newOwnerAppId = pick('new_owner_app_id') ?? pick('app_id');
	const previousOwnerAppId = pick('previous_owner_app_id');
	if (name === null && newOwnerAppId === null && previousOwnerAppId === null)
		return unknownEvent(scope, 'messaging_handovers', raw, path);
	const event = baseEvent(
		scope,
		'handover',
		name ?? 'handover',
		`handover:${hash([scope.wabaId, scope.phoneNumberId, raw])}`,
		raw,
	);
	event.customer = findCustomer(
		scope,
		asString(item.from) ?? asString(item.wa_id) ?? asString(item.recipient_id),
		asString(item.user_id) ?? asString(item.from_user_id) ?? asString(item.recipient_user_id),
	);
	// Messenger stamps handovers in ms; WhatsApp stamps in seconds.
	let timestamp = asNumber(item.timestamp) ?? scope.entryTime;
	if (timestamp !== null && timestamp > 1e11) timestamp = Math.floor(timestamp / 1000);
	Object.assign(event, toTimestamp(timestamp));
	const metadata = pick('metadata');
	event.text = metadata;
	event.status = name;
	event.details = {
		type: 'handover',
		event: name,
		threadOwner: ownerAfter(name),
		newOwnerAppId,
		previousOwnerAppId,
		metadata,
	};
	return event;
}

/** A `messaging_handovers` change: an array of handovers, or (assumed as well) the value is one. */
function handoverChangeEvents(scope: Scope, value: Record<string, unknown>): WhatsAppEvent[] {
	const listName = ['messaging_handovers', 'handovers'].find((key) => Array.isArray(value[key]));
	if (listName === undefined) return [handoverEvent(scope, value, scope.path)];
	const events = (value[listName] as unknown[]).map((item, i) => {
		const event = handoverEvent(scope, item, `${scope.path}.${listName}[${i}]`);
		if (scope.budget.isTruncated(item)) event.truncated = true;
		return event;
	});
	const handled = new Set(['messaging_product', 'metadata', 'contacts', listName]);
	for (const [key, extra] of Object.entries(value)) {
		if (!handled.has(key)) events.push(unknownEvent(scope, key, extra, `${scope.path}.${key}`));
	}
	return events;
}

/**
 * What the `standby` field delivers: copies of messages (and echoes, statuses) of a thread another
 * app owns. ASSUMED SHAPE: the shared API notes (§7) say only "passive copies and echoes for the
 * non-owner"; this reads the value as a `messages` change (`messages`, `statuses`, `message_echoes`,
 * with `metadata` and `contacts`). Each is flagged `standby` and keyed apart from the same message on
 * the `messages` field; value-level errors stay errors.
 */
function markStandby(events: WhatsAppEvent[]): WhatsAppEvent[] {
	for (const event of events) {
		if (event.kind === 'unknown' || event.kind === 'error') continue;
		event.standby = true;
		event.dedupeKey = `standby:${event.dedupeKey}`;
	}
	return events;
}

/** Template, quality and account notifications: one event per change, keyed by id + event + entry time. */
function fieldUpdateEvent(scope: Scope, value: Record<string, unknown>): WhatsAppEvent {
	const field = scope.field ?? 'unknown';
	const kind = fieldKind(field);
	const id =
		asString(value.message_template_id) ??
		asString(value.flow_id) ??
		asString(value.display_phone_number);
	const what = asString(value.event) ?? asString(value.new_category) ?? asString(value.decision);
	const key =
		id !== null || what !== null
			? `field:${field}:${scope.wabaId}:${id}:${what}:${scope.entryTime}`
			: `field:${field}:${scope.wabaId}:${hash(value)}:${scope.entryTime}`;
	const event = baseEvent(scope, kind, field, key, value);
	event.status = what;
	event.text =
		asString(value.reason) ??
		asString(value.message_template_name) ??
		asString(value.description) ??
		asString(value.message);
	Object.assign(event, toTimestamp(scope.entryTime));
	addFieldDetails(event, field, value);
	return event;
}

const FLOW_FAILING_STATUSES = new Set(['THROTTLED', 'BLOCKED']);

const FLOW_GUIDANCE: Record<string, string> = {
	ENDPOINT_ERROR_RATE:
		'Your Flow endpoint answers too many requests with errors: check its logs and the Flow Trigger executions; if it stays high, Meta throttles the Flow to 10 sends per hour, then blocks it.',
	ENDPOINT_LATENCY:
		'Your Flow endpoint answers too slowly: make the Flow Trigger workflow answer before slow work (or speed up what it waits for); if it stays slow, Meta throttles, then blocks the Flow.',
	ENDPOINT_AVAILABILITY:
		'Your Flow endpoint is not reachable: check that n8n is up and its URL public over HTTPS; if it stays down, Meta throttles, then blocks the Flow.',
	CLIENT_ERROR_RATE:
		'Customers hit errors in the Flow on their phones: check the Flow JSON and the data your endpoint returns for each screen.',
};

function flowGuidance(event: string | null, newStatus: string | null): string {
	if (newStatus === 'BLOCKED')
		return 'Meta blocked this Flow: it cannot be sent or opened. Fix the endpoint alerts received before; the Flow returns to Throttled, then Published, once its endpoint recovers.';
	if (newStatus === 'THROTTLED')
		return 'Meta throttled this Flow to 10 sends per hour because its endpoint is unhealthy: fix the endpoint alerts received before; it returns to Published once the endpoint recovers.';
	return (
		(event && FLOW_GUIDANCE[event]) ??
		'Meta reports a problem with this Flow: see the message and the Flow in WhatsApp Manager.'
	);
}

/** Typed content of the field updates this package knows; other fields keep only `raw`. */
function addFieldDetails(
	event: WhatsAppEvent,
	field: string,
	value: Record<string, unknown>,
): void {
	const str = (key: string) => asString(value[key]);
	if (field === 'flows') {
		const what = str('event');
		const alertState = str('alert_state');
		const newStatus = str('new_status');
		const failing =
			alertState === 'ACTIVATED' || (newStatus !== null && FLOW_FAILING_STATUSES.has(newStatus));
		event.details = {
			type: 'flow_health',
			flowId: str('flow_id'),
			flowName: str('flow_name'),
			event: what,
			alertState,
			oldStatus: str('old_status'),
			newStatus,
			failing,
		};
		if (failing) {
			event.errors = [
				{
					code: null,
					title: what,
					message: str('message'),
					details: null,
					href: null,
					errorClass: 'unknown',
					retry: 'no',
					guidance: flowGuidance(what, newStatus),
				},
			];
		}
	} else if (field === 'template_category_update') {
		const correctCategory = str('correct_category');
		event.details = {
			type: 'template_category',
			stage:
				correctCategory !== null || 'category_update_timestamp' in value
					? 'impending'
					: 'completed',
			templateId: str('message_template_id'),
			templateName: str('message_template_name'),
			language: str('message_template_language'),
			previousCategory: str('previous_category'),
			newCategory: str('new_category'),
			correctCategory,
			categoryUpdateTimestamp: asNumber(value.category_update_timestamp),
		};
	} else if (field === 'phone_number_quality_update') {
		const max = value.max_daily_conversations_per_business;
		event.details = {
			type: 'phone_number_quality',
			event: str('event'),
			currentLimit: str('current_limit'),
			maxDailyConversationsPerBusiness:
				typeof max === 'number' || typeof max === 'string' ? max : null,
		};
	} else if (GROUP_FIELDS.has(field)) {
		event.details = groupDetails(value);
	}
}

function groupDetails(item: Record<string, unknown>): EventDetails {
	return {
		type: 'group',
		groupId: asString(item.group_id),
		event: asString(item.type) ?? asString(item.event),
		subject: asString(item.subject),
		requestId: asString(item.request_id),
	};
}

/** One event per call of a `calls` change, keyed by call id, event and status. */
function callEvent(scope: Scope, raw: unknown, path: string): WhatsAppEvent {
	const call = asRecord(raw);
	const callId = asString(call.id);
	if (callId === null) return unknownEvent(scope, 'calls', raw, path);
	const what = asString(call.event);
	const status = asString(call.status);
	const event = baseEvent(
		scope,
		'call',
		what ? `calls.${what}` : 'calls',
		`call:${callId}:${what}:${status}`,
		raw,
	);
	event.status = status ?? what;
	// The customer is the caller, or the one called when the business calls.
	const outbound = asString(call.direction) === 'BUSINESS_INITIATED';
	event.customer = findCustomer(
		scope,
		asString(outbound ? call.to : call.from),
		asString(outbound ? call.to_user_id : call.from_user_id),
	);
	Object.assign(event, toTimestamp(call.timestamp ?? scope.entryTime));
	event.details = {
		type: 'call',
		callId,
		event: what,
		direction: asString(call.direction),
		status,
		from: asString(call.from),
		to: asString(call.to),
		startTime: asNumber(call.start_time),
		endTime: asNumber(call.end_time),
		durationSeconds: asNumber(call.duration),
	};
	event.errors = toEventErrors(
		Array.isArray(call.errors)
			? call.errors.flatMap((e) => {
					const parsed = graphErrorItemSchema.safeParse(e);
					return parsed.success ? [parsed.data] : [];
				})
			: [],
	);
	return event;
}

/** One event per item of a group field's `groups` array, keyed by field, group and content. */
function groupEvent(scope: Scope, raw: unknown, path: string): WhatsAppEvent {
	const item = asRecord(raw);
	const details = groupDetails(item);
	if (details.type !== 'group' || details.groupId === null)
		return unknownEvent(scope, 'groups', raw, path);
	const field = scope.field ?? 'group';
	const event = baseEvent(
		scope,
		'group',
		details.event ? `${field}.${details.event}` : field,
		`group:${field}:${details.groupId}:${hash(raw)}`,
		raw,
	);
	event.details = details;
	event.text = details.subject;
	Object.assign(event, toTimestamp(item.timestamp ?? scope.entryTime));
	return event;
}

/** Items of a `calls` or group change: one event per call or group item; other arrays are kept as unknown. */
function itemChangeEvents(
	scope: Scope,
	value: Record<string, unknown>,
	name: 'calls' | 'groups',
	toEvent: (scope: Scope, item: unknown, path: string) => WhatsAppEvent,
): WhatsAppEvent[] {
	const events: WhatsAppEvent[] = [];
	const items = value[name];
	const path = `${scope.path}.${name}`;
	if (!Array.isArray(items)) {
		events.push(unknownEvent(scope, name, items, path));
	} else {
		items.forEach((item, i) => {
			const event = toEvent(scope, item, `${path}[${i}]`);
			if (scope.budget.isTruncated(item)) event.truncated = true;
			events.push(event);
		});
	}
	const errors = value.errors;
	if (Array.isArray(errors))
		errors.forEach((item, i) =>
			events.push(valueErrorEvent(scope, item, `${scope.path}.errors[${i}]`)),
		);
	else if (errors !== undefined)
		events.push(unknownEvent(scope, 'errors', errors, `${scope.path}.errors`));
	const handled = new Set(['messaging_product', 'metadata', 'contacts', 'errors', name]);
	for (const [key, extra] of Object.entries(value)) {
		if (!handled.has(key)) events.push(unknownEvent(scope, key, extra, `${scope.path}.${key}`));
	}
	return events;
}

function changeEvents(scope: Scope, rawChange: unknown, path: string): WhatsAppEvent[] {
	const parsed = changeSchema.safeParse(rawChange);
	if (!parsed.success) return [unknownEvent(scope, 'change', rawChange, path)];
	const { field, value } = parsed.data;
	const metadata = metadataSchema.safeParse(value.metadata);
	const contacts = Array.isArray(value.contacts)
		? value.contacts.flatMap((c) => {
				const contact = contactSchema.safeParse(c);
				return contact.success ? [contact.data] : [];
			})
		: [];
	const changeScope: Scope = {
		...scope,
		field,
		phoneNumberId: metadata.success ? (metadata.data.phone_number_id ?? null) : null,
		displayPhoneNumber: metadata.success ? (metadata.data.display_phone_number ?? null) : null,
		contacts,
		path: `${path}.value`,
		context: lazyHash(rawChange),
		truncated:
			scope.truncated ||
			scope.budget.isTruncated(value.metadata) ||
			scope.budget.isTruncated(value.contacts),
	};
	if (field === 'calls' && 'calls' in value)
		return itemChangeEvents(changeScope, value, 'calls', callEvent);
	if (GROUP_FIELDS.has(field) && 'groups' in value)
		return itemChangeEvents(changeScope, value, 'groups', groupEvent);
	if (field === 'history' && 'history' in value) return historyChangeEvents(changeScope, value);
	if (field === 'messaging_handovers') return handoverChangeEvents(changeScope, value);
	const carriesItems =
		['messages', 'statuses', 'errors'].some((name) => name in value) ||
		(ECHO_FIELDS.has(field) && 'message_echoes' in value);
	if (carriesItems && field === 'standby')
		return markStandby(messagesChangeEvents(changeScope, value));
	if (carriesItems) return messagesChangeEvents(changeScope, value);
	const update = fieldUpdateEvent(changeScope, value);
	// One event per change: flagged when anything in the change was past the budget.
	if (scope.budget.isTruncated(rawChange)) update.truncated = true;
	return [update];
}

function pastBudget(budget: BudgetedJson, part: unknown): string | null {
	return budget.isMarker(part) ? describeLimit(part.truncated) : null;
}

/**
 * Splits a webhook body into events. The body first goes through the input budget (see
 * jsonBudget), so nothing below recurses deeper than it allows. Only a body that is not a WhatsApp
 * Business Account notification at all, or whose envelope (`object`, `entry`) is past the budget, is
 * refused; a malformed part inside a valid body becomes an `unknown` event, whatever its type, and a
 * part past the budget is replaced by a marker in an event flagged `truncated`.
 */
export function splitEvents(input: unknown): EnvelopeResult {
	if (input === undefined || input === null) return { ok: false, reason: 'the body is empty' };
	if (Array.isArray(input) || typeof input !== 'object')
		return { ok: false, reason: 'the body is not a JSON object' };
	const budget = applyJsonBudget(input);
	const body = budget.value as Record<string, unknown>;
	const overBody = pastBudget(budget, body);
	if (overBody) return { ok: false, reason: `the body is past the input limit: ${overBody}` };
	if (Object.keys(body).length === 0) return { ok: false, reason: 'the body is an empty object' };
	const overEntry = pastBudget(budget, body.entry);
	if (overEntry) return { ok: false, reason: `"entry" is past the input limit: ${overEntry}` };
	const envelope = webhookEnvelopeSchema.safeParse(body);
	if (!envelope.success) {
		const object = JSON.stringify(body.object)?.slice(0, 100) ?? 'missing';
		return {
			ok: false,
			reason:
				body.object !== 'whatsapp_business_account'
					? `"object" is ${object}, not "whatsapp_business_account"`
					: '"entry" is not an array',
		};
	}
	const events: WhatsAppEvent[] = [];
	const bodyContext = lazyHash(body);
	envelope.data.entry.forEach((rawEntry, index) => {
		const entry = entrySchema.safeParse(rawEntry);
		const path = `entry[${index}]`;
		const scope: Scope = {
			field: null,
			wabaId: entry.success ? (entry.data.id ?? null) : null,
			entryTime: entry.success ? (entry.data.time ?? null) : null,
			phoneNumberId: null,
			displayPhoneNumber: null,
			contacts: [],
			path,
			context: bodyContext,
			budget,
			truncated: false,
		};
		if (!entry.success) {
			events.push(unknownEvent(scope, 'entry', rawEntry, path));
			return;
		}
		const entryScope: Scope = { ...scope, context: lazyHash(rawEntry) };
		entry.data.changes.forEach((change, i) => {
			for (const event of changeEvents(entryScope, change, `${path}.changes[${i}]`)) {
				events.push(event);
			}
		});
	});
	return { ok: true, events };
}
