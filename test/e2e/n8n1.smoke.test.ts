/**
 * The package on n8n 1.x (many self-hosters are still on it): one workflow with the trigger, Route,
 * Escalate and a send node, in the newest n8n 1.x that installs from the npm registry alone
 * (`N8N_VERSION=1.x` in scripts/n8n.sh, its own cache beside the pinned 2.x). A smoke test, not the
 * full e2e suite.
 */
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance, PACKAGE_NAME } from '../support/n8n';
import { nodeOutputs, workflowNode } from '../support/workflows';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../support/payloads';

const APP_SECRET = 'e2e-n8n1-app-secret';
const VERIFY_TOKEN = 'e2e-n8n1-verify';
const WEBHOOK_ID = 'n8n1-whatsapp';
const CUSTOMER = '4915112340099';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function smokeWorkflow(credentials: { webhook: string; api: string }): Json {
	return {
		id: 'n8n1SmokeWorkflow',
		name: 'e2e n8n 1.x: smoke',
		nodes: [
			workflowNode(
				'WhatsApp Trigger',
				`${PACKAGE_NAME}.whatsAppReliableTrigger`,
				{ options: {} },
				{
					webhookId: WEBHOOK_ID,
					credentials: { whatsAppWebhookApi: { id: credentials.webhook, name: 'webhook' } },
				},
			),
			workflowNode('Route', `${PACKAGE_NAME}.whatsAppEscalation`, {
				operation: 'route',
				rules: { rule: [{ type: 'keywords', keywords: 'refund*', reason: 'Refund' }] },
			}),
			workflowNode('Escalate', `${PACKAGE_NAME}.whatsAppEscalation`, {
				operation: 'escalate',
				leaseMinutes: 1440,
			}),
			workflowNode(
				'Bot Reply',
				`${PACKAGE_NAME}.whatsAppReliable`,
				{
					resource: 'message',
					operation: 'send',
					to: '={{ $json.customer.id }}',
					messageType: 'text',
					text: 'bot reply',
					idempotencyKey: '={{ "reply-" + $json.messageId }}',
				},
				{
					credentials: { whatsAppCloudApi: { id: credentials.api, name: 'api' } },
					typeVersion: 1.1,
				},
			),
		],
		connections: {
			'WhatsApp Trigger': { main: [[{ node: 'Route', type: 'main', index: 0 }]] },
			Route: {
				main: [
					[{ node: 'Escalate', type: 'main', index: 0 }],
					[{ node: 'Bot Reply', type: 'main', index: 0 }],
				],
			},
		},
		settings: { executionOrder: 'v1' },
	};
}

describe('the package on n8n 1.x', () => {
	const graph = new FakeGraphApi({ phoneNumberId: PHONE_A.phone_number_id });
	let n8n: N8nInstance;
	let workflowId: string;
	let url: string;

	const post = async (payload: unknown) => {
		const raw = Buffer.from(metaSerialise(payload));
		return await n8n.http('POST', url, {
			headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, APP_SECRET) },
			body: raw,
		});
	};
	const message = (id: string, text: string) =>
		body(change(PHONE_A, { messages: [textMessage(id, text, CUSTOMER)] }));

	beforeAll(async () => {
		await graph.start();
		n8n = await N8nInstance.start({ n8nVersion: '1.x' });
		const credentials = {
			webhook: await n8n.createCredential('whatsAppWebhookApi', 'webhook', {
				appSecret: APP_SECRET,
				verifyToken: VERIFY_TOKEN,
			}),
			api: await n8n.createCredential('whatsAppCloudApi', 'api', graph.credentials()),
		};
		url = n8n.webhookUrl(WEBHOOK_ID, 'whatsapp');
		workflowId = await n8n.importAndPublish(smokeWorkflow(credentials), {
			probe: `${url}?hub.mode=subscribe`,
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await graph.stop();
	});

	it('loads our nodes and credentials', async () => {
		expect(n8n.n8nVersion).toMatch(/^1\./);
		expect(await n8n.nodeTypeNames()).toEqual(
			expect.arrayContaining([
				`${PACKAGE_NAME}.whatsAppReliableTrigger`,
				`${PACKAGE_NAME}.whatsAppReliable`,
				`${PACKAGE_NAME}.whatsAppEscalation`,
			]),
		);
		expect(await n8n.credentialTypeNames()).toEqual(
			expect.arrayContaining(['whatsAppWebhookApi', 'whatsAppCloudApi']),
		);
	});

	it('answers the handshake with the challenge, 403 for a wrong token, without executions', async () => {
		const ok = await n8n.http(
			'GET',
			`${url}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${VERIFY_TOKEN}`,
		);
		expect(ok.status).toBe(200);
		expect(ok.text).toBe('1158201444');
		const wrong = await n8n.http(
			'GET',
			`${url}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope`,
		);
		expect(wrong.status).toBe(403);
		expect(await n8n.settle(workflowId)).toHaveLength(0);
	});

	it('turns a signed message into one execution with the message on Messages, and a bot reply sent', async () => {
		const response = await post(message('wamid.n8n1-hello', 'hello'));
		expect(response.status).toBe(200);
		expect(response.text).toBe('');
		const [execution] = await n8n.waitForExecutions(workflowId, 1, { includeData: true });
		expect(await n8n.executions(workflowId)).toHaveLength(1);
		expect(execution.status).toBe('success');
		const trigger = nodeOutputs(execution, 'WhatsApp Trigger');
		expect(trigger.map((items) => items.length)).toEqual([1, 0, 0, 0, 0]);
		expect(trigger[0][0]).toMatchObject({
			messageId: 'wamid.n8n1-hello',
			text: 'hello',
			phoneNumberId: PHONE_A.phone_number_id,
		});
		expect(nodeOutputs(execution, 'Route').map((items) => items.length)).toEqual([0, 1, 0]);

		const sent = graph.accepted();
		expect(sent).toHaveLength(1);
		expect(sent[0].body).toMatchObject({ to: CUSTOMER, type: 'text', text: { body: 'bot reply' } });
		expect(nodeOutputs(execution, 'Bot Reply')[0][0]).toMatchObject({
			messageId: sent[0].messageId,
			to: CUSTOMER,
		});
	});

	it('routes a refund message to Human and opens a new case', async () => {
		expect((await post(message('wamid.n8n1-refund', 'I want a refund'))).status).toBe(200);
		const executions = await n8n.waitForExecutions(workflowId, 2, { includeData: true });
		expect(executions).toHaveLength(2);
		const execution = executions[1];
		expect(execution.status).toBe('success');
		const route = nodeOutputs(execution, 'Route');
		expect(route.map((items) => items.length)).toEqual([1, 0, 0]);
		expect(route[0][0]).toMatchObject({ messageId: 'wamid.n8n1-refund' });
		expect(nodeOutputs(execution, 'Escalate').map((items) => items.length)).toEqual([1, 0]);
		expect(graph.accepted()).toHaveLength(1); // no bot reply to a claim
	});
});
