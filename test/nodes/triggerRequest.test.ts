/**
 * The trigger's request checks, in order: signature header shape (401) → content type (415) → raw
 * bytes (500) → signature (401) → JSON (400) → envelope within the input budget (400). 401 and 403
 * answers carry no detail; the reason is logged, never a secret.
 */
import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';

import { resetWorkflowStatesForTests } from '../../nodes/shared/workflowState';
import { WhatsAppReliableTrigger } from '../../nodes/WhatsAppReliableTrigger/WhatsAppReliableTrigger.node';
import { deepJson, spliceJson } from '../support/hostile';
import { FakeWorkflowDatabase } from '../support/n8nStaticData';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../support/payloads';

const SECRET = 'app-secret-for-order-tests';
const TOKEN = 'verify-token-for-order-tests';

interface Request {
	method?: 'GET' | 'POST';
	raw?: Buffer;
	headers?: Record<string, string>;
	query?: IDataObject;
}

async function call(request: Request, credentials: 'ok' | 'throws' = 'ok') {
	const sent: { status?: number; body?: unknown } = {};
	const warnings: string[] = [];
	let credentialReads = 0;
	const staticData = new FakeWorkflowDatabase().begin();
	const res = {
		status(code: number) {
			sent.status = code;
			return res;
		},
		type: () => res,
		send(b: unknown) {
			sent.body = b;
			return res;
		},
		end: () => res,
	};
	const ctx = {
		getWebhookName: () => (request.method === 'GET' ? 'setup' : 'default'),
		getRequestObject: () => ({
			method: request.method ?? 'POST',
			headers: request.headers ?? {},
			...(request.raw ? { rawBody: request.raw } : {}),
		}),
		getResponseObject: () => res,
		getQueryData: () => request.query ?? {},
		getCredentials: async () => {
			credentialReads++;
			if (credentials === 'throws') throw new Error('credential store unavailable');
			return { appSecret: SECRET, verifyToken: TOKEN };
		},
		getNodeParameter: (_name: string, fallback: unknown) => fallback,
		getWorkflow: () => ({ id: 'wf1', active: true }),
		getNode: () => ({ id: 'node1', name: 'Trigger' }),
		getWorkflowStaticData: (type: string) => staticData.forNode(type, 'Trigger'),
		logger: { warn: (m: string) => warnings.push(m), debug: () => undefined },
	} as unknown as IWebhookFunctions;
	const response = await new WhatsAppReliableTrigger().webhook.call(ctx);
	return { response, sent, warnings, credentialReads };
}

const payload = body(change(PHONE_A, { messages: [textMessage('wamid.order', 'hello')] }));
const raw = Buffer.from(metaSerialise(payload));
const signed = (bytes: Buffer, contentType = 'application/json') => ({
	raw: bytes,
	headers: { 'content-type': contentType, 'x-hub-signature-256': sign(bytes, SECRET) },
});

beforeEach(() => resetWorkflowStatesForTests());

describe('WhatsApp Reliable Trigger: order of request checks', () => {
	it('answers multipart without a signature 401 Unauthorized before reading the body or the credential', async () => {
		const result = await call(
			{ headers: { 'content-type': 'multipart/form-data; boundary=x' } },
			'throws',
		);
		expect(result.sent).toEqual({ status: 401, body: 'Unauthorized' });
		expect(result.credentialReads).toBe(0);
		expect(result.warnings.join()).toContain('X-Hub-Signature-256 header is missing');
	});

	it.each([['sha1=abc'], ['sha256=xyz'], ['sha256=' + '0'.repeat(63)]])(
		'answers a malformed signature %p 401 Unauthorized, whatever the body',
		async (signature) => {
			const result = await call(
				{ headers: { 'x-hub-signature-256': signature, 'content-type': 'text/html' } },
				'throws',
			);
			expect(result.sent).toEqual({ status: 401, body: 'Unauthorized' });
			expect(result.warnings.join()).toContain('not "sha256=" followed by 64 hex digits');
		},
	);

	it('answers a signed non-JSON content type 415', async () => {
		const multipart = await call({
			headers: {
				'content-type': 'multipart/form-data; boundary=x',
				'x-hub-signature-256': sign(raw, SECRET),
			},
		});
		expect(multipart.sent).toEqual({ status: 415, body: 'Unsupported Media Type' });
		expect(multipart.warnings.join()).toContain('"multipart/form-data; boundary=x" is not JSON');
		const text = await call(signed(raw, 'text/plain'));
		expect(text.sent).toEqual({ status: 415, body: 'Unsupported Media Type' });
		expect(text.response.workflowData).toBeUndefined();
	});

	it.each([
		['application/json; charset=utf-8'],
		['application/vnd.meta+json'],
		['APPLICATION/JSON'],
	])('accepts %p', async (contentType) => {
		const result = await call(signed(raw, contentType));
		expect(result.sent.status).toBeUndefined();
		expect(result.response.workflowData?.[0]).toHaveLength(1);
	});

	it('answers a wrong signature 401 with only Unauthorized and logs why, never the secret', async () => {
		const result = await call({
			raw,
			headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, 'wrong') },
		});
		expect(result.sent).toEqual({ status: 401, body: 'Unauthorized' });
		expect(result.warnings.join()).toContain('does not match');
		expect(result.warnings.join()).not.toContain(SECRET);
	});

	it('answers a failed handshake 403 with only Forbidden', async () => {
		const result = await call({
			method: 'GET',
			query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' },
		});
		expect(result.sent).toEqual({ status: 403, body: 'Forbidden' });
		expect(result.warnings.join()).toContain('verify_token');
		expect(result.warnings.join()).not.toContain(TOKEN);
	});

	it('answers a signed body that is not JSON 400 with the reason', async () => {
		const result = await call(signed(Buffer.from('{nope')));
		expect(result.sent).toEqual({ status: 400, body: 'the body is not valid JSON' });
	});

	it('answers a signed body whose envelope is past the input budget 400', async () => {
		const bytes = Buffer.from(
			spliceJson(
				{ object: 'whatsapp_business_account', entry: '@many@' },
				{
					'"@many@"': `[${new Array(20_000).fill('{}').join(',')}]`,
				},
			),
		);
		const result = await call(signed(bytes));
		expect(result.sent.status).toBe(400);
		expect(result.sent.body).toContain('"entry" is past the input limit');
	});

	it('emits the valid message beside a value 5,000 deep, and the deep part flagged', async () => {
		const hostile = body(
			change(PHONE_A, {
				messages: [textMessage('wamid.valid', 'still here')],
				errors: ['@deep@' as never],
			}),
		);
		const bytes = Buffer.from(spliceJson(hostile, { '"@deep@"': deepJson(5_000) }, metaSerialise));
		const result = await call(signed(bytes));
		expect(result.sent.status).toBeUndefined();
		const items = (result.response.workflowData ?? []).flat().map((i) => i.json);
		expect(items.map((i) => [i.kind, i.messageId, i.truncated])).toEqual([
			['message', 'wamid.valid', false],
			['error', null, true],
		]);
		expect(() => JSON.stringify(items)).not.toThrow();
	});
});
