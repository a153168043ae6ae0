import type {
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	IWebhookFunctions,
} from 'n8n-workflow';

import * as net from 'node:net';

import { closeRedisClientsForTests } from '../../nodes/shared/redisClient';
import {
	resetWorkflowStatesForTests,
	saveWithExecution,
	whenExecutionSaved,
} from '../../nodes/shared/workflowState';
import { WhatsAppReliableTrigger } from '../../nodes/WhatsAppReliableTrigger/WhatsAppReliableTrigger.node';
import {
	MAX_DEDUPE_CAPACITY,
	MAX_DEDUPE_WINDOW_DAYS,
	readTriggerOptions,
} from '../../nodes/WhatsAppReliableTrigger/triggerState';
import {
	body,
	change,
	metaSerialise,
	PHONE_A,
	PHONE_B,
	sign,
	status,
	textMessage,
} from '../support/payloads';
import { FakeWorkflowDatabase } from '../support/n8nStaticData';

const SECRET = 'app-secret';
const TOKEN = 'verify-token';

interface Sent {
	status: number;
	type?: string;
	body?: unknown;
	headers?: Record<string, string>;
}

const NODE = { id: 'node1', name: 'Trigger' };

function webhookContext(
	db: FakeWorkflowDatabase,
	request: {
		method: 'GET' | 'POST';
		raw?: Buffer | null;
		headers?: Record<string, string>;
		query?: IDataObject;
	},
	parameters: IDataObject = {},
) {
	const sent: Sent = { status: 0 };
	const warnings: string[] = [];
	const staticData = db.begin();
	const res = {
		status(code: number) {
			sent.status = code;
			return res;
		},
		type(t: string) {
			sent.type = t;
			return res;
		},
		set(name: string, value: string) {
			sent.headers = { ...sent.headers, [name]: value };
			return res;
		},
		send(b: unknown) {
			sent.body = b;
			return res;
		},
		end() {
			return res;
		},
	};
	const ctx = {
		getWebhookName: () => (request.method === 'GET' ? 'setup' : 'default'),
		getRequestObject: () => ({
			method: request.method,
			headers: request.headers ?? {},
			...(request.raw === null ? {} : { rawBody: request.raw }),
		}),
		getResponseObject: () => res,
		getQueryData: () => request.query ?? {},
		getCredentials: async () => ({ appSecret: SECRET, verifyToken: TOKEN }),
		getNodeParameter: (name: string, fallback: unknown) => parameters[name] ?? fallback,
		getWorkflow: () => ({ id: 'wf1', active: true }),
		getNode: () => NODE,
		getWorkflowStaticData: (type: string) => staticData.forNode(type, NODE.name),
		logger: {
			warn: (m: string) => warnings.push(m),
			info: (m: string) => warnings.push(m),
			debug: () => undefined,
		},
	} as unknown as IWebhookFunctions;
	return { ctx, sent, warnings, staticData };
}

function executeContext(
	db: FakeWorkflowDatabase,
	inputs: INodeExecutionData[][],
	parameters: IDataObject = {},
) {
	const staticData = db.begin();
	const responses: unknown[] = [];
	const ctx = {
		getInputData: (index = 0) => {
			if (index >= inputs.length) throw new Error('no such input');
			return inputs[index];
		},
		getNodeParameter: (name: string, _i: number, fallback: unknown) => parameters[name] ?? fallback,
		getWorkflow: () => ({ id: 'wf1', active: true }),
		getNode: () => NODE,
		getWorkflowStaticData: (type: string) => staticData.forNode(type, NODE.name),
		sendResponse: (response: unknown) => responses.push(response),
	} as unknown as IExecuteFunctions;
	return { ctx, staticData, responses };
}

const trigger = new WhatsAppReliableTrigger();

async function post(
	db: FakeWorkflowDatabase,
	payload: unknown,
	parameters: IDataObject = {},
	signWith = SECRET,
) {
	const raw = Buffer.from(metaSerialise(payload));
	const web = webhookContext(
		db,
		{ method: 'POST', raw, headers: { 'x-hub-signature-256': sign(raw, signWith) } },
		parameters,
	);
	const response = await trigger.webhook.call(web.ctx);
	let outputs: INodeExecutionData[][] | undefined;
	let responses: unknown[] = [];
	if (response.workflowData) {
		const exec = executeContext(db, response.workflowData, parameters);
		outputs = await trigger.execute.call(exec.ctx);
		responses = exec.responses;
		exec.staticData.finishAndLand();
	} else {
		// n8n saves what a webhook wrote only when no execution starts; ours writes nothing there.
		web.staticData.finishAndLand();
	}
	return { ...web, response, outputs, responses };
}

beforeEach(() => resetWorkflowStatesForTests());

describe('WhatsApp Reliable Trigger: GET handshake', () => {
	it('answers exactly the challenge as text/plain without an execution', async () => {
		const { ctx, sent } = webhookContext(new FakeWorkflowDatabase(), {
			method: 'GET',
			query: { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '987' },
		});
		expect(await trigger.webhook.call(ctx)).toEqual({ noWebhookResponse: true });
		expect(sent).toEqual({ status: 200, type: 'text/plain', body: '987' });
	});

	it('answers 403 and logs the reason, never the token', async () => {
		const { ctx, sent, warnings } = webhookContext(new FakeWorkflowDatabase(), {
			method: 'GET',
			query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '987' },
		});
		expect(await trigger.webhook.call(ctx)).toEqual({ noWebhookResponse: true });
		expect(sent.status).toBe(403);
		expect(warnings.join()).toContain('verify_token');
		expect(warnings.join()).not.toContain(TOKEN);
	});
});

describe('WhatsApp Reliable Trigger: POST', () => {
	const payload = body(
		change(PHONE_A, {
			messages: [textMessage('wamid.1', 'Grüße')],
			statuses: [status('wamid.o1', 'read')],
		}),
		change(PHONE_B, { statuses: [status('wamid.o2', 'failed')] }),
	);

	it('emits one item per event on the named outputs, with pairedItem', async () => {
		const { outputs, response } = await post(new FakeWorkflowDatabase(), payload);
		expect(response.workflowData?.map((o) => o.length)).toEqual([1, 0, 1, 1, 0]);
		expect(outputs?.map((o) => o.map((i) => i.json.dedupeKey))).toEqual([
			['message:wamid.1'],
			[],
			['status:wamid.o1:read'],
			['status:wamid.o2:failed'],
			[],
		]);
		expect(outputs?.[3][0]).toMatchObject({
			json: { errors: [{ errorClass: 'window_closed' }] },
			pairedItem: { item: 0, input: 3 },
		});
		expect(outputs?.[0][0].json).toMatchObject({
			text: 'Grüße',
			duplicate: false,
			customer: { profileName: 'Zoë Müller' },
		});
	});

	it('rejects bad signatures with 401, starts nothing and never logs the secret', async () => {
		const result = await post(new FakeWorkflowDatabase(), payload, {}, 'wrong-secret');
		expect(result.response).toEqual({ noWebhookResponse: true });
		expect(result.sent.status).toBe(401);
		expect(result.sent.body).toBe('Unauthorized');
		expect(result.warnings.join()).toContain('does not match');
		expect(result.warnings.join()).not.toContain(SECRET);
	});

	it('rejects a missing signature, with its own reason in the log', async () => {
		const web = webhookContext(new FakeWorkflowDatabase(), {
			method: 'POST',
			raw: Buffer.from('{}'),
		});
		await trigger.webhook.call(web.ctx);
		expect(web.sent).toMatchObject({ status: 401, body: 'Unauthorized' });
		expect(web.warnings.join()).toContain('missing');
	});

	it('answers 500 with what to fix when the raw body is missing', async () => {
		const web = webhookContext(new FakeWorkflowDatabase(), {
			method: 'POST',
			raw: null,
			headers: { 'x-hub-signature-256': 'sha256=' + '0'.repeat(64) },
		});
		await trigger.webhook.call(web.ctx);
		expect(web.sent).toMatchObject({
			status: 500,
			body: expect.stringContaining('raw request body'),
		});
	});

	it.each([
		['an array', []],
		['another object type', { object: 'page', entry: [] }],
		['an empty object', {}],
	])('answers 400 for %s', async (_name, bad) => {
		const { sent, response } = await post(new FakeWorkflowDatabase(), bad);
		expect(response).toEqual({ noWebhookResponse: true });
		expect(sent.status).toBe(400);
	});

	it('acknowledges a redelivery with 200 and starts no execution', async () => {
		const db = new FakeWorkflowDatabase();
		await post(db, payload);
		const again = await post(db, payload);
		expect(again.response).toEqual({ noWebhookResponse: true });
		expect(again.sent.status).toBe(200);
	});

	it('remembers events across a process restart through static data', async () => {
		const db = new FakeWorkflowDatabase();
		await post(db, payload);
		resetWorkflowStatesForTests();
		const again = await post(db, payload);
		expect(again.response).toEqual({ noWebhookResponse: true });
		const fresh = await post(
			db,
			body(change(PHONE_A, { messages: [textMessage('wamid.new', 'x')] })),
		);
		expect(fresh.outputs?.[0]).toHaveLength(1);
	});

	it('keeps the status high-water mark across a restart: a late status starts no execution', async () => {
		const db = new FakeWorkflowDatabase();
		await post(db, body(change(PHONE_A, { statuses: [status('wamid.s', 'read')] })));
		resetWorkflowStatesForTests();
		const late = await post(
			db,
			body(change(PHONE_A, { statuses: [status('wamid.s', 'delivered')] })),
		);
		expect(late.response).toEqual({ noWebhookResponse: true });
		expect(late.sent.status).toBe(200);
		const emitted = await post(
			db,
			body(change(PHONE_A, { statuses: [status('wamid.s', 'sent')] })),
			{ options: { emitStaleStatuses: true } },
		);
		expect(emitted.outputs?.[2].map((i) => i.json.stale)).toEqual([true]);
	});

	it('answers Meta from inside the execution, after the events are confirmed', async () => {
		const db = new FakeWorkflowDatabase();
		const result = await post(db, payload);
		expect(result.response.workflowData).toBeDefined();
		expect(result.sent.status).toBe(0); // nothing answered by webhook()
		expect(result.responses).toEqual([expect.objectContaining({ statusCode: 200 })]);
	});

	it('answers 503 while another execution holds an event of the body, releasing its own claims', async () => {
		const db = new FakeWorkflowDatabase();
		const one = body(change(PHONE_A, { messages: [textMessage('wamid.held', 'x')] }));
		const raw = Buffer.from(metaSerialise(one));
		const first = webhookContext(db, {
			method: 'POST',
			raw,
			headers: { 'x-hub-signature-256': sign(raw, SECRET) },
		});
		const claimed = await trigger.webhook.call(first.ctx); // its execution has not run yet
		expect(claimed.workflowData).toBeDefined();

		const both = body(
			change(PHONE_A, {
				messages: [textMessage('wamid.held', 'x'), textMessage('wamid.other', 'y')],
			}),
		);
		const retry = await post(db, both);
		expect(retry.response).toEqual({ noWebhookResponse: true });
		expect(retry.sent).toMatchObject({ status: 503, headers: { 'Retry-After': '10' } });

		const exec = executeContext(db, claimed.workflowData ?? []);
		await trigger.execute.call(exec.ctx);
		exec.staticData.finishAndLand();
		const later = await post(db, both);
		expect(later.outputs?.[0].map((i) => i.json.messageId)).toEqual(['wamid.other']);
	});

	it('emits an all-duplicate body flagged when Emit Duplicates is on', async () => {
		const db = new FakeWorkflowDatabase();
		await post(db, payload);
		const again = await post(db, payload, { options: { emitDuplicates: true } });
		expect(again.outputs?.flat().map((i) => i.json.duplicate)).toEqual([true, true, true]);
	});

	it("keeps its keys when another node's execution that started earlier saves last", async () => {
		const db = new FakeWorkflowDatabase();
		// Another node of this package (the send node) starts an execution and opens the workflow's state.
		const other = db.begin();
		const otherCtx = {
			getWorkflow: () => ({ id: 'wf1', active: true }),
			getNode: () => ({ id: 'send1', name: 'Send' }) as INode,
			getWorkflowStaticData: (type: string) => other.forNode(type, 'Send'),
		};
		saveWithExecution(otherCtx);
		await post(db, body(change(PHONE_A, { messages: [textMessage('wamid.kept', 'x')] })));
		other.finishAndLand(); // ends last and saves what it loaded at its start, plus the hook
		resetWorkflowStatesForTests();
		const redelivery = await post(
			db,
			body(change(PHONE_A, { messages: [textMessage('wamid.kept', 'x')] })),
		);
		expect(redelivery.response).toEqual({ noWebhookResponse: true });
		expect(redelivery.sent.status).toBe(200);
	});

	it('keeps every key when saves land out of order', async () => {
		const db = new FakeWorkflowDatabase();
		const raw = Buffer.from(
			metaSerialise(body(change(PHONE_A, { messages: [textMessage('wamid.a', 'x')] }))),
		);
		const first = webhookContext(db, {
			method: 'POST',
			raw,
			headers: { 'x-hub-signature-256': sign(raw, SECRET) },
		});
		const slow = executeContext(db, (await trigger.webhook.call(first.ctx)).workflowData ?? []);
		await trigger.execute.call(slow.ctx);
		const landSlow = slow.staticData.finish(); // serialised now, lands later
		await post(db, body(change(PHONE_A, { messages: [textMessage('wamid.b', 'x')] })));
		landSlow();
		// The older snapshot landed last; the next execution of the workflow writes the truth again.
		await post(db, body(change(PHONE_A, { messages: [textMessage('wamid.c', 'x')] })));
		resetWorkflowStatesForTests();
		for (const id of ['wamid.a', 'wamid.b', 'wamid.c']) {
			const again = await post(db, body(change(PHONE_A, { messages: [textMessage(id, 'x')] })));
			expect(again.response).toEqual({ noWebhookResponse: true });
		}
	});

	it('keeps its state when the node is renamed, and reads the layout of earlier versions', async () => {
		const db = new FakeWorkflowDatabase();
		const future = Date.now() + 86400_000;
		db.seed({
			'node:Old Name': {},
			'node:Trigger': {
				dedupe: { 'message:wamid.legacy': [future, 'confirmed'] },
				ledger: { 'wamid.lo': [3, 0, ['read']] },
			},
		});
		const legacy = await post(
			db,
			body(change(PHONE_A, { messages: [textMessage('wamid.legacy', 'x')] })),
		);
		expect(legacy.sent.status).toBe(200);
		expect(legacy.response.workflowData).toBeUndefined();
		const stale = await post(
			db,
			body(change(PHONE_A, { statuses: [status('wamid.lo', 'delivered')] })),
		);
		expect(stale.response.workflowData).toBeUndefined();
		await post(db, body(change(PHONE_A, { messages: [textMessage('wamid.n', 'x')] })));
		const row = db.read();
		expect(row['node:Trigger']).toEqual({});
		expect(Object.keys(row.global as IDataObject)).toEqual(['whatsAppReliable']);

		NODE.name = 'Renamed Trigger';
		try {
			resetWorkflowStatesForTests();
			const renamed = await post(
				db,
				body(change(PHONE_A, { messages: [textMessage('wamid.legacy', 'x')] })),
			);
			expect(renamed.response.workflowData).toBeUndefined();
		} finally {
			NODE.name = 'Trigger';
		}
	});

	it('persists at most 32 bytes per remembered event key', async () => {
		const db = new FakeWorkflowDatabase();
		const ids = Array.from(
			{ length: 2000 },
			(_, i) => `wamid.HBgLNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEIyQjVFRkQ0${i}`,
		);
		for (let at = 0; at < ids.length; at += 100) {
			await post(
				db,
				body(
					change(PHONE_A, { messages: ids.slice(at, at + 100).map((id) => textMessage(id, 'x')) }),
				),
				{ options: { recordConversations: false } },
			);
		}
		expect(db.lastSaveBytes / ids.length).toBeLessThanOrEqual(32);
	});

	it('filters by phone number id', async () => {
		const { outputs } = await post(new FakeWorkflowDatabase(), payload, {
			phoneNumberIds: ` ${PHONE_B.phone_number_id} `,
		});
		expect(outputs?.flat().map((i) => i.json.phoneNumberId)).toEqual([PHONE_B.phone_number_id]);
	});
});

describe('WhatsApp Reliable Trigger: option bounds', () => {
	it('caps the dedupe window at 30 days and the capacity at 100,000 keys', () => {
		const ctx = {
			getNodeParameter: (name: string, fallback: unknown) =>
				name === 'options' ? { dedupeCapacity: 5e6, dedupeWindowDays: 365 } : fallback,
		} as unknown as IWebhookFunctions;
		expect(readTriggerOptions(ctx)).toMatchObject({
			capacity: MAX_DEDUPE_CAPACITY,
			ttlMs: MAX_DEDUPE_WINDOW_DAYS * 86_400_000,
		});
	});
});

describe('State Store Redis', () => {
	afterAll(() => closeRedisClientsForTests());

	it('answers 503, names the credential in the log and records nothing when Redis does not answer', async () => {
		const db = new FakeWorkflowDatabase();
		const port = await closedPort();
		const raw = Buffer.from(
			metaSerialise(body(change(PHONE_A, { messages: [textMessage('wamid.r1', 'hi')] }))),
		);
		const web = webhookContext(
			db,
			{ method: 'POST', raw, headers: { 'x-hub-signature-256': sign(raw, SECRET) } },
			{ stateStore: 'redis' },
		);
		Object.assign(web.ctx, {
			getNode: () => ({
				...NODE,
				credentials: { whatsAppRedisApi: { id: 'r1', name: 'Queue Redis' } },
			}),
			getCredentials: async (type: string) =>
				type === 'whatsAppRedisApi'
					? { host: '127.0.0.1', port }
					: { appSecret: SECRET, verifyToken: TOKEN },
		});
		const response = await trigger.webhook.call(web.ctx);
		expect(response.workflowData).toBeUndefined();
		expect(web.sent.status).toBe(503);
		expect(web.warnings.join('\n')).toMatch(
			/503: Redis \(credential "Queue Redis"\) did not answer/,
		);
		expect(db.saves).toBe(0);
	});
});

async function closedPort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as net.AddressInfo;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

describe('knowing that an execution ended', () => {
	it('calls back when n8n saves the execution, once, and persists nothing for it', () => {
		const db = new FakeWorkflowDatabase();
		const execution = db.begin();
		const ended: string[] = [];
		const ctx = {
			getWorkflow: () => ({ id: 'wf1' }),
			getNode: () => NODE,
			getWorkflowStaticData: (type: string) => execution.forNode(type, NODE.name),
		};
		whenExecutionSaved(ctx as never, () => ended.push('first'));
		whenExecutionSaved(ctx as never, () => ended.push('second'));
		expect(ended).toEqual([]);
		execution.finishAndLand();
		expect(ended).toEqual(['first', 'second']);
		expect(db.read()).toEqual({ global: {} });
		JSON.stringify(ctx.getWorkflowStaticData('global'));
		expect(ended).toHaveLength(2);
	});
});
