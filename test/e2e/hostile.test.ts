/**
 * Hostile bodies against the WhatsApp Reliable Trigger in a real n8n: a value nested 5,000 deep next
 * to a valid message, multipart without a signature, a signed non-JSON content type, and malformed
 * parts of every type. Nothing answers 5xx, nothing valid is hidden, every execution succeeds and
 * n8n's public API reads its data back.
 */
import { N8nInstance, type Execution } from '../support/n8n';
import { nodeOutputs, triggerOnlyWorkflow } from '../support/workflows';
import { deepJson, followA, spliceJson } from '../support/hostile';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../support/payloads';

const APP_SECRET = 'e2e-hostile-secret-5c2e';
const WORKFLOW_ID = 'waHostileE2e0001';
const WEBHOOK_ID = 'wa-hostile-e2e';
const NODE = 'WhatsApp Reliable Trigger';
const DEEP = 5_000;

const triggerWorkflow = (credentialId: string) =>
	triggerOnlyWorkflow({
		id: WORKFLOW_ID,
		name: 'e2e: hostile bodies',
		webhookId: WEBHOOK_ID,
		credentialId,
	});

describe('WhatsApp Reliable Trigger with hostile bodies in a real n8n', () => {
	let n8n: N8nInstance;
	let url: string;

	const post = async (raw: Buffer, headers: Record<string, string>) =>
		await n8n.http('POST', url, { headers, body: raw });
	const postSigned = async (text: string, contentType = 'application/json') => {
		const raw = Buffer.from(text);
		return await post(raw, {
			'content-type': contentType,
			'x-hub-signature-256': sign(raw, APP_SECRET),
		});
	};
	/** The one new execution after `before`, with data, read back through the public API. */
	const onlyNewExecution = async (before: number): Promise<Execution> => {
		const all = await n8n.waitForExecutions(WORKFLOW_ID, before + 1, { quietMs: 1500 });
		expect(all).toHaveLength(before + 1);
		const fresh = all[all.length - 1];
		expect(fresh.status).toBe('success');
		return await n8n.execution(fresh.id);
	};
	const count = async () => (await n8n.executions(WORKFLOW_ID)).length;

	beforeAll(async () => {
		n8n = await N8nInstance.start();
		const credentialId = await n8n.createCredential(
			'whatsAppWebhookApi',
			'WhatsApp webhook (hostile)',
			{ appSecret: APP_SECRET, verifyToken: 'e2e-hostile-verify' },
		);
		url = n8n.webhookUrl(WEBHOOK_ID, 'whatsapp');
		await n8n.importAndPublish(triggerWorkflow(credentialId), {
			probe: `${url}?hub.mode=subscribe`,
		});
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	it('emits the valid message once beside values 5,000 deep, in one successful, readable execution', async () => {
		const payload = body(
			change(PHONE_A, {
				messages: [
					textMessage('wamid.hostile-valid', 'Grüße, still here'),
					{ ...textMessage('wamid.hostile-deep', 'deep context'), context: '@deep@' },
				],
				errors: ['@deep@' as never],
			}),
		);
		const text = spliceJson(payload, { '"@deep@"': deepJson(DEEP) }, metaSerialise);
		expect(text.length).toBeGreaterThan(DEEP * 5);

		const first = await postSigned(text);
		expect(first.status).toBe(200);
		const execution = await onlyNewExecution(0);
		const items = nodeOutputs(execution, NODE);
		expect(items.map((o) => o.length)).toEqual([2, 0, 0, 1, 0]);
		expect(items[0][0]).toMatchObject({
			messageId: 'wamid.hostile-valid',
			text: 'Grüße, still here',
			truncated: false,
			duplicate: false,
		});
		expect(items[0][1]).toMatchObject({ messageId: 'wamid.hostile-deep', truncated: true });
		const chain = followA((items[0][1].raw as { context: unknown }).context);
		expect(chain.end).toEqual({ truncated: 'depth' });
		expect(chain.levels).toBeLessThan(64);
		expect(items[3][0]).toMatchObject({ kind: 'error', truncated: true });

		// Meta retries what it thinks failed: the same body again is acknowledged and starts nothing.
		const again = await postSigned(text);
		expect(again.status).toBe(200);
		await n8n.settle(WORKFLOW_ID);
		expect(await count()).toBe(1);
	});

	it('answers multipart without a signature 401 Unauthorized, and a signed non-JSON type 415', async () => {
		const before = await count();
		const offset = n8n.logOffset();
		const multipart = Buffer.from(
			'--xyz\r\nContent-Disposition: form-data; name="object"\r\n\r\nwhatsapp_business_account\r\n--xyz--\r\n',
		);
		const unsigned = await post(multipart, {
			'content-type': 'multipart/form-data; boundary=xyz',
		});
		expect([unsigned.status, unsigned.text]).toEqual([401, 'Unauthorized']);

		const signedMultipart = await post(multipart, {
			'content-type': 'multipart/form-data; boundary=xyz',
			'x-hub-signature-256': sign(multipart, APP_SECRET),
		});
		expect(signedMultipart.status).toBe(415);
		const valid = metaSerialise(body(change(PHONE_A, { messages: [textMessage('wamid.t', 't')] })));
		const signedText = await postSigned(valid, 'text/plain');
		expect(signedText.status).toBe(415);
		const signedForm = await postSigned(
			'object=whatsapp_business_account',
			'application/x-www-form-urlencoded',
		);
		expect(signedForm.status).toBe(415);

		await n8n.waitForLog('X-Hub-Signature-256 header is missing', { sinceOffset: offset });
		const log = n8n.logText(offset);
		expect(log).toContain('rejected a POST request with 415');
		expect(log).not.toContain(APP_SECRET);
		await n8n.settle(WORKFLOW_ID);
		expect(await count()).toBe(before);
	});

	it('turns every malformed part into an unknown item beside the valid message', async () => {
		const before = await count();
		const good = change(PHONE_A, { messages: [textMessage('wamid.malformed-valid', 'fine')] }) as {
			value: Record<string, unknown>;
		};
		const payload = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: '102290129340398',
					changes: [
						{ ...good, value: { ...good.value, messages: [null, ...(good.value.messages as [])] } },
						{ field: 'messages', value: { statuses: 'read' } },
						{ field: 'messages', value: { statuses: [5] } },
						null,
					],
				},
				{ id: '102290129340398', changes: null },
				7,
			],
		};
		const response = await postSigned(metaSerialise(payload));
		expect(response.status).toBe(200);
		const items = nodeOutputs(await onlyNewExecution(before), NODE);
		expect(items[0].map((i) => i.messageId)).toEqual(['wamid.malformed-valid']);
		expect(items[4].map((i) => [i.kind, i.subtype, i.raw])).toEqual([
			['unknown', 'messages', null],
			['unknown', 'statuses', 'read'],
			['unknown', 'statuses', 5],
			['unknown', 'change', null],
			['unknown', 'entry', { id: '102290129340398', changes: null }],
			['unknown', 'entry', 7],
		]);
	});
});
