/**
 * Error outputs in a real n8n, for every node that fails items: with *On Error → Continue (using error
 * output)* a failed item leaves on the error output and a good item of the same run stays on its
 * success output (Sent, Window Closed, Human, Bot, New Case, …); with *Continue (regular output)* the
 * failed item carries `error`. One n8n, one small workflow per node: Webhook → Split Out → the node.
 */
import { flowTestKeys } from '../fixtures/flow/keys';
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance, PACKAGE_NAME, type Execution } from '../support/n8n';

const SEND = `${PACKAGE_NAME}.whatsAppReliable`;
const ESCALATION = `${PACKAGE_NAME}.whatsAppEscalation`;
const FLOW_RESPOND = `${PACKAGE_NAME}.whatsAppFlowRespond`;
const PNID = '106540352242922';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Under {
	type: string;
	typeVersion?: number;
	parameters: Json;
	onError: 'continueErrorOutput' | 'continueRegularOutput';
	credentials?: Json;
}

/** Webhook (answers at once) → Split Out `body.items` → the node under test, named "Node". */
function workflow(id: string, under: Under): Json {
	return {
		id,
		name: `e2e error outputs: ${id}`,
		nodes: [
			{
				id: `${id}-hook`,
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: id,
				parameters: { httpMethod: 'POST', path: id, responseMode: 'onReceived', options: {} },
			},
			{
				id: `${id}-split`,
				name: 'Split',
				type: 'n8n-nodes-base.splitOut',
				typeVersion: 1,
				position: [200, 0],
				parameters: { fieldToSplitOut: 'body.items', options: {} },
			},
			{
				id: `${id}-node`,
				name: 'Node',
				type: under.type,
				typeVersion: under.typeVersion ?? 1,
				position: [400, 0],
				parameters: under.parameters,
				onError: under.onError,
				...(under.credentials ? { credentials: under.credentials } : {}),
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'Split', type: 'main', index: 0 }]] },
			Split: { main: [[{ node: 'Node', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	};
}

/** Every output of "Node" in the execution, as arrays of json. */
function outputs(execution: Execution): Json[][] {
	const run = execution.data.resultData.runData.Node?.[0];
	return ((run?.data?.main ?? []) as Array<Array<{ json: Json }> | null>).map((items) =>
		(items ?? []).map((item) => item.json),
	);
}

describe('error outputs in a real n8n', () => {
	const graph = new FakeGraphApi({ phoneNumberId: PNID });
	let n8n: N8nInstance;
	let api: Json;
	let flowEndpoint: Json;

	/** Imports, publishes, posts the items once and returns the outputs of "Node". */
	const runWith = async (id: string, under: Under, items: Json[]): Promise<Json[][]> => {
		const wf = workflow(id, under);
		await n8n.importAndPublish(wf);
		const answer = await n8n.http('POST', `/webhook/${id}`, { body: { items } });
		expect(answer.status).toBe(200);
		const [execution] = await n8n.waitForExecutions(id, 1, { includeData: true, quietMs: 300 });
		expect(execution.status).toBe('success');
		return outputs(execution);
	};

	beforeAll(async () => {
		await graph.start();
		n8n = await N8nInstance.start();
		const id = await n8n.createCredential('whatsAppCloudApi', 'fake Graph', graph.credentials());
		api = { whatsAppCloudApi: { id, name: 'fake Graph' } };
		// The respond node requires the Flow endpoint credential (its private key unwraps the answer key).
		const flowId = await n8n.createCredential('whatsAppFlowEndpointApi', 'Flow endpoint', {
			privateKey: flowTestKeys().business.privatePem,
			appSecret: 'error-outputs-app-secret',
		});
		flowEndpoint = { whatsAppFlowEndpointApi: { id: flowId, name: 'Flow endpoint' } };
	});
	afterAll(async () => {
		await n8n?.stop();
		await graph.stop();
	});

	it('Send: Sent and Window Closed keep their items, failures (Meta error, invalid input) go to the error output', async () => {
		graph.failWhen((r) => (r.body as Json)?.to === '15550200002', '131047');
		graph.failWhen((r) => (r.body as Json)?.to === '15550200003', '131026');
		const [sent, windowClosed, errors, ...rest] = await runWith(
			'waErrOutSend0001',
			{
				type: SEND,
				typeVersion: 1.1,
				credentials: api,
				onError: 'continueErrorOutput',
				parameters: {
					resource: 'message',
					operation: 'send',
					to: '={{ $json.to }}',
					messageType: 'text',
					text: 'Your order shipped',
					onWindowClosed: 'route',
					idempotencyKey: '={{ $json.order }}',
				},
			},
			[
				{ to: '15550200001', order: 'o-1' },
				{ to: '15550200002', order: 'o-2' },
				{ to: '15550200003', order: 'o-3' },
				{ to: 'not a number', order: 'o-4' },
			],
		);
		expect(rest).toEqual([]);
		expect(sent).toEqual([expect.objectContaining({ to: '15550200001', skipped: false })]);
		expect(windowClosed).toEqual([expect.objectContaining({ to: '15550200002', code: 131047 })]);
		expect(errors).toHaveLength(2);
		// n8n adds the input item's fields; ours are under details.
		expect(errors[0]).toMatchObject({
			to: '15550200003',
			order: 'o-3',
			error: expect.stringContaining('WhatsApp undeliverable (#131026)'),
			details: { errorClass: 'undeliverable', code: 131026, retry: 'no', to: '15550200003' },
		});
		expect(errors[0].details.guidance).toEqual(expect.any(String));
		expect(errors[1]).toMatchObject({
			order: 'o-4',
			error: expect.stringContaining('To'),
			details: { errorClass: 'validation' },
		});
		expect(graph.accepted().map((a) => a.to)).toEqual(['15550200001']);
	});

	it('Send with Continue (regular output): the failed item carries error and its fields on the output', async () => {
		graph.reset();
		graph.failWhen((r) => (r.body as Json)?.to === '15550200013', '131026');
		const [main, ...rest] = await runWith(
			'waErrOutSend0002',
			{
				type: SEND,
				typeVersion: 1.1,
				credentials: api,
				onError: 'continueRegularOutput',
				parameters: {
					resource: 'message',
					operation: 'send',
					to: '={{ $json.to }}',
					messageType: 'text',
					text: 'Hi',
				},
			},
			[{ to: '15550200011' }, { to: '15550200013' }],
		);
		expect(rest).toEqual([]);
		expect(main[0]).toMatchObject({ to: '15550200011', skipped: false });
		expect(main[0].error).toBeUndefined();
		expect(main[1]).toMatchObject({
			error: expect.stringContaining('#131026'),
			errorClass: 'undeliverable',
			code: 131026,
			to: '15550200013',
		});
	});

	it('Media download: a known file stays on the output, an unknown one goes to the error output', async () => {
		graph.reset();
		const known = graph.addMedia(Buffer.from('%PDF-1.4 e2e'), 'application/pdf', 'a.pdf');
		const [ok, errors] = await runWith(
			'waErrOutMedia001',
			{
				type: SEND,
				typeVersion: 1.1,
				credentials: api,
				onError: 'continueErrorOutput',
				parameters: { resource: 'media', operation: 'download', mediaId: '={{ $json.id }}' },
			},
			[{ id: known }, { id: '1999999999999999' }],
		);
		expect(ok).toEqual([expect.objectContaining({ mediaId: known })]);
		expect(errors).toEqual([
			expect.objectContaining({ id: '1999999999999999', error: expect.any(String) }),
		]);
	});

	const customer = (id: string, text: string) => ({
		customer: { id },
		phoneNumberId: PNID,
		kind: 'message',
		subtype: 'text',
		text,
	});

	it('Escalation Route: Human and Bot keep their items, an item without a customer goes to the error output', async () => {
		const [human, bot, already, errors] = await runWith(
			'waErrOutRoute001',
			{
				type: ESCALATION,
				onError: 'continueErrorOutput',
				parameters: {
					operation: 'route',
					rules: { rule: [{ type: 'keywords', keywords: 'refund*', reason: 'Refund' }] },
				},
			},
			[
				customer('4915100000001', 'I want a refund'),
				customer('4915100000002', 'hello'),
				{ text: 'no customer' },
			],
		);
		expect(human).toEqual([expect.objectContaining({ text: 'I want a refund' })]);
		expect(bot).toEqual([expect.objectContaining({ text: 'hello' })]);
		expect(already).toEqual([]);
		expect(errors).toEqual([
			{ text: 'no customer', error: 'Customer ID: the item has no customer' },
		]);
	});

	it('Escalation Route with Continue (regular output): the failed item carries error', async () => {
		const [human] = await runWith(
			'waErrOutRoute002',
			{
				type: ESCALATION,
				onError: 'continueRegularOutput',
				parameters: { operation: 'route' },
			},
			[{ text: 'no customer' }],
		);
		expect(human).toEqual([
			{ text: 'no customer', error: 'Customer ID: the item has no customer' },
		]);
	});

	it('Escalate, Release and Get: New Case and the single outputs keep good items, failures go to the error output', async () => {
		const bad = { text: 'no customer' };
		const [newCase, existing, escalateErrors] = await runWith(
			'waErrOutEscal001',
			{
				type: ESCALATION,
				onError: 'continueErrorOutput',
				parameters: { operation: 'escalate', reason: 'Claim', leaseMinutes: 0 },
			},
			[customer('4915100000003', 'broken'), bad],
		);
		expect(newCase).toEqual([expect.objectContaining({ created: true })]);
		expect(existing).toEqual([]);
		expect(escalateErrors).toEqual([expect.objectContaining({ error: expect.any(String) })]);
		for (const [id, operation] of [
			['waErrOutRelea001', 'release'],
			['waErrOutGet00001', 'get'],
		]) {
			const [ok, errors] = await runWith(
				id,
				{ type: ESCALATION, onError: 'continueErrorOutput', parameters: { operation } },
				[customer('4915100000003', 'thanks'), bad],
			);
			expect(ok).toHaveLength(1);
			expect(ok[0].error).toBeUndefined();
			expect(errors).toEqual([
				{ text: 'no customer', error: 'Customer ID: the item has no customer' },
			]);
		}
	});

	it('Flow Respond: with no Flow request to answer the items go to the error output, or carry error', async () => {
		const parameters = { respondWith: 'nextScreen', screen: 'DONE', data: '{}' };
		const [main, errors] = await runWith(
			'waErrOutFlowR001',
			{ type: FLOW_RESPOND, credentials: flowEndpoint, onError: 'continueErrorOutput', parameters },
			[{ n: 1 }],
		);
		expect(main).toEqual([]);
		expect(errors).toEqual([{ n: 1, error: 'No WhatsApp Flow request to answer' }]);
		const [regular] = await runWith(
			'waErrOutFlowR002',
			{
				type: FLOW_RESPOND,
				credentials: flowEndpoint,
				onError: 'continueRegularOutput',
				parameters,
			},
			[{ n: 2 }],
		);
		expect(regular).toEqual([{ n: 2, error: 'No WhatsApp Flow request to answer' }]);
	});
});
