import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import { NodeOperationError, type IDataObject, type IN8nHttpFullResponse } from 'n8n-workflow';

import { WhatsAppFlowRespond } from '../../nodes/WhatsAppFlowRespond/WhatsAppFlowRespond.node';
import { decryptFlowResponseAsClient } from '../fixtures/flow/flowClient';
import { flowTestKeys } from '../fixtures/flow/keys';
import { executeContext } from '../fixtures/flow/n8nMocks';

const respond = new WhatsAppFlowRespond();
const keys = flowTestKeys();
const credentials = { privateKey: keys.business.encryptedPkcs8Pem, passphrase: keys.passphrase };

/**
 * A trigger item as the WhatsApp Flow Trigger emits it: the AES key wrapped with the business public
 * key as Meta's client sends it, and the IV. Records what the node passes to sendResponse.
 */
function flowRequest(
	fields: { screen?: string; action?: string; flowToken?: string; respondBy?: Date } = {},
) {
	const aesKey = randomBytes(16);
	const iv = randomBytes(16);
	const wrapped = publicEncrypt(
		{ key: keys.business.publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
		aesKey,
	);
	const json: IDataObject = {
		requestId: randomBytes(16).toString('hex'),
		action: fields.action ?? 'data_exchange',
		screen: fields.screen ?? null,
		data: {},
		flow_token: fields.flowToken ?? 'tok',
		version: '3.0',
		endpoint: {
			encrypted_aes_key: wrapped.toString('base64'),
			initial_vector: iv.toString('base64'),
			respond_by: (fields.respondBy ?? new Date(Date.now() + 60_000)).toISOString(),
			timeout_status: 200,
		},
	};
	const sent: IN8nHttpFullResponse[] = [];
	const decrypted = () =>
		sent.map((answer) => ({
			status: answer.statusCode,
			body: decryptFlowResponseAsClient(answer.body as string, aesKey, iv),
		}));
	const run = (
		parameters: Record<string, unknown>,
		extra: { items?: Array<{ json: IDataObject }>; continueOnFail?: boolean } = {},
	) =>
		respond.execute.call(
			executeContext({
				items: extra.items ?? [{ json }],
				executionId: `exec-${json.requestId as string}`,
				parameters,
				credentials,
				continueOnFail: extra.continueOnFail,
				sendResponse: (answer) => sent.push(answer as IN8nHttpFullResponse),
			}),
		);
	return { json, aesKey, iv, sent, decrypted, run };
}

describe('WhatsApp Flow Respond node', () => {
	it('invalidates the flow token with HTTP 427 and an encrypted error_msg', async () => {
		const request = flowRequest({ screen: 'S' });
		await request.run({ respondWith: 'invalidToken', errorMessage: 'Booking closed' });
		expect(request.decrypted()).toEqual([{ status: 427, body: { error_msg: 'Booking closed' } }]);
		expect(request.sent[0].headers).toEqual({ 'content-type': 'text/plain' });
	});

	it('shows an error message on the screen the user submitted', async () => {
		const request = flowRequest({ screen: 'DETAILS' });
		await request.run({ respondWith: 'errorMessage', errorMessage: 'No slots left' });
		expect(request.decrypted()).toEqual([
			{ status: 200, body: { screen: 'DETAILS', data: { error_message: 'No slots left' } } },
		]);
	});

	it('when its own parameters are unusable, fails the node without answering (the trigger answers the fallback)', async () => {
		const request = flowRequest({ screen: 'S' });
		const run = request.run({ respondWith: 'nextScreen', screen: 'NEXT', data: '{not json' });
		await expect(run).rejects.toThrow(NodeOperationError);
		await expect(run).rejects.toThrow('Screen Data is not valid JSON');
		expect(request.sent).toEqual([]);
	});

	it('refuses an error message on INIT (no current screen) without answering', async () => {
		const request = flowRequest({ action: 'INIT' });
		await expect(request.run({ respondWith: 'errorMessage', errorMessage: 'x' })).rejects.toThrow(
			'no current screen',
		);
		expect(request.sent).toEqual([]);
	});

	it('answers once per execution', async () => {
		const request = flowRequest({ screen: 'S' });
		await request.run({ respondWith: 'nextScreen', screen: 'A', data: {} });
		await expect(request.run({ respondWith: 'nextScreen', screen: 'B', data: {} })).rejects.toThrow(
			'cannot be answered',
		);
		expect(request.sent).toHaveLength(1);
	});

	it('does not answer after the trigger timeout has answered', async () => {
		const request = flowRequest({ screen: 'S', respondBy: new Date(Date.now() - 1) });
		const run = request.run({ respondWith: 'nextScreen', screen: 'A', data: {} });
		await expect(run).rejects.toThrow('cannot be answered');
		await run.catch((error: NodeOperationError) =>
			expect(error.description).toMatch(/already answered \(by the timeout, HTTP 200\)/),
		);
		expect(request.sent).toEqual([]);
	});

	it('answers once with the first item and passes every item through, binary included', async () => {
		const request = flowRequest();
		const items = [
			{ json: { ...request.json, n: 1 } },
			{ json: { n: 2 }, binary: { file: { data: 'AA==', mimeType: 'text/plain' } } },
		];
		const output = await request.run(
			{ respondWith: 'nextScreen', screen: 'A', data: '{"n":1}' },
			{ items },
		);
		expect(output).toEqual([
			[
				{ ...items[0], pairedItem: { item: 0 } },
				{ ...items[1], pairedItem: { item: 1 } },
			],
		]);
		expect(request.decrypted()).toEqual([{ status: 200, body: { screen: 'A', data: { n: 1 } } }]);
	});

	it('says where to look when there is no request, and continues on fail when asked', async () => {
		const request = flowRequest();
		const run = request.run({ respondWith: 'nextScreen', screen: 'A' }, { items: [{ json: {} }] });
		await expect(run).rejects.toThrow('No WhatsApp Flow request to answer');
		await run.catch((error: NodeOperationError) =>
			expect(error.description).toMatch(/WhatsApp Flow Trigger/),
		);
		const output = await request.run(
			{ respondWith: 'nextScreen', screen: 'A' },
			{ items: [{ json: { a: 1 } }], continueOnFail: true },
		);
		expect(output).toEqual([
			[{ json: { a: 1, error: 'No WhatsApp Flow request to answer' }, pairedItem: { item: 0 } }],
		]);
		expect(request.sent).toEqual([]);
	});
});
