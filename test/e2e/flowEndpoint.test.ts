/**
 * The WhatsApp Flows data endpoint inside a real n8n: Meta's client is simulated by
 * test/fixtures/flow/flowClient.ts (RSA-OAEP key wrap, AES-GCM from a crypto-js oracle, signed body),
 * requests go to the trigger's production webhook, and the answers are decrypted and compared.
 * Covers the example workflow end to end, ping and error notifications without executions, the
 * rejections (432, 421, 400), a failing workflow, a workflow without a respond node and a late
 * respond node (the trigger's fallback answers), and that no saved execution holds the AES key or the
 * private key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { N8nInstance, PACKAGE_NAME, REPO_DIR, type HttpResponse } from '../support/n8n';
import {
	decryptFlowResponseAsClient,
	encryptFlowRequestAsClient,
	signFlowBody,
	tamperFlowData,
	type ClientRequest,
} from '../fixtures/flow/flowClient';
import { flowTestKeys } from '../fixtures/flow/keys';
import { withFlowCredential } from '../support/workflows';

const keys = flowTestKeys();
const APP_SECRET = 'e2e-flow-app-secret-0123456789';
const TRIGGER = `${PACKAGE_NAME}.whatsAppFlowTrigger`;
const RESPOND = `${PACKAGE_NAME}.whatsAppFlowRespond`;

const booking = JSON.parse(
	fs.readFileSync(path.join(REPO_DIR, 'examples', 'workflows', 'flow-booking.json'), 'utf8'),
);
const BOOKING_ID: string = booking.id;
const BOOKING_HOOK: string = booking.nodes.find(
	(n: { type: string }) => n.type === TRIGGER,
).webhookId;
const BOOKING_PATH: string = booking.nodes.find((n: { type: string }) => n.type === TRIGGER)
	.parameters.path;

const FAILING = {
	id: 'flowFailing00001',
	hook: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e5f02',
	path: 'flow-failing',
	timeoutMs: 1500,
};
const LATE = {
	id: 'flowLateResp0001',
	hook: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e5f03',
	path: 'flow-late',
	timeoutMs: 1000,
};

function triggerNode(hook: string, endpointPath: string, timeoutMs: number) {
	return {
		id: `${hook.slice(0, 30)}001a`,
		name: 'WhatsApp Flow Trigger',
		type: TRIGGER,
		typeVersion: 1,
		position: [0, 0],
		webhookId: hook,
		parameters: {
			path: endpointPath,
			options: { responseTimeoutMs: timeoutMs, timeoutMessage: 'Please try again' },
		},
	};
}

// Trigger → Stop and Error: the execution fails and no respond node runs.
const failingWorkflow = {
	id: FAILING.id,
	name: 'e2e flow: failing workflow',
	nodes: [
		triggerNode(FAILING.hook, FAILING.path, FAILING.timeoutMs),
		{
			id: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e0b02',
			name: 'Stop and Error',
			type: 'n8n-nodes-base.stopAndError',
			typeVersion: 1,
			position: [240, 0],
			parameters: { errorMessage: 'the booking system is down' },
		},
	],
	connections: {
		'WhatsApp Flow Trigger': { main: [[{ node: 'Stop and Error', type: 'main', index: 0 }], []] },
	},
	settings: { executionOrder: 'v1' },
};

// Trigger → No Operation: the execution succeeds and no respond node runs.
const NO_RESPOND = {
	id: 'flowNoRespond001',
	hook: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e5f06',
	path: 'flow-no-respond',
};
const noRespondWorkflow = {
	id: NO_RESPOND.id,
	name: 'e2e flow: no respond node',
	nodes: [
		triggerNode(NO_RESPOND.hook, NO_RESPOND.path, 5000),
		{
			id: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e0f02',
			name: 'Do nothing',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [240, 0],
			parameters: {},
		},
	],
	connections: {
		'WhatsApp Flow Trigger': { main: [[{ node: 'Do nothing', type: 'main', index: 0 }], []] },
	},
	settings: { executionOrder: 'v1' },
};

// Trigger → Wait 2.5 s → Respond: the respond node comes after the trigger's 1 s timeout.
const lateWorkflow = {
	id: LATE.id,
	name: 'e2e flow: late respond node',
	nodes: [
		triggerNode(LATE.hook, LATE.path, LATE.timeoutMs),
		{
			id: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e0c02',
			name: 'Wait',
			type: 'n8n-nodes-base.wait',
			typeVersion: 1.1,
			position: [240, 0],
			webhookId: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e0c99',
			parameters: { resume: 'timeInterval', amount: 2.5, unit: 'seconds' },
		},
		{
			id: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e0c03',
			name: 'Respond late',
			type: RESPOND,
			typeVersion: 1,
			position: [480, 0],
			parameters: { respondWith: 'nextScreen', screen: 'TOO_LATE', data: '{}' },
		},
	],
	connections: {
		'WhatsApp Flow Trigger': { main: [[{ node: 'Wait', type: 'main', index: 0 }], []] },
		Wait: { main: [[{ node: 'Respond late', type: 'main', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
};

// Trigger → Set (keeps only `greeting`, dropping requestId) → Respond: the respond node finds the
// request through the execution id the trigger's execute() bound, not through the item.
const RESHAPED = {
	id: 'flowReshaped0001',
	hook: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e5f05',
	path: 'flow-reshaped',
};
const reshapedWorkflow = {
	id: RESHAPED.id,
	name: 'e2e flow: item reshaped before the respond node',
	nodes: [
		triggerNode(RESHAPED.hook, RESHAPED.path, 5000),
		{
			id: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e0e02',
			name: 'Keep only a greeting',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [240, 0],
			parameters: {
				mode: 'raw',
				jsonOutput: '={{ { greeting: "hi " + $json.flow_token } }}',
				options: {},
			},
		},
		{
			id: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e0e03',
			name: 'Respond',
			type: RESPOND,
			typeVersion: 1,
			position: [480, 0],
			parameters: { respondWith: 'nextScreen', screen: 'HELLO', data: '={{ $json }}' },
		},
	],
	connections: {
		'WhatsApp Flow Trigger': {
			main: [[{ node: 'Keep only a greeting', type: 'main', index: 0 }], []],
		},
		'Keep only a greeting': { main: [[{ node: 'Respond', type: 'main', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
};

// The floor: n8n's own Webhook node answering on receipt, measured in the same run.
const PLAIN = { id: 'flowPlainHook001', path: 'flow-e2e-plain' };
const plainWorkflow = {
	id: PLAIN.id,
	name: 'e2e flow: plain n8n webhook (baseline)',
	nodes: [
		{
			id: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e0d01',
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: '3d0c6c8e-6a51-4f0b-8d7e-2b9a1c4e5f04',
			parameters: {
				httpMethod: 'POST',
				path: PLAIN.path,
				responseMode: 'onReceived',
				options: { responseData: 'noData' },
			},
		},
	],
	connections: {},
	settings: { executionOrder: 'v1' },
};

interface Exchange {
	request: ClientRequest;
	response: HttpResponse;
	ms: number;
	answer(): unknown;
}

const timings: Record<string, number[]> = {};

function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

describe('WhatsApp Flow endpoint in a real n8n', () => {
	let n8n: N8nInstance;

	async function post(
		hook: string,
		endpointPath: string,
		payload: unknown,
		tweak: {
			body?: (body: string) => string;
			signature?: string | null;
			publicPem?: string;
			label?: string;
		} = {},
	): Promise<Exchange> {
		const request = encryptFlowRequestAsClient(
			payload,
			tweak.publicPem ?? keys.business.publicPem,
			APP_SECRET,
		);
		const body = tweak.body ? tweak.body(request.body) : request.body;
		const signature =
			tweak.signature === null ? undefined : (tweak.signature ?? signFlowBody(body, APP_SECRET));
		const headers: Record<string, string> = { 'content-type': 'application/json' };
		if (signature) headers['x-hub-signature-256'] = signature;
		const started = performance.now();
		const response = await n8n.http('POST', n8n.webhookUrl(hook, endpointPath), { headers, body });
		const ms = performance.now() - started;
		if (tweak.label) (timings[tweak.label] ??= []).push(ms);
		return {
			request,
			response,
			ms,
			answer: () => decryptFlowResponseAsClient(response.text, request.aesKey, request.iv),
		};
	}

	const book = (payload: unknown, tweak: Parameters<typeof post>[3] = {}) =>
		post(BOOKING_HOOK, BOOKING_PATH, payload, tweak);

	beforeAll(async () => {
		n8n = await N8nInstance.start();
		const credentialId = await n8n.createCredential(
			'whatsAppFlowEndpointApi',
			'WhatsApp Flow Endpoint',
			{
				privateKey: keys.business.encryptedPkcs1Pem,
				passphrase: keys.passphrase,
				appSecret: APP_SECRET,
			},
		);
		// Published once they answer a ping: a 404 means the webhook is not registered yet.
		const probeFor = (hook: string, endpointPath: string) => async () =>
			(await post(hook, endpointPath, { version: '3.0', action: 'ping' })).response.status === 200;
		await n8n.importAndPublish(withFlowCredential(booking, credentialId), {
			probe: probeFor(BOOKING_HOOK, BOOKING_PATH),
		});
		await n8n.importAndPublish(withFlowCredential(failingWorkflow, credentialId), {
			probe: probeFor(FAILING.hook, FAILING.path),
		});
		await n8n.importAndPublish(withFlowCredential(noRespondWorkflow, credentialId), {
			probe: probeFor(NO_RESPOND.hook, NO_RESPOND.path),
		});
		await n8n.importAndPublish(withFlowCredential(lateWorkflow, credentialId), {
			probe: probeFor(LATE.hook, LATE.path),
		});
		await n8n.importAndPublish(withFlowCredential(reshapedWorkflow, credentialId), {
			probe: probeFor(RESHAPED.hook, RESHAPED.path),
		});
		await n8n.importAndPublish(plainWorkflow, {
			probe: async () =>
				(await n8n.http('POST', `/webhook/${PLAIN.path}`, { body: {} })).status === 200,
		});
	});

	afterAll(async () => {
		for (const [label, values] of Object.entries(timings)) {
			console.log(
				`flow e2e ${label}: n=${values.length} p50=${percentile(values, 50).toFixed(0)} ms p90=${percentile(values, 90).toFixed(0)} ms max=${Math.max(...values).toFixed(0)} ms`,
			);
		}
		await n8n?.stop();
	});

	it('answers ping with encrypted {"data":{"status":"active"}} and starts no execution', async () => {
		const before = (await n8n.settle(BOOKING_ID)).length;
		for (let i = 0; i < 5; i++) {
			const ping = await book({ version: '3.0', action: 'ping' }, { label: 'ping' });
			expect(ping.response.status).toBe(200);
			expect(ping.answer()).toEqual({ data: { status: 'active' } });
		}
		expect((await n8n.settle(BOOKING_ID)).length).toBe(before);
	});

	it('runs the booking Flow: INIT → APPOINTMENT → SUMMARY → completion with the flow token, and BACK', async () => {
		const before = (await n8n.settle(BOOKING_ID)).length;
		const init = await book(
			{ version: '3.0', action: 'INIT', flow_token: 'flow-token-1' },
			{ label: 'INIT' },
		);
		expect(init.response.status).toBe(200);
		expect(init.answer()).toEqual({
			screen: 'APPOINTMENT',
			data: {
				services: [
					{ id: 'haircut', title: 'Haircut' },
					{ id: 'colour', title: 'Colour' },
					{ id: 'beard', title: 'Beard trim' },
				],
				slots: [
					{ id: '09:00', title: '09:00' },
					{ id: '11:00', title: '11:00' },
					{ id: '15:30', title: '15:30' },
				],
			},
		});

		const chosen = { service: 'haircut', slot: '11:00', name: 'Zoë' };
		const summary = await book(
			{
				version: '3.0',
				action: 'data_exchange',
				screen: 'APPOINTMENT',
				flow_token: 'flow-token-1',
				data: chosen,
			},
			{ label: 'data_exchange' },
		);
		expect(summary.answer()).toEqual({
			screen: 'SUMMARY',
			data: { summary: 'Zoë, haircut at 11:00', ...chosen },
		});

		const back = await book(
			{ version: '3.0', action: 'BACK', screen: 'SUMMARY', flow_token: 'flow-token-1' },
			{ label: 'BACK' },
		);
		expect(back.answer()).toMatchObject({ screen: 'APPOINTMENT' });

		const done = await book(
			{
				version: '3.0',
				action: 'data_exchange',
				screen: 'SUMMARY',
				flow_token: 'flow-token-1',
				data: chosen,
			},
			{ label: 'data_exchange' },
		);
		expect(done.response.status).toBe(200);
		expect(done.answer()).toEqual({
			screen: 'SUCCESS',
			data: { extension_message_response: { params: { ...chosen, flow_token: 'flow-token-1' } } },
		});

		const unknown = await book({
			version: '3.0',
			action: 'data_exchange',
			screen: 'NOWHERE',
			flow_token: 'old-token',
			data: {},
		});
		expect(unknown.response.status).toBe(427);
		expect(unknown.answer()).toEqual({
			error_msg: 'This booking form has expired. Please ask us for a new one.',
		});

		const runs = await n8n.waitForExecutions(BOOKING_ID, before + 5, { includeData: true });
		const mine = runs.slice(before);
		expect(mine.map((run) => run.status)).toEqual([
			'success',
			'success',
			'success',
			'success',
			'success',
		]);

		// The saved trigger item carries the request id, the Flow fields and the key as Meta sent it
		// (RSA-wrapped) with the IV; never the AES key itself.
		const item = mine[0].data.resultData.runData['WhatsApp Flow Trigger'][0].data.main[0][0].json;
		expect(item).toMatchObject({
			action: 'INIT',
			flow_token: 'flow-token-1',
			version: '3.0',
			requestId: expect.stringMatching(/^[0-9a-f]{32}$/),
			endpoint: {
				encrypted_aes_key: JSON.parse(init.request.body).encrypted_aes_key,
				initial_vector: init.request.iv.toString('base64'),
			},
		});
		// A real round trip's execution data, as the API returns it with includeData: no AES key of
		// any request, no private key (in any of its forms), no passphrase, no app secret.
		const saved = JSON.stringify(mine);
		for (const exchange of [init, summary, back, done, unknown]) {
			for (const encoding of ['base64', 'hex', 'base64url'] as const)
				expect(saved).not.toContain(exchange.request.aesKey.toString(encoding));
			expect(saved).not.toContain(JSON.stringify(exchange.request.aesKey.toJSON().data));
		}
		for (const pem of [
			keys.business.privatePem,
			keys.business.pkcs1Pem,
			keys.business.encryptedPkcs1Pem,
			keys.business.encryptedPkcs8Pem,
		]) {
			for (const line of pem.split('\n').filter((l) => l.length > 40 && !l.startsWith('-----')))
				expect(saved).not.toContain(line);
		}
		expect(saved).not.toContain('PRIVATE KEY');
		expect(saved).not.toContain(APP_SECRET);
		expect(saved).not.toContain(keys.passphrase);
	});

	it('acknowledges an error notification and starts no execution', async () => {
		const before = (await n8n.settle(BOOKING_ID)).length;
		const offset = n8n.logOffset();
		const note = await book({
			version: '3.0',
			action: 'data_exchange',
			screen: 'APPOINTMENT',
			flow_token: 'flow-token-1',
			data: { error: 'INVALID_SCREEN_DATA', error_message: 'slots is missing' },
		});
		expect(note.response.status).toBe(200);
		expect(note.answer()).toEqual({ data: { acknowledged: true } });
		await n8n.waitForLog(/INVALID_SCREEN_DATA/, { sinceOffset: offset });
		expect((await n8n.settle(BOOKING_ID)).length).toBe(before);
	});

	it('rejects bad signatures (432), foreign keys and tampering (421) and junk (400) without executions', async () => {
		const before = (await n8n.settle(BOOKING_ID)).length;
		const offset = n8n.logOffset();
		const payload = { version: '3.0', action: 'INIT', flow_token: 't' };

		const forged = await book(payload, { signature: signFlowBody('something else', APP_SECRET) });
		expect(forged.response.status).toBe(432);
		const unsigned = await book(payload, { signature: null });
		expect(unsigned.response.status).toBe(432);
		const otherKey = await book(payload, { publicPem: keys.other.publicPem });
		expect(otherKey.response.status).toBe(421);
		const tampered = await book(payload, { body: tamperFlowData });
		expect(tampered.response.status).toBe(421);
		const junk = await book(payload, { body: () => '{"hello":"world"}' });
		expect(junk.response.status).toBe(400);

		const log = await n8n.waitForLog(/answered 400/, { sinceOffset: offset });
		expect(log).toMatch(/answered 432: X-Hub-Signature-256 does not match/);
		expect(log).toMatch(/answered 432: X-Hub-Signature-256 header is missing/);
		expect(log).toMatch(/answered 421: encrypted_aes_key does not unwrap/);
		expect(log).toMatch(/answered 421: encrypted_flow_data fails AES-GCM authentication/);
		expect(n8n.logText()).not.toContain(APP_SECRET);
		expect(n8n.logText()).not.toContain(keys.passphrase);
		expect((await n8n.settle(BOOKING_ID)).length).toBe(before);
	});

	it("answers with the timeout message when the workflow fails (error on the screen; HTTP 500 for INIT), not with n8n's own 500", async () => {
		const onScreen = await post(
			FAILING.hook,
			FAILING.path,
			{ version: '3.0', action: 'data_exchange', screen: 'APPOINTMENT', flow_token: 't', data: {} },
			{ label: 'failing workflow → fallback answer' },
		);
		expect(onScreen.response.status).toBe(200);
		expect(onScreen.answer()).toEqual({
			screen: 'APPOINTMENT',
			data: { error_message: 'Please try again' },
		});

		const init = await post(FAILING.hook, FAILING.path, {
			version: '3.0',
			action: 'INIT',
			flow_token: 't',
		});
		expect(init.response.status).toBe(500);
		expect(init.answer()).toEqual({ error_msg: 'Please try again' });

		const runs = await n8n.waitForExecutions(FAILING.id, 2);
		expect(runs.map((run) => run.status)).toEqual(['error', 'error']);
	});

	it('answers with the timeout message, not an empty 200, when the workflow ends without a respond node', async () => {
		const offset = n8n.logOffset();
		const ended = await post(NO_RESPOND.hook, NO_RESPOND.path, {
			version: '3.0',
			action: 'data_exchange',
			screen: 'APPOINTMENT',
			flow_token: 't',
			data: {},
		});
		expect(ended.response.status).toBe(200);
		expect(ended.answer()).toEqual({
			screen: 'APPOINTMENT',
			data: { error_message: 'Please try again' },
		});
		const init = await post(NO_RESPOND.hook, NO_RESPOND.path, {
			version: '3.0',
			action: 'INIT',
			flow_token: 't',
		});
		expect(init.response.status).toBe(500);
		expect(init.answer()).toEqual({ error_msg: 'Please try again' });
		await n8n.waitForLog(/was not answered by a WhatsApp Flow Respond node/, {
			sinceOffset: offset,
		});
		const runs = await n8n.waitForExecutions(NO_RESPOND.id, 2);
		expect(runs.map((run) => run.status)).toEqual(['success', 'success']);
	});

	it('answers at the timeout when the respond node is late, and the late respond node fails instead of answering twice', async () => {
		const late = await post(
			LATE.hook,
			LATE.path,
			{ version: '3.0', action: 'BACK', screen: 'SUMMARY', flow_token: 't' },
			{ label: 'late respond node → timeout answer' },
		);
		expect(late.response.status).toBe(200);
		expect(late.answer()).toEqual({
			screen: 'SUMMARY',
			data: { error_message: 'Please try again' },
		});
		expect(late.ms).toBeLessThan(2500);

		const [run] = await n8n.waitForExecutions(LATE.id, 1, { includeData: true, timeoutMs: 30_000 });
		expect(run.status).toBe('error');
		expect(JSON.stringify(run.data.resultData.error)).toMatch(
			/already answered \(by the timeout, HTTP 200\)/,
		);
	});

	it("finds the request through the trigger's output when the item that reaches the respond node has no requestId", async () => {
		const hello = await post(RESHAPED.hook, RESHAPED.path, {
			version: '3.0',
			action: 'INIT',
			flow_token: 'tok-r',
		});
		expect(hello.response.status).toBe(200);
		expect(hello.answer()).toEqual({ screen: 'HELLO', data: { greeting: 'hi tok-r' } });
		const [run] = await n8n.waitForExecutions(RESHAPED.id, 1, { includeData: true });
		expect(run.status).toBe('success');
		expect(run.data.resultData.runData.Respond[0].data.main[0][0].json).toEqual({
			greeting: 'hi tok-r',
		});
	});

	it('measures ping and INIT against a plain n8n Webhook in the same run (printed, not asserted)', async () => {
		for (let i = 0; i < 15; i++) {
			const started = performance.now();
			const plain = await n8n.http('POST', `/webhook/${PLAIN.path}`, { body: { i } });
			(timings['plain n8n Webhook (baseline, starts an execution)'] ??= []).push(
				performance.now() - started,
			);
			expect(plain.status).toBe(200);
			expect(
				(await book({ version: '3.0', action: 'ping' }, { label: 'ping (sequential)' })).response
					.status,
			).toBe(200);
			expect(
				(
					await book(
						{ version: '3.0', action: 'INIT', flow_token: `m${i}` },
						{ label: 'INIT round trip (sequential)' },
					)
				).response.status,
			).toBe(200);
		}
		const base = percentile(timings['plain n8n Webhook (baseline, starts an execution)'], 50);
		console.log(
			`flow e2e p50 ratios to the plain webhook: ping ${(percentile(timings['ping (sequential)'], 50) / base).toFixed(2)}, INIT ${(percentile(timings['INIT round trip (sequential)'], 50) / base).toFixed(2)}`,
		);
	});

	it('keeps 10 concurrent requests apart, each answered under its own key', async () => {
		const before = (await n8n.settle(BOOKING_ID)).length;
		const started = performance.now();
		const exchanges = await Promise.all(
			Array.from({ length: 10 }, (_, i) =>
				book(
					{
						version: '3.0',
						action: 'data_exchange',
						screen: 'APPOINTMENT',
						flow_token: `c${i}`,
						data: { service: 'beard', slot: '09:00', name: `N${i}` },
					},
					{ label: 'concurrent x10' },
				),
			),
		);
		const wall = performance.now() - started;
		exchanges.forEach((exchange, i) => {
			expect(exchange.response.status).toBe(200);
			expect(exchange.answer()).toMatchObject({ screen: 'SUMMARY', data: { name: `N${i}` } });
		});
		console.log(`flow e2e concurrent x10: wall ${wall.toFixed(0)} ms`);
		const runs = await n8n.waitForExecutions(BOOKING_ID, before + 10);
		expect(runs.slice(before).every((run) => run.status === 'success')).toBe(true);
	});
});
