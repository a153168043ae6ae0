import { generateKeyPairSync } from 'node:crypto';
import { NodeOperationError, type INodeExecutionData } from 'n8n-workflow';

import { WhatsAppFlowRespond } from '../../nodes/WhatsAppFlowRespond/WhatsAppFlowRespond.node';
import { WhatsAppFlowTrigger } from '../../nodes/WhatsAppFlowTrigger/WhatsAppFlowTrigger.node';
import {
	decryptFlowResponseAsClient,
	encryptFlowRequestAsClient,
	signFlowBody,
	tamperFlowData,
	type ClientRequest,
} from '../fixtures/flow/flowClient';
import { flowTestKeys } from '../fixtures/flow/keys';
import {
	executeContext,
	FakeResponse,
	n8nWrites,
	webhookContext,
	type LogLine,
} from '../fixtures/flow/n8nMocks';

const keys = flowTestKeys();
const APP_SECRET = 'node-test-app-secret';
const credentials = {
	privateKey: keys.business.encryptedPkcs8Pem,
	passphrase: keys.passphrase,
	appSecret: APP_SECRET,
};
const trigger = new WhatsAppFlowTrigger();
const respond = new WhatsAppFlowRespond();

interface Delivery {
	request: ClientRequest;
	response: FakeResponse;
	logs: LogLine[];
	result: Awaited<ReturnType<WhatsAppFlowTrigger['webhook']>>;
}

async function deliver(
	payload: unknown,
	options: Record<string, unknown> = {},
	tweak: { body?: (body: string) => string; signature?: string | null; publicPem?: string } = {},
): Promise<Delivery> {
	const request = encryptFlowRequestAsClient(
		payload,
		tweak.publicPem ?? keys.business.publicPem,
		APP_SECRET,
	);
	const body = tweak.body ? tweak.body(request.body) : request.body;
	const signature =
		tweak.signature === null ? undefined : (tweak.signature ?? signFlowBody(body, APP_SECRET));
	const response = new FakeResponse();
	const logs: LogLine[] = [];
	const context = webhookContext({
		rawBody: Buffer.from(body),
		headers: { 'x-hub-signature-256': signature },
		credentials,
		// Long enough for a loaded machine, short enough not to keep jest waiting on pending sleeps.
		options: { responseTimeoutMs: 2000, ...options },
		response,
		logs,
	});
	const result = await trigger.webhook.call(context);
	return { request, response, logs, result };
}

function answerOf(delivery: Delivery): unknown {
	return decryptFlowResponseAsClient(
		delivery.response.body ?? '',
		delivery.request.aesKey,
		delivery.request.iv,
	);
}

function requestItem(delivery: Delivery): INodeExecutionData {
	const item = delivery.result.workflowData?.[0]?.[0];
	if (!item) throw new Error('no request item');
	return item;
}

const TRIGGER_NODE = {
	name: 'WhatsApp Flow Trigger',
	type: 'n8n-nodes-whatsapp-reliable.whatsAppFlowTrigger',
};
let executions = 0;

/**
 * Runs the respond node in the execution `delivery` started, as n8n would: the trigger's item is its
 * output, and sendResponse reaches the response the trigger's webhook() holds.
 */
function respondTo(
	delivery: Delivery,
	parameters: Record<string, unknown>,
	extra: { items?: INodeExecutionData[]; executionId?: string; privateKey?: string } = {},
) {
	return respond.execute.call(
		executeContext({
			items: extra.items ?? [requestItem(delivery)],
			executionId: extra.executionId ?? `run-${++executions}`,
			parameters,
			credentials: extra.privateKey ? { privateKey: extra.privateKey } : credentials,
			parents: [TRIGGER_NODE],
			outputs: { [TRIGGER_NODE.name]: requestItem(delivery) },
			sendResponse: (answer) => n8nWrites.sendResponse(delivery.response, answer),
		}),
	);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WhatsApp Flow Trigger webhook', () => {
	it('answers ping itself, encrypted, and starts no execution', async () => {
		const delivery = await deliver({ version: '3.0', action: 'ping' });
		expect(delivery.result).toEqual({ noWebhookResponse: true });
		expect(delivery.response.statusCode).toBe(200);
		expect(delivery.response.contentType).toBe('text/plain');
		expect(answerOf(delivery)).toEqual({ data: { status: 'active' } });
	});

	it('hands INIT to the workflow as one item with the wrapped key only, and holds the request for the respond node', async () => {
		const delivery = await deliver({ version: '3.0', action: 'INIT', flow_token: 'tok-init' });
		// No noWebhookResponse: n8n holds the request for the respond node (responseNode mode).
		expect(delivery.result.noWebhookResponse).toBeUndefined();
		expect(delivery.result.workflowData).toHaveLength(2);
		expect(delivery.result.workflowData?.[1]).toEqual([]);
		const item = requestItem(delivery);
		expect(Object.keys(item.json).sort()).toEqual([
			'action',
			'data',
			'endpoint',
			'flow_token',
			'requestId',
			'screen',
			'version',
		]);
		expect(item.json).toMatchObject({
			action: 'INIT',
			screen: null,
			data: {},
			flow_token: 'tok-init',
			version: '3.0',
		});
		expect(item.json.requestId).toMatch(/^[0-9a-f]{32}$/);
		const sent = JSON.parse(delivery.request.body);
		expect(item.json.endpoint).toEqual({
			encrypted_aes_key: sent.encrypted_aes_key,
			initial_vector: sent.initial_vector,
			respond_by: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			timeout_status: 500,
		});
		const serialized = JSON.stringify(delivery.result);
		for (const encoding of ['base64', 'hex', 'base64url'] as const)
			expect(serialized).not.toContain(delivery.request.aesKey.toString(encoding));
		expect(serialized).not.toContain('PRIVATE KEY');
		expect(delivery.response.sends).toBe(0);

		// A node in between drops every field; the respond node reads the trigger's own output.
		const reshaped = { json: { somethingElse: true } };
		const output = await respondTo(
			delivery,
			{
				respondWith: 'nextScreen',
				screen: 'APPOINTMENT',
				data: '{"slots":["09:00","10:00"]}',
			},
			{ items: [reshaped] },
		);
		expect(output).toEqual([[{ json: { somethingElse: true }, pairedItem: { item: 0 } }]]);
		expect(delivery.response.statusCode).toBe(200);
		expect(delivery.response.headers['content-type']).toBe('text/plain');
		expect(answerOf(delivery)).toEqual({
			screen: 'APPOINTMENT',
			data: { slots: ['09:00', '10:00'] },
		});
	});

	it('answers from the item alone when the respond node has no trigger before it', async () => {
		const delivery = await deliver({ version: '3.0', action: 'INIT', flow_token: 'tok-item' });
		await respond.execute.call(
			executeContext({
				items: [requestItem(delivery)],
				parameters: { respondWith: 'nextScreen', screen: 'A', data: '{}' },
				credentials,
				sendResponse: (answer) => n8nWrites.sendResponse(delivery.response, answer),
			}),
		);
		expect(answerOf(delivery)).toEqual({ screen: 'A', data: {} });
	});

	it('completes a data_exchange with the flow token in the params, and answers at most once', async () => {
		const delivery = await deliver(
			{
				version: '3.0',
				action: 'data_exchange',
				screen: 'CONFIRM',
				flow_token: 'tok-done',
				data: { date: '2026-01-02' },
			},
			{ responseTimeoutMs: 60 },
		);
		const item = requestItem(delivery);
		expect(item.json).toMatchObject({
			action: 'data_exchange',
			screen: 'CONFIRM',
			data: { date: '2026-01-02' },
		});
		await respondTo(
			delivery,
			{ respondWith: 'complete', params: { booking_id: 'B-7' } },
			{ executionId: 'exec-2' },
		);
		expect(answerOf(delivery)).toEqual({
			screen: 'SUCCESS',
			data: {
				extension_message_response: { params: { booking_id: 'B-7', flow_token: 'tok-done' } },
			},
		});
		const second = respondTo(
			delivery,
			{ respondWith: 'complete', params: '{}' },
			{ executionId: 'exec-2' },
		);
		await expect(second).rejects.toThrow(NodeOperationError);
		await second.catch((error: NodeOperationError) =>
			expect(error.description).toMatch(/already answered \(by the node "Node", HTTP 200\)/),
		);
		await sleep(100); // the timeout passes and must not write again
		expect(delivery.response.sends).toBe(1);
	});

	it('answers BACK like any exchange', async () => {
		const delivery = await deliver({
			version: '3.0',
			action: 'BACK',
			screen: 'SECOND',
			flow_token: 't',
		});
		expect(requestItem(delivery).json).toMatchObject({ action: 'BACK', screen: 'SECOND' });
		await respondTo(delivery, { respondWith: 'nextScreen', screen: 'FIRST', data: {} });
		expect(answerOf(delivery)).toEqual({ screen: 'FIRST', data: {} });
	});

	it('answers with the timeout message on the current screen when the workflow does not answer in time', async () => {
		const started = Date.now();
		const delivery = await deliver(
			{ version: '3.0', action: 'data_exchange', screen: 'PICK', flow_token: 't', data: {} },
			{ responseTimeoutMs: 50, timeoutMessage: 'Try again' },
		);
		await delivery.response.sent();
		expect(Date.now() - started).toBeGreaterThanOrEqual(45);
		expect(delivery.response.statusCode).toBe(200);
		expect(answerOf(delivery)).toEqual({ screen: 'PICK', data: { error_message: 'Try again' } });
		expect(delivery.logs.some((l) => l.level === 'warn' && /within 50 ms/.test(l.message))).toBe(
			true,
		);
		const late = respondTo(delivery, { respondWith: 'nextScreen', screen: 'X', data: '{}' });
		await expect(late).rejects.toThrow('cannot be answered');
		await late.catch((error: NodeOperationError) =>
			expect(error.description).toMatch(/already answered \(by the timeout, HTTP 200\)/),
		);
		expect(delivery.response.sends).toBe(1);
	});

	it('times out INIT with an encrypted HTTP 500 (no screen to stay on), or 427 when chosen', async () => {
		const init = await deliver(
			{ version: '3.0', action: 'INIT', flow_token: 't' },
			{ responseTimeoutMs: 30 },
		);
		await init.response.sent();
		expect(init.response.statusCode).toBe(500);
		expect(answerOf(init)).toEqual({ error_msg: expect.any(String) });
		const ended = await deliver(
			{ version: '3.0', action: 'data_exchange', screen: 'S', flow_token: 't' },
			{ responseTimeoutMs: 30, onTimeout: 'invalidToken', timeoutMessage: 'Session over' },
		);
		await ended.response.sent();
		expect(ended.response.statusCode).toBe(427);
		expect(answerOf(ended)).toEqual({ error_msg: 'Session over' });
	});

	it('rejects a bad or missing signature with 432 and logs the reason, never the secret', async () => {
		for (const signature of [signFlowBody('other body', APP_SECRET), null]) {
			const delivery = await deliver({ action: 'ping' }, {}, { signature });
			expect(delivery.result).toEqual({ noWebhookResponse: true });
			expect(delivery.response.statusCode).toBe(432);
			const warning = delivery.logs.find((l) => l.level === 'warn');
			expect(warning?.message).toMatch(
				/432: X-Hub-Signature-256 (does not match|header is missing)/,
			);
			expect(JSON.stringify(delivery.logs)).not.toContain(APP_SECRET);
			expect(delivery.response.body).not.toContain(APP_SECRET);
		}
	});

	it('answers 421 for a request to another public key or a tampered ciphertext, 400 for a non-JSON body', async () => {
		const wrongKey = await deliver({ action: 'ping' }, {}, { publicPem: keys.other.publicPem });
		expect(wrongKey.response.statusCode).toBe(421);
		const tampered = await deliver(
			{ action: 'INIT', flow_token: 't' },
			{},
			{ body: tamperFlowData },
		);
		expect(tampered.response.statusCode).toBe(421);
		expect(tampered.result.workflowData).toBeUndefined();
		const notJson = await deliver({ action: 'ping' }, {}, { body: () => '{"oops"' });
		expect(notJson.response.statusCode).toBe(400);
		const logs = JSON.stringify([...wrongKey.logs, ...tampered.logs]);
		expect(logs).not.toContain(keys.passphrase);
		expect(logs).not.toContain('PRIVATE KEY');
	});

	it('acknowledges error notifications, and emits them on the second output only when asked', async () => {
		const payload = {
			version: '3.0',
			action: 'data_exchange',
			screen: 'S',
			flow_token: 't',
			data: { error: 'INVALID_DATA', error_message: 'x' },
		};
		const quiet = await deliver(payload);
		expect(quiet.result).toEqual({ noWebhookResponse: true });
		expect(answerOf(quiet)).toEqual({ data: { acknowledged: true } });
		expect(quiet.logs.some((l) => l.level === 'warn' && /INVALID_DATA/.test(l.message))).toBe(true);
		const emitted = await deliver(payload, { emitErrorNotifications: true });
		expect(answerOf(emitted)).toEqual({ data: { acknowledged: true } });
		expect(emitted.result.workflowData?.[0]).toEqual([]);
		expect(emitted.result.workflowData?.[1]?.[0].json).toMatchObject({
			error: 'INVALID_DATA',
			error_message: 'x',
			flow_token: 't',
			screen: 'S',
		});
		expect(emitted.result.workflowData?.[1]?.[0].json).not.toHaveProperty('requestId');
	});

	it('keeps concurrent requests apart: each answer is encrypted with its own request key', async () => {
		const deliveries = await Promise.all(
			Array.from({ length: 20 }, (_, i) =>
				deliver({
					version: '3.0',
					action: 'data_exchange',
					screen: 'S',
					flow_token: `t${i}`,
					data: { i },
				}),
			),
		);
		for (const [index, delivery] of [...deliveries.entries()].reverse()) {
			await respondTo(
				delivery,
				{
					respondWith: 'nextScreen',
					screen: 'S2',
					data: { echo: requestItem(delivery).json.flow_token },
				},
				{ executionId: `concurrent-${index}` },
			);
		}
		deliveries.forEach((delivery, i) =>
			expect(answerOf(delivery)).toEqual({ screen: 'S2', data: { echo: `t${i}` } }),
		);
	});
});

describe('WhatsApp Flow Trigger: what n8n answers when no respond node does', () => {
	it("replaces n8n's 500 for a failed execution with the encrypted timeout message (on the screen; HTTP 500 for INIT)", async () => {
		const onScreen = await deliver(
			{ version: '3.0', action: 'data_exchange', screen: 'PICK', flow_token: 't', data: {} },
			{ timeoutMessage: 'Try again' },
		);
		n8nWrites.executionFailed(onScreen.response);
		expect(onScreen.response.statusCode).toBe(200);
		expect(answerOf(onScreen)).toEqual({ screen: 'PICK', data: { error_message: 'Try again' } });
		expect(
			onScreen.logs.some(
				(l) => l.level === 'warn' && /not answered by a WhatsApp Flow Respond node/.test(l.message),
			),
		).toBe(true);
		const init = await deliver({ version: '3.0', action: 'INIT', flow_token: 't' });
		n8nWrites.executionFailed(init.response);
		expect(init.response.statusCode).toBe(500);
		expect(answerOf(init)).toEqual({ error_msg: expect.any(String) });
		await sleep(2100); // the timeouts pass and must not write again
		expect(onScreen.response.sends).toBe(1);
		expect(init.response.sends).toBe(1);
	});

	it("replaces n8n's empty 200 for an execution that ended without a respond node", async () => {
		const delivery = await deliver(
			{ version: '3.0', action: 'data_exchange', screen: 'S', flow_token: 't', data: {} },
			{ onTimeout: 'invalidToken', timeoutMessage: 'Session over' },
		);
		n8nWrites.endedWithoutResponse(delivery.response);
		expect(delivery.response.statusCode).toBe(427);
		expect(answerOf(delivery)).toEqual({ error_msg: 'Session over' });
	});

	it('a respond node with unusable parameters fails without answering, and the endpoint answers the fallback', async () => {
		const delivery = await deliver({
			version: '3.0',
			action: 'data_exchange',
			screen: 'S',
			flow_token: 't',
		});
		const run = respondTo(delivery, {
			respondWith: 'nextScreen',
			screen: 'NEXT',
			data: '{not json',
		});
		await expect(run).rejects.toThrow(NodeOperationError);
		await expect(run).rejects.toThrow('Screen Data is not valid JSON');
		expect(delivery.response.sends).toBe(0);
		n8nWrites.executionFailed(delivery.response);
		expect(answerOf(delivery)).toEqual({
			screen: 'S',
			data: { error_message: expect.any(String) },
		});
	});

	it("a respond node with another credential than the trigger's says so and answers nothing", async () => {
		const delivery = await deliver({ version: '3.0', action: 'INIT', flow_token: 't' });
		const run = respondTo(
			delivery,
			{ respondWith: 'nextScreen', screen: 'A', data: '{}' },
			{ privateKey: keys.other.privatePem },
		);
		await expect(run).rejects.toThrow(NodeOperationError);
		await run.catch((error: NodeOperationError) =>
			expect(error.description).toMatch(/same WhatsApp Flow Endpoint credential/),
		);
		expect(delivery.response.sends).toBe(0);
	});
});

describe('WhatsApp Flow Endpoint credential test', () => {
	const test = (data: Record<string, unknown>) =>
		trigger.methods.credentialTest.whatsAppFlowEndpointKeyTest.call(
			{} as never,
			{
				id: 'c',
				name: 'c',
				type: 'whatsAppFlowEndpointApi',
				data,
			} as never,
		);

	it('accepts a passphrase-protected RSA-2048 key and shows its public key fingerprint', async () => {
		const result = await test(credentials);
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/^RSA-2048 key loaded; public key SHA-256 [A-Za-z0-9+/]{43}=$/);
	});

	it('explains a wrong passphrase, a small key and a missing app secret', async () => {
		expect(await test({ ...credentials, passphrase: 'wrong' })).toMatchObject({
			status: 'Error',
			message: expect.stringMatching(/passphrase/),
		});
		const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
			type: 'pkcs8',
			format: 'pem',
		});
		expect(await test({ privateKey: small, appSecret: 's' })).toMatchObject({
			status: 'Error',
			message: expect.stringMatching(/1024 bits/),
		});
		expect(await test({ privateKey: keys.business.privatePem })).toMatchObject({
			status: 'Error',
			message: 'No app secret is set',
		});
	});
});
