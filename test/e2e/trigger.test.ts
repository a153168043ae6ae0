/**
 * The WhatsApp Reliable Trigger in a real n8n: handshake, rejections, outputs, and exactly-once under
 * redelivery, concurrency and a restart. Bodies are serialised and signed as Meta does.
 */
import { N8nInstance } from '../support/n8n';
import { nodeOutputs, triggerOnlyWorkflow } from '../support/workflows';
import {
	body,
	bodyWithEntries,
	change,
	flowReply,
	metaSerialise,
	PHONE_A,
	PHONE_B,
	sign,
	status,
	textMessage,
	valueError,
} from '../support/payloads';

const APP_SECRET = 'e2e-app-secret-7f3a';
const VERIFY_TOKEN = 'e2e-verify-token-19c';
const WORKFLOW_ID = 'waTriggerE2e0001';
const WEBHOOK_ID = 'wa-trigger-e2e';
const NODE = 'WhatsApp Reliable Trigger';

const triggerWorkflow = (credentialId: string) =>
	triggerOnlyWorkflow({
		id: WORKFLOW_ID,
		name: 'e2e: WhatsApp Reliable Trigger',
		webhookId: WEBHOOK_ID,
		credentialId,
	});

describe('WhatsApp Reliable Trigger in a real n8n', () => {
	let n8n: N8nInstance;
	let url: string;

	const post = async (
		payload: unknown,
		opts: { secret?: string; raw?: Buffer; signature?: string | null; contentType?: string } = {},
	) => {
		const raw = opts.raw ?? Buffer.from(metaSerialise(payload));
		const headers: Record<string, string> = {
			'content-type': opts.contentType ?? 'application/json',
		};
		const signature =
			opts.signature === undefined ? sign(raw, opts.secret ?? APP_SECRET) : opts.signature;
		if (signature !== null) headers['x-hub-signature-256'] = signature;
		return await n8n.http('POST', url, { headers, body: raw });
	};
	const count = async () => (await n8n.executions(WORKFLOW_ID)).length;

	beforeAll(async () => {
		n8n = await N8nInstance.start();
		const credentialId = await n8n.createCredential(
			'whatsAppWebhookApi',
			'WhatsApp webhook (e2e)',
			{
				appSecret: APP_SECRET,
				verifyToken: VERIFY_TOKEN,
			},
		);
		url = n8n.webhookUrl(WEBHOOK_ID, 'whatsapp');
		await n8n.importAndPublish(triggerWorkflow(credentialId), {
			probe: `${url}?hub.mode=subscribe`,
		});
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	it('answers the handshake with exactly the challenge, and 403 otherwise, without executions', async () => {
		const ok = await n8n.http(
			'GET',
			`${url}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${VERIFY_TOKEN}`,
		);
		expect(ok.status).toBe(200);
		expect(ok.text).toBe('1158201444');
		expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
		const wrong = await n8n.http(
			'GET',
			`${url}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope`,
		);
		expect(wrong.status).toBe(403);
		const noMode = await n8n.http('GET', `${url}?hub.challenge=1&hub.verify_token=${VERIFY_TOKEN}`);
		expect(noMode.status).toBe(403);
		await n8n.settle(WORKFLOW_ID);
		expect(await count()).toBe(0);
	});

	it('rejects bad, missing and one-byte-changed signatures with 401, logs why, never the secret', async () => {
		const payload = body(change(PHONE_A, { messages: [textMessage('wamid.sig', 'hi')] }));
		const raw = Buffer.from(metaSerialise(payload));
		const tampered = Buffer.from(raw);
		tampered[raw.indexOf('hi')] = 'H'.charCodeAt(0);
		const offset = n8n.logOffset();

		const responses = await Promise.all([
			post(payload, { secret: 'not-the-secret' }),
			post(payload, { signature: null }),
			post(payload, { raw: tampered, signature: sign(raw, APP_SECRET) }),
			post(payload, { signature: 'sha1=abc' }),
		]);
		expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 401]);
		// The reason is only in the log: callers read nothing but the status.
		expect(responses.map((r) => r.text)).toEqual(Array(4).fill('Unauthorized'));

		await n8n.waitForLog('X-Hub-Signature-256 header is missing', { sinceOffset: offset });
		const log = n8n.logText(offset);
		expect(log).toContain('rejected a POST request with 401');
		expect(log).not.toContain(APP_SECRET);
		await n8n.settle(WORKFLOW_ID);
		expect(await count()).toBe(0);
	});

	it('answers 400 for JSON that is not a WhatsApp notification; n8n itself answers 422 for non-JSON', async () => {
		for (const bad of [[1, 2], { object: 'page', entry: [] }, {}]) {
			const response = await post(bad);
			expect(response.status).toBe(400);
		}
		const empty = await post(undefined, { raw: Buffer.alloc(0) });
		expect(empty.status).toBe(400);
		expect(empty.text).toContain('the body is empty');
		// n8n parses application/json bodies before any node runs, and refuses broken ones itself.
		const notJson = await post(undefined, { raw: Buffer.from('not json') });
		expect(notJson.status).toBe(422);
		// A signed body of a JSON type n8n does not parse itself reaches our own parse.
		const notJsonAsVendorJson = await post(undefined, {
			raw: Buffer.from('not json'),
			contentType: 'application/vnd.meta+json',
		});
		expect(notJsonAsVendorJson.status).toBe(400);
		expect(notJsonAsVendorJson.text).toContain('not valid JSON');
		await n8n.settle(WORKFLOW_ID);
		expect(await count()).toBe(0);
	});

	it('splits a mixed batch over two numbers into one item per event on the right outputs', async () => {
		const before = await count();
		const payload = bodyWithEntries(
			[
				change(PHONE_A, {
					messages: [
						textMessage('wamid.b1', 'Ich möchte stornieren 😞'),
						flowReply('wamid.b2', 'booking-7', { slot: '10:00' }),
					],
					statuses: [status('wamid.out-b1', 'delivered', { correlationId: 'order-123' })],
				}),
			],
			[
				change(PHONE_B, {
					statuses: [status('wamid.out-b2', 'failed', { errorCode: 131047 })],
					errors: [valueError(131000, 'Something went wrong')],
				}),
			],
		);
		const response = await post(payload);
		expect(response.status).toBe(200);
		expect(response.text).toBe('');
		const executions = await n8n.waitForExecutions(WORKFLOW_ID, before + 1, { includeData: true });
		expect(executions).toHaveLength(before + 1);
		const items = nodeOutputs(executions[executions.length - 1], NODE);
		expect(items.map((o) => o.length)).toEqual([1, 1, 1, 2, 0]);
		expect(items[0][0]).toMatchObject({
			text: 'Ich möchte stornieren 😞',
			phoneNumberId: PHONE_A.phone_number_id,
			customer: { profileName: 'Zoë Müller' },
		});
		expect(items[1][0]).toMatchObject({
			kind: 'flow_response',
			flow: { flowToken: 'booking-7', fields: { slot: '10:00' } },
		});
		expect(items[2][0]).toMatchObject({ status: 'delivered', correlationId: 'order-123' });
		expect(items[3].map((i) => i.kind)).toEqual(['status', 'error']);
		expect(items[3][0]).toMatchObject({
			phoneNumberId: PHONE_B.phone_number_id,
			errors: [{ code: 131047, errorClass: 'window_closed' }],
		});
	});

	it('verifies non-ASCII bodies over the raw bytes, escaped as Meta sends them or as plain UTF-8', async () => {
		const before = await count();
		const escaped = body(
			change(PHONE_A, { messages: [textMessage('wamid.u1', 'Grüße aus 東京 @ 😀')] }),
		);
		const utf8 = body(
			change(PHONE_A, { messages: [textMessage('wamid.u2', 'Grüße aus 東京 @ 😀')] }),
		);
		expect((await post(escaped)).status).toBe(200);
		expect(
			(await post(undefined, { raw: Buffer.from(JSON.stringify(utf8, null, 1)) })).status,
		).toBe(200);
		const executions = await n8n.waitForExecutions(WORKFLOW_ID, before + 2, { includeData: true });
		expect(executions.slice(-2).map((e) => nodeOutputs(e, NODE)[0][0].text)).toEqual([
			'Grüße aus 東京 @ 😀',
			'Grüße aus 東京 @ 😀',
		]);
	});

	it('acknowledges a redelivered body with 200 and starts no execution', async () => {
		const payload = body(change(PHONE_A, { messages: [textMessage('wamid.redeliver', 'once')] }));
		const before = await count();
		expect((await post(payload)).status).toBe(200);
		await n8n.waitForExecutions(WORKFLOW_ID, before + 1);
		const again = await post(payload);
		expect(again.status).toBe(200);
		expect(again.text).toBe('');
		await n8n.settle(WORKFLOW_ID);
		expect(await count()).toBe(before + 1);
	});

	it('starts one execution for 20 concurrent copies of one body; copies that find it running get 503', async () => {
		const before = await count();
		const payload = body(change(PHONE_A, { messages: [textMessage('wamid.twenty', 'same')] }));
		const responses = await Promise.all(Array.from({ length: 20 }, () => post(payload)));
		const statuses = responses.map((r) => r.status);
		expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
		expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
		for (const retried of responses.filter((r) => r.status === 503))
			expect(retried.headers.get('retry-after')).toBe('10');
		await n8n.settle(WORKFLOW_ID, { quietMs: 2000 });
		expect(await count()).toBe(before + 1);
		// Meta's retry of a 503 finds the event confirmed: 200, nothing new
		expect((await post(payload)).status).toBe(200);
		await n8n.settle(WORKFLOW_ID, { quietMs: 1000 });
		expect(await count()).toBe(before + 1);
	});

	const fifty = Array.from({ length: 50 }, (_, i) =>
		body(change(PHONE_A, { messages: [textMessage(`wamid.c${i}`, `message ${i}`)] })),
	);

	it('runs exactly 50 executions for 50 concurrent bodies sent twice, concurrently', async () => {
		const before = await count();
		const first = await Promise.all(fifty.map((p) => post(p)));
		const second = await Promise.all(fifty.map((p) => post(p)));
		expect([...first, ...second].every((r) => r.status === 200)).toBe(true);
		const executions = await n8n.waitForExecutions(WORKFLOW_ID, before + 50, { quietMs: 2000 });
		expect(executions).toHaveLength(before + 50);
		expect(executions.every((e) => e.status === 'success')).toBe(true);
	});

	it('remembers every acknowledged event across a restart', async () => {
		const before = await count();
		await n8n.restart();
		const responses = await Promise.all(fifty.map((p) => post(p)));
		expect(responses.every((r) => r.status === 200)).toBe(true);
		expect(
			(await post(body(change(PHONE_A, { messages: [textMessage('wamid.redeliver', 'once')] }))))
				.status,
		).toBe(200);
		await n8n.settle(WORKFLOW_ID, { quietMs: 2000 });
		expect(await count()).toBe(before);
		// and still accepts new events
		expect(
			(await post(body(change(PHONE_A, { messages: [textMessage('wamid.after-restart', 'new')] }))))
				.status,
		).toBe(200);
		await n8n.waitForExecutions(WORKFLOW_ID, before + 1);
	});

	it('never lets a status downgrade reach the Statuses output', async () => {
		const before = await count();
		for (const value of ['read', 'delivered', 'sent'] as const) {
			expect(
				(await post(body(change(PHONE_A, { statuses: [status('wamid.order-1', value)] })))).status,
			).toBe(200);
		}
		// the same three again in one batch, in another message's wrong order
		await post(
			body(
				change(PHONE_A, {
					statuses: [
						status('wamid.order-2', 'delivered'),
						status('wamid.order-2', 'sent'),
						status('wamid.order-2', 'played'),
					],
				}),
			),
		);
		const executions = (await n8n.settle(WORKFLOW_ID, { quietMs: 2000, includeData: true })).slice(
			before,
		);
		const statuses = executions.flatMap((e) =>
			nodeOutputs(e, NODE)[2].map((s) => `${s.messageId}:${s.status}`),
		);
		expect(statuses).toEqual([
			'wamid.order-1:read',
			'wamid.order-2:delivered',
			'wamid.order-2:played',
		]);
	});
});
