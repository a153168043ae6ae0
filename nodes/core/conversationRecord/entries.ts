import { asArray, asRecord, asString } from '../coerce';
import type { WhatsAppEvent } from '../events';
import { MEDIA_KINDS } from '../messages/media';
import type { OwnerKind, SenderRole, TranscriptEntry } from './types';

/** Transcript entries built from what happened: an inbound event, or a send Meta accepted. */

/** Flow answers are free-form: cap their stored size. */
const MAX_FLOW_JSON = 2000;

function cut(text: string | null | undefined, max: number): string | undefined {
	if (text === null || text === undefined || text === '') return undefined;
	return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

/** A transcript entry for an inbound message or Flow answer. */
export function inboundEntry(event: WhatsAppEvent, maxText: number, now: number): TranscriptEntry {
	const entry: TranscriptEntry = {
		dir: 'in',
		id: event.messageId,
		at: event.timestamp !== null ? event.timestamp * 1000 : now,
		type: event.subtype,
	};
	const text = cut(event.text, maxText);
	if (text) entry.text = text;
	if (event.reply?.id) entry.reply = event.reply.id;
	if (event.flow) {
		let fields = event.flow.fields;
		if (JSON.stringify(fields).length > MAX_FLOW_JSON)
			fields = { truncated: cut(JSON.stringify(fields), MAX_FLOW_JSON) };
		entry.flow = { token: event.flow.flowToken, fields };
	}
	if (event.media) {
		entry.media = { id: event.media.id, mime: event.media.mimeType };
		if (event.media.filename) entry.media.name = event.media.filename;
		if (event.media.url) entry.media.url = event.media.url;
	}
	if (event.reaction) {
		entry.reaction = { to: event.reaction.messageId, emoji: event.reaction.emoji };
		if (!entry.text && event.reaction.emoji) entry.text = event.reaction.emoji;
	}
	if (event.order)
		entry.order = {
			total: event.order.total,
			currency: event.order.currency,
			items: event.order.items.length,
		};
	return entry;
}

/**
 * A transcript entry for a message the business typed in the WhatsApp Business app (an echo), or a
 * message of the synced chat history (either direction). Both are read like an inbound message.
 */
export function appEntry(event: WhatsAppEvent, maxText: number, now: number): TranscriptEntry {
	const entry = inboundEntry(event, maxText, now);
	if (event.direction === 'outbound') {
		entry.dir = 'out';
		entry.by = 'human';
		entry.app = true;
	}
	if (event.kind === 'history') entry.history = true;
	return entry;
}

export interface OutboundRecord {
	phoneNumberId: string;
	/** wa_id Meta resolved, else the number we sent to. */
	customerId: string;
	messageId: string;
	/** The JSON body we POSTed to /messages. */
	message: Record<string, unknown>;
	correlationId?: string | null;
	/** Meta's message_status: accepted or held_for_quality_assessment. */
	messageStatus?: string | null;
	fallbackTemplate?: boolean;
	/** The role the sender declared; without one, the owner at record time decides (human or bot). */
	sentBy?: SenderRole;
	at: number;
}

/** What a human reads from an outbound body: the text, caption, template name and parameters, or body. */
function outboundText(type: string, payload: Record<string, unknown>): string | null {
	switch (type) {
		case 'text':
			return asString(payload.body);
		case 'template': {
			const params = asArray(payload.components)
				.flatMap((c) => asArray(asRecord(c).parameters))
				.map(
					(p) =>
						asString(asRecord(p).text) ??
						asString(asRecord(asRecord(p).currency).fallback_value) ??
						asString(asRecord(asRecord(p).date_time).fallback_value),
				)
				.filter((p): p is string => p !== null);
			return `[template ${asString(payload.name) ?? '?'}${params.length ? `: ${params.join(' | ')}` : ''}]`;
		}
		case 'interactive':
			return asString(asRecord(payload.body).text);
		case 'reaction':
			return asString(payload.emoji);
		case 'location':
			return [asString(payload.name), asString(payload.address)].filter(Boolean).join(', ') || null;
		default:
			return asString(payload.caption);
	}
}

export function outboundEntry(
	record: OutboundRecord,
	owner: OwnerKind,
	maxText: number,
): TranscriptEntry {
	const type = asString(record.message.type) ?? 'unknown';
	const payload = asRecord(record.message[type]);
	const entry: TranscriptEntry = {
		dir: 'out',
		id: record.messageId,
		at: record.at,
		type,
		by: record.sentBy ?? (owner === 'human' ? 'human' : 'bot'),
	};
	const text = cut(outboundText(type, payload), maxText);
	if (text) entry.text = text;
	if (record.correlationId) entry.corr = record.correlationId;
	if (record.messageStatus && record.messageStatus !== 'accepted')
		entry.accepted = record.messageStatus;
	if (record.fallbackTemplate) entry.fallback = true;
	if ((MEDIA_KINDS as readonly string[]).includes(type)) {
		const id = asString(payload.id);
		entry.media = { id: id === 'pending-upload' ? null : id, mime: null };
		if (asString(payload.filename)) entry.media.name = asString(payload.filename)!;
		if (asString(payload.link)) entry.media.link = asString(payload.link)!;
	}
	if (type === 'reaction')
		entry.reaction = { to: asString(payload.message_id), emoji: asString(payload.emoji) };
	return entry;
}
