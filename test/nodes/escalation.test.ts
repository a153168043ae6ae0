/**
 * The WhatsApp Escalation node with hand-made n8n contexts, wired to the real trigger and send nodes
 * through the workflow's shared conversations: the bot gate, one case per conversation, release and
 * lease expiry, Get, errors, and a restart through serialised static data.
 */
import {
	displayParameter,
	NodeOperationError,
	type INodeParameters,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type INodeExecutionData,
	type IWebhookFunctions,
} from 'n8n-workflow';

import type { MemoryConversationStore } from '../../nodes/core/stateStore/memory';
import { openConversationStore } from '../../nodes/shared/stateStores';
import { resetWorkflowStatesForTests } from '../../nodes/shared/workflowState';
import { FakeWorkflowDatabase } from '../support/n8nStaticData';
import { WhatsAppEscalation } from '../../nodes/WhatsAppEscalation/WhatsAppEscalation.node';
import { WhatsAppReliable } from '../../nodes/WhatsAppReliable/WhatsAppReliable.node';
import { runtime } from '../../nodes/WhatsAppReliable/transport';
import { WhatsAppReliableTrigger } from '../../nodes/WhatsAppReliableTrigger/WhatsAppReliableTrigger.node';
import { FakeGraphApi, isThreadControl, THREAD_CONTROL_REFUSED } from '../support/fakeGraphApi';
import {
	body,
	buttonReply,
	change,
	echoChange,
	echoMessage,
	handoverChange,
	historyChange,
	historyMessage,
	metaSerialise,
	PHONE_A,
	sign,
	standbyChange,
	status,
	textMessage,
} from '../support/payloads';
import { instantRuntime, mockContext, n8nLikeRequest } from './sendContext';

const WORKFLOW = 'wf-1';
const SECRET = 'app-secret';
const CUSTOMER = '4915112345678';
const PNID = PHONE_A.phone_number_id;

/** The workflow's stored static data; every execution works on its own copy (test/support/n8nStaticData.ts). */
type Workflow = FakeWorkflowDatabase;
const Workflow = FakeWorkflowDatabase;

type Params = Record<string, unknown>;

function escalationContext(
	workflow: Workflow,
	params: Params | ((itemIndex: number) => Params),
	items: INodeExecutionData[],
	continueOnFail = false,
	/** The WhatsApp Cloud API credential (thread control), e.g. a fake Graph API's. */
	credentials?: IDataObject,
) {
	const paramsFor = (i: number) => (typeof params === 'function' ? params(i) : params);
	const warnings: string[] = [];
	const copy = workflow.begin();
	return {
		getInputData: () => items,
		getNode: () => ({
			id: 'esc-1',
			name: 'WhatsApp Escalation',
			type: 'n8n-nodes-whatsapp-reliable.whatsAppEscalation',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		}),
		getWorkflow: () => ({ id: WORKFLOW, name: 'test', active: true }),
		getWorkflowStaticData: (type: string) => copy.forNode(type, 'WhatsApp Escalation'),
		finish: () => copy.finishAndLand(),
		getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => {
			const value = paramsFor(itemIndex)[name];
			return value === undefined ? fallback : value;
		},
		continueOnFail: () => continueOnFail,
		getCredentials: async (type: string) => {
			if (type !== 'whatsAppCloudApi' || !credentials)
				throw new Error('Node does not have any credentials set');
			return credentials;
		},
		helpers: {
			httpRequestWithAuthentication: async (_type: string, request: IHttpRequestOptions) =>
				await n8nLikeRequest(credentials ?? {}, request),
		},
		logger: {
			warn: (m: string) => warnings.push(m),
			debug: () => undefined,
			info: () => undefined,
			error: () => undefined,
		},
	} as unknown as IExecuteFunctions & { finish(): void };
}

const escalation = new WhatsAppEscalation();
const trigger = new WhatsAppReliableTrigger();

async function runEscalation(
	workflow: Workflow,
	params: Params | ((i: number) => Params),
	items: INodeExecutionData[],
	continueOnFail = false,
	credentials?: IDataObject,
) {
	const ctx = escalationContext(workflow, params, items, continueOnFail, credentials);
	const output = await escalation.execute.call(ctx);
	ctx.finish();
	return output;
}

/** A signed POST through the trigger's webhook() and execute(), as n8n runs them; returns the trigger's outputs. */
async function deliver(
	workflow: Workflow,
	payload: unknown,
	options: IDataObject = {},
): Promise<INodeExecutionData[][]> {
	const raw = Buffer.from(metaSerialise(payload));
	const parameters: IDataObject = { options };
	const common = {
		getNodeParameter: (name: string, ...rest: unknown[]) =>
			parameters[name] ?? rest[rest.length - 1],
		getWorkflow: () => ({ id: WORKFLOW, active: true }),
		getNode: () => ({ id: 'trigger-1', name: 'WhatsApp Reliable Trigger' }),
		logger: { warn: () => undefined, debug: () => undefined },
	};
	const webCopy = workflow.begin();
	const res = { status: () => res, type: () => res, send: () => res, end: () => res };
	const web = {
		...common,
		getWorkflowStaticData: (type: string) => webCopy.forNode(type, 'WhatsApp Reliable Trigger'),
		getWebhookName: () => 'default',
		getRequestObject: () => ({
			method: 'POST',
			headers: { 'x-hub-signature-256': sign(raw, SECRET) },
			rawBody: raw,
		}),
		getResponseObject: () => res,
		getCredentials: async () => ({ appSecret: SECRET, verifyToken: 't' }),
	} as unknown as IWebhookFunctions;
	const response = await trigger.webhook.call(web);
	if (!response.workflowData) {
		webCopy.finishAndLand();
		return [];
	}
	const inputs = response.workflowData;
	const execCopy = workflow.begin();
	const exec = {
		...common,
		getWorkflowStaticData: (type: string) => execCopy.forNode(type, 'WhatsApp Reliable Trigger'),
		getInputData: (index = 0) => {
			if (index >= inputs.length) throw new Error('no such input');
			return inputs[index];
		},
		sendResponse: () => undefined,
	} as unknown as IExecuteFunctions;
	const outputs = await trigger.execute.call(exec);
	execCopy.finishAndLand();
	return outputs;
}

const messages = (outputs: INodeExecutionData[][]) => outputs[0] ?? [];
const jsonOf = (output: INodeExecutionData[]) => output.map((item) => item.json);
const sendText = (id: string, text: string, timestamp = String(Math.floor(Date.now() / 1000))) =>
	body(change(PHONE_A, { messages: [textMessage(id, text, CUSTOMER, timestamp)] }));

const SUPPORT_RULES = {
	rules: {
		rule: [
			{ type: 'keywords', keywords: 'refund*, agent', reason: 'Refund or agent', priority: 'high' },
			{ type: 'replyIds', replyIds: 'talk_to_agent', reason: 'Asked for an agent' },
		],
	},
};
const route = (extra: Params = {}): Params => ({ operation: 'route', ...SUPPORT_RULES, ...extra });

beforeEach(() => resetWorkflowStatesForTests());
afterEach(() => jest.useRealTimers());

/** How many conversations the workflow's book holds (in this instance's store). */
async function conversationCount(
	workflow: Parameters<typeof escalationContext>[0],
): Promise<number> {
	const store = await openConversationStore(escalationContext(workflow, {}, []));
	return (store as MemoryConversationStore).book.size;
}

/** A fake Graph API for the describe block that calls this: reset before each test, retries without waiting. */
function fakeGraphApiForThisBlock(): FakeGraphApi {
	const graph = new FakeGraphApi({ phoneNumberId: PNID });
	let time: ReturnType<typeof instantRuntime>;
	beforeAll(async () => await graph.start());
	afterAll(async () => await graph.stop());
	beforeEach(() => {
		graph.reset();
		time = instantRuntime(runtime);
	});
	afterEach(() => time.restore());
	return graph;
}

describe('Route: the bot gate', () => {
	it('sends rule matches to Human with the reason, the rest to Bot, and human-owned conversations to Already With Human', async () => {
		const workflow = new Workflow();
		const hello = messages(
			await deliver(workflow, sendText('wamid.1', 'What are your opening hours?')),
		);
		let [human, bot, already] = await runEscalation(workflow, route(), hello);
		expect([human.length, bot.length, already.length]).toEqual([0, 1, 0]);
		expect(bot[0].json).toMatchObject({
			messageId: 'wamid.1',
			routing: { route: 'bot' },
			conversation: { conversationKey: `${PNID}:${CUSTOMER}`, owner: 'bot' },
		});
		expect(bot[0].pairedItem).toEqual({ item: 0 });

		const refund = messages(await deliver(workflow, sendText('wamid.2', 'I want a REFUND now')));
		[human, bot, already] = await runEscalation(workflow, route(), refund);
		expect(human).toHaveLength(1);
		expect(human[0].json.routing).toEqual({
			route: 'human',
			rule: 'keywords',
			ruleIndex: 0,
			reason: 'Refund or agent',
			detail: '"refund*" in text',
			priority: 'high',
		});

		const [newCase, existing] = await runEscalation(
			workflow,
			{ operation: 'escalate', leaseMinutes: 60 },
			human,
		);
		expect(newCase).toHaveLength(1);
		expect(existing).toHaveLength(0);
		const caseId = newCase[0].json.caseId as string;
		expect(newCase[0].json).toMatchObject({
			created: true,
			reason: 'Refund or agent',
			rule: 'keywords',
			priority: 'high',
			customer: { id: CUSTOMER, profileName: 'Zoë Müller' },
		});
		expect((newCase[0].json.transcript as IDataObject[]).map((l) => l.text)).toEqual([
			'What are your opening hours?',
			'I want a REFUND now',
		]);

		// While the human owns it, nothing reaches the bot, whatever it says.
		const more = messages(
			await deliver(
				workflow,
				body(
					change(PHONE_A, {
						messages: [
							textMessage('wamid.3', 'hours?', CUSTOMER),
							buttonReply('wamid.4', 'talk_to_agent', 'Agent', CUSTOMER),
						],
					}),
				),
			),
		);
		[human, bot, already] = await runEscalation(workflow, route(), more);
		expect([human.length, bot.length, already.length]).toEqual([0, 0, 2]);
		expect(already[0].json).toMatchObject({
			routing: { route: 'alreadyWithHuman', caseId, reason: 'Refund or agent' },
			conversation: { owner: 'human', caseId },
		});
		expect(already.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	it('escalates after N unrecognised bot turns, counting each message once', async () => {
		const workflow = new Workflow();
		const params = (recognised: boolean) => ({
			operation: 'route',
			rules: { rule: [{ type: 'unrecognisedTurns', maxTurns: 2, recognised }] },
		});
		const first = messages(await deliver(workflow, sendText('wamid.a', 'blorp')));
		expect((await runEscalation(workflow, params(false), first))[1]).toHaveLength(1);
		// the same item again (a re-run) does not count twice
		expect((await runEscalation(workflow, params(false), first))[1]).toHaveLength(1);
		const understood = messages(await deliver(workflow, sendText('wamid.b', 'opening hours')));
		expect(
			(await runEscalation(workflow, params(true), understood))[1][0].json.conversation,
		).toMatchObject({ unrecognisedTurns: 0 });
		const again = messages(await deliver(workflow, sendText('wamid.c', 'zzz')));
		expect((await runEscalation(workflow, params(false), again))[1]).toHaveLength(1);
		const twice = messages(await deliver(workflow, sendText('wamid.d', 'qqq')));
		const [human] = await runEscalation(workflow, params(false), twice);
		expect(human[0].json.routing).toMatchObject({
			rule: 'unrecognisedTurns',
			detail: '2 bot turns without a recognised answer (limit 2)',
		});
	});

	it('routes business items (an order webhook) by their fields, with the conversation named in parameters', async () => {
		const workflow = new Workflow();
		const items = [
			{ json: { body: { phone: '+49 151 123 456 78', total: 740, status: 'paid' } } },
			{ json: { body: { phone: '+49 170 000 0000', total: 40, status: 'failed' } } },
		];
		const params = {
			operation: 'route',
			customerId: '',
			phoneNumberId: PNID,
			rules: {
				rule: [
					{ type: 'orderValue', valueField: 'body.total', threshold: 500 },
					{ type: 'paymentFailed', paymentField: 'body.status' },
				],
			},
		};
		const [human, bot] = await runEscalation(
			workflow,
			(i) => ({ ...params, customerId: (items[i].json.body as IDataObject).phone }),
			items,
		);
		expect(bot).toHaveLength(0);
		expect(jsonOf(human).map((j) => (j.routing as IDataObject).detail)).toEqual([
			'body.total 740 > 500',
			'body.status is "failed"',
		]);
		expect(jsonOf(human).map((j) => (j.conversation as IDataObject).conversationKey)).toEqual([
			`${PNID}:${CUSTOMER}`,
			`${PNID}:491700000000`,
		]);
	});
});

describe('Escalate: one case per conversation', () => {
	it('gives two racing executions one case: New Case once, Existing Case for the other', async () => {
		const workflow = new Workflow();
		const [a, b] = [
			messages(await deliver(workflow, sendText('wamid.r1', 'agent!'))),
			messages(await deliver(workflow, sendText('wamid.r2', 'refund!'))),
		];
		const [routeA, routeB] = await Promise.all([
			runEscalation(workflow, route(), a),
			runEscalation(workflow, route(), b),
		]);
		const [caseA, caseB] = await Promise.all([
			runEscalation(workflow, { operation: 'escalate' }, routeA[0]),
			runEscalation(workflow, { operation: 'escalate' }, routeB[0]),
		]);
		const all = [...caseA[0], ...caseA[1], ...caseB[0], ...caseB[1]].map((i) => i.json);
		expect(all).toHaveLength(2);
		expect(new Set(all.map((j) => j.caseId)).size).toBe(1);
		expect(caseA[0].length + caseB[0].length).toBe(1);
		expect(caseA[1].length + caseB[1].length).toBe(1);
	});

	it('opens one case for several items of one conversation in one run, with the given reason, priority and assignee', async () => {
		const workflow = new Workflow();
		const items = [
			{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
			{ json: { to: CUSTOMER, phoneNumberId: PNID } },
		];
		const [created, existing] = await runEscalation(
			workflow,
			{
				operation: 'escalate',
				reason: 'VIP',
				priority: 'urgent',
				assignee: 'anna',
				leaseMinutes: 0,
			},
			items,
		);
		expect(created).toHaveLength(1);
		expect(existing).toHaveLength(1);
		expect(created[0].json).toMatchObject({
			reason: 'VIP',
			priority: 'urgent',
			assignee: 'anna',
			rule: null,
			leaseExpiresAt: null,
		});
		expect(existing[0].json.caseId).toBe(created[0].json.caseId);
		expect(existing[0].pairedItem).toEqual({ item: 1 });
	});
});

describe('Release and the lease', () => {
	it('returns the conversation to the bot; the first bot item after it says which case ended; nothing is lost', async () => {
		const workflow = new Workflow();
		const refund = messages(await deliver(workflow, sendText('wamid.x1', 'refund please')));
		const [human] = await runEscalation(workflow, route(), refund);
		const [[opened]] = await runEscalation(workflow, { operation: 'escalate' }, human);
		const waiting = messages(await deliver(workflow, sendText('wamid.x2', 'hello? still there?')));
		expect((await runEscalation(workflow, route(), waiting))[2]).toHaveLength(1);

		const [[released]] = await runEscalation(
			workflow,
			{ operation: 'release', customerId: '+49 151 12345678' },
			[{ json: {} }],
		);
		expect(released.json).toMatchObject({
			released: true,
			caseId: opened.json.caseId,
			previousOwner: 'human',
			owner: 'bot',
			conversationKey: `${PNID}:${CUSTOMER}`,
		});
		expect((released.json.unansweredInbound as IDataObject[]).map((l) => l.text)).toEqual([
			'refund please',
			'hello? still there?',
		]);
		// releasing again changes nothing
		expect(
			(
				await runEscalation(workflow, { operation: 'release' }, [
					{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
				])
			)[0][0].json,
		).toMatchObject({ released: false, caseId: null });

		const next = messages(await deliver(workflow, sendText('wamid.x3', 'opening hours?')));
		const [, bot] = await runEscalation(workflow, route(), next);
		expect(bot[0].json.handoff).toMatchObject({
			resumedAfter: { caseId: opened.json.caseId, reason: 'manual' },
		});
		const after = messages(await deliver(workflow, sendText('wamid.x4', 'thanks')));
		expect((await runEscalation(workflow, route(), after))[1][0].json.handoff).toBeUndefined();
	});

	it('expires the lease: the first message after the expiry goes to the bot, not to the human branch', async () => {
		jest.useFakeTimers({ now: Date.UTC(2025, 0, 1, 12), doNotFake: ['nextTick', 'setImmediate'] });
		const workflow = new Workflow();
		const [human] = await runEscalation(
			workflow,
			route(),
			messages(await deliver(workflow, sendText('wamid.l1', 'agent'))),
		);
		const [[opened]] = await runEscalation(
			workflow,
			{ operation: 'escalate', leaseMinutes: 5 },
			human,
		);
		jest.setSystemTime(Date.UTC(2025, 0, 1, 12, 4, 59));
		expect(
			(
				await runEscalation(
					workflow,
					route(),
					messages(await deliver(workflow, sendText('wamid.l2', 'hours?'))),
				)
			)[2],
		).toHaveLength(1);
		jest.setSystemTime(Date.UTC(2025, 0, 1, 12, 5, 0));
		const [, bot, already] = await runEscalation(
			workflow,
			route(),
			messages(await deliver(workflow, sendText('wamid.l3', 'hours??'))),
		);
		expect(already).toHaveLength(0);
		expect(bot[0].json.handoff).toMatchObject({
			resumedAfter: { caseId: opened.json.caseId, reason: 'lease_expired' },
		});
	});

	it('keeps the owner, the case and the transcript across a restart of n8n', async () => {
		const workflow = new Workflow();
		const [human] = await runEscalation(
			workflow,
			route(),
			messages(await deliver(workflow, sendText('wamid.s1', 'refund'))),
		);
		const [[opened]] = await runEscalation(
			workflow,
			{ operation: 'escalate', leaseMinutes: 0 },
			human,
		);
		expect(JSON.stringify(workflow.read())).toContain(opened.json.caseId as string);

		resetWorkflowStatesForTests(); // the process is gone; only the saved static data is left
		const [, , already] = await runEscalation(
			workflow,
			route(),
			messages(await deliver(workflow, sendText('wamid.s2', 'any news?'))),
		);
		expect(already[0].json.routing).toMatchObject({ caseId: opened.json.caseId });
		const [[record]] = await runEscalation(workflow, { operation: 'get' }, [
			{ json: { customer: { id: CUSTOMER } } },
		]);
		expect(record.json).toMatchObject({
			found: true,
			owner: 'human',
			lease: { caseId: opened.json.caseId },
		});
		expect((record.json.transcript as IDataObject[]).map((l) => l.messageId)).toEqual([
			'wamid.s1',
			'wamid.s2',
		]);
	});
});

describe('Get', () => {
	it('reads the record without creating one, and limits the transcript', async () => {
		const workflow = new Workflow();
		const [[missing]] = await runEscalation(workflow, { operation: 'get', phoneNumberId: PNID }, [
			{ json: { to: '+1 555 0100' } },
		]);
		expect(missing.json).toEqual({
			found: false,
			conversationKey: `${PNID}:15550100`,
			owner: 'bot',
		});
		expect(await conversationCount(workflow)).toBe(0);
		await deliver(
			workflow,
			body(
				change(PHONE_A, {
					messages: [
						textMessage('wamid.g1', 'one', CUSTOMER, '1'),
						textMessage('wamid.g2', 'two', CUSTOMER, '2'),
					],
				}),
			),
		);
		const [[found]] = await runEscalation(workflow, { operation: 'get', transcriptLimit: 1 }, [
			{ json: { customer: { id: CUSTOMER } } },
		]);
		expect(found.json).toMatchObject({
			found: true,
			owner: 'bot',
			customer: { id: CUSTOMER, profileName: 'Zoë Müller' },
		});
		expect((found.json.transcript as IDataObject[]).map((l) => l.text)).toEqual(['two']);
	});
});

describe('recording from the trigger and the send node', () => {
	const graph = fakeGraphApiForThisBlock();

	it('puts sends with their delivery statuses and correlation state next to inbound messages', async () => {
		const workflow = new Workflow();
		await deliver(workflow, sendText('wamid.in1', 'where is my order?', '1730000000'));
		const send = new WhatsAppReliable();
		const ctx = mockContext({
			credentials: graph.credentials(),
			workflowId: WORKFLOW,
			database: workflow,
			params: {
				resource: 'message',
				operation: 'send',
				to: `+${CUSTOMER}`,
				messageType: 'text',
				text: 'It ships today',
				correlationId: 'order-42',
			},
		});
		const [[sent]] = await send.execute.call(ctx);
		ctx.finish();
		const messageId = sent.json.messageId as string;
		// statuses arrive out of order; a failure from a second device comes after delivery
		for (const value of ['read', 'delivered', 'sent'] as const)
			await deliver(
				workflow,
				body(
					change(PHONE_A, {
						statuses: [
							status(messageId, value, { correlationId: 'order-42', recipient: CUSTOMER }),
						],
					}),
				),
			);

		const [[record]] = await runEscalation(workflow, { operation: 'get' }, [
			{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
		]);
		expect(
			(record.json.transcript as IDataObject[]).map((l) => [
				l.direction,
				l.text,
				l.status ?? null,
				l.sentBy ?? null,
			]),
		).toEqual([
			['inbound', 'where is my order?', null, null],
			['outbound', 'It ships today', 'read', 'bot'],
		]);
		expect(record.json.correlations).toMatchObject([
			{ correlationId: 'order-42', messageId, state: 'read' },
		]);
	});

	it('records nothing when Record Conversations is off', async () => {
		const workflow = new Workflow();
		await deliver(workflow, sendText('wamid.off', 'hi'), { recordConversations: false });
		const send = new WhatsAppReliable();
		await send.execute.call(
			mockContext({
				credentials: graph.credentials(),
				workflowId: WORKFLOW,
				database: workflow,
				params: {
					resource: 'message',
					operation: 'send',
					to: CUSTOMER,
					messageType: 'text',
					text: 'x',
					additionalFields: { recordConversations: false },
				},
			}),
		);
		expect(graph.accepted()).toHaveLength(1);
		expect(await conversationCount(workflow)).toBe(0);
	});
});

describe('errors', () => {
	it('names the field when an item has no customer, or no number to find its conversation by', async () => {
		const workflow = new Workflow();
		await expect(runEscalation(workflow, route(), [{ json: { text: 'refund' } }])).rejects.toThrow(
			'Customer ID: the item has no customer',
		);
		const error = await runEscalation(workflow, route(), [{ json: { customerId: '123' } }]).catch(
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).message).toBe(
			'Phone Number ID: the item has no phoneNumberId',
		);
		expect((error as NodeOperationError).description).toContain('has no conversation yet');
	});

	it('names the rule and field of an invalid rule', async () => {
		const workflow = new Workflow();
		const error = (await runEscalation(
			workflow,
			{ operation: 'route', rules: { rule: [{ type: 'pattern', pattern: '([' }] } },
			[{ json: { customer: { id: '1' }, phoneNumberId: PNID } }],
		).catch((e: unknown) => e)) as NodeOperationError;
		expect(error.message).toMatch(/^Rules: Rule 1: the pattern is not a valid regular expression/);
		expect(error.description).toBe('Fix the field "pattern" of rule 1.');
	});

	it('with Continue On Fail, outputs the failing item on the first output, paired, and goes on', async () => {
		const workflow = new Workflow();
		const [human, bot] = await runEscalation(
			workflow,
			route(),
			[
				{ json: { text: 'no customer' } },
				{ json: { customer: { id: '1' }, phoneNumberId: PNID, kind: 'message', text: 'hi' } },
			],
			true,
		);
		expect(human).toEqual([
			{
				json: { text: 'no customer', error: 'Customer ID: the item has no customer' },
				pairedItem: { item: 0 },
			},
		]);
		expect(bot[0].pairedItem).toEqual({ item: 1 });
	});
});

describe('description', () => {
	it('shows the store limits with the defaults the store uses', async () => {
		const { storeProperty } = await import(
			'../../nodes/WhatsAppEscalation/actions/conversation.description'
		);
		const { DEFAULT_BOOK_CONFIG } = await import('../../nodes/core/conversationRecord');
		for (const option of storeProperty.options as Array<{
			name: keyof typeof DEFAULT_BOOK_CONFIG;
			default: unknown;
		}>) {
			expect([option.name, option.default]).toEqual([
				option.name,
				DEFAULT_BOOK_CONFIG[option.name],
			]);
		}
	});

	it('has the outputs of each operation', () => {
		const outputs = escalation.description.outputs as string;
		for (const name of ['Human', 'Bot', 'Already With Human', 'New Case', 'Existing Case'])
			expect(outputs).toContain(`"${name}"`);
	});
});

describe('Erase Customer Data', () => {
	it("removes the customer's conversations from the store and from what is saved", async () => {
		const workflow = new Workflow();
		await deliver(workflow, sendText('wamid.e1', 'my address is Elm Street 5'));
		expect(JSON.stringify(workflow.read())).toContain('Elm Street 5');
		const [[erased]] = await runEscalation(
			workflow,
			{ operation: 'erase', customerId: `+${CUSTOMER}` },
			[{ json: {} }],
		);
		expect(erased.json).toMatchObject({ customerId: CUSTOMER, erasedConversations: 1 });
		expect(JSON.stringify(workflow.read())).not.toContain('Elm Street 5');
		const [[after]] = await runEscalation(workflow, { operation: 'get', customerId: CUSTOMER }, [
			{ json: {} },
		]);
		expect(after.json.found).toBe(false);
		const [[again]] = await runEscalation(workflow, { operation: 'erase', customerId: CUSTOMER }, [
			{ json: {} },
		]);
		expect(again.json.erasedConversations).toBe(0);
	});
});

describe('ownership where the message leaves', () => {
	const graph = fakeGraphApiForThisBlock();

	const reliable = new WhatsAppReliable();
	async function runSend(workflow: Workflow, params: Params) {
		const ctx = mockContext({
			credentials: graph.credentials(),
			workflowId: WORKFLOW,
			database: workflow,
			params: {
				resource: 'message',
				operation: 'send',
				to: `+${CUSTOMER}`,
				messageType: 'text',
				text: 'The bot answers',
				...params,
			},
		});
		const output = await reliable.execute.call(ctx);
		ctx.finish();
		return output;
	}
	const botOnly = { additionalFields: { onlyIfBotOwns: true } };
	const transcriptOf = async (workflow: Workflow) => {
		const [[record]] = await runEscalation(workflow, { operation: 'get' }, [
			{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
		]);
		return record.json.transcript as IDataObject[];
	};

	it('sends while the bot owns the conversation, and blocks (not sends) once a human holds it', async () => {
		const workflow = new Workflow();
		await deliver(workflow, sendText('wamid.o1', 'where is my parcel?'));
		const [sent, blocked] = await runSend(workflow, botOnly);
		expect([sent.length, blocked.length]).toEqual([1, 0]);
		expect(graph.accepted()).toHaveLength(1);

		const [[opened]] = await runEscalation(workflow, { operation: 'escalate', assignee: 'ana' }, [
			{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
		]);
		const [sentAfter, blockedAfter] = await runSend(workflow, {
			...botOnly,
			correlationId: 'faq-1',
		});
		expect(sentAfter).toEqual([]);
		expect(graph.accepted()).toHaveLength(1);
		expect(blockedAfter).toHaveLength(1);
		expect(blockedAfter[0].pairedItem).toEqual({ item: 0 });
		expect(blockedAfter[0].json).toMatchObject({
			to: CUSTOMER,
			correlationId: 'faq-1',
			blocked: true,
			sent: false,
			owner: 'human',
			conversationKey: `${PNID}:${CUSTOMER}`,
			caseId: opened.json.caseId,
			assignee: 'ana',
			reason: 'Manual escalation',
			unsentMessage: { type: 'text', text: { body: 'The bot answers' } },
		});
		// Nothing of the blocked message reaches the transcript.
		expect((await transcriptOf(workflow)).map((l) => l.text)).toEqual([
			'where is my parcel?',
			'The bot answers',
		]);
	});

	it('gives a blocked send its idempotency key back: after the release the same key sends once', async () => {
		const workflow = new Workflow();
		await runEscalation(workflow, { operation: 'escalate' }, [
			{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
		]);
		const keyed = { ...botOnly, idempotencyKey: 'answer-wamid.k1' };
		const [, blocked] = await runSend(workflow, keyed);
		expect(blocked[0].json).toMatchObject({ blocked: true, idempotencyKey: 'answer-wamid.k1' });
		await runEscalation(workflow, { operation: 'release' }, [
			{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
		]);
		const [sent] = await runSend(workflow, keyed);
		expect(sent[0].json).toMatchObject({ skipped: false, idempotencyKey: 'answer-wamid.k1' });
		const [again] = await runSend(workflow, keyed);
		expect(again[0].json).toMatchObject({ skipped: true });
		expect(graph.accepted()).toHaveLength(1);
	});

	it('keeps Window Closed on the second output and puts Blocked last', async () => {
		const workflow = new Workflow();
		await runEscalation(workflow, { operation: 'escalate' }, [
			{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
		]);
		const outputs = await runSend(workflow, { ...botOnly, onWindowClosed: 'route' });
		expect(outputs.map((o) => o.length)).toEqual([0, 0, 1]);
	});

	it('without the option, sends to a human-owned conversation as before', async () => {
		const workflow = new Workflow();
		await runEscalation(workflow, { operation: 'escalate' }, [
			{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
		]);
		const outputs = await runSend(workflow, {});
		expect(outputs).toHaveLength(1);
		expect(graph.accepted()).toHaveLength(1);
	});

	it('records Sent By as declared: an automation during an open case is automation, not the human', async () => {
		const workflow = new Workflow();
		await deliver(workflow, sendText('wamid.s1', 'I want a refund'));
		await runEscalation(workflow, { operation: 'escalate' }, [
			{ json: { customer: { id: CUSTOMER }, phoneNumberId: PNID } },
		]);
		await runSend(workflow, {
			text: 'Your order A-1 has shipped',
			additionalFields: { sentBy: 'automation' },
		});
		await runSend(workflow, { text: 'Hi, Ana here', additionalFields: { sentBy: 'human' } });
		await runSend(workflow, { text: 'Default is the bot' });
		await runSend(workflow, {
			operation: 'sendTemplate',
			template: { mode: 'name', value: 'order_update' },
			templateLanguage: 'en_US',
		});
		expect(
			(await transcriptOf(workflow)).filter((l) => l.direction === 'outbound').map((l) => l.sentBy),
		).toEqual(['automation', 'human', 'bot', 'automation']);
		const error = await runSend(workflow, { additionalFields: { sentBy: 'robot' } }).catch(
			(e: unknown) => e as NodeOperationError,
		);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).message).toContain('Sent By');
	});

	it('Route with Open Case on Match opens the case in the same step; the bot is gated from then on', async () => {
		const workflow = new Workflow();
		const refund = messages(await deliver(workflow, sendText('wamid.r1', 'refund now')));
		const [human, bot, already] = await runEscalation(
			workflow,
			route({ routeOptions: { openCaseOnMatch: true, assignee: 'ana', leaseMinutes: 30 } }),
			refund,
		);
		expect([human.length, bot.length, already.length]).toEqual([1, 0, 0]);
		const opened = human[0].json;
		expect(opened).toMatchObject({
			created: true,
			reason: 'Refund or agent',
			rule: 'keywords',
			detail: '"refund*" in text',
			priority: 'high',
			assignee: 'ana',
			customer: { id: CUSTOMER },
			routing: { route: 'human', rule: 'keywords', caseId: opened.caseId },
			trigger: { messageId: 'wamid.r1' },
		});
		expect(
			Date.parse(opened.leaseExpiresAt as string) - Date.parse(opened.openedAt as string),
		).toBe(30 * 60_000);
		expect((opened.transcript as IDataObject[]).map((l) => l.text)).toEqual(['refund now']);

		// An Escalate after it finds the case Route opened.
		const [, existing] = await runEscalation(workflow, { operation: 'escalate' }, human);
		expect(existing[0].json).toMatchObject({ created: false, caseId: opened.caseId });
		const [, blocked] = await runSend(workflow, botOnly);
		expect(blocked[0].json).toMatchObject({ caseId: opened.caseId });
		const more = messages(await deliver(workflow, sendText('wamid.r2', 'hello?')));
		expect((await runEscalation(workflow, route(), more))[2]).toHaveLength(1);
	});

	it('Route without the option leaves the conversation with the bot until Escalate', async () => {
		const workflow = new Workflow();
		const refund = messages(await deliver(workflow, sendText('wamid.n1', 'refund now')));
		const [human] = await runEscalation(workflow, route(), refund);
		expect(human[0].json).not.toHaveProperty('caseId');
		const [sent] = await runSend(workflow, botOnly);
		expect(sent).toHaveLength(1);
	});
});

describe('Route and the 2026 platform: business-app echoes and conversation routing', () => {
	const nowSeconds = () => String(Math.floor(Date.now() / 1000));
	const echoBody = (id: string, text: string) =>
		body(echoChange([echoMessage(id, text, CUSTOMER, nowSeconds())]));

	it('sends the next messages to Already With Human after the shop owner replied from the app', async () => {
		const workflow = new Workflow();
		const first = messages(await deliver(workflow, sendText('wamid.c1', 'opening hours?')));
		expect((await runEscalation(workflow, route(), first))[1]).toHaveLength(1);

		const outputs = await deliver(workflow, echoBody('wamid.echo1', 'Hi! I can help you myself'));
		// the echo is on Other, typed, never on Messages
		expect(outputs.map((o) => o.length)).toEqual([0, 0, 0, 0, 1]);
		expect(outputs[4][0].json).toMatchObject({ kind: 'echo', direction: 'outbound' });

		const next = messages(await deliver(workflow, sendText('wamid.c2', 'opening hours?')));
		const [human, bot, already] = await runEscalation(workflow, route(), next);
		expect([human.length, bot.length, already.length]).toEqual([0, 0, 1]);
		expect(already[0].json).toMatchObject({
			routing: { route: 'alreadyWithHuman', reason: 'owner_replied_from_app' },
			conversation: { owner: 'human' },
		});
		const [got] = await runEscalation(workflow, { operation: 'get', customerId: CUSTOMER }, [
			{ json: {} },
		]);
		expect(
			(got[0].json.transcript as IDataObject[]).map((l) => [l.direction, l.sentBy, l.text]),
		).toEqual([
			['inbound', undefined, 'opening hours?'],
			['outbound', 'human', 'Hi! I can help you myself'],
			['inbound', undefined, 'opening hours?'],
		]);
	});

	it('lets the bot go on answering when the option is off, and fails on a bad lease naming the field', async () => {
		const workflow = new Workflow();
		await deliver(workflow, echoBody('wamid.echo2', 'hello'), { echoOwnership: false });
		const next = messages(
			await deliver(workflow, sendText('wamid.c3', 'hours?'), { echoOwnership: false }),
		);
		expect((await runEscalation(workflow, route(), next))[1]).toHaveLength(1);

		await expect(
			deliver(workflow, echoBody('wamid.echo3', 'hello'), { echoLeaseMinutes: -5 }),
		).rejects.toThrow(/Echo Lease \(Minutes\)/);
		await expect(
			deliver(workflow, echoBody('wamid.echo4', 'hello'), { appId: 'my app' }),
		).rejects.toThrow(/App ID/);
	});

	it('sends items to Already With Human while another app owns the thread, and to the bot once it is passed back', async () => {
		const workflow = new Workflow();
		const standby = await deliver(
			workflow,
			body(standbyChange([textMessage('wamid.sb1', 'hello?', CUSTOMER, nowSeconds())])),
		);
		expect(standby.map((o) => o.length)).toEqual([0, 0, 0, 0, 1]);
		expect(standby[4][0].json).toMatchObject({ kind: 'message', standby: true });

		// an item that reaches Route anyway (e.g. from Other) does not go to the bot
		const [human, bot, already] = await runEscalation(workflow, route(), standby[4]);
		expect([human.length, bot.length, already.length]).toEqual([0, 0, 1]);
		expect(already[0].json).toMatchObject({
			routing: { route: 'alreadyWithHuman', reason: 'thread_owned_by_other_app' },
			conversation: { threadOwner: 'other' },
		});

		const later = String(Math.floor(Date.now() / 1000) + 1);
		await deliver(workflow, body(handoverChange('control_passed', CUSTOMER, {}, later)));
		const next = messages(await deliver(workflow, sendText('wamid.c4', 'hours?')));
		expect((await runEscalation(workflow, route(), next))[1]).toHaveLength(1);
	});

	it('records chat history without starting anything or changing the owner', async () => {
		const workflow = new Workflow();
		const outputs = await deliver(
			workflow,
			body(
				historyChange([
					{
						id: CUSTOMER,
						messages: [
							historyMessage('wamid.h1', 'refund please', CUSTOMER, { timestamp: nowSeconds() }),
						],
					},
				]),
			),
		);
		expect(outputs.map((o) => o.length)).toEqual([0, 0, 0, 0, 1]);
		expect(outputs[4][0].json).toMatchObject({ kind: 'history', direction: 'inbound' });
		const [got] = await runEscalation(workflow, { operation: 'get', customerId: CUSTOMER }, [
			{ json: {} },
		]);
		expect(got[0].json).toMatchObject({ owner: 'bot', casesOpened: 0 });
		expect((got[0].json.transcript as IDataObject[])[0]).toMatchObject({
			direction: 'inbound',
			text: 'refund please',
			fromHistory: true,
		});
	});
});

describe('conversation routing: thread control', () => {
	const graph = fakeGraphApiForThisBlock();
	const HELPDESK_APP = '263902037430900';
	/** A refund message routed to Human, then escalated with the thread passed to the helpdesk app. */
	async function passedToHelpdesk(workflow: Workflow, messageId: string) {
		const refund = messages(await deliver(workflow, sendText(messageId, 'refund')));
		const [human] = await runEscalation(workflow, route(), refund);
		return await runEscalation(
			workflow,
			{ operation: 'escalate', passThreadControlTo: HELPDESK_APP },
			human,
			false,
			graph.credentials(),
		);
	}

	const get = async (workflow: Workflow) =>
		(
			await runEscalation(workflow, { operation: 'get', customerId: CUSTOMER }, [{ json: {} }])
		)[0][0].json;

	it('Escalate passes the thread to the human inbox and records the other app as owner; Release takes it back and the bot answers again', async () => {
		const workflow = new Workflow();
		const refund = messages(await deliver(workflow, sendText('wamid.tc1', 'refund please')));
		const [human] = await runEscalation(workflow, route(), refund);
		expect(human).toHaveLength(1);

		const [newCase] = await runEscalation(
			workflow,
			{ operation: 'escalate', passThreadControlTo: HELPDESK_APP },
			human,
			false,
			graph.credentials(),
		);
		expect(newCase).toHaveLength(1);
		const calls = graph.threadControls();
		expect(calls).toHaveLength(1);
		expect(calls[0].path).toBe(`/v23.0/${PNID}/thread_control`);
		expect(calls[0].body).toEqual({
			messaging_product: 'whatsapp',
			to: CUSTOMER,
			action: 'pass',
			metadata: newCase[0].json.caseId,
			control_pass: { target_app_id: HELPDESK_APP },
		});
		expect(newCase[0].json).toMatchObject({
			created: true,
			threadControl: {
				action: 'pass',
				ok: true,
				targetAppId: HELPDESK_APP,
				response: { success: true },
			},
		});
		expect(await get(workflow)).toMatchObject({
			owner: 'human',
			threadOwner: { owner: 'other', appId: HELPDESK_APP, via: 'thread_control_pass' },
		});

		// A re-run on the open case does not ask Meta to pass a thread it no longer owns.
		const [, existing] = await runEscalation(
			workflow,
			{ operation: 'escalate', passThreadControlTo: HELPDESK_APP },
			human,
			false,
			graph.credentials(),
		);
		expect(existing[0].json.threadControl).toMatchObject({ ok: true, skipped: expect.any(String) });
		expect(graph.threadControls()).toHaveLength(1);

		const [released] = await runEscalation(
			workflow,
			{ operation: 'release', customerId: CUSTOMER, takeThreadControl: true },
			[{ json: {} }],
			false,
			graph.credentials(),
		);
		expect(graph.threadControls()).toHaveLength(2);
		expect(graph.threadControls()[1].body).toEqual({
			messaging_product: 'whatsapp',
			to: CUSTOMER,
			action: 'take',
		});
		expect(released[0].json).toMatchObject({
			released: true,
			owner: 'bot',
			threadControl: { action: 'take', ok: true, targetAppId: null },
		});
		expect(await get(workflow)).toMatchObject({
			owner: 'bot',
			threadOwner: { owner: 'this_app', via: 'thread_control_take' },
		});
		expect(graph.threadOwners.get(CUSTOMER)).toBe(graph.appId);

		const next = messages(await deliver(workflow, sendText('wamid.tc2', 'hours?')));
		const [, bot, already] = await runEscalation(workflow, route(), next);
		expect([bot.length, already.length]).toEqual([1, 0]);
	});

	it('a release without taking the thread leaves the customer with the other app', async () => {
		const workflow = new Workflow();
		await passedToHelpdesk(workflow, 'wamid.tc3');
		await runEscalation(workflow, { operation: 'release', customerId: CUSTOMER }, [{ json: {} }]);
		expect(graph.threadControls()).toHaveLength(1);
		const next = messages(await deliver(workflow, sendText('wamid.tc4', 'hours?')));
		const [, bot, already] = await runEscalation(workflow, route(), next);
		expect([bot.length, already.length]).toEqual([0, 1]);
		expect(already[0].json).toMatchObject({
			routing: { reason: 'thread_owned_by_other_app', threadOwnerAppId: HELPDESK_APP },
		});
	});

	it("a refused pass fails the item naming the option and Meta's error; the case stays open and the owner unchanged", async () => {
		const workflow = new Workflow();
		const refund = messages(await deliver(workflow, sendText('wamid.tc5', 'refund')));
		const [human] = await runEscalation(workflow, route(), refund);
		graph.failNext(1, THREAD_CONTROL_REFUSED, { match: isThreadControl });
		const params = { operation: 'escalate', passThreadControlTo: HELPDESK_APP };
		const error = await runEscalation(workflow, params, human, false, graph.credentials()).then(
			() => undefined,
			(e: Error) => e,
		);
		expect(error?.message).toMatch(/^Pass Thread Control To: /);
		expect(error?.message).toContain('2494191');
		expect(error?.message).toContain('Thread control action not permitted');
		expect(graph.threadControls()).toHaveLength(1);
		const record = await get(workflow);
		expect(record).toMatchObject({ owner: 'human' });
		expect(record.threadOwner ?? null).toBeNull();

		// Continue On Fail: an error item with the case it opened; a re-run passes again.
		graph.failNext(1, THREAD_CONTROL_REFUSED, { match: isThreadControl });
		const [first] = await runEscalation(workflow, params, human, true, graph.credentials());
		expect(first[0].json).toMatchObject({
			error: expect.stringMatching(/^Pass Thread Control To: .*2494191/),
			caseId: expect.any(String),
			threadControl: { action: 'pass', ok: false, targetAppId: HELPDESK_APP },
		});
		const [, existing] = await runEscalation(workflow, params, human, false, graph.credentials());
		expect(existing[0].json.threadControl).toMatchObject({ ok: true, response: { success: true } });
		expect(graph.threadControls()).toHaveLength(3);
	});

	it('a refused take names the option; the release stays done, the thread stays with the other app', async () => {
		const workflow = new Workflow();
		await passedToHelpdesk(workflow, 'wamid.tc6');
		graph.failNext(1, THREAD_CONTROL_REFUSED, { match: isThreadControl });
		await expect(
			runEscalation(
				workflow,
				{ operation: 'release', customerId: CUSTOMER, takeThreadControl: true },
				[{ json: {} }],
				false,
				graph.credentials(),
			),
		).rejects.toThrow(/^Take Thread Control: .*not permitted/);
		expect(await get(workflow)).toMatchObject({
			owner: 'bot',
			threadOwner: { owner: 'other', appId: HELPDESK_APP },
		});
	});

	it('without a Cloud API credential the option says what is missing', async () => {
		const workflow = new Workflow();
		const refund = messages(await deliver(workflow, sendText('wamid.tc7', 'refund')));
		const [human] = await runEscalation(workflow, route(), refund);
		await expect(
			runEscalation(workflow, { operation: 'escalate', passThreadControlTo: 'ai_agent' }, human),
		).rejects.toThrow(/^Pass Thread Control To: no WhatsApp Cloud API credential/);
		expect(graph.threadControls()).toHaveLength(0);
	});

	it("passes to Meta's business agent by role, and shows the credential only when an option is used", async () => {
		const workflow = new Workflow();
		const refund = messages(await deliver(workflow, sendText('wamid.tc8', 'refund')));
		const [human] = await runEscalation(workflow, route(), refund);
		await runEscalation(
			workflow,
			{ operation: 'escalate', passThreadControlTo: 'ai_agent' },
			human,
			false,
			graph.credentials(),
		);
		expect(graph.threadControls()[0].body.control_pass).toEqual({ target_role: 'ai_agent' });
		expect(await get(workflow)).toMatchObject({ threadOwner: { owner: 'other', appId: null } });

		const cloud = escalation.description.credentials!.filter((c) => c.name === 'whatsAppCloudApi');
		const shown = (parameters: IDataObject) =>
			cloud.some((c) =>
				displayParameter(parameters as INodeParameters, c, null, escalation.description),
			);
		expect(shown({ operation: 'escalate', passThreadControlTo: '' })).toBe(false);
		expect(shown({ operation: 'escalate', passThreadControlTo: HELPDESK_APP })).toBe(true);
		expect(shown({ operation: 'escalate', passThreadControlTo: '={{ $json.app }}' })).toBe(true);
		expect(shown({ operation: 'release', takeThreadControl: false })).toBe(false);
		expect(shown({ operation: 'release', takeThreadControl: true })).toBe(true);
		expect(shown({ operation: 'route', passThreadControlTo: '', takeThreadControl: false })).toBe(
			false,
		);
		// n8n checks the first entry of a credential type only: there must be one.
		expect(cloud).toHaveLength(1);
		expect(cloud[0].required).toBe(false);
	});
});
