import { generateKeyPairSync } from 'node:crypto';
import { NodeOperationError, type INodeExecutionData } from 'n8n-workflow';

import { WhatsAppFlowRespond } from '../../nodes/WhatsAppFlowRespond/WhatsAppFlowRespond.node';
import { flowExchanges } from '../../nodes/shared/flowExchangeRegistry';
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
		// Short timeouts keep jest from waiting on the trigger's pending sleeps after the last test.
		options: { responseTimeoutMs: 300, ...options },
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WhatsApp Flow Trigger webhook', () => {
	it('answers ping itself, encrypted, and starts no execution', async () => {
		const delivery = await deliver({ version: '3.0', action: 'ping' });
		expect(delivery.result).toEqual({ noWebhookResponse: true });
		expect(delivery.response.statusCode).toBe(200);
		expect(delivery.response.contentType).toBe('text/plain');
		expect(answerOf(delivery)).toEqual({ data: { status: 'active' } });
	});

	it('hands INIT to the workflow as one item without the key, and waits for the respond node', async () => {
		const open = flowExchanges.openCount;
		const delivery = await deliver({ version: '3.0', action: 'INIT', flow_token: 'tok-init' });
		expect(delivery.result.noWebhookResponse).toBe(true);
		expect(delivery.result.workflowData).toHaveLength(2);
		expect(delivery.result.workflowData?.[1]).toEqual([]);
		const item = requestItem(delivery);
		expect(Object.keys(item.json).sort()).toEqual([
			'action',
			'data',
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
		const serialized = JSON.stringify(delivery.result);
		for (const secret of [delivery.request.aesKey, delivery.request.iv]) {
			expect(serialized).not.toContain(secret.toString('base64'));
			expect(serialized).not.toContain(secret.toString('hex'));
		}
		expect(delivery.response.sends).toBe(0);
		expect(flowExchanges.openCount).toBe(open + 1);

		// The execution: the trigger's execute() binds the request to the execution id, a node in
		// between drops requestId, and the respond node still finds the request.
		const [requests] = await trigger.execute.call(
			executeContext({ items: delivery.result.workflowData!, executionId: 'exec-1' }),
		);
		expect(requests).toEqual([item]);
		const reshaped = { json: { somethingElse: true } };
		const output = await respond.execute.call(
			executeContext({
				items: [reshaped],
				executionId: 'exec-1',
				parameters: {
					respondWith: 'nextScreen',
					screen: 'APPOINTMENT',
					data: '{"slots":["09:00","10:00"]}',
				},
			}),
		);
		expect(output).toEqual([[{ json: { somethingElse: true }, pairedItem: { item: 0 } }]]);
		expect(delivery.response.statusCode).toBe(200);
		expect(answerOf(delivery)).toEqual({
			screen: 'APPOINTMENT',
			data: { slots: ['09:00', '10:00'] },
		});
		expect(flowExchanges.openCount).toBe(open);
		expect(flowExchanges.requestIdForExecution('exec-1')).toBeUndefined();
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
		await respond.execute.call(
			executeContext({
				items: [item],
				executionId: 'exec-2',
				parameters: { respondWith: 'complete', params: { booking_id: 'B-7' } },
			}),
		);
		expect(answerOf(delivery)).toEqual({
			screen: 'SUCCESS',
			data: {
				extension_message_response: { params: { booking_id: 'B-7', flow_token: 'tok-done' } },
			},
		});
		await expect(
			respond.execute.call(
				executeContext({
					items: [item],
					executionId: 'exec-2',
					parameters: { respondWith: 'complete', params: '{}' },
				}),
			),
		).rejects.toThrow(NodeOperationError);
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
		await respond.execute.call(
			executeContext({
				items: [requestItem(delivery)],
				parameters: { respondWith: 'nextScreen', screen: 'FIRST', data: {} },
			}),
		);
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
		const late = respond.execute.call(
			executeContext({
				items: [requestItem(delivery)],
				parameters: { respondWith: 'nextScreen', screen: 'X', data: '{}' },
			}),
		);
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
			await respond.execute.call(
				executeContext({
					items: [requestItem(delivery)],
					executionId: `concurrent-${index}`,
					parameters: {
						respondWith: 'nextScreen',
						screen: 'S2',
						data: { echo: requestItem(delivery).json.flow_token },
					},
				}),
			);
		}
		deliveries.forEach((delivery, i) =>
			expect(answerOf(delivery)).toEqual({ screen: 'S2', data: { echo: `t${i}` } }),
		);
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
