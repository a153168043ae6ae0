import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	IWebhookFunctions,
} from 'n8n-workflow';

import { resetProcessStateForTests } from '../../nodes/shared/processState';
import { WhatsAppReliableTrigger } from '../../nodes/WhatsAppReliableTrigger/WhatsAppReliableTrigger.node';
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

const SECRET = 'app-secret';
const TOKEN = 'verify-token';

/** Workflow static data as n8n keeps it between executions: serialised to the database and back. */
class FakeDatabase {
	staticData: IDataObject = {};
	load(): IDataObject {
		return JSON.parse(JSON.stringify(this.staticData));
	}
	save(data: IDataObject): void {
		this.staticData = JSON.parse(JSON.stringify(data));
	}
}

interface Sent {
	status: number;
	type?: string;
	body?: unknown;
}

function webhookContext(
	db: FakeDatabase,
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
	const staticData = db.load();
	const res = {
		status(code: number) {
			sent.status = code;
			return res;
		},
		type(t: string) {
			sent.type = t;
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
		getNode: () => ({ id: 'node1', name: 'Trigger' }),
		getWorkflowStaticData: (type: string) => {
			const key = `${type}:Trigger`;
			staticData[key] = (staticData[key] as IDataObject) ?? {};
			return staticData[key] as IDataObject;
		},
		logger: { warn: (m: string) => warnings.push(m), debug: () => undefined },
	} as unknown as IWebhookFunctions;
	return { ctx, sent, warnings, staticData };
}

function executeContext(
	db: FakeDatabase,
	inputs: INodeExecutionData[][],
	parameters: IDataObject = {},
) {
	const staticData = db.load();
	const ctx = {
		getInputData: (index = 0) => {
			if (index >= inputs.length) throw new Error('no such input');
			return inputs[index];
		},
		getNodeParameter: (name: string, _i: number, fallback: unknown) => parameters[name] ?? fallback,
		getWorkflow: () => ({ id: 'wf1', active: true }),
		getNode: () => ({ id: 'node1', name: 'Trigger' }),
		getWorkflowStaticData: (type: string) => {
			const key = `${type}:Trigger`;
			staticData[key] = (staticData[key] as IDataObject) ?? {};
			return staticData[key] as IDataObject;
		},
	} as unknown as IExecuteFunctions;
	// n8n saves the execution's static data when it ends.
	return { ctx, finish: () => db.save(staticData) };
}

const trigger = new WhatsAppReliableTrigger();

async function post(
	db: FakeDatabase,
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
	if (response.workflowData) {
		const exec = executeContext(db, response.workflowData, parameters);
		outputs = await trigger.execute.call(exec.ctx);
		exec.finish();
	}
	return { ...web, response, outputs };
}

beforeEach(() => resetProcessStateForTests());

describe('WhatsApp Reliable Trigger: GET handshake', () => {
	it('answers exactly the challenge as text/plain without an execution', async () => {
		const { ctx, sent } = webhookContext(new FakeDatabase(), {
			method: 'GET',
			query: { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '987' },
		});
		expect(await trigger.webhook.call(ctx)).toEqual({ noWebhookResponse: true });
		expect(sent).toEqual({ status: 200, type: 'text/plain', body: '987' });
	});

	it('answers 403 and logs the reason, never the token', async () => {
		const { ctx, sent, warnings } = webhookContext(new FakeDatabase(), {
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
		const { outputs, response } = await post(new FakeDatabase(), payload);
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
		const result = await post(new FakeDatabase(), payload, {}, 'wrong-secret');
		expect(result.response).toEqual({ noWebhookResponse: true });
		expect(result.sent.status).toBe(401);
		expect(result.sent.body).toBe('Unauthorized');
		expect(result.warnings.join()).toContain('does not match');
		expect(result.warnings.join()).not.toContain(SECRET);
	});

	it('rejects a missing signature, with its own reason in the log', async () => {
		const web = webhookContext(new FakeDatabase(), { method: 'POST', raw: Buffer.from('{}') });
		await trigger.webhook.call(web.ctx);
		expect(web.sent).toMatchObject({ status: 401, body: 'Unauthorized' });
		expect(web.warnings.join()).toContain('missing');
	});

	it('answers 500 with what to fix when the raw body is missing', async () => {
		const web = webhookContext(new FakeDatabase(), {
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
		const { sent, response } = await post(new FakeDatabase(), bad);
		expect(response).toEqual({ noWebhookResponse: true });
		expect(sent.status).toBe(400);
	});

	it('acknowledges a redelivery with 200 and starts no execution', async () => {
		const db = new FakeDatabase();
		await post(db, payload);
		const again = await post(db, payload);
		expect(again.response).toEqual({ noWebhookResponse: true });
		expect(again.sent.status).toBe(200);
	});

	it('remembers events across a process restart through static data', async () => {
		const db = new FakeDatabase();
		await post(db, payload);
		resetProcessStateForTests();
		const again = await post(db, payload);
		expect(again.response).toEqual({ noWebhookResponse: true });
		const fresh = await post(
			db,
			body(change(PHONE_A, { messages: [textMessage('wamid.new', 'x')] })),
		);
		expect(fresh.outputs?.[0]).toHaveLength(1);
	});

	it('keeps the status high-water mark across a restart', async () => {
		const db = new FakeDatabase();
		await post(db, body(change(PHONE_A, { statuses: [status('wamid.s', 'read')] })));
		resetProcessStateForTests();
		const late = await post(
			db,
			body(change(PHONE_A, { statuses: [status('wamid.s', 'delivered')] })),
		);
		expect(late.outputs?.[2]).toHaveLength(0);
	});

	it('saves the state as it is when n8n saves, so a slower execution does not overwrite newer keys', async () => {
		const db = new FakeDatabase();
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
		await post(db, body(change(PHONE_A, { messages: [textMessage('wamid.b', 'x')] })));
		slow.finish(); // the slow execution ends last and saves its copy
		const saved = (db.staticData['node:Trigger'] as IDataObject).dedupe as IDataObject;
		expect(Object.keys(saved).sort()).toEqual(['message:wamid.a', 'message:wamid.b']);
	});

	it('filters by phone number id', async () => {
		const { outputs } = await post(new FakeDatabase(), payload, {
			phoneNumberIds: ` ${PHONE_B.phone_number_id} `,
		});
		expect(outputs?.flat().map((i) => i.json.phoneNumberId)).toEqual([PHONE_B.phone_number_id]);
	});
});
