import { loadPrivateKey } from '../../nodes/core/flowCrypto';
import {
	classifyFlowRequest,
	completeReply,
	errorMessageReply,
	fallbackReply,
	flowRequestSchema,
	invalidTokenReply,
	nextScreenReply,
	openFlowRequest,
	parseJsonObject,
	type FlowEndpointSecrets,
} from '../../nodes/core/flowEndpoint';
import {
	decryptFlowResponseAsClient,
	encryptFlowRequestAsClient,
	signFlowBody,
	tamperFlowData,
} from '../fixtures/flow/flowClient';
import { flowTestKeys } from '../fixtures/flow/keys';
import { deepJson, followA } from '../support/hostile';

const keys = flowTestKeys();
const APP_SECRET = 'test-app-secret';
const secrets: FlowEndpointSecrets = {
	appSecret: APP_SECRET,
	privateKey: () => loadPrivateKey(keys.business.privatePem),
};

function send(payload: unknown, options: { publicPem?: string; secret?: string } = {}) {
	const request = encryptFlowRequestAsClient(
		payload,
		options.publicPem ?? keys.business.publicPem,
		options.secret ?? APP_SECRET,
	);
	return {
		request,
		outcome: openFlowRequest(Buffer.from(request.body), request.signature, secrets),
	};
}

describe('classifyFlowRequest', () => {
	const parse = (value: unknown) => flowRequestSchema.parse(value);

	it('recognises ping', () => {
		expect(classifyFlowRequest(parse({ version: '3.0', action: 'ping' }))).toEqual({
			kind: 'ping',
			version: '3.0',
		});
	});

	it('treats data.error as an error notification whatever the action', () => {
		for (const action of ['INIT', 'data_exchange']) {
			const kind = classifyFlowRequest(
				parse({
					version: '3.0',
					action,
					flow_token: 't',
					data: { error: 'INVALID_SCREEN', error_message: 'bad screen' },
				}),
			);
			expect(kind).toMatchObject({
				kind: 'error_notification',
				action,
				error: 'INVALID_SCREEN',
				errorMessage: 'bad screen',
				flowToken: 't',
			});
		}
	});

	it('hands INIT, data_exchange, BACK and unknown future actions to the workflow', () => {
		for (const action of ['INIT', 'data_exchange', 'BACK', 'navigate_v2']) {
			expect(
				classifyFlowRequest(
					parse({ version: '3.0', action, screen: 'S', flow_token: 't', data: { a: 1 } }),
				),
			).toEqual({
				kind: 'exchange',
				action,
				screen: 'S',
				flowToken: 't',
				version: '3.0',
				data: { a: 1 },
			});
		}
		expect(
			classifyFlowRequest(parse({ action: 'INIT', flow_token: 't', data: null })),
		).toMatchObject({ data: {} });
	});

	it('rejects requests without an action or with a non-object data', () => {
		expect(flowRequestSchema.safeParse({ version: '3.0' }).success).toBe(false);
		expect(flowRequestSchema.safeParse({ action: 'INIT', data: [1] }).success).toBe(false);
		expect(flowRequestSchema.safeParse({ action: 'INIT', flow_token: 5 }).success).toBe(false);
	});
});

describe('reply builders', () => {
	it('builds the documented shapes', () => {
		expect(nextScreenReply('A', { x: 1 })).toEqual({
			status: 200,
			body: { screen: 'A', data: { x: 1 } },
		});
		expect(completeReply('tok', { booking: 'B1' })).toEqual({
			status: 200,
			body: {
				screen: 'SUCCESS',
				data: { extension_message_response: { params: { booking: 'B1', flow_token: 'tok' } } },
			},
		});
		expect(invalidTokenReply('gone')).toEqual({ status: 427, body: { error_msg: 'gone' } });
		expect(errorMessageReply('A', 'oops')).toEqual({
			status: 200,
			body: { screen: 'A', data: { error_message: 'oops' } },
		});
	});

	it('the flow token in a completion cannot be overridden by params', () => {
		expect(completeReply('real', { flow_token: 'forged' }).body).toEqual({
			screen: 'SUCCESS',
			data: { extension_message_response: { params: { flow_token: 'real' } } },
		});
	});

	it('falls back to an error on the current screen, 500 for INIT, or 427 when chosen', () => {
		expect(fallbackReply('errorMessage', 'A', 'm')).toEqual(errorMessageReply('A', 'm'));
		expect(fallbackReply('errorMessage', undefined, 'm')).toEqual({
			status: 500,
			body: { error_msg: 'm' },
		});
		expect(fallbackReply('invalidToken', 'A', 'm')).toEqual(invalidTokenReply('m'));
	});
});

describe('openFlowRequest', () => {
	it('answers ping itself with encrypted {"data":{"status":"active"}}', () => {
		const { request, outcome } = send({ version: '3.0', action: 'ping' });
		expect(outcome.type).toBe('answered');
		if (outcome.type !== 'answered') return;
		expect(outcome.answer.status).toBe(200);
		expect(decryptFlowResponseAsClient(outcome.answer.body, request.aesKey, request.iv)).toEqual({
			data: { status: 'active' },
		});
	});

	it('acknowledges an error notification with encrypted {"data":{"acknowledged":true}}', () => {
		const { request, outcome } = send({
			version: '3.0',
			action: 'data_exchange',
			flow_token: 't',
			data: { error: 'X', error_message: 'm' },
		});
		expect(outcome).toMatchObject({ type: 'answered', request: { kind: 'error_notification' } });
		if (outcome.type !== 'answered') return;
		expect(decryptFlowResponseAsClient(outcome.answer.body, request.aesKey, request.iv)).toEqual({
			data: { acknowledged: true },
		});
	});

	it('hands INIT to the workflow with the key and IV the answer needs', () => {
		const { request, outcome } = send({ version: '3.0', action: 'INIT', flow_token: 'tok' });
		expect(outcome).toMatchObject({
			type: 'exchange',
			request: { kind: 'exchange', action: 'INIT', flowToken: 'tok', version: '3.0' },
		});
		if (outcome.type !== 'exchange') return;
		expect(outcome.aesKey.equals(request.aesKey)).toBe(true);
		expect(outcome.iv.equals(request.iv)).toBe(true);
	});

	it('answers 432 for a missing, malformed or wrong signature, and when no app secret is set', () => {
		const { request } = send({ action: 'ping' });
		const raw = Buffer.from(request.body);
		const cases: Array<[string | undefined, FlowEndpointSecrets, RegExp]> = [
			[undefined, secrets, /missing/],
			['sha1=abc', secrets, /not "sha256="/],
			[signFlowBody(request.body, 'another secret'), secrets, /does not match/],
			[request.signature, { ...secrets, appSecret: '' }, /no app secret/],
		];
		for (const [header, withSecrets, reason] of cases) {
			const outcome = openFlowRequest(raw, header, withSecrets);
			expect(outcome).toMatchObject({ type: 'reject', answer: { status: 432 } });
			if (outcome.type === 'reject') {
				expect(outcome.reason).toMatch(reason);
				expect(outcome.reason).not.toContain(APP_SECRET);
				expect(outcome.answer.body).not.toContain(APP_SECRET);
			}
		}
	});

	it('checks the signature over the raw bytes, before parsing', () => {
		const { request } = send({ action: 'ping' });
		const reformatted = JSON.stringify(JSON.parse(request.body), null, 1);
		expect(openFlowRequest(Buffer.from(reformatted), request.signature, secrets)).toMatchObject({
			answer: { status: 432 },
		});
		expect(openFlowRequest(undefined, request.signature, secrets)).toMatchObject({
			answer: { status: 432 },
		});
	});

	it('answers 400 for a body that is not JSON or lacks the encrypted fields', () => {
		for (const body of ['not json', '{"encrypted_flow_data":"AAAA"}', '[]']) {
			const outcome = openFlowRequest(Buffer.from(body), signFlowBody(body, APP_SECRET), secrets);
			expect(outcome).toMatchObject({ type: 'reject', answer: { status: 400 } });
		}
	});

	it('answers 421 for a key wrapped with another public key and for a tampered ciphertext', () => {
		const wrongKey = send({ action: 'ping' }, { publicPem: keys.other.publicPem });
		expect(wrongKey.outcome).toMatchObject({ type: 'reject', answer: { status: 421 } });
		const { request } = send({ action: 'INIT', flow_token: 't' });
		const tampered = tamperFlowData(request.body);
		const outcome = openFlowRequest(
			Buffer.from(tampered),
			signFlowBody(tampered, APP_SECRET),
			secrets,
		);
		expect(outcome).toMatchObject({
			type: 'reject',
			answer: { status: 421 },
			reason: expect.stringMatching(/authentication/),
		});
	});

	it('answers 500 when our own private key cannot be loaded, and says why in the reason only', () => {
		const { request } = send({ action: 'ping' });
		const outcome = openFlowRequest(Buffer.from(request.body), request.signature, {
			appSecret: APP_SECRET,
			privateKey: () => loadPrivateKey(keys.business.encryptedPkcs8Pem),
		});
		expect(outcome).toMatchObject({
			type: 'reject',
			answer: { status: 500, body: 'Endpoint misconfigured' },
		});
		if (outcome.type === 'reject') expect(outcome.reason).toMatch(/passphrase/);
	});

	it('answers 400 when the decrypted request is not JSON or has no action', () => {
		const notJson = encryptFlowRequestAsClient(null, keys.business.publicPem, APP_SECRET, {
			plaintext: 'plain text',
		});
		expect(openFlowRequest(Buffer.from(notJson.body), notJson.signature, secrets)).toMatchObject({
			type: 'reject',
			answer: { status: 400 },
			reason: 'the decrypted request is not JSON',
		});
		expect(send({ version: '3.0' }).outcome).toMatchObject({
			type: 'reject',
			answer: { status: 400 },
			reason: expect.stringMatching(/invalid at action/),
		});
	});
});

describe('openFlowRequest: the input budget on the decrypted request', () => {
	const sendText = (plaintext: string) => {
		const request = encryptFlowRequestAsClient(null, keys.business.publicPem, APP_SECRET, {
			plaintext,
		});
		return openFlowRequest(Buffer.from(request.body), request.signature, secrets);
	};

	it('hands an exchange with a value 10,000 deep to the workflow, with a marker, flagged', () => {
		const outcome = sendText(
			`{"version":"3.0","action":"data_exchange","screen":"S","flow_token":"t","data":{"name":"Zoë","deep":${deepJson(10_000)}}}`,
		);
		expect(outcome.type).toBe('exchange');
		if (outcome.type !== 'exchange') return;
		expect(outcome.request).toMatchObject({
			action: 'data_exchange',
			screen: 'S',
			flowToken: 't',
			truncated: true,
			data: { name: 'Zoë' },
		});
		expect(followA(outcome.request.data.deep).end).toEqual({ truncated: 'depth' });
		expect(() => JSON.stringify(outcome.request)).not.toThrow();
	});

	it('marks a 2 MB string and 100,000 items and keeps the fields beside them', () => {
		const outcome = sendText(
			JSON.stringify({
				action: 'data_exchange',
				screen: 'S',
				data: { big: 'x'.repeat(2 * 1024 * 1024), rows: new Array(100_000).fill(1), ok: 1 },
			}),
		);
		expect(outcome.type).toBe('exchange');
		if (outcome.type !== 'exchange') return;
		expect(outcome.request.data).toEqual({
			big: { truncated: 'string', length: 2 * 1024 * 1024 },
			rows: { truncated: 'array', length: 100_000 },
			ok: 1,
		});
	});

	it('does not flag a request within the budget', () => {
		const outcome = sendText(JSON.stringify({ action: 'INIT', data: { a: [1, { b: 2 }] } }));
		expect(outcome.type === 'exchange' && outcome.request.truncated).toBeFalsy();
	});

	it('answers 400 when the decrypted request itself is past the budget', () => {
		const outcome = sendText(`[${new Array(20_000).fill('1').join(',')}]`);
		expect(outcome).toMatchObject({
			type: 'reject',
			answer: { status: 400, body: 'Bad request' },
			reason: 'the decrypted request is past the input limit: an array with more than 10000 items',
		});
		const hugeAction = sendText(JSON.stringify({ action: 'x'.repeat(2 * 1024 * 1024) }));
		expect(hugeAction).toMatchObject({ type: 'reject', answer: { status: 400 } });
	});
});

describe('parseJsonObject', () => {
	it('accepts objects and JSON object text, empty as {}', () => {
		expect(parseJsonObject('{"a":1}', 'Data')).toEqual({ a: 1 });
		expect(parseJsonObject({ a: 1 }, 'Data')).toEqual({ a: 1 });
		expect(parseJsonObject('  ', 'Data')).toEqual({});
		expect(parseJsonObject(undefined, 'Data')).toEqual({});
	});

	it('rejects invalid JSON, arrays and scalars with the field name', () => {
		expect(() => parseJsonObject('{a:1}', 'Screen Data')).toThrow('Screen Data is not valid JSON');
		expect(() => parseJsonObject('[1]', 'Screen Data')).toThrow(
			'Screen Data must be a JSON object',
		);
		expect(() => parseJsonObject(5, 'Screen Data')).toThrow('must be a JSON object');
	});
});

it('parseJsonObject refuses JSON past the input budget, naming the field and where', () => {
	expect(() => parseJsonObject(`{"a":${deepJson(10_000)}}`, 'Screen Data')).toThrow(
		/^Screen Data: \$\.a(\.a)+ is past the input limit: nested deeper than 64 levels$/,
	);
	expect(() => parseJsonObject({ rows: new Array(100_000).fill(1) }, 'Response Params')).toThrow(
		'Response Params: $.rows is past the input limit: an array with more than 10000 items',
	);
	expect(() => parseJsonObject({ s: 'x'.repeat(2 * 1024 * 1024) }, 'Screen Data')).toThrow(
		'a string longer than 1048576 characters',
	);
});

it('the request part of an exchange outcome does not carry the AES key', () => {
	const { outcome } = send({ version: '3.0', action: 'INIT', flow_token: 't' });
	expect(outcome.type).toBe('exchange');
	if (outcome.type !== 'exchange') return;
	expect(JSON.stringify(outcome.request)).not.toContain(outcome.aesKey.toString('base64'));
});
