import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type INodeExecutionData,
} from 'n8n-workflow';

import { WhatsAppReliable } from '../../nodes/WhatsAppReliable/WhatsAppReliable.node';
import { searchTemplates } from '../../nodes/WhatsAppReliable/methods/listSearch';
import { runtime } from '../../nodes/WhatsAppReliable/transport';
import { resetWorkflowStatesForTests } from '../../nodes/shared/workflowState';
import type { MemoryConversationStore } from '../../nodes/core/stateStore/memory';
import { openConversationStore } from '../../nodes/shared/stateStores';
import { splitEvents } from '../../nodes/core/events';
import { body, change, PHONE_A } from '../support/payloads';
import { MISSING_KEY_HINT, rateHint } from '../../nodes/WhatsAppReliable/helpers/hints';
import { FakeWorkflowDatabase } from '../support/n8nStaticData';
import { FakeGraphApi, GRAPH_ERRORS, type GraphErrorName } from '../support/fakeGraphApi';
import {
	binaryItem,
	instantRuntime,
	mockContext,
	type MockOptions,
	type Params,
} from './sendContext';

const graph = new FakeGraphApi();
let time: ReturnType<typeof instantRuntime>;

beforeAll(async () => {
	await graph.start();
});
afterAll(async () => {
	await graph.stop();
});
beforeEach(() => {
	graph.reset();
	graph.latencyMs = 0;
	resetWorkflowStatesForTests();
	time = instantRuntime(runtime);
});
afterEach(() => time.restore());

const node = new WhatsAppReliable();
const send = (params: Params): Params => ({
	resource: 'message',
	operation: 'send',
	to: '+1 555 010 1234',
	messageType: 'text',
	text: 'Hello',
	...params,
});

async function run(params: MockOptions['params'], extra: Partial<MockOptions> = {}) {
	const ctx = mockContext({ credentials: graph.credentials(), params, ...extra });
	const output = await node.execute.call(ctx);
	ctx.finish();
	return { ctx, output, json: output[0].map((item) => item.json) };
}

async function runError(params: MockOptions['params'], extra: Partial<MockOptions> = {}) {
	const ctx = mockContext({ credentials: graph.credentials(), params, ...extra });
	try {
		await node.execute.call(ctx);
	} catch (error) {
		return { ctx, error: error as NodeApiError & NodeOperationError };
	}
	throw new Error('expected the node to fail');
}

/** The retry waits the node logged, in order. */
const retryDelays = (warnings: string[]) =>
	warnings.map((w) => Number(/in (\d+) ms/.exec(w)?.[1])).filter((n) => !Number.isNaN(n));

describe('Message → Send', () => {
	it('sends a text and outputs message id, wa_id, status, correlation id', async () => {
		const { json } = await run(
			send({
				previewUrl: true,
				correlationId: 'order-123',
				additionalFields: { replyToMessageId: 'wamid.IN' },
			}),
		);
		expect(graph.sends()).toHaveLength(1);
		expect(graph.sends()[0].body).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: '15550101234',
			type: 'text',
			context: { message_id: 'wamid.IN' },
			text: { preview_url: true, body: 'Hello' },
			biz_opaque_callback_data: 'order-123',
		});
		expect(graph.sends()[0].path).toBe(`/v23.0/${graph.phoneNumberId}/messages`);
		expect(graph.sends()[0].headers.authorization).toBe('Bearer test-token');
		expect(json).toEqual([
			{
				messageId: graph.accepted()[0].messageId,
				to: '15550101234',
				correlationId: 'order-123',
				waId: '15550101234',
				messageStatus: 'accepted',
				skipped: false,
				attempts: 1,
			},
		]);
	});

	const kinds: Array<[string, Params, string]> = [
		[
			'image',
			{
				messageType: 'image',
				mediaSource: 'link',
				mediaLink: 'https://x.test/a.png',
				caption: 'Look',
			},
			'image',
		],
		['video', { messageType: 'video', mediaSource: 'id', mediaId: '111' }, 'video'],
		['audio', { messageType: 'audio', mediaSource: 'id', mediaId: '222' }, 'audio'],
		[
			'document',
			{
				messageType: 'document',
				mediaSource: 'link',
				mediaLink: 'https://x.test/a.pdf',
				filename: 'a.pdf',
			},
			'document',
		],
		['sticker', { messageType: 'sticker', mediaSource: 'id', mediaId: '333' }, 'sticker'],
		[
			'location',
			{
				messageType: 'location',
				latitude: 52.5,
				longitude: 13.4,
				locationName: 'HQ',
				address: 'Berlin',
			},
			'location',
		],
		[
			'contacts',
			{
				messageType: 'contacts',
				contacts: '{"name":{"formatted_name":"Jane Doe","first_name":"Jane"}}',
			},
			'contacts',
		],
		[
			'reaction',
			{ messageType: 'reaction', reactionMessageId: 'wamid.X', emoji: '👍' },
			'reaction',
		],
		[
			'reaction removal',
			{ messageType: 'reaction', reactionMessageId: 'wamid.X', removeReaction: true },
			'reaction',
		],
		[
			'buttons',
			{
				messageType: 'buttons',
				headerType: 'text',
				headerText: 'Order',
				bodyText: 'OK?',
				buttons: { button: [{ id: 'y', title: 'Yes' }] },
			},
			'interactive',
		],
		[
			'list',
			{
				messageType: 'list',
				bodyText: 'Menu',
				listButtonText: 'Pick',
				listSections: '[{"rows":[{"id":"a","title":"A"}]}]',
			},
			'interactive',
		],
		[
			'cta url',
			{
				messageType: 'ctaUrl',
				bodyText: 'Track',
				ctaDisplayText: 'Open',
				ctaUrl: 'https://x.test/t',
			},
			'interactive',
		],
		[
			'flow',
			{
				messageType: 'flow',
				bodyText: 'Book',
				flowBy: 'name',
				flowName: 'booking',
				flowCta: 'Book',
				flowToken: 'tok',
				flowMode: 'draft',
				flowAction: 'navigate',
				flowScreen: 'START',
				flowData: { a: 1 },
			},
			'interactive',
		],
	];

	it.each(kinds)('sends %s', async (_name, params, type) => {
		const { json } = await run(send(params));
		expect(graph.sends()).toHaveLength(1);
		expect(graph.sends()[0].body).toMatchObject({ type });
		expect(json[0]).toMatchObject({ skipped: false, messageStatus: 'accepted' });
	});

	it('uploads an n8n binary first and sends it by media id', async () => {
		const png = Buffer.from('89504e470d0a1a0a', 'hex');
		const { json } = await run(
			send({
				messageType: 'document',
				mediaSource: 'binary',
				binaryPropertyName: 'file',
				caption: 'Invoice',
			}),
			{
				items: [binaryItem(png, 'application/pdf', 'invoice.pdf', 'file')],
			},
		);
		const [upload, message] = graph.requests;
		expect(upload.path).toBe(`/v23.0/${graph.phoneNumberId}/media`);
		const mediaId = (upload.response as { id: string }).id;
		expect(graph.media.get(mediaId)?.data.equals(png)).toBe(true);
		expect(message.body).toMatchObject({
			type: 'document',
			document: { id: mediaId, caption: 'Invoice', filename: 'invoice.pdf' },
		});
		expect(json[0].attempts).toBe(2);
	});

	it('validates every item before sending any, naming the field and the limit', async () => {
		const { error } = await runError((i) => send({ text: i === 1 ? 'x'.repeat(4097) : 'ok' }), {
			items: [{ json: {} }, { json: {} }],
		});
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('Invalid Text: is 4097 characters long; the limit is 4096');
		expect(error.description).toContain('at most 4096 characters');
		expect((error as unknown as { context: IDataObject }).context.itemIndex).toBe(1);
		expect(graph.requests).toHaveLength(0);
	});

	it('with Continue on Fail, outputs the invalid item with its field and limit and sends the rest', async () => {
		const { json } = await run(
			(i) =>
				send({
					messageType: 'buttons',
					bodyText: 'b',
					buttons: {
						button:
							i === 0
								? [1, 2, 3, 4].map((n) => ({ id: `${n}`, title: `${n}` }))
								: [{ id: 'a', title: 'A' }],
					},
				}),
			{
				items: [{ json: {} }, { json: {} }],
				continueOnFail: true,
			},
		);
		expect(json[0]).toMatchObject({
			errorClass: 'validation',
			field: 'Buttons',
			limit: 'at most 3 buttons',
			error: 'Invalid Buttons: has 4 buttons; the limit is 3',
		});
		expect(json[1]).toMatchObject({ skipped: false });
		expect(graph.sends()).toHaveLength(1);
	});

	it('keeps pairedItem and input order with concurrency, order per recipient and the concurrency bound', async () => {
		graph.latencyMs = 15;
		time.restore(); // real time, so requests overlap
		const recipients = [
			'111111',
			'222222',
			'111111',
			'333333',
			'222222',
			'111111',
			'444444',
			'555555',
			'666666',
			'777777',
		];
		const ctx = mockContext({
			credentials: graph.credentials(),
			items: recipients.map((to, i) => ({ json: { to, i } })),
			params: (i) => send({ to: recipients[i], text: `m${i}`, options: { concurrency: 3 } }),
		});
		const [items] = await node.execute.call(ctx);
		expect(items.map((item: INodeExecutionData) => item.pairedItem)).toEqual(
			recipients.map((_, i) => ({ item: i })),
		);
		expect(graph.maxInFlight).toBeLessThanOrEqual(3);
		expect(graph.maxInFlight).toBeGreaterThan(1);
		const order = graph
			.sends()
			.filter((r) => (r.body as IDataObject).to === '111111')
			.map((r) => (r.body as { text: { body: string } }).text.body);
		expect(order).toEqual(['m0', 'm2', 'm5']);
	});
});

describe('customers known by a business-scoped user id (username users)', () => {
	const BSUID = 'US.13491208655302741918';

	it('sends a user id as recipient, without to, and outputs it as To', async () => {
		const { json } = await run(send({ to: ` ${BSUID} ` }));
		expect(graph.sends()[0].body).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			recipient: BSUID,
			type: 'text',
			text: { body: 'Hello' },
		});
		expect(graph.accepted()[0].recipient).toBe(BSUID);
		expect(json[0]).toMatchObject({ to: BSUID, waId: BSUID, skipped: false });
	});

	it('sends a template to a parent user id as recipient', async () => {
		await run({
			resource: 'message',
			operation: 'sendTemplate',
			to: 'US.ENT.11815799212886844830',
			template: { mode: 'name', value: 'order_confirmation' },
			templateLanguage: 'en_US',
		});
		expect(graph.sends()[0].body).toMatchObject({
			recipient: 'US.ENT.11815799212886844830',
			type: 'template',
		});
		expect(graph.sends()[0].body).not.toHaveProperty('to');
	});

	it('still sends anything in phone notation as to, and names both forms when To is neither', async () => {
		await run(send({ to: '+1 555 010 1234' }));
		expect(graph.sends()[0].body).toMatchObject({ to: '15550101234' });
		expect(graph.sends()[0].body).not.toHaveProperty('recipient');
		const { error } = await runError(send({ to: 'jane.doe' }));
		expect(error.message).toMatch(/To/);
		expect(error.message).toMatch(/neither a phone number nor a business-scoped user id/);
	});

	it('outputs held_for_quality_assessment as the message status when Meta holds the send', async () => {
		graph.messageStatus = 'held_for_quality_assessment';
		const { json } = await run(send({ to: BSUID }));
		expect(json[0]).toMatchObject({
			messageStatus: 'held_for_quality_assessment',
			skipped: false,
		});
	});

	it('sends once per idempotency key for a user id too', async () => {
		const database = new FakeWorkflowDatabase();
		const first = await run(send({ to: BSUID, idempotencyKey: 'u-1' }), { database });
		const second = await run(send({ to: BSUID, idempotencyKey: 'u-1' }), { database });
		expect(graph.sends()).toHaveLength(1);
		expect(second.json[0]).toMatchObject({
			messageId: first.json[0].messageId,
			to: BSUID,
			waId: BSUID,
			skipped: true,
		});
	});

	it("records the send in the conversation the trigger keys by the customer's user id", async () => {
		const inbound = splitEvents(
			body(
				change(PHONE_A, {
					messages: [
						{
							id: 'wamid.IN-U',
							timestamp: '1730000000',
							type: 'text',
							text: { body: 'hi' },
							from_user_id: BSUID,
						},
					],
					contacts: [{ profile: { name: 'Anon', username: 'anon_1' }, user_id: BSUID }],
				}),
			),
		);
		if (!inbound.ok) throw new Error(inbound.reason);
		const database = new FakeWorkflowDatabase();
		const { ctx } = await run(send({ to: BSUID }), { database });
		const { book } = (await openConversationStore(ctx)) as MemoryConversationStore;
		const [event] = inbound.events;
		expect(event.customer?.id).toBe(BSUID);
		book.recordEvent({ ...event, phoneNumberId: graph.phoneNumberId }, Date.now());
		const conversation = book.get(graph.phoneNumberId, BSUID);
		expect(conversation?.data.transcript.map((e) => e.dir).sort()).toEqual(['in', 'out']);
		expect(book.findByCustomer(BSUID)).toHaveLength(1);
	});
});

describe('errors and retries', () => {
	const permanent: Array<[GraphErrorName, string]> = [
		['100', 'invalid_request'],
		['131026', 'undeliverable'],
		['131047', 'window_closed'],
		['190', 'auth'],
		['10', 'auth'],
		['132000', 'template'],
		['132001', 'template'],
	];

	it.each(permanent)(
		'does not retry %s (%s) and surfaces class, code, message, fbtrace_id and guidance',
		async (code, errorClass) => {
			graph.failNext(1, code);
			const { error } = await runError(send({}));
			const spec = GRAPH_ERRORS[code];
			expect(graph.requests).toHaveLength(1);
			expect(error).toBeInstanceOf(NodeApiError);
			expect(error.message).toContain(`(#${spec.code}): ${spec.message}`);
			expect(error.httpCode).toBe(String(spec.status));
			const fbtrace = (graph.requests[0].response as { error: { fbtrace_id: string } }).error
				.fbtrace_id;
			expect(error.description).toContain(`fbtrace_id: ${fbtrace}`);
			expect(error.description).toContain(
				`Class: ${errorClass}; not retried: this error is permanent after 1 attempt.`,
			);
			expect(error.context.whatsapp as IDataObject).toMatchObject({
				errorClass,
				code: spec.code,
				httpStatus: spec.status,
				metaMessage: spec.message,
				fbtraceId: fbtrace,
				attempts: 1,
			});
		},
	);

	it('with Continue on Fail, a failed item carries class, code, message, fbtrace_id and guidance', async () => {
		graph.failNext(1, '131026');
		const { json } = await run(send({ correlationId: 'c-1' }), {
			continueOnFail: true,
		});
		expect(json[0]).toMatchObject({
			errorClass: 'undeliverable',
			code: 131026,
			httpStatus: 400,
			metaMessage: '(#131026) Message Undeliverable.',
			details: 'Message Undeliverable.',
			guidance: expect.stringContaining('verify the number'),
			attempts: 1,
			stoppedBecause: 'permanent',
			to: '15550101234',
			correlationId: 'c-1',
		});
		expect(json[0].fbtraceId).toMatch(/^A/);
		expect(json[0].error).toContain('WhatsApp undeliverable (#131026)');
	});

	it('with the error output, a failed item holds only error and details, so n8n moves it off the success output', async () => {
		graph.failWhen((r) => (r.body as IDataObject)?.to === '222222', '131026');
		const { output } = await run((i) => send({ to: ['111111', '222222'][i] }), {
			items: [{ json: {} }, { json: {} }],
			onError: 'continueErrorOutput',
		});
		const [ok, failed] = output[0];
		expect(ok.json).toMatchObject({ skipped: false });
		expect(ok.json.error).toBeUndefined();
		// n8n's rule: only items whose json has nothing but error, message and details go to the error output.
		expect(Object.keys(failed.json).sort()).toEqual(['details', 'error']);
		expect(failed.json.error).toContain('WhatsApp undeliverable (#131026)');
		expect(failed.json.details).toMatchObject({
			errorClass: 'undeliverable',
			code: 131026,
			retry: 'no',
			guidance: expect.stringContaining('verify the number'),
			to: '222222',
		});
		expect(failed.pairedItem).toEqual({ item: 1 });
	});

	it('retries 130429 (HTTP 429) with full jitter and ends in one accepted send', async () => {
		graph.failNext(3, '130429');
		const { ctx, json } = await run(send({}));
		expect(graph.sends().map((r) => r.status)).toEqual([429, 429, 429, 200]);
		expect(graph.accepted()).toHaveLength(1);
		expect(json[0].attempts).toBe(4);
		// random() = 0.5: half of 1 s, 2 s, 4 s
		expect(retryDelays(ctx.warnings)).toEqual([500, 1000, 2000]);
	});

	it('honours Retry-After', async () => {
		graph.failNext(1, '130429', { retryAfter: 7 });
		const { ctx } = await run(send({}));
		expect(retryDelays(ctx.warnings)).toEqual([7000]);
	});

	it('waits at least the pair delay after 131056, doubling', async () => {
		graph.failNext(2, '131056');
		const { ctx, json } = await run(send({}));
		expect(json[0].attempts).toBe(3);
		expect(retryDelays(ctx.warnings)).toEqual([7500, 15000]);
	});

	it('retries 2 (HTTP 500) up to Max Attempts, then fails with the last error', async () => {
		graph.failNext(100, '2');
		const { error } = await runError(send({ options: { maxAttempts: 4 } }));
		expect(graph.sends()).toHaveLength(4);
		expect(error.description).toContain('gave up: attempt limit reached after 4 attempts');
		expect(error.context.whatsapp).toMatchObject({ errorClass: 'transient', code: 2, attempts: 4 });
	});

	it('retries 131000 (limited) at most 3 times', async () => {
		graph.failNext(100, '131000');
		await runError(send({}));
		expect(graph.sends()).toHaveLength(3);
	});

	it('stops at Max Retry Time', async () => {
		graph.failNext(100, '130429', { retryAfter: 20 });
		const { error } = await runError(send({ options: { maxRetrySeconds: 45 } }));
		expect(graph.sends()).toHaveLength(3);
		expect(error.description).toContain('gave up: retry time limit reached after 3 attempts');
	});

	it('retries a refused connection (nothing reached Meta) and reports it as transient', async () => {
		const closed = new FakeGraphApi();
		await closed.start();
		const baseUrl = closed.baseUrl;
		await closed.stop();
		const ctx = mockContext({
			credentials: { ...graph.credentials(), baseUrl },
			params: send({ options: { maxAttempts: 2 } }),
			continueOnFail: true,
		});
		const [[item]] = await node.execute.call(ctx);
		expect(item.json).toMatchObject({ errorClass: 'transient', httpStatus: 0, attempts: 2 });
	});

	it('fails items without Continue on Fail, after sending none beyond the failure in its lane', async () => {
		graph.failWhen((r) => (r.body as IDataObject)?.to === '222222', '131026');
		const { error } = await runError(
			(i) => send({ to: ['111111', '222222', '222222'][i], options: { concurrency: 1 } }),
			{ items: [{ json: {} }, { json: {} }, { json: {} }] },
		);
		expect(error.message).toContain('131026');
		expect(error.description).toContain('1 other item was already processed');
		expect(graph.sends()).toHaveLength(2);
	});
});

describe('24-hour window closed (131047)', () => {
	beforeEach(() =>
		graph.failWhen(
			(r) =>
				(r.body as IDataObject)?.type === 'text' && (r.body as IDataObject).to === '15550101234',
			'131047',
		),
	);

	it('sends the fallback template instead', async () => {
		const { json } = await run(
			send({
				onWindowClosed: 'fallbackTemplate',
				fallbackTemplateName: 'order_update',
				fallbackTemplateLanguage: 'en_US',
				fallbackTemplateParameters: { parameter: [{ text: 'Jane' }] },
			}),
		);
		expect(graph.sends().map((r) => (r.body as IDataObject).type)).toEqual(['text', 'template']);
		expect(graph.sends()[1].body).toMatchObject({
			template: {
				name: 'order_update',
				components: [{ type: 'body', parameters: [{ type: 'text', text: 'Jane' }] }],
			},
		});
		expect(json[0]).toMatchObject({
			windowClosed: true,
			fallbackTemplate: true,
			messageId: graph.accepted()[0].messageId,
		});
	});

	it('routes the item to the Window Closed output', async () => {
		const ctx = mockContext({
			credentials: graph.credentials(),
			params: (i) => send({ to: i === 0 ? '15550101234' : '15550109999', onWindowClosed: 'route' }),
			items: [{ json: {} }, { json: {} }],
		});
		const [sent, closed] = await node.execute.call(ctx);
		expect(sent.map((i) => i.pairedItem)).toEqual([{ item: 1 }]);
		expect(closed).toHaveLength(1);
		expect(closed[0]).toMatchObject({
			pairedItem: { item: 0 },
			json: { windowClosed: true, code: 131047, errorClass: 'window_closed', to: '15550101234' },
		});
	});

	it('fails by default', async () => {
		const { error } = await runError(send({}));
		expect(error.message).toContain('24-hour window closed (#131047)');
		expect(error.description).toContain('send an approved template');
	});
});

describe('send-once', () => {
	const keyed = (key: string) => send({ idempotencyKey: key });

	it('skips a key that was already accepted and outputs the earlier message id', async () => {
		const database = new FakeWorkflowDatabase();
		const first = await run(keyed('order-1'), { database });
		const second = await run(keyed('order-1'), { database });
		expect(graph.sends()).toHaveLength(1);
		expect(second.json[0]).toMatchObject({
			messageId: first.json[0].messageId,
			skipped: true,
			idempotencyKey: 'order-1',
		});
	});

	it('still reads the key and correlation id from Additional Fields, where version 1 workflows keep them', async () => {
		const database = new FakeWorkflowDatabase();
		const old = send({ additionalFields: { idempotencyKey: 'order-7', correlationId: 'c-7' } });
		const first = await run(old, { database });
		expect(first.json[0]).toMatchObject({ idempotencyKey: 'order-7', correlationId: 'c-7' });
		const second = await run(keyed('order-7'), { database });
		expect(graph.sends()).toHaveLength(1);
		expect(second.json[0]).toMatchObject({ skipped: true, messageId: first.json[0].messageId });
		expect(graph.sends()[0].body).toMatchObject({ biz_opaque_callback_data: 'c-7' });
	});

	it('sends once for two concurrent executions with the same key', async () => {
		time.restore();
		graph.latencyMs = 100;
		const database = new FakeWorkflowDatabase();
		const runs = await Promise.all([1, 2, 3].map(() => run(keyed('order-2'), { database })));
		expect(graph.sends()).toHaveLength(1);
		const outputs = runs.map((r) => r.json[0]);
		expect(outputs.filter((o) => o.skipped === false)).toHaveLength(1);
		expect(new Set(outputs.map((o) => o.messageId)).size).toBe(1);
	});

	it('survives a restart through static data saved at the end of the execution', async () => {
		const database = new FakeWorkflowDatabase();
		const first = await run(keyed('order-3'), { database });
		// A restart loses the live process state; only what n8n saved is left.
		resetWorkflowStatesForTests();
		const second = await run(keyed('order-3'), { database });
		expect(graph.sends()).toHaveLength(1);
		expect(second.json[0]).toMatchObject({ skipped: true, messageId: first.json[0].messageId });
	});

	const badGateway = {
		status: 502,
		code: 0,
		message: 'Bad Gateway',
		plainBody: '<html><body>502 Bad Gateway</body></html>',
	};

	it('does not retry a send that may have reached Meta, keeps the key, and a re-run outputs it skipped with mayHaveBeenSent', async () => {
		const database = new FakeWorkflowDatabase();
		graph.failNext(1, badGateway);
		const first = await run(keyed('order-5'), { database, continueOnFail: true });
		expect(graph.sends()).toHaveLength(1);
		expect(first.json[0]).toMatchObject({ mayHaveBeenSent: true, idempotencyKey: 'order-5' });
		expect(String(first.json[0].guidance ?? first.json[0].error)).toContain(
			'may have reached Meta',
		);
		const again = await run(keyed('order-5'), { database });
		expect(graph.sends()).toHaveLength(1);
		expect(again.json[0]).toMatchObject({ skipped: true, mayHaveBeenSent: true, messageId: null });
	});

	it('retries an uncertain send when the operator opts in', async () => {
		graph.failNext(1, badGateway);
		const { json } = await run(
			send({
				idempotencyKey: 'order-6',
				options: { retryUncertainSends: true, initialBackoffMs: 0 },
			}),
		);
		expect(graph.sends()).toHaveLength(2);
		expect(json[0]).toMatchObject({ skipped: false, attempts: 2 });
	});

	it('forgets the key when the send failed, so the next run sends', async () => {
		const database = new FakeWorkflowDatabase();
		graph.failNext(1, '131026');
		await run(keyed('order-4'), { database, continueOnFail: true });
		const { json } = await run(keyed('order-4'), { database });
		expect(json[0]).toMatchObject({ skipped: false });
		expect(graph.accepted()).toHaveLength(1);
	});
});

describe('Message → Send Template', () => {
	const template = (params: Params): Params => ({
		resource: 'message',
		operation: 'sendTemplate',
		to: '15550101234',
		template: { mode: 'list', value: 'order_confirmation|en_US' },
		templateLanguage: '',
		...params,
	});

	it('uses the language of the template picked from the list, or the one given', async () => {
		await run(
			template({
				bodyParameters: {
					parameter: [
						{ type: 'text', text: 'Jane' },
						{ type: 'currency', currencyCode: 'EUR', amount1000: 9990, fallbackValue: '9,99 €' },
					],
				},
			}),
		);
		expect(graph.sends()[0].body).toMatchObject({
			type: 'template',
			template: {
				name: 'order_confirmation',
				language: { code: 'en_US', policy: 'deterministic' },
				components: [{ type: 'body' }],
			},
		});
		graph.reset();
		const { json } = await run(
			template({ template: { mode: 'name', value: 'order_confirmation' }, templateLanguage: 'de' }),
		);
		expect(graph.sends()[0].body).toMatchObject({ template: { language: { code: 'de' } } });
		expect(json[0].messageStatus).toBe('accepted');
	});

	it('sends named parameters, a header and buttons', async () => {
		await run(
			template({
				parameterFormat: 'named',
				templateHeaderType: 'image',
				templateHeaderMediaSource: 'link',
				templateHeaderMediaLink: 'https://x.test/i.png',
				bodyParameters: {
					parameter: [
						{ name: 'first_name', type: 'text', text: 'Jane' },
						{ name: 'when', type: 'date_time', fallbackValue: 'Monday' },
					],
				},
				templateButtons: {
					button: [
						{ subType: 'url', index: 0, urlSuffix: '123' },
						{ subType: 'copy_code', index: 1, couponCode: 'SAVE' },
						{ subType: 'flow', index: 2, flowToken: 't', flowActionData: '{}' },
					],
				},
			}),
		);
		const components = (graph.sends()[0].body as { template: { components: IDataObject[] } })
			.template.components;
		expect(components.map((c) => c.sub_type ?? c.type)).toEqual([
			'header',
			'body',
			'url',
			'copy_code',
			'flow',
		]);
		expect(components[1]).toEqual({
			type: 'body',
			parameters: [
				{ type: 'text', text: 'Jane', parameter_name: 'first_name' },
				{ type: 'date_time', date_time: { fallback_value: 'Monday' }, parameter_name: 'when' },
			],
		});
	});

	it('requires a language when the template is given by name', async () => {
		const { error } = await runError(
			template({ template: { mode: 'name', value: 'order_confirmation' } }),
		);
		expect(error.message).toBe('Invalid Language Code: is required and may not be empty');
		expect(graph.requests).toHaveLength(0);
	});

	it('lists templates with language and status, filtered and paged', async () => {
		const ctx = mockContext({ credentials: graph.credentials(), params: {} });
		const all = await searchTemplates.call(ctx as never);
		expect(all.results).toEqual([
			{
				name: 'order_confirmation · en_US · APPROVED · UTILITY',
				value: 'order_confirmation|en_US',
			},
			{ name: 'order_confirmation · de · APPROVED · UTILITY', value: 'order_confirmation|de' },
			{ name: 'payment_reminder · en_US · PAUSED · UTILITY', value: 'payment_reminder|en_US' },
			{ name: 'spring_sale · en_US · REJECTED · MARKETING', value: 'spring_sale|en_US' },
		]);
		expect(
			(await searchTemplates.call(ctx as never, 'PAYMENT')).results.map((r) => r.value),
		).toEqual(['payment_reminder|en_US']);
		graph.templates = Array.from({ length: 150 }, (_, i) => ({
			name: `t${i}`,
			language: 'en',
			status: 'APPROVED',
			category: 'UTILITY',
		}));
		const page1 = await searchTemplates.call(ctx as never);
		expect(page1.results).toHaveLength(100);
		const page2 = await searchTemplates.call(ctx as never, undefined, page1.paginationToken);
		expect(page2.results).toHaveLength(50);
		expect(page2.paginationToken).toBeUndefined();
	});
});

describe('Message → Mark as Read', () => {
	it('marks read with a typing indicator', async () => {
		const { json } = await run({
			resource: 'message',
			operation: 'markAsRead',
			messageId: 'wamid.IN',
			typingIndicator: true,
		});
		expect(graph.requests[0].body).toEqual({
			messaging_product: 'whatsapp',
			status: 'read',
			message_id: 'wamid.IN',
			typing_indicator: { type: 'text' },
		});
		expect(json[0]).toEqual({
			messageId: 'wamid.IN',
			success: true,
			typingIndicator: true,
			attempts: 1,
		});
	});

	it('retries a 5xx without an error body: marking read twice sends nothing twice', async () => {
		graph.failNext(
			1,
			{ status: 502, code: 0, message: 'Bad Gateway', plainBody: '502 Bad Gateway' },
			{ match: (req) => (req.body as { status?: string })?.status === 'read' },
		);
		const { json } = await run({
			resource: 'message',
			operation: 'markAsRead',
			messageId: 'wamid.IN',
			options: { initialBackoffMs: 0 },
		});
		expect(graph.requests.map((r) => r.status)).toEqual([502, 200]);
		expect(json[0]).toMatchObject({ success: true, attempts: 2 });
	});
});

describe('Media → Upload / Download', () => {
	it('uploads a binary and returns the media id', async () => {
		const data = Buffer.from('RIFF....WEBPVP8 ');
		const { json } = await run(
			{ resource: 'media', operation: 'upload', binaryPropertyName: 'data', mediaKind: 'auto' },
			{ items: [binaryItem(data, 'image/webp', 's.webp')] },
		);
		expect(json[0]).toMatchObject({
			mediaType: 'sticker',
			mimeType: 'image/webp',
			fileName: 's.webp',
			fileSize: data.length,
		});
		expect(graph.media.get(String(json[0].mediaId))?.data.equals(data)).toBe(true);
	});

	it("rejects a file over Meta's size limit before uploading", async () => {
		const { error } = await runError(
			{ resource: 'media', operation: 'upload', binaryPropertyName: 'data', mediaKind: 'image' },
			{ items: [binaryItem(Buffer.alloc(5 * 1024 * 1024 + 1), 'image/png', 'big.png')] },
		);
		expect(error.message).toContain('WhatsApp accepts image files up to 5 MB');
		expect(graph.requests).toHaveLength(0);
	});

	it('downloads an inbound media as an n8n binary and checks its SHA-256', async () => {
		const data = Buffer.from('%PDF-1.4 fake');
		const id = graph.addMedia(data, 'application/pdf');
		const ctx = mockContext({
			credentials: graph.credentials(),
			params: {
				resource: 'media',
				operation: 'download',
				mediaId: id,
				binaryPropertyName: 'file',
				fileName: '',
			},
		});
		const [[item]] = await node.execute.call(ctx);
		expect(item.json).toMatchObject({
			mediaId: id,
			mimeType: 'application/pdf',
			fileName: `${id}.pdf`,
			fileSize: data.length,
			sha256Verified: true,
		});
		expect(Buffer.from(item.binary!.file.data, 'base64').equals(data)).toBe(true);
		expect(graph.requests.map((r) => r.path)).toEqual([`/v23.0/${id}`, `/media-download/${id}`]);
		expect(graph.requests[1].headers.authorization).toBe('Bearer test-token');
	});
});

describe('hints', () => {
	const webhook = [
		{ name: 'Shop: New Order', type: 'n8n-nodes-base.webhook', typeVersion: 2, disabled: false },
	];
	const messages = (ctx: { hints: Array<{ message: string }> }) => ctx.hints.map((h) => h.message);

	it('warns about a send without an idempotency key in a workflow a shop webhook starts', async () => {
		const { ctx } = await run(send({}), { parents: webhook });
		expect(messages(ctx)).toEqual([MISSING_KEY_HINT]);
		expect(ctx.hints[0]).toMatchObject({ type: 'warning', location: 'outputPane' });
	});

	it('says nothing when every item has a key (either place), or no shop webhook starts the workflow', async () => {
		expect(
			messages((await run(send({ idempotencyKey: 'o-1' }), { parents: webhook })).ctx),
		).toEqual([]);
		const v1 = send({ additionalFields: { idempotencyKey: 'o-2' } });
		expect(messages((await run(v1, { parents: webhook })).ctx)).toEqual([]);
		const fromWhatsApp = [
			{
				name: 'WhatsApp Trigger',
				type: 'n8n-nodes-whatsapp-reliable.whatsAppReliableTrigger',
				typeVersion: 1,
				disabled: false,
			},
		];
		expect(messages((await run(send({}), { parents: fromWhatsApp })).ctx)).toEqual([]);
		// One item of two without a key is enough to warn.
		const mixed = await run((i) => send(i === 0 ? { idempotencyKey: 'o-3' } : {}), {
			parents: webhook,
			items: [{ json: {} }, { json: {} }],
		});
		expect(messages(mixed.ctx)).toEqual([MISSING_KEY_HINT]);
	});

	it("warns when Max Messages Per Second is above Meta's default tier, in the run and in the panel", async () => {
		const { ctx } = await run(send({ idempotencyKey: 'o-4', options: { maxPerSecond: 250 } }));
		expect(messages(ctx)).toEqual([rateHint(250)]);
		expect(messages((await run(send({ options: { maxPerSecond: 80 } }))).ctx)).toEqual([]);
		const [panel] = node.description.hints ?? [];
		expect(panel.displayCondition).toContain('$parameter["options"]?.["maxPerSecond"]');
		expect(panel.displayCondition).toContain('> 80');
	});
});
