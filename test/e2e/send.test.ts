/**
 * The WhatsApp Reliable action node in a real n8n, against the fake Graph API on 127.0.0.1: every
 * message kind, template, mark as read and media in one workflow; a 429 burst that still ends in one
 * accepted send per item; a permanent error that is not retried; send-once under concurrent executions
 * and across a restart.
 */
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance, type Execution } from '../support/n8n';

const NODE_TYPE = 'n8n-nodes-whatsapp-reliable.whatsAppReliable';
const CREDENTIAL_NAME = 'WhatsApp Cloud API (fake Graph)';

type Params = Record<string, unknown>;
type Json = Record<string, unknown>;

interface Step {
	name: string;
	params: Params;
	/** Node settings such as `onError`. */
	settings?: Params;
	/** 1.1 unless given; version 1 kept the idempotency key and correlation id in Additional Fields. */
	typeVersion?: number;
}

/**
 * Webhook → step 1 → step 2 → …; the webhook answers with the last node's items. n8n's Webhook node
 * takes its path as the full path: the URL is /webhook/<path>, so the path is the unique webhook id.
 */
function chainWorkflow(
	id: string,
	webhookId: string,
	credentialId: string,
	steps: Step[],
	opts: { splitItems?: boolean; responseData?: string } = {},
) {
	const webhook = {
		id: `${id}-webhook`,
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0],
		webhookId,
		parameters: {
			httpMethod: 'POST',
			path: webhookId,
			responseMode: 'lastNode',
			responseData: opts.responseData ?? 'allEntries',
			options: {},
		},
	};
	const nodes: Json[] = [webhook];
	if (opts.splitItems) {
		nodes.push({
			id: `${id}-split`,
			name: 'Split Items',
			type: 'n8n-nodes-base.splitOut',
			typeVersion: 1,
			position: [200, 0],
			parameters: { fieldToSplitOut: 'body.items', options: {} },
		});
	}
	steps.forEach((step, i) =>
		nodes.push({
			id: `${id}-step-${i}`,
			name: step.name,
			type: NODE_TYPE,
			typeVersion: step.typeVersion ?? 1.1,
			position: [400 + i * 200, 0],
			parameters: step.params,
			credentials: { whatsAppCloudApi: { id: credentialId, name: CREDENTIAL_NAME } },
			...step.settings,
		}),
	);
	const connections: Json = {};
	for (let i = 0; i < nodes.length - 1; i++)
		connections[nodes[i].name as string] = {
			main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]],
		};
	return { id, name: `e2e send: ${id}`, nodes, connections, settings: { executionOrder: 'v1' } };
}

const hook = (path: string) => `/webhook/${path}`;

const send = (name: string, params: Params): Step => ({
	name,
	params: { resource: 'message', operation: 'send', to: '+1 555 010 0001', ...params },
});

/** Items a node output in an execution (first run, first output unless given). */
function nodeOutput(execution: Execution, node: string, output = 0): Json[] {
	const run = execution.data.resultData.runData[node]?.[0];
	return ((run?.data?.main?.[output] ?? []) as Array<{ json: Json }>).map((item) => item.json);
}

describe('WhatsApp Reliable (send) in a real n8n', () => {
	const graph = new FakeGraphApi();
	let n8n: N8nInstance;
	let credentialId: string;
	const timings: Record<string, number> = {};

	beforeAll(async () => {
		await graph.start();
		const started = Date.now();
		n8n = await N8nInstance.start();
		timings.n8nStartMs = Date.now() - started;
		credentialId = await n8n.createCredential(
			'whatsAppCloudApi',
			CREDENTIAL_NAME,
			graph.credentials(),
		);
	});

	afterAll(async () => {
		await n8n?.stop();
		await graph.stop();
		console.log(`send e2e timings: ${JSON.stringify(timings)}`);
	});

	beforeEach(() => {
		graph.reset();
		graph.latencyMs = 0;
	});

	it('sends every message kind, a template, mark-as-read and media through the fake Graph API', async () => {
		const pdf = Buffer.from('%PDF-1.4 e2e invoice');
		const mediaId = graph.addMedia(pdf, 'application/pdf', 'invoice.pdf');
		const steps: Step[] = [
			// A version 1 node, as existing workflows have it: the correlation id in Additional Fields.
			{
				...send('Text', {
					messageType: 'text',
					text: '={{ "Order " + $json.body.order + " confirmed: https://example.com" }}',
					previewUrl: true,
					additionalFields: { correlationId: '={{ "order-" + $json.body.order }}' },
				}),
				typeVersion: 1,
			},
			send('Image', {
				messageType: 'image',
				mediaSource: 'link',
				mediaLink: 'https://example.com/a.png',
				caption: 'Your pizza',
			}),
			send('Video', { messageType: 'video', mediaSource: 'id', mediaId: '4001' }),
			send('Audio', { messageType: 'audio', mediaSource: 'id', mediaId: '4002' }),
			send('Document', {
				messageType: 'document',
				mediaSource: 'link',
				mediaLink: 'https://example.com/i.pdf',
				filename: 'invoice.pdf',
			}),
			send('Sticker', { messageType: 'sticker', mediaSource: 'id', mediaId: '4003' }),
			send('Location', {
				messageType: 'location',
				latitude: 52.52,
				longitude: 13.405,
				locationName: 'Shop',
				address: 'Berlin',
			}),
			send('Contacts', {
				messageType: 'contacts',
				contacts:
					'[{"name":{"formatted_name":"Jane Doe","first_name":"Jane"},"phones":[{"phone":"+15551234567","type":"WORK"}]}]',
			}),
			send('Reaction', {
				messageType: 'reaction',
				reactionMessageId: 'wamid.INBOUND1',
				emoji: '👍',
			}),
			send('Reaction Removal', {
				messageType: 'reaction',
				reactionMessageId: 'wamid.INBOUND1',
				removeReaction: true,
			}),
			send('Buttons', {
				messageType: 'buttons',
				headerType: 'text',
				headerText: 'Order 42',
				bodyText: 'Confirm?',
				footerText: 'Shop',
				buttons: {
					button: [
						{ id: 'yes', title: 'Yes' },
						{ id: 'no', title: 'No' },
					],
				},
			}),
			send('List', {
				messageType: 'list',
				bodyText: 'Menu',
				listButtonText: 'Choose',
				listSections:
					'[{"title":"Pizza","rows":[{"id":"p1","title":"Margherita","description":"Tomato"}]},{"title":"Drinks","rows":[{"id":"d1","title":"Water"}]}]',
			}),
			send('CTA URL', {
				messageType: 'ctaUrl',
				bodyText: 'Track your order',
				ctaDisplayText: 'Track',
				ctaUrl: 'https://example.com/t/42',
			}),
			send('Flow Navigate', {
				messageType: 'flow',
				bodyText: 'Book a table',
				flowBy: 'id',
				flowId: '1234567890',
				flowCta: 'Book',
				flowToken: 'order-42',
				flowAction: 'navigate',
				flowScreen: 'BOOKING',
				flowData: '{"party":2}',
			}),
			send('Flow Data Exchange', {
				messageType: 'flow',
				bodyText: 'Survey',
				flowBy: 'name',
				flowName: 'survey',
				flowCta: 'Start',
				flowMode: 'draft',
				flowAction: 'data_exchange',
			}),
			{
				name: 'Template',
				params: {
					resource: 'message',
					operation: 'sendTemplate',
					to: '15550100001',
					template: { __rl: true, mode: 'list', value: 'order_confirmation|en_US' },
					templateHeaderType: 'document',
					templateHeaderMediaSource: 'id',
					templateHeaderMediaId: mediaId,
					bodyParameters: {
						parameter: [
							{ type: 'text', text: 'Jane' },
							{
								type: 'currency',
								currencyCode: 'EUR',
								amount1000: 12990,
								fallbackValue: '12,99 €',
							},
							{ type: 'date_time', fallbackValue: 'Friday' },
						],
					},
					templateButtons: {
						button: [
							{ subType: 'quick_reply', index: 0, payload: 'CANCEL-42' },
							{ subType: 'url', index: 1, urlSuffix: '42' },
						],
					},
				},
			},
			{
				name: 'Mark Read',
				params: {
					resource: 'message',
					operation: 'markAsRead',
					messageId: 'wamid.INBOUND1',
					typingIndicator: true,
				},
			},
			{ name: 'Download', params: { resource: 'media', operation: 'download', mediaId } },
			send('Document From Binary', {
				messageType: 'document',
				mediaSource: 'binary',
				binaryPropertyName: 'data',
				caption: 'Invoice',
			}),
			{ name: 'Download Again', params: { resource: 'media', operation: 'download', mediaId } },
			{
				name: 'Upload',
				params: { resource: 'media', operation: 'upload', binaryPropertyName: 'data' },
			},
		];
		const workflow = chainWorkflow('waSendE2eKinds01', 'wa-send-e2e-kinds', credentialId, steps);
		await n8n.importAndPublish(workflow);
		const started = Date.now();
		const response = await n8n.http('POST', hook('wa-send-e2e-kinds'), { body: { order: 42 } });
		timings.allKindsMs = Date.now() - started;
		expect(response.status).toBe(200);
		const [execution] = await n8n.waitForExecutions(workflow.id, 1, { includeData: true });
		expect(execution.status).toBe('success');

		const types = graph
			.accepted()
			.map(
				(a) =>
					`${a.type}${a.type === 'interactive' ? `:${(a.body.interactive as Json).type}` : ''}`,
			);
		expect(types).toEqual([
			'text',
			'image',
			'video',
			'audio',
			'document',
			'sticker',
			'location',
			'contacts',
			'reaction',
			'reaction',
			'interactive:button',
			'interactive:list',
			'interactive:cta_url',
			'interactive:flow',
			'interactive:flow',
			'template',
			'document',
		]);
		const [text] = graph.accepted();
		expect(text.body).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			to: '15550100001',
			type: 'text',
			text: { preview_url: true, body: 'Order 42 confirmed: https://example.com' },
			biz_opaque_callback_data: 'order-42',
		});
		expect(nodeOutput(execution, 'Text')).toEqual([
			{
				messageId: text.messageId,
				to: '15550100001',
				correlationId: 'order-42',
				waId: '15550100001',
				messageStatus: 'accepted',
				skipped: false,
				attempts: 1,
			},
		]);
		expect(graph.accepted()[9].body.reaction).toEqual({ message_id: 'wamid.INBOUND1', emoji: '' });
		expect((graph.accepted()[13].body.interactive as Json).action).toMatchObject({
			parameters: {
				flow_id: '1234567890',
				flow_action: 'navigate',
				flow_action_payload: { screen: 'BOOKING', data: { party: 2 } },
			},
		});
		expect(graph.accepted()[15].body.template).toMatchObject({
			name: 'order_confirmation',
			language: { code: 'en_US' },
			components: [
				{ type: 'header' },
				{ type: 'body' },
				{ sub_type: 'quick_reply' },
				{ sub_type: 'url' },
			],
		});
		expect(nodeOutput(execution, 'Template')[0]).toMatchObject({
			messageStatus: 'accepted',
			skipped: false,
		});

		const read = graph.requests.find((r) => (r.body as Json)?.status === 'read');
		expect(read?.body).toEqual({
			messaging_product: 'whatsapp',
			status: 'read',
			message_id: 'wamid.INBOUND1',
			typing_indicator: { type: 'text' },
		});
		expect(nodeOutput(execution, 'Mark Read')).toEqual([
			{ messageId: 'wamid.INBOUND1', success: true, typingIndicator: true, attempts: 1 },
		]);

		expect(nodeOutput(execution, 'Download')[0]).toMatchObject({
			mediaId,
			mimeType: 'application/pdf',
			fileSize: pdf.length,
			sha256Verified: true,
		});
		// The binary went through n8n's binary store, was uploaded as multipart and sent by its new id.
		const uploads = graph.requests.filter((r) => r.path.endsWith('/media'));
		expect(uploads).toHaveLength(2);
		const uploadedId = (uploads[0].response as { id: string }).id;
		expect(graph.media.get(uploadedId)?.data.equals(pdf)).toBe(true);
		expect(graph.accepted()[16].body.document).toEqual({
			id: uploadedId,
			caption: 'Invoice',
			filename: `${mediaId}.pdf`,
		});
		const uploaded = nodeOutput(execution, 'Upload')[0];
		expect(uploaded).toMatchObject({
			mediaType: 'document',
			mimeType: 'application/pdf',
			fileSize: pdf.length,
		});
		expect(graph.media.get(String(uploaded.mediaId))?.data.equals(pdf)).toBe(true);
	});

	it('ends a 429 burst in exactly one accepted send per item, with order per recipient kept', async () => {
		const workflow = chainWorkflow(
			'waSendE2eBurst01',
			'wa-send-e2e-burst',
			credentialId,
			[
				send('Send', {
					to: '={{ $json.to }}',
					messageType: 'text',
					text: '={{ $json.text }}',
					options: { initialBackoffMs: 100, maxAttempts: 6, concurrency: 4 },
				}),
			],
			{ splitItems: true },
		);
		await n8n.importAndPublish(workflow);
		const recipients = [
			'15550100011',
			'15550100012',
			'15550100013',
			'15550100014',
			'15550100015',
			'15550100016',
		];
		const items = [
			...recipients.map((to, i) => ({ to, text: `first ${i}` })),
			...recipients.map((to, i) => ({ to, text: `second ${i}` })),
		];
		// Every recipient's first two attempts meet Meta's throughput limit; one of them with Retry-After.
		for (const to of recipients)
			graph.failNext(2, '130429', { match: (r) => (r.body as Json)?.to === to });
		graph.failNext(1, '130429', { retryAfter: 1 });
		graph.latencyMs = 20;
		const started = Date.now();
		const response = await n8n.http('POST', hook('wa-send-e2e-burst'), { body: { items } });
		timings.burstMs = Date.now() - started;
		expect(response.status).toBe(200);
		const out = response.json<Json[]>();
		expect(out).toHaveLength(items.length);
		expect(out.every((o) => typeof o.messageId === 'string' && o.skipped === false)).toBe(true);

		const accepted = graph.accepted();
		expect(accepted).toHaveLength(items.length);
		for (const to of recipients) {
			const texts = accepted.filter((a) => a.to === to).map((a) => (a.body.text as Json).body);
			expect(texts).toEqual([
				`first ${recipients.indexOf(to)}`,
				`second ${recipients.indexOf(to)}`,
			]);
		}
		const rejected = graph.sends().filter((r) => r.status === 429).length;
		timings.burstRejected429 = rejected;
		timings.burstTotalSends = graph.sends().length;
		expect(rejected).toBe(recipients.length * 2 + 1);
		expect(graph.maxInFlight).toBeLessThanOrEqual(4);
	});

	it('does not retry a permanent error, and hands the failed item its class, code and fbtrace_id', async () => {
		const workflow = chainWorkflow(
			'waSendE2ePerm001',
			'wa-send-e2e-permanent',
			credentialId,
			[
				{
					...send('Send', {
						to: '={{ $json.to }}',
						messageType: 'text',
						text: 'Hi',
						options: { initialBackoffMs: 50 },
					}),
					settings: { onError: 'continueRegularOutput' },
				},
			],
			{ splitItems: true },
		);
		await n8n.importAndPublish(workflow);
		graph.failWhen((r) => (r.body as Json)?.to === '15550100099', '131026');
		const response = await n8n.http('POST', hook('wa-send-e2e-permanent'), {
			body: { items: [{ to: '15550100021' }, { to: '15550100099' }] },
		});
		const out = response.json<Json[]>();
		expect(graph.sends().filter((r) => (r.body as Json).to === '15550100099')).toHaveLength(1);
		expect(out[0]).toMatchObject({ skipped: false });
		expect(out[1]).toMatchObject({
			errorClass: 'undeliverable',
			code: 131026,
			httpStatus: 400,
			attempts: 1,
			stoppedBecause: 'permanent',
			metaMessage: '(#131026) Message Undeliverable.',
		});
		expect(String(out[1].fbtraceId)).toMatch(/^A/);
		expect(String(out[1].error)).toContain('WhatsApp undeliverable (#131026)');

		// Without Continue On Fail the execution fails with the NodeApiError.
		const strict = chainWorkflow('waSendE2ePerm002', 'wa-send-e2e-permanent-strict', credentialId, [
			send('Send', { to: '15550100099', messageType: 'text', text: 'Hi' }),
		]);
		await n8n.importAndPublish(strict);
		graph.reset();
		graph.failWhen(() => true, '132001');
		await n8n.http('POST', hook('wa-send-e2e-permanent-strict'), { body: {} });
		const [execution] = await n8n.waitForExecutions(strict.id, 1, { includeData: true });
		expect(execution.status).toBe('error');
		const error = execution.data.resultData.error;
		expect(error.message).toContain('WhatsApp template error (#132001)');
		expect(error.description).toContain('fbtrace_id: A');
		expect(error.description).toContain('Class: template; not retried');
		expect(graph.sends()).toHaveLength(1);
	});

	it('routes a closed 24-hour window (131047) to the Window Closed output, or sends the fallback template', async () => {
		const closedTo = '15550100041';
		graph.failWhen(
			(r) => (r.body as Json)?.to === closedTo && (r.body as Json).type === 'text',
			'131047',
		);
		const routed = chainWorkflow(
			'waSendE2eWind001',
			'wa-send-e2e-window',
			credentialId,
			[
				send('Send', {
					to: '={{ $json.to }}',
					messageType: 'text',
					text: 'Your order shipped',
					onWindowClosed: 'route',
				}),
			],
			{ splitItems: true },
		);
		await n8n.importAndPublish(routed);
		await n8n.http('POST', hook('wa-send-e2e-window'), {
			body: { items: [{ to: closedTo }, { to: '15550100042' }] },
		});
		const [execution] = await n8n.waitForExecutions(routed.id, 1, { includeData: true });
		expect(execution.status).toBe('success');
		expect(nodeOutput(execution, 'Send', 0)).toEqual([
			expect.objectContaining({ to: '15550100042', skipped: false }),
		]);
		expect(nodeOutput(execution, 'Send', 1)).toEqual([
			expect.objectContaining({
				to: closedTo,
				windowClosed: true,
				code: 131047,
				errorClass: 'window_closed',
			}),
		]);

		graph.reset();
		graph.failWhen(
			(r) => (r.body as Json)?.to === closedTo && (r.body as Json).type === 'text',
			'131047',
		);
		const fallback = chainWorkflow('waSendE2eWind002', 'wa-send-e2e-fallback', credentialId, [
			send('Send', {
				to: closedTo,
				messageType: 'text',
				text: 'Your order shipped',
				onWindowClosed: 'fallbackTemplate',
				fallbackTemplateName: 'order_update',
				fallbackTemplateLanguage: 'en_US',
				fallbackTemplateParameters: { parameter: [{ text: '42' }] },
			}),
		]);
		await n8n.importAndPublish(fallback);
		const response = await n8n.http('POST', hook('wa-send-e2e-fallback'), { body: {} });
		expect(response.json<Json[]>()[0]).toMatchObject({
			windowClosed: true,
			fallbackTemplate: true,
			messageId: graph.accepted()[0].messageId,
		});
		expect(graph.accepted().map((a) => a.type)).toEqual(['template']);
	});

	it('sends once per idempotency key under concurrent executions and after a restart', async () => {
		const workflow = chainWorkflow(
			'waSendE2eOnce001',
			'wa-send-e2e-once',
			credentialId,
			[
				send('Send', {
					to: '15550100031',
					messageType: 'text',
					text: '={{ "Confirmation " + $json.body.key }}',
					idempotencyKey: '={{ $json.body.key + "-confirmation" }}',
				}),
			],
			{ responseData: 'firstEntryJson' },
		);
		await n8n.importAndPublish(workflow);
		const url = hook('wa-send-e2e-once');
		graph.latencyMs = 400;
		const started = Date.now();
		const answers = await Promise.all(
			Array.from({ length: 8 }, () => n8n.http('POST', url, { body: { key: 'order-77' } })),
		);
		timings.sendOnceConcurrent8Ms = Date.now() - started;
		const outputs = answers.map((a) => a.json<Json>());
		expect(graph.accepted()).toHaveLength(1);
		const messageId = graph.accepted()[0].messageId;
		expect(outputs.filter((o) => o.skipped === false)).toHaveLength(1);
		expect(outputs.filter((o) => o.skipped === true)).toHaveLength(7);
		expect(outputs.every((o) => o.messageId === messageId)).toBe(true);
		await n8n.waitForExecutions(workflow.id, 8);

		const restartStarted = Date.now();
		await n8n.restart();
		timings.restartMs = Date.now() - restartStarted;
		graph.latencyMs = 0;
		const afterRestart = await Promise.all([
			n8n.http('POST', url, { body: { key: 'order-77' } }),
			n8n.http('POST', url, { body: { key: 'order-78' } }),
		]);
		const [same, other] = afterRestart.map((a) => a.json<Json>());
		expect(same).toMatchObject({ skipped: true, messageId });
		expect(other).toMatchObject({ skipped: false });
		expect(graph.accepted()).toHaveLength(2);
	});
});
