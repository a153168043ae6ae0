/**
 * The AI agent example (examples/workflows/ai-agent-support.json) end to end in a real n8n: n8n's AI
 * Agent with its OpenAI Chat Model pointed at a fake OpenAI-compatible endpoint on 127.0.0.1, which
 * answers with a call of our send node as a tool and then a final answer; the send reaches the fake
 * Graph API. Claims and high-value orders go to Escalate and a human instead, without the model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CaptureServer } from '../support/captureServer';
import { FakeChatModel } from '../support/fakeChatModel';
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance, PACKAGE_NAME, REPO_DIR } from '../support/n8n';
import {
	body,
	change,
	metaSerialise,
	orderMessage,
	PHONE_A,
	sign,
	textMessage,
} from '../support/payloads';
import { until } from '../support/workflows';

const APP_SECRET = 'e2e-ai-agent-app-secret';
const TRIGGER = `${PACKAGE_NAME}.whatsAppReliableTrigger`;
const ANSWER = 'We are open Monday to Friday, 9:00 to 18:00.';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('AI agent example in a real n8n', () => {
	const graph = new FakeGraphApi({ phoneNumberId: PHONE_A.phone_number_id });
	const chat = new FakeChatModel({ toolPattern: /send/i, reply: ANSWER });
	const capture = new CaptureServer();
	let n8n: N8nInstance;
	let workflow: Json;
	let seq = 0;

	const say = async (message: Json) => {
		const raw = Buffer.from(metaSerialise(body(change(PHONE_A, { messages: [message] }))));
		const hook = workflow.nodes.find((n: Json) => n.type === TRIGGER).webhookId;
		const response = await n8n.http('POST', n8n.webhookUrl(hook, 'whatsapp'), {
			headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, APP_SECRET) },
			body: raw,
		});
		expect(response.status).toBe(200);
	};
	const text = (customer: string, words: string) =>
		textMessage(`wamid.ai-${++seq}`, words, customer, String(Math.floor(Date.now() / 1000)));
	const sendsTo = (to: string) => graph.accepted().filter((s) => s.to === to);

	beforeAll(async () => {
		await Promise.all([graph.start(), chat.start(), capture.start()]);
		n8n = await N8nInstance.start();
		const ids = {
			whatsAppWebhookCredential: await n8n.createCredential('whatsAppWebhookApi', 'webhook', {
				appSecret: APP_SECRET,
				verifyToken: 'e2e-ai-verify',
			}),
			whatsAppCloudApiCredential: await n8n.createCredential(
				'whatsAppCloudApi',
				'api',
				graph.credentials(),
			),
			openAiCompatibleCredential: await n8n.createCredential('openAiApi', 'chat', {
				apiKey: 'e2e-key',
				url: `${chat.baseUrl}/v1`,
			}),
		};
		let file = fs.readFileSync(
			path.join(REPO_DIR, 'examples', 'workflows', 'ai-agent-support.json'),
			'utf8',
		);
		for (const [placeholder, id] of Object.entries(ids))
			file = file.replaceAll(JSON.stringify(placeholder), JSON.stringify(id));
		workflow = JSON.parse(
			file.replaceAll('https://helpdesk.example.com', capture.url('/helpdesk')),
		);
		const hook = workflow.nodes.find((n: Json) => n.type === TRIGGER).webhookId;
		await n8n.importAndPublish(workflow, {
			probe: `${n8n.webhookUrl(hook, 'whatsapp')}?hub.mode=subscribe`,
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await Promise.all([graph.stop(), chat.stop(), capture.stop()]);
	});

	it('answers a question through the model, which calls our send node as a tool', async () => {
		const customer = '4915100000101';
		await say(text(customer, 'When are you open?'));
		const [sent] = await until('the agent to send its answer', () =>
			sendsTo(customer).length ? sendsTo(customer) : undefined,
		);
		expect(sent.body).toMatchObject({ type: 'text', text: { body: ANSWER } });
		const [execution] = await n8n.waitForExecutions(workflow.id, 1, { includeData: true });
		expect(execution.status).toBe('success');
		// The model saw our tool and the customer's words; the second call carried the tool's result.
		const [first, second, ...more] = chat.completions();
		expect(more).toEqual([]);
		expect(first.tools.map((t: Json) => t.function.name)).toEqual([
			expect.stringMatching(/Send_WhatsApp_Reply/i),
		]);
		expect(JSON.stringify(first.messages)).toContain('When are you open?');
		const toolResult = second.messages.find((m: Json) => m.role === 'tool');
		expect(String(toolResult.content)).toContain(sent.messageId);
		const agent = execution.data.resultData.runData['AI Agent'][0].data.main[0][0].json;
		expect(agent.output).toBe(chat.finalAnswer);
		expect(capture.requests).toEqual([]);
		expect(sendsTo(customer)).toHaveLength(1);
	});

	it('hands a claim to a human: a helpdesk case and a note to the customer, no model call', async () => {
		chat.reset();
		const customer = '4915100000102';
		await say(text(customer, 'My parcel arrived damaged, I want to claim'));
		const cases = await until('the helpdesk case', () =>
			capture.requests.filter((r) => r.path === '/helpdesk/api/cases').length
				? capture.requests.filter((r) => r.path === '/helpdesk/api/cases')
				: undefined,
		);
		expect(cases[0].body).toMatchObject({
			customer: { id: customer },
			reason: 'Claim or asked for a person',
		});
		const [note] = await until('the note to the customer', () =>
			sendsTo(customer).length ? sendsTo(customer) : undefined,
		);
		expect((note.body.text as Json).body).toContain(
			'A person from our team will take it from here',
		);
		await n8n.waitForExecutions(workflow.id, 2);
		expect(chat.completions()).toEqual([]);
	});

	it('hands a high-value order to a human too', async () => {
		chat.reset();
		const customer = '4915100000103';
		const order: Json = orderMessage(`wamid.ai-order-${++seq}`, customer);
		order.order.product_items = [
			{ product_retailer_id: 'sku-tv', quantity: 1, item_price: 899, currency: 'EUR' },
		];
		await say(order);
		await until('the high-value case', () =>
			capture.requests.some(
				(r) => r.path === '/helpdesk/api/cases' && (r.body as Json).reason === 'High-value order',
			),
		);
		await n8n.waitForExecutions(workflow.id, 3);
		expect(chat.completions()).toEqual([]);
	});
});
