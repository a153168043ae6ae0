/**
 * Reading Graph API answers: the success shape of a send and the error shape of any call (docs/whatsapp-facts.md §3).
 * Pure, so the transport and the tests agree on what a field means.
 */

export interface SendResult {
	messageId: string;
	/** The recipient's WhatsApp id as Meta resolved it (may differ from the number we sent to). */
	waId: string | undefined;
	/** `accepted` or `held_for_quality_assessment`; delivery comes later, through status webhooks. */
	messageStatus: string;
	input: string | undefined;
}

export interface GraphErrorBody {
	httpStatus: number;
	code: number | undefined;
	subcode: number | undefined;
	type: string | undefined;
	message: string;
	details: string | undefined;
	fbtraceId: string | undefined;
	/** The parsed body as received, for the n8n error view. */
	raw: unknown;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

/** Accepts the body as n8n hands it over: parsed JSON, a string or a Buffer. */
export function parseBody(body: unknown): unknown {
	if (Buffer.isBuffer(body)) body = body.toString('utf8');
	if (typeof body === 'string') {
		const text = body.trim();
		if (text === '') return undefined;
		try {
			return JSON.parse(text);
		} catch {
			return body;
		}
	}
	return body;
}

export function parseSendResult(body: unknown): SendResult | undefined {
	const data = parseBody(body);
	if (!isObject(data) || !Array.isArray(data.messages) || !isObject(data.messages[0]))
		return undefined;
	const message = data.messages[0];
	if (typeof message.id !== 'string') return undefined;
	const contact =
		Array.isArray(data.contacts) && isObject(data.contacts[0]) ? data.contacts[0] : {};
	const waId = contact.wa_id ?? contact.user_id;
	return {
		messageId: message.id,
		waId: typeof waId === 'string' ? waId : undefined,
		messageStatus: typeof message.message_status === 'string' ? message.message_status : 'accepted',
		input: typeof contact.input === 'string' ? contact.input : undefined,
	};
}

const num = (value: unknown): number | undefined => {
	const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};
const str = (value: unknown): string | undefined =>
	typeof value === 'string' && value !== '' ? value : undefined;

export function parseGraphError(httpStatus: number, body: unknown): GraphErrorBody {
	const data = parseBody(body);
	const error = isObject(data) && isObject(data.error) ? data.error : undefined;
	const errorData = error && isObject(error.error_data) ? error.error_data : undefined;
	const fallback =
		typeof data === 'string' && data.trim() ? data.trim().slice(0, 300) : `HTTP ${httpStatus}`;
	return {
		httpStatus,
		code: num(error?.code),
		subcode: num(error?.error_subcode),
		type: str(error?.type),
		message: str(error?.message) ?? str(error?.error_user_msg) ?? fallback,
		details: str(errorData?.details) ?? str(error?.error_user_msg),
		fbtraceId: str(error?.fbtrace_id),
		raw: data,
	};
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from `now`. */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
	const header = Array.isArray(value) ? value[0] : value;
	if (typeof header !== 'string' && typeof header !== 'number') return undefined;
	const text = String(header).trim();
	if (text === '') return undefined;
	if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
	const at = Date.parse(text);
	return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
