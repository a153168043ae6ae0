/**
 * Ownership enforced where the message leaves, in a real n8n: the bot's reply is slow (its "LLM" is
 * the capture server holding the request for a few seconds), an escalation for the same customer
 * lands in another execution meanwhile, and the send node (Only If Bot Owns Conversation) blocks the
 * reply: the fake Graph API receives nothing, the item leaves on Blocked (Human Owns) with the case.
 * One workflow holds both paths, because the conversations are the workflow's.
 */
import { CaptureServer } from '../support/captureServer';
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance, PACKAGE_NAME } from '../support/n8n';
import { PHONE_A } from '../support/payloads';
import { connect, nodeOutputs, until, workflowNode } from '../support/workflows';

const SEND = `${PACKAGE_NAME}.whatsAppReliable`;
const ESCALATION = `${PACKAGE_NAME}.whatsAppEscalation`;
const PNID = PHONE_A.phone_number_id;
const WORKFLOW_ID = 'waOwnershipE2e01';
const LLM_DELAY_MS = 3000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const webhook = (name: string, path: string, responseMode: string) =>
	workflowNode(
		name,
		'n8n-nodes-base.webhook',
		{ httpMethod: 'POST', path, responseMode, responseData: 'firstEntryJson', options: {} },
		{ typeVersion: 2, webhookId: `0f0e0d0c-0000-4000-8000-${path.padStart(12, '0').slice(-12)}` },
	);

const post = (name: string, url: string) =>
	workflowNode(
		name,
		'n8n-nodes-base.httpRequest',
		{
			method: 'POST',
			url,
			sendBody: true,
			specifyBody: 'json',
			jsonBody: '={{ JSON.stringify($json) }}',
			options: {},
		},
		{ typeVersion: 4.2 },
	);

/**
 * Bot: Webhook → slow "LLM" (HTTP call held by the capture server) → Send (Only If Bot Owns) → Sent /
 * Blocked to the capture server. Agent: Webhook → Escalate (answers with the case).
 */
function ownershipWorkflow(capture: CaptureServer, apiCredential: string): Json {
	return {
		id: WORKFLOW_ID,
		name: 'e2e: ownership enforced at the send',
		nodes: [
			webhook('Customer Wrote', 'bot-turn', 'onReceived'),
			post('LLM', capture.url('/llm')),
			workflowNode(
				'Bot Reply',
				SEND,
				{
					resource: 'message',
					operation: 'send',
					to: "={{ $('Customer Wrote').item.json.body.phone }}",
					messageType: 'text',
					text: 'Here is the answer from the bot',
					additionalFields: { onlyIfBotOwns: true },
				},
				{
					typeVersion: 1.1,
					credentials: { whatsAppCloudApi: { id: apiCredential, name: 'fake Graph' } },
				},
			),
			post('Sent', capture.url('/sent')),
			post('Blocked', capture.url('/blocked')),
			webhook('Agent Takes Over', 'take-over', 'lastNode'),
			workflowNode('Escalate', ESCALATION, {
				operation: 'escalate',
				customerId: '={{ $json.body.phone }}',
				phoneNumberId: PNID,
				reason: 'Customer asked for a person',
				leaseMinutes: 60,
			}),
		],
		connections: connect(
			['Customer Wrote', 0, 'LLM'],
			['LLM', 0, 'Bot Reply'],
			['Bot Reply', 0, 'Sent'],
			['Bot Reply', 1, 'Blocked'],
			['Agent Takes Over', 0, 'Escalate'],
		),
		settings: { executionOrder: 'v1' },
	};
}

describe('Only If Bot Owns Conversation in a real n8n', () => {
	const graph = new FakeGraphApi({ phoneNumberId: PNID });
	const capture = new CaptureServer();
	let n8n: N8nInstance;

	const textsTo = (customer: string) =>
		graph
			.accepted()
			.filter((s) => s.to === customer)
			.map((s) => (s.body.text as { body: string }).body);
	const llmCallsFor = (customer: string) =>
		capture.to((r) => r.path === '/llm' && (r.body as Json)?.body?.phone === customer);

	beforeAll(async () => {
		await graph.start();
		await capture.start();
		capture.delays.set('/llm', LLM_DELAY_MS);
		n8n = await N8nInstance.start();
		const api = await n8n.createCredential('whatsAppCloudApi', 'fake Graph', graph.credentials());
		await n8n.importAndPublish(ownershipWorkflow(capture, api));
	});

	afterAll(async () => {
		await n8n?.stop();
		await graph.stop();
		await capture.stop();
	});

	it('sends the slow reply while the bot owns the conversation', async () => {
		const customer = '4915100000700';
		const answer = await n8n.http('POST', '/webhook/bot-turn', { body: { phone: customer } });
		expect(answer.status).toBe(200);
		await capture.waitFor('/sent', 1, 60_000);
		expect(textsTo(customer)).toEqual(['Here is the answer from the bot']);
		expect(capture.to('/blocked')).toHaveLength(0);
		await n8n.settle(WORKFLOW_ID);
	});

	it('blocks the reply when an escalation lands while the bot is still thinking', async () => {
		const customer = '4915100000701';
		const answer = await n8n.http('POST', '/webhook/bot-turn', { body: { phone: customer } });
		expect(answer.status).toBe(200);
		// The bot's execution is waiting for its "LLM"; the agent takes over now, in another execution.
		await until('the bot to be thinking', () => llmCallsFor(customer).length === 1);
		const escalated = await n8n.http('POST', '/webhook/take-over', { body: { phone: customer } });
		expect(escalated.status).toBe(200);
		const casePackage = escalated.json<Json>();
		expect(casePackage).toMatchObject({ created: true, customer: { id: customer } });

		const [blocked] = await capture.waitFor('/blocked', 1, 60_000);
		expect(blocked.body).toMatchObject({
			to: customer,
			blocked: true,
			sent: false,
			owner: 'human',
			caseId: casePackage.caseId,
			reason: 'Customer asked for a person',
			conversationKey: `${PNID}:${customer}`,
			unsentMessage: { type: 'text', text: { body: 'Here is the answer from the bot' } },
		});
		const runs = await n8n.settle(WORKFLOW_ID, { includeData: true });
		// The fake Graph API never saw the bot's message for this customer.
		expect(textsTo(customer)).toEqual([]);
		expect(capture.to((r) => r.path === '/sent' && (r.body as Json).to === customer)).toEqual([]);
		const botRun = runs.find(
			(e) =>
				e.data.resultData.runData['Bot Reply'] &&
				nodeOutputs(e, 'Customer Wrote')[0][0].body.phone === customer,
		);
		const [sent, blockedItems] = nodeOutputs(botRun!, 'Bot Reply');
		expect(sent).toEqual([]);
		expect(blockedItems).toEqual([expect.objectContaining({ caseId: casePackage.caseId })]);
	});
});
