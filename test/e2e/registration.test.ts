/**
 * Registration "Automatic" of the WhatsApp Reliable Trigger in a real n8n, against the fake Graph API
 * on 127.0.0.1: publishing registers the workflow's production URL as the phone number's override and
 * the fake's GET handshake is answered by the trigger; two workflows on one app register their own
 * numbers; unpublishing removes each one's override; Check Setup reports a broken setup item by item.
 */
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance } from '../support/n8n';

const APP_SECRET = 'e2e-app-secret-reg';
const VERIFY_TOKEN = 'e2e-verify-token-reg';
const SECOND_NUMBER = '2222222222';

type Json = Record<string, unknown>;

function triggerWorkflow(
	id: string,
	webhookId: string,
	phoneNumberIds: string,
	credentials: { webhook: string; cloud: string },
) {
	return {
		id,
		name: `e2e registration: ${id}`,
		nodes: [
			{
				id: `${id}-trigger`,
				name: 'WhatsApp Reliable Trigger',
				type: 'n8n-nodes-whatsapp-reliable.whatsAppReliableTrigger',
				typeVersion: 1,
				position: [0, 0],
				webhookId,
				parameters: { registration: 'automatic', phoneNumberIds },
				credentials: {
					whatsAppWebhookApi: { id: credentials.webhook, name: 'WhatsApp webhook (registration)' },
					whatsAppCloudApi: { id: credentials.cloud, name: 'WhatsApp Cloud API (registration)' },
				},
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
}

function checkSetupWorkflow(id: string, webhookId: string, cloud: string, triggerUrl: string) {
	return {
		id,
		name: 'e2e registration: check setup',
		nodes: [
			{
				id: `${id}-webhook`,
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId,
				parameters: {
					httpMethod: 'POST',
					path: webhookId,
					responseMode: 'lastNode',
					responseData: 'allEntries',
					options: {},
				},
			},
			{
				id: `${id}-check`,
				name: 'Check Setup',
				type: 'n8n-nodes-whatsapp-reliable.whatsAppReliable',
				typeVersion: 1.1,
				position: [200, 0],
				parameters: { resource: 'setup', operation: 'checkSetup', triggerUrl },
				credentials: { whatsAppCloudApi: { id: cloud, name: 'WhatsApp Cloud API (registration)' } },
			},
		],
		connections: { Webhook: { main: [[{ node: 'Check Setup', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	};
}

describe('Registration "Automatic" in a real n8n', () => {
	const graph = new FakeGraphApi();
	let n8n: N8nInstance;
	let credentials: { webhook: string; cloud: string };

	beforeAll(async () => {
		await graph.start();
		graph.addPhoneNumber(graph.phoneNumberId);
		graph.addPhoneNumber(SECOND_NUMBER);
		n8n = await N8nInstance.start();
		credentials = {
			webhook: await n8n.createCredential('whatsAppWebhookApi', 'WhatsApp webhook (registration)', {
				appSecret: APP_SECRET,
				verifyToken: VERIFY_TOKEN,
			}),
			cloud: await n8n.createCredential(
				'whatsAppCloudApi',
				'WhatsApp Cloud API (registration)',
				graph.credentials(),
			),
		};
	});

	afterAll(async () => {
		await n8n?.stop();
		await graph.stop();
	});

	test('publish registers each workflow for its own number, answering the handshake; unpublish removes it', async () => {
		const urlOne = n8n.webhookUrl('wa-reg-one', 'whatsapp');
		const urlTwo = n8n.webhookUrl('wa-reg-two', 'whatsapp');
		await n8n.importAndPublish(
			triggerWorkflow('waRegE2eOne00001', 'wa-reg-one', graph.phoneNumberId, credentials),
		);
		expect(graph.subscriptions.has(graph.businessAccountId)).toBe(true);
		expect(graph.phoneNumbers.get(graph.phoneNumberId)?.overrideUrl).toBe(urlOne);
		expect(graph.handshakes).toContainEqual({
			url: urlOne,
			status: 200,
			ok: true,
			verifyToken: VERIFY_TOKEN,
		});

		await n8n.importAndPublish(
			triggerWorkflow('waRegE2eTwo00001', 'wa-reg-two', SECOND_NUMBER, credentials),
		);
		expect(graph.phoneNumbers.get(SECOND_NUMBER)?.overrideUrl).toBe(urlTwo);
		expect(graph.phoneNumbers.get(graph.phoneNumberId)?.overrideUrl).toBe(urlOne);
		expect(graph.handshakes.filter((h) => h.ok).map((h) => h.url)).toEqual(
			expect.arrayContaining([urlOne, urlTwo]),
		);

		await n8n.unpublish('waRegE2eOne00001');
		expect(graph.phoneNumbers.get(graph.phoneNumberId)?.overrideUrl).toBeUndefined();
		expect(graph.phoneNumbers.get(SECOND_NUMBER)?.overrideUrl).toBe(urlTwo);
		await n8n.unpublish('waRegE2eTwo00001');
		expect(graph.phoneNumbers.get(SECOND_NUMBER)?.overrideUrl).toBeUndefined();
	});

	test('Check Setup reports a broken setup item by item', async () => {
		graph.subscriptions.clear();
		graph.addPhoneNumber(graph.phoneNumberId, { overrideUrl: 'https://127.0.0.1:1/elsewhere' });
		const triggerUrl = n8n.webhookUrl('wa-reg-one', 'whatsapp');
		await n8n.importAndPublish(
			checkSetupWorkflow('waRegE2eCheck001', 'wa-reg-check', credentials.cloud, triggerUrl),
		);
		const response = await n8n.http('POST', '/webhook/wa-reg-check', { body: {} });
		expect(response.status).toBe(200);
		const items = response.json<Array<Json & { check: string; pass: boolean; whatToDo: string }>>();
		const byCheck = Object.fromEntries(items.map((item) => [item.check, item]));
		expect(byCheck.token.pass).toBe(true);
		expect(byCheck.permissions.pass).toBe(true);
		expect(byCheck.phoneNumberStatus.pass).toBe(true);
		expect(byCheck.wabaSubscribed).toMatchObject({ pass: false });
		expect(byCheck.wabaSubscribed.whatToDo).toContain('not subscribed');
		expect(byCheck.callbackUrl).toMatchObject({ pass: false });
		expect(byCheck.callbackUrl.whatToDo).toContain('https://127.0.0.1:1/elsewhere');
		expect(byCheck.flowPublicKey.pass).toBe(false);
	});
});
