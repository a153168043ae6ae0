/**
 * Registration "Automatic" of the WhatsApp Reliable Trigger in a real n8n, against the fake Graph API
 * on 127.0.0.1: publishing registers the workflow's production URL as the phone number's override and
 * the fake's GET handshake is answered by the trigger; two workflows on one app register their own
 * numbers; unpublishing removes each one's override; Check Setup reports a broken setup item by item,
 * and, for each trigger of its own workflow, what the trigger received since n8n started.
 */
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance } from '../support/n8n';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../support/payloads';

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

/** Two triggers (one called, one quiet) and a Webhook → Check Setup, in one workflow. */
function countersWorkflow(id: string, credentials: { webhook: string; cloud: string }) {
	const trigger = (name: string, webhookId: string, y: number) => ({
		id: `${id}-${webhookId}`,
		name,
		type: 'n8n-nodes-whatsapp-reliable.whatsAppReliableTrigger',
		typeVersion: 1,
		position: [0, y],
		webhookId,
		parameters: { registration: 'manual' },
		credentials: {
			whatsAppWebhookApi: { id: credentials.webhook, name: 'WhatsApp webhook (registration)' },
		},
	});
	const check = checkSetupWorkflow(id, 'wa-count-check', credentials.cloud, '');
	return {
		...check,
		name: 'e2e registration: trigger counters',
		nodes: [
			trigger('WhatsApp Busy', 'wa-count-busy', 200),
			trigger('WhatsApp Quiet', 'wa-count-quiet', 400),
			...check.nodes,
		],
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

	test('Check Setup reports each trigger of its workflow: what it received since start, and why nothing came through', async () => {
		await n8n.importAndPublish(countersWorkflow('waRegE2eCount001', credentials));
		const url = n8n.webhookUrl('wa-count-busy', 'whatsapp');
		const raw = Buffer.from(
			metaSerialise(body(change(PHONE_A, { messages: [textMessage('wamid.count-1', 'hi')] }))),
		);
		const post = async (signature: string, contentType = 'application/json') =>
			(
				await n8n.http('POST', url, {
					headers: { 'content-type': contentType, 'x-hub-signature-256': signature },
					body: raw,
				})
			).status;
		expect(await post(sign(raw, APP_SECRET))).toBe(200);
		expect(await post(sign(raw, APP_SECRET))).toBe(200);
		expect(await post(sign(raw, 'not-the-app-secret'))).toBe(401);
		expect(await post(sign(raw, APP_SECRET), 'text/plain')).toBe(415);
		await n8n.settle('waRegE2eCount001');

		const response = await n8n.http('POST', '/webhook/wa-count-check', { body: {} });
		expect(response.status).toBe(200);
		const items = response
			.json<Array<Json & { check: string; label?: string; pass: boolean; whatToDo: string }>>()
			.filter((item) => item.check === 'triggerEvents');
		const byLabel = Object.fromEntries(items.map((item) => [item.label, item]));
		expect(Object.keys(byLabel).sort()).toEqual([
			'Trigger WhatsApp Busy: events received since start',
			'Trigger WhatsApp Quiet: events received since start',
		]);
		const busy = byLabel['Trigger WhatsApp Busy: events received since start'];
		expect(busy).toMatchObject({
			pass: true,
			details: {
				countedIn: 'this n8n process',
				counts: {
					requests: 4,
					events: 2,
					new: 1,
					duplicate: 1,
					rejected: { '401 signature': 1, '415 content type': 1 },
				},
			},
		});
		expect(busy.whatToDo).toContain('2 requests were also refused');
		const quiet = byLabel['Trigger WhatsApp Quiet: events received since start'];
		expect(quiet).toMatchObject({ pass: false, details: { counts: { requests: 0 } } });
		expect(quiet.whatToDo).toContain('No request reached the trigger');
	});
});
