/**
 * A fake Graph API (WhatsApp Cloud API) on 127.0.0.1 for unit, node and e2e tests and the benchmark.
 *
 * - Answers sends with Meta's success shape and errors with Meta's error shape
 *   (`{error:{message, type, code, error_data:{messaging_product, details}, fbtrace_id}}`).
 * - Records every request it received.
 * - `failNext(n, 'code')` fails the next n matching calls; `failWhen(match, 'code')` fails every match.
 * - Serves a WABA's template list (paged) and media (upload, metadata, download).
 * - Checks the bearer token: a wrong one gets Meta's 190 answer.
 * - Answers conversation routing's `POST /{phone}/thread_control` (pass / take / release) and keeps
 *   the thread owner per customer (`threadOwners`); the body and answer shapes are ASSUMED
 *   (nodes/core/threadControl.ts). Inject a refusal with `failNext(1, spec, { match: isThreadControl })`.
 *
 *   const graph = new FakeGraphApi();
 *   await graph.start();          // credential baseUrl = graph.baseUrl
 *   graph.failNext(2, '130429', { retryAfter: 0 });
 */
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { closeServer, listenOnLoopback } from './loopbackServer';

export interface GraphErrorSpec {
	status: number;
	code: number;
	message: string;
	type?: string;
	details?: string;
	subcode?: number;
	/** Sets the Retry-After header (seconds). */
	retryAfter?: number | string;
	/** Answers this text instead of Meta's error body (a proxy's or load balancer's page). */
	plainBody?: string;
}

/** Meta's answers for the codes the node must handle, with the HTTP status Meta uses for them. */
export const GRAPH_ERRORS = {
	'100': {
		status: 400,
		code: 100,
		message: '(#100) Invalid parameter',
		details: "Param text['body'] is required.",
	},
	'131047': {
		status: 400,
		code: 131047,
		message: '(#131047) Re-engagement message',
		details:
			'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
	},
	'131026': {
		status: 400,
		code: 131026,
		message: '(#131026) Message Undeliverable.',
		details: 'Message Undeliverable.',
	},
	'131056': {
		status: 400,
		code: 131056,
		message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
		details:
			'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
	},
	'130429': {
		status: 429,
		code: 130429,
		message: '(#130429) Rate limit hit',
		details: 'Cloud API message throughput has been reached.',
	},
	'131000': {
		status: 500,
		code: 131000,
		message: '(#131000) Something went wrong',
		details: 'Something went wrong',
	},
	'2': {
		status: 500,
		code: 2,
		message: '(#2) Service temporarily unavailable',
		details: undefined,
	},
	'190': {
		status: 401,
		code: 190,
		subcode: 463,
		message:
			'Error validating access token: Session has expired on Tuesday, 01-Jul-25 10:00:00 PDT.',
		details: undefined,
	},
	'10': {
		status: 403,
		code: 10,
		message: '(#10) Application does not have permission for this action',
		details: undefined,
	},
	'132000': {
		status: 400,
		code: 132000,
		message: '(#132000) Number of parameters does not match the expected number of params',
		details:
			'body: number of localizable_params (1) does not match the expected number of params (2)',
	},
	'132001': {
		status: 400,
		code: 132001,
		message: '(#132001) Template name does not exist in the translation',
		details: 'template name (order_confirmation) does not exist in en_GB',
	},
} satisfies Record<string, GraphErrorSpec>;

export type GraphErrorName = keyof typeof GRAPH_ERRORS;

export interface RecordedRequest {
	method: string;
	/** Path without the query string, e.g. `/v23.0/1234/messages`. */
	path: string;
	query: Record<string, string>;
	headers: http.IncomingHttpHeaders;
	/** Parsed JSON, or the raw text for other bodies. */
	body: unknown;
	raw: Buffer;
	/** What the fake answered. */
	status: number;
	response: unknown;
	at: number;
}

export interface FakeTemplate {
	id?: string;
	name: string;
	language: string;
	status: string;
	category: string;
	parameter_format?: 'POSITIONAL' | 'NAMED';
	components?: unknown[];
}

interface Rule {
	remaining: number;
	spec: GraphErrorSpec;
	match: (req: RecordedRequest) => boolean;
}

export interface FakeGraphOptions {
	token?: string;
	phoneNumberId?: string;
	businessAccountId?: string;
	/** Delay before every answer, to make concurrency observable. */
	latencyMs?: number;
}

/** Default: a POST of a message (not a mark-as-read). */
export const isMessageSend = (req: RecordedRequest): boolean =>
	req.method === 'POST' &&
	req.path.endsWith('/messages') &&
	(req.body as { status?: string } | undefined)?.status !== 'read';

/** A conversation routing call: `POST /{phone}/thread_control`. */
export const isThreadControl = (req: RecordedRequest): boolean =>
	req.method === 'POST' && req.path.endsWith('/thread_control');

/** Meta's refusal of a take by an app that may not take (code as providers document it; assumed). */
export const THREAD_CONTROL_REFUSED: GraphErrorSpec = {
	status: 400,
	code: 2494191,
	message: '(#2494191) Thread control action not permitted',
	type: 'OAuthException',
	details: 'The app does not have permission to perform this thread control action.',
};

const fbtrace = () => `A${randomBytes(11).toString('base64url')}`;

export function errorBody(spec: GraphErrorSpec) {
	const error: Record<string, unknown> = {
		message: spec.message,
		type: spec.type ?? 'OAuthException',
		code: spec.code,
	};
	if (spec.details !== undefined)
		error.error_data = { messaging_product: 'whatsapp', details: spec.details };
	if (spec.subcode !== undefined) error.error_subcode = spec.subcode;
	if (spec.code === 2 || spec.code === 131000) error.is_transient = true;
	error.fbtrace_id = fbtrace();
	return { error };
}

export class FakeGraphApi {
	readonly token: string;
	readonly phoneNumberId: string;
	readonly businessAccountId: string;
	latencyMs: number;
	/** `message_status` of every accepted send when set, e.g. `held_for_quality_assessment`. */
	messageStatus: string | undefined;
	readonly requests: RecordedRequest[] = [];
	templates: FakeTemplate[] = [
		{ name: 'order_confirmation', language: 'en_US', status: 'APPROVED', category: 'UTILITY' },
		{ name: 'order_confirmation', language: 'de', status: 'APPROVED', category: 'UTILITY' },
		{ name: 'payment_reminder', language: 'en_US', status: 'PAUSED', category: 'UTILITY' },
		{ name: 'spring_sale', language: 'en_US', status: 'REJECTED', category: 'MARKETING' },
	];
	readonly media = new Map<string, { data: Buffer; mimeType: string; fileName: string }>();
	/** The app id the fake stands for: the owner after a take. */
	appId = '1000001';
	/** Who owns each customer's thread (`to` or `recipient`), as thread_control calls left it. */
	readonly threadOwners = new Map<string, string>();
	private rules: Rule[] = [];
	private server?: http.Server;
	private counter = 0;
	private inFlight = 0;
	/** Highest number of requests answered at the same time. */
	maxInFlight = 0;

	constructor(options: FakeGraphOptions = {}) {
		this.token = options.token ?? 'test-token';
		this.phoneNumberId = options.phoneNumberId ?? '1234567890';
		this.businessAccountId = options.businessAccountId ?? '9876543210';
		this.latencyMs = options.latencyMs ?? 0;
	}

	get baseUrl(): string {
		const address = this.server?.address() as AddressInfo | undefined;
		if (!address) throw new Error('FakeGraphApi not started');
		return `http://127.0.0.1:${address.port}`;
	}

	/** The credential data pointing at this fake. */
	credentials(version = 'v23.0') {
		return {
			accessToken: this.token,
			phoneNumberId: this.phoneNumberId,
			businessAccountId: this.businessAccountId,
			graphApiVersion: version,
			baseUrl: this.baseUrl,
		};
	}

	async start(port = 0): Promise<string> {
		this.server = await listenOnLoopback((req, res) => this.handle(req, res), port);
		return this.baseUrl;
	}

	async stop(): Promise<void> {
		await closeServer(this.server);
		this.server = undefined;
	}

	/** Fails the next `count` matching calls (default: message sends) with Meta's answer for `error`. */
	failNext(
		count: number,
		error: GraphErrorName | GraphErrorSpec,
		options: { retryAfter?: number | string; match?: (req: RecordedRequest) => boolean } = {},
	): this {
		const spec = typeof error === 'string' ? { ...GRAPH_ERRORS[error] } : { ...error };
		if (options.retryAfter !== undefined) spec.retryAfter = options.retryAfter;
		this.rules.push({ remaining: count, spec, match: options.match ?? isMessageSend });
		return this;
	}

	/** Fails every matching call (e.g. one recipient whose window is closed). */
	failWhen(match: (req: RecordedRequest) => boolean, error: GraphErrorName | GraphErrorSpec): this {
		const spec = typeof error === 'string' ? { ...GRAPH_ERRORS[error] } : { ...error };
		this.rules.push({ remaining: Infinity, spec, match });
		return this;
	}

	/** Forgets recorded requests and failure rules. */
	reset(): void {
		this.requests.length = 0;
		this.rules = [];
		this.maxInFlight = 0;
		this.messageStatus = undefined;
		this.threadOwners.clear();
	}

	/** thread_control calls received, with their bodies. */
	threadControls(): Array<{ status: number; body: Record<string, unknown>; path: string }> {
		return this.requests
			.filter(isThreadControl)
			.map((r) => ({ status: r.status, body: r.body as Record<string, unknown>, path: r.path }));
	}

	/** Message sends (not mark-as-read) that were answered 200. */
	accepted(): Array<{
		/** `to`, or `recipient` (a business-scoped user id) when the body had no `to`. */
		to: string;
		recipient: string | undefined;
		type: string;
		body: Record<string, unknown>;
		messageId: string;
	}> {
		return this.requests
			.filter((r) => isMessageSend(r) && r.status === 200)
			.map((r) => {
				const body = r.body as Record<string, unknown>;
				const messages = (r.response as { messages: Array<{ id: string }> }).messages;
				return {
					to: String(body.to ?? body.recipient),
					recipient: typeof body.recipient === 'string' ? body.recipient : undefined,
					type: String(body.type),
					body,
					messageId: messages[0].id,
				};
			});
	}

	/** Message sends received, answered with anything. */
	sends(): RecordedRequest[] {
		return this.requests.filter(isMessageSend);
	}

	addMedia(data: Buffer, mimeType: string, fileName = 'file'): string {
		const id = `${1000000000000000 + this.media.size + 1}`;
		this.media.set(id, { data, mimeType, fileName });
		return id;
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		this.inFlight++;
		this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
		try {
			const chunks: Buffer[] = [];
			for await (const chunk of req) chunks.push(chunk as Buffer);
			const raw = Buffer.concat(chunks);
			const url = new URL(req.url ?? '/', 'http://127.0.0.1');
			const contentType = String(req.headers['content-type'] ?? '');
			let body: unknown = raw.length ? raw.toString('utf8') : undefined;
			if (contentType.includes('json') && raw.length) {
				try {
					body = JSON.parse(raw.toString('utf8'));
				} catch {
					body = raw.toString('utf8');
				}
			}
			const record: RecordedRequest = {
				method: req.method ?? 'GET',
				path: url.pathname,
				query: Object.fromEntries(url.searchParams),
				headers: req.headers,
				body,
				raw,
				status: 0,
				response: undefined,
				at: Date.now(),
			};
			this.requests.push(record);
			if (this.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
			// Setup and registration calls first (see the block at the end of the class).
			const answer = (await this.answerSetup(record)) ?? this.answer(record, contentType);
			record.status = answer.status;
			record.response = Buffer.isBuffer(answer.body)
				? `<${answer.body.length} bytes>`
				: answer.body;
			const headers: Record<string, string> = { ...answer.headers };
			let payload: Buffer;
			if (Buffer.isBuffer(answer.body)) payload = answer.body;
			else {
				payload = Buffer.from(JSON.stringify(answer.body));
				headers['content-type'] = 'application/json; charset=UTF-8';
			}
			headers['content-length'] = String(payload.length);
			res.writeHead(answer.status, headers);
			res.end(payload);
		} finally {
			this.inFlight--;
		}
	}

	private answer(
		req: RecordedRequest,
		contentType: string,
	): { status: number; body: unknown; headers?: Record<string, string> } {
		if (req.headers.authorization !== `Bearer ${this.token}`)
			return this.error(GRAPH_ERRORS['190']);
		const rule = this.rules.find((r) => r.remaining > 0 && r.match(req));
		if (rule) {
			rule.remaining--;
			return this.error(rule.spec);
		}
		const parts = req.path.split('/').filter(Boolean);
		if (parts[0] === 'media-download' && req.method === 'GET') {
			const media = this.media.get(parts[1]);
			if (!media) return { status: 404, body: { error: { message: 'Not found' } } };
			return { status: 200, body: media.data, headers: { 'content-type': media.mimeType } };
		}
		const [, node, edge] = parts;
		if (req.method === 'POST' && edge === 'messages') return this.message(node, req.body);
		if (req.method === 'POST' && edge === 'media') return this.upload(req, contentType);
		if (req.method === 'POST' && edge === 'thread_control')
			return this.threadControl(node, req.body);
		if (req.method === 'GET' && edge === 'message_templates')
			return this.templatePage(node, req.query);
		if (req.method === 'GET' && node && !edge) {
			const media = this.media.get(node);
			if (media) {
				return {
					status: 200,
					body: {
						url: `${this.baseUrl}/media-download/${node}?ext=1&hash=x`,
						mime_type: media.mimeType,
						sha256: createHash('sha256').update(media.data).digest('hex'),
						file_size: media.data.length,
						id: node,
						messaging_product: 'whatsapp',
					},
				};
			}
			if (node === this.phoneNumberId)
				return {
					status: 200,
					body: { id: node, display_phone_number: '+1 555-010-0000', verified_name: 'Test Shop' },
				};
		}
		return this.error({
			status: 400,
			code: 100,
			message: `(#100) Unsupported ${req.method} request: ${req.path}`,
			type: 'GraphMethodException',
		});
	}

	private error(spec: GraphErrorSpec) {
		const headers: Record<string, string> = {};
		if (spec.retryAfter !== undefined) headers['retry-after'] = String(spec.retryAfter);
		if (spec.plainBody !== undefined) {
			headers['content-type'] = 'text/html';
			return { status: spec.status, body: Buffer.from(spec.plainBody), headers };
		}
		return { status: spec.status, body: errorBody(spec), headers };
	}

	private message(phoneNumberId: string, body: unknown) {
		if (phoneNumberId !== this.phoneNumberId)
			return this.error({
				status: 400,
				code: 100,
				message: `(#100) Object with ID '${phoneNumberId}' does not exist`,
				type: 'GraphMethodException',
			});
		const msg = body as Record<string, unknown> | undefined;
		if (!msg || msg.messaging_product !== 'whatsapp')
			return this.error({
				...GRAPH_ERRORS['100'],
				details: 'The parameter messaging_product is required.',
			});
		if (msg.status === 'read') {
			if (typeof msg.message_id !== 'string')
				return this.error({
					...GRAPH_ERRORS['100'],
					details: 'The parameter message_id is required.',
				});
			return { status: 200, body: { success: true } };
		}
		// A phone number in `to` or a business-scoped user id in `recipient`; both given, `to` wins.
		const to = typeof msg.to === 'string' ? msg.to : undefined;
		const recipient = typeof msg.recipient === 'string' ? msg.recipient : undefined;
		if (to === undefined && recipient === undefined)
			return this.error({
				...GRAPH_ERRORS['100'],
				details: 'The parameter to or recipient is required.',
			});
		if (typeof msg.type !== 'string' || msg[msg.type] === undefined) {
			return this.error({
				...GRAPH_ERRORS['100'],
				details: `Param ${String(msg.type)} is required.`,
			});
		}
		this.counter++;
		const id = `wamid.FAKE${String(this.counter).padStart(6, '0')}${randomBytes(4).toString('hex').toUpperCase()}`;
		const message: Record<string, string> = { id };
		// Meta states message_status on template sends.
		if (msg.type === 'template') message.message_status = 'accepted';
		if (this.messageStatus !== undefined) message.message_status = this.messageStatus;
		return {
			status: 200,
			body: {
				messaging_product: 'whatsapp',
				contacts: [
					to !== undefined
						? { input: to, wa_id: to.replace(/\D/g, '') }
						: { input: recipient, user_id: recipient },
				],
				messages: [message],
			},
		};
	}

	/**
	 * ASSUMED shape (see nodes/core/threadControl.ts): `{ messaging_product, to | recipient, action,
	 * metadata?, control_pass?: { target_app_id } | { target_role } }`, answered
	 * `{ messaging_product: 'whatsapp', success: true }`.
	 */
	private threadControl(phoneNumberId: string, body: unknown) {
		if (phoneNumberId !== this.phoneNumberId)
			return this.error({
				status: 400,
				code: 100,
				message: `(#100) Object with ID '${phoneNumberId}' does not exist`,
				type: 'GraphMethodException',
			});
		const msg = (body ?? {}) as Record<string, unknown>;
		const customer =
			typeof msg.to === 'string'
				? msg.to
				: typeof msg.recipient === 'string'
					? msg.recipient
					: undefined;
		if (msg.messaging_product !== 'whatsapp' || customer === undefined)
			return this.error({
				...GRAPH_ERRORS['100'],
				details: 'The parameters messaging_product and to or recipient are required.',
			});
		const pass = msg.control_pass as { target_app_id?: string; target_role?: string } | undefined;
		switch (msg.action) {
			case 'pass':
				this.threadOwners.set(
					customer,
					pass?.target_app_id ?? pass?.target_role ?? 'escalation_partner',
				);
				break;
			case 'take':
				this.threadOwners.set(customer, this.appId);
				break;
			case 'release':
				this.threadOwners.delete(customer);
				break;
			default:
				return this.error({
					...GRAPH_ERRORS['100'],
					details: 'Param action must be one of {pass, take, release}.',
				});
		}
		return { status: 200, body: { messaging_product: 'whatsapp', success: true } };
	}

	private upload(req: RecordedRequest, contentType: string) {
		const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
		if (!boundary)
			return this.error({ ...GRAPH_ERRORS['100'], details: 'Upload must be multipart/form-data' });
		const fields = parseMultipart(req.raw, boundary);
		const file = fields.find((f) => f.name === 'file');
		const product = fields.find((f) => f.name === 'messaging_product')?.data.toString();
		const type = fields.find((f) => f.name === 'type')?.data.toString();
		if (product !== 'whatsapp' || !file || !type)
			return this.error({
				...GRAPH_ERRORS['100'],
				details: 'messaging_product, type and file are required',
			});
		return { status: 200, body: { id: this.addMedia(file.data, type, file.filename ?? 'file') } };
	}

	private templatePage(wabaId: string, query: Record<string, string>) {
		if (wabaId !== this.businessAccountId)
			return this.error({
				status: 400,
				code: 100,
				message: `(#100) Object with ID '${wabaId}' does not exist`,
				type: 'GraphMethodException',
			});
		const limit = Number(query.limit ?? 25);
		const start = query.after ? Number(Buffer.from(query.after, 'base64url').toString()) : 0;
		const list = this.templates.filter((t) => !query.name || t.name.includes(query.name));
		const data = list
			.slice(start, start + limit)
			.map((t, i) => ({ id: t.id ?? String(500 + start + i), ...t }));
		const after = Buffer.from(String(start + data.length)).toString('base64url');
		const paging: Record<string, unknown> = {
			cursors: { before: Buffer.from(String(start)).toString('base64url'), after },
		};
		if (start + data.length < list.length)
			paging.next = `${this.baseUrl}/v23.0/${wabaId}/message_templates?limit=${limit}&after=${after}`;
		return { status: 200, body: { data, paging } };
	}

	// ---- Setup and registration: subscribed_apps, webhook overrides with Meta's GET handshake, ----
	// ---- phone number fields, /me/permissions and whatsapp_business_encryption.               ----

	/** The app-level callback URL (App Dashboard), reported in webhook_configuration.application. */
	appCallbackUrl = 'http://127.0.0.1:9/app-level-webhook';
	/** Permissions /me/permissions reports as granted; `null` answers it with Meta's error 100. */
	permissions: string[] | null = ['whatsapp_business_messaging', 'whatsapp_business_management'];
	/** WABAs subscribed to the app, with the WABA override if one is set. */
	readonly subscriptions = new Map<string, { overrideUrl?: string }>();
	/** Phone numbers of the WABA (the credential's is added at construction). */
	readonly phoneNumbers = new Map<string, FakePhoneNumber>();
	/** Every GET handshake the fake made to a callback URL, and whether it was answered right. */
	readonly handshakes: Array<{ url: string; status: number; ok: boolean; verifyToken: string }> =
		[];

	/** Adds (or returns) a phone number of the WABA. */
	addPhoneNumber(id: string, fields: Partial<FakePhoneNumber> = {}): FakePhoneNumber {
		const phone = this.phoneNumbers.get(id) ?? {
			status: 'CONNECTED',
			qualityRating: 'GREEN',
			throughput: 'STANDARD',
			displayPhoneNumber: `+1 555-010-${id.slice(-4)}`,
		};
		Object.assign(phone, fields);
		this.phoneNumbers.set(id, phone);
		return phone;
	}

	/** Setup calls the fake knows, or undefined to let answer() handle the request. */
	private async answerSetup(
		req: RecordedRequest,
	): Promise<{ status: number; body: unknown; headers?: Record<string, string> } | undefined> {
		if (this.phoneNumbers.size === 0) this.addPhoneNumber(this.phoneNumberId);
		// Wrong tokens and failure rules are answer()'s.
		if (req.headers.authorization !== `Bearer ${this.token}`) return undefined;
		if (this.rules.some((r) => r.remaining > 0 && r.match(req))) return undefined;
		const [, node, edge] = req.path.split('/').filter(Boolean);
		const notFound = (id: string) =>
			this.error({
				status: 400,
				code: 100,
				message: `(#100) Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
				type: 'GraphMethodException',
			});
		if (node === 'me' && edge === 'permissions' && req.method === 'GET') {
			if (this.permissions === null)
				return this.error({ ...GRAPH_ERRORS['100'], details: undefined });
			return {
				status: 200,
				body: { data: this.permissions.map((permission) => ({ permission, status: 'granted' })) },
			};
		}
		if (edge === 'subscribed_apps') {
			if (node !== this.businessAccountId) return notFound(node);
			const body = (req.body ?? {}) as { override_callback_uri?: string; verify_token?: string };
			if (req.method === 'GET') {
				const sub = this.subscriptions.get(node);
				return {
					status: 200,
					body: {
						data: sub
							? [
									{
										whatsapp_business_api_data: { id: '1000001', name: 'Test App' },
										...(sub.overrideUrl ? { override_callback_uri: sub.overrideUrl } : {}),
									},
								]
							: [],
					},
				};
			}
			if (req.method === 'POST') {
				if (body.override_callback_uri) {
					const failed = await this.handshake(body.override_callback_uri, body.verify_token);
					if (failed) return failed;
				}
				this.subscriptions.set(node, { overrideUrl: body.override_callback_uri || undefined });
				return { status: 200, body: { success: true } };
			}
			if (req.method === 'DELETE') {
				this.subscriptions.delete(node);
				return { status: 200, body: { success: true } };
			}
		}
		const phone = node ? this.phoneNumbers.get(node) : undefined;
		if (!phone) return undefined;
		if (edge === 'whatsapp_business_encryption' && req.method === 'GET') {
			return {
				status: 200,
				body: {
					data: phone.publicKey
						? [
								{
									business_public_key: phone.publicKey,
									business_public_key_signature_status: 'VALID',
								},
							]
						: [],
				},
			};
		}
		if (edge) return undefined;
		if (req.method === 'POST') {
			const config = (req.body as { webhook_configuration?: Record<string, string> } | undefined)
				?.webhook_configuration;
			if (!config || typeof config.override_callback_uri !== 'string')
				return this.error({
					...GRAPH_ERRORS['100'],
					details: 'webhook_configuration.override_callback_uri is required',
				});
			if (config.override_callback_uri !== '') {
				const failed = await this.handshake(config.override_callback_uri, config.verify_token);
				if (failed) return failed;
			}
			phone.overrideUrl = config.override_callback_uri || undefined;
			return { status: 200, body: { success: true } };
		}
		if (req.method === 'GET' && req.query.fields) {
			const all: Record<string, unknown> = {
				id: node,
				display_phone_number: phone.displayPhoneNumber,
				verified_name: 'Test Shop',
				status: phone.status,
				name_status: 'APPROVED',
				quality_rating: phone.qualityRating,
				throughput: { level: phone.throughput },
				code_verification_status: 'VERIFIED',
				webhook_configuration: {
					...(phone.overrideUrl ? { phone_number: phone.overrideUrl } : {}),
					...(this.subscriptions.get(this.businessAccountId)?.overrideUrl
						? {
								whatsapp_business_account: this.subscriptions.get(this.businessAccountId)
									?.overrideUrl,
							}
						: {}),
					application: this.appCallbackUrl,
				},
			};
			const fields = new Set(['id', ...req.query.fields.split(',')]);
			return {
				status: 200,
				body: Object.fromEntries(Object.entries(all).filter(([key]) => fields.has(key))),
			};
		}
		return undefined;
	}

	/** Meta's verification of a new callback URL: a GET with the verify token and a random challenge. */
	private async handshake(
		url: string,
		verifyToken: string | undefined,
	): Promise<{ status: number; body: unknown } | undefined> {
		const challenge = randomBytes(8).toString('hex');
		const target = new URL(url);
		target.searchParams.set('hub.mode', 'subscribe');
		target.searchParams.set('hub.verify_token', verifyToken ?? '');
		target.searchParams.set('hub.challenge', challenge);
		let status = 0;
		let text = '';
		try {
			const response = await fetch(target, { signal: AbortSignal.timeout(10_000) });
			status = response.status;
			text = await response.text();
		} catch {
			status = 0;
		}
		const ok = status === 200 && text === challenge;
		this.handshakes.push({ url, status, ok, verifyToken: verifyToken ?? '' });
		if (ok) return undefined;
		return this.error({
			status: 400,
			code: 2200,
			message: `(#2200) Callback verification failed with the following errors: HTTP Status Code = ${status}; HTTP Message = ${status === 0 ? 'unreachable' : text.slice(0, 100)}`,
			type: 'OAuthException',
		});
	}
}

export interface FakePhoneNumber {
	status: string;
	qualityRating: string;
	throughput: string;
	displayPhoneNumber: string;
	/** The phone number's webhook override. */
	overrideUrl?: string;
	/** The uploaded Flow endpoint public key. */
	publicKey?: string;
}

export function parseMultipart(
	raw: Buffer,
	boundary: string,
): Array<{ name: string; filename?: string; contentType?: string; data: Buffer }> {
	const out: Array<{ name: string; filename?: string; contentType?: string; data: Buffer }> = [];
	const delimiter = Buffer.from(`--${boundary}`);
	let position = raw.indexOf(delimiter);
	while (position !== -1) {
		const start = position + delimiter.length;
		if (raw.subarray(start, start + 2).toString() === '--') break;
		const headerEnd = raw.indexOf('\r\n\r\n', start);
		const next = raw.indexOf(delimiter, headerEnd);
		if (headerEnd === -1 || next === -1) break;
		const headers = raw.subarray(start + 2, headerEnd).toString();
		const data = raw.subarray(headerEnd + 4, next - 2);
		const name = /name="([^"]*)"/.exec(headers)?.[1] ?? '';
		const filename = /filename="([^"]*)"/.exec(headers)?.[1];
		const contentType = /Content-Type:\s*(.+)/i.exec(headers)?.[1]?.trim();
		out.push({ name, filename, contentType, data });
		position = next;
	}
	return out;
}
