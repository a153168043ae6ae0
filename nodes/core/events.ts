import { createHash } from 'node:crypto';

import { asNumber, asRecord, asString } from './coerce';
import { classifyGraphError, type GraphErrorClass, type RetryDecision } from './graphErrors';
import { applyJsonBudget, describeLimit, type BudgetedJson } from './jsonBudget';
import {
	changeSchema,
	contactSchema,
	entrySchema,
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
}

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
	'payment_configuration_update',
	'user_preferences',
	'partner_solutions',
]);

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

function findCustomer(scope: Scope, waId: string | null, userId: string | null): Customer | null {
	if (!waId && !userId) return null;
	const contact =
		scope.contacts.find((c) => (waId && c.wa_id === waId) || (userId && c.user_id === userId)) ??
		(scope.contacts.length === 1 ? scope.contacts[0] : undefined);
	const resolvedWaId = waId ?? contact?.wa_id ?? null;
	const resolvedUserId = userId ?? contact?.user_id ?? null;
	return {
		id: resolvedWaId ?? resolvedUserId,
		waId: resolvedWaId,
		userId: resolvedUserId,
		profileName: contact?.profile?.name ?? null,
		username: contact?.profile?.username ?? null,
	};
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
		case 'system':
			event.text = asString(body.body);
			break;
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

/** Items of a `messages` change: messages, statuses and value-level errors; other arrays are kept as unknown. */
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
	for (const [name, extra] of Object.entries(value)) {
		if (!handled.has(name)) events.push(unknownEvent(scope, name, extra, `${scope.path}.${name}`));
	}
	return events;
}

/** Template, quality and account notifications: one event per change, keyed by id + event + entry time. */
function fieldUpdateEvent(scope: Scope, value: Record<string, unknown>): WhatsAppEvent {
	const field = scope.field ?? 'unknown';
	const kind: EventKind = KNOWN_ACCOUNT_FIELDS.has(field) ? 'account_update' : 'unknown';
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
		asString(value.reason) ?? asString(value.message_template_name) ?? asString(value.description);
	Object.assign(event, toTimestamp(scope.entryTime));
	return event;
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
	const carriesItems = ['messages', 'statuses', 'errors'].some((name) => name in value);
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
