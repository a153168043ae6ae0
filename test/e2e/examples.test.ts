/**
 * The three example workflows of examples/workflows, end to end in a real n8n: signed WhatsApp
 * webhooks into the trigger, sends to the fake Graph API, and the capture server standing in for the
 * shop and the helpdesk. The example files are used as shipped; only the credential references and the
 * shop and helpdesk URLs are replaced.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CaptureServer } from '../support/captureServer';
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance, PACKAGE_NAME, REPO_DIR } from '../support/n8n';
import {
	body,
	change,
	metaSerialise,
	PHONE_A,
	sign,
	status,
	textMessage,
	usernameContact,
	usernameMessage,
} from '../support/payloads';
import { until } from '../support/workflows';

const APP_SECRET = 'e2e-examples-app-secret';
const VERIFY_TOKEN = 'e2e-examples-verify';
const TRIGGER = `${PACKAGE_NAME}.whatsAppReliableTrigger`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function readExample(file: string): Json {
	return JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'examples', 'workflows', file), 'utf8'));
}

/** The example with real credential ids and the capture server in place of the shop and the helpdesk. */
function prepared(
	file: string,
	credentials: { webhook: string; api: string },
	capture: CaptureServer,
): Json {
	const text = JSON.stringify(readExample(file))
		.replaceAll('"whatsAppWebhookCredential"', JSON.stringify(credentials.webhook))
		.replaceAll('"whatsAppCloudApiCredential"', JSON.stringify(credentials.api))
		.replaceAll('https://shop.example.com', capture.url('/shop'))
		.replaceAll('https://helpdesk.example.com', capture.url('/helpdesk'));
	return JSON.parse(text);
}

const triggerHook = (workflow: Json): string =>
	workflow.nodes.find((n: Json) => n.type === TRIGGER).webhookId;

describe('example workflows in a real n8n', () => {
	const graph = new FakeGraphApi({ phoneNumberId: PHONE_A.phone_number_id });
	const capture = new CaptureServer();
	let n8n: N8nInstance;
	const workflows: Record<string, Json> = {};
	const timings: Record<string, number> = {};

	/** POSTs a WhatsApp body to a workflow's trigger, serialised and signed as Meta does. */
	const whatsapp = async (workflow: Json, payload: unknown) => {
		const raw = Buffer.from(metaSerialise(payload));
		const response = await n8n.http('POST', n8n.webhookUrl(triggerHook(workflow), 'whatsapp'), {
			headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, APP_SECRET) },
			body: raw,
		});
		expect(response.status).toBe(200);
	};
	const shop = async (webhookPath: string, payload: unknown) => {
		const response = await n8n.http('POST', `/webhook/${webhookPath}`, { body: payload });
		expect(response.status).toBe(200);
		return response;
	};
	const sendsTo = (to: string) => graph.accepted().filter((s) => s.to === to);
	const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
		const started = Date.now();
		const result = await run();
		timings[name] = Date.now() - started;
		return result;
	};

	beforeAll(async () => {
		await graph.start();
		await capture.start();
		const started = Date.now();
		n8n = await N8nInstance.start();
		timings.n8nStartMs = Date.now() - started;
		const credentials = {
			webhook: await n8n.createCredential('whatsAppWebhookApi', 'WhatsApp Webhook', {
				appSecret: APP_SECRET,
				verifyToken: VERIFY_TOKEN,
			}),
			api: await n8n.createCredential(
				'whatsAppCloudApi',
				'WhatsApp Cloud API',
				graph.credentials(),
			),
		};
		for (const file of [
			'order-confirmation.json',
			'payment-update.json',
			'support-bot-handoff.json',
		]) {
			const workflow = prepared(file, credentials, capture);
			const hook = workflow.nodes.find((n: Json) => n.type === TRIGGER)?.webhookId;
			await n8n.importAndPublish(
				workflow,
				hook ? { probe: `${n8n.webhookUrl(hook, 'whatsapp')}?hub.mode=subscribe` } : {},
			);
			workflows[file] = workflow;
		}
	});

	afterAll(async () => {
		await n8n?.stop();
		await graph.stop();
		await capture.stop();
		console.log(`examples e2e timings (ms): ${JSON.stringify(timings)}`);
	});

	describe('1. order confirmation', () => {
		const wf = () => workflows['order-confirmation.json'];
		const order = (orderId: string, phone: string) => ({
			orderId,
			phone,
			customerName: 'Zoë',
			total: 59.9,
			currency: 'EUR',
		});
		const statusBody = (
			messageId: string,
			value: string,
			orderId: string,
			recipient: string,
			errorCode?: number,
		) =>
			body(
				change(PHONE_A, {
					statuses: [status(messageId, value, { correlationId: orderId, recipient, errorCode })],
				}),
			);

		it('sends one confirmation per order with the order id as correlation id, and logs its statuses forward only', async () => {
			const customer = '4915100000001';
			await timed('orderToConfirmationMs', async () => {
				await shop('shop-order-created', order('A-1001', '+49 151 00000001'));
				return await until('the confirmation', () => sendsTo(customer).length === 1);
			});
			// the shop retries its webhook: the idempotency key sends nothing twice
			await shop('shop-order-created', order('A-1001', '+49 151 00000001'));
			await n8n.settle(wf().id);
			const [confirmation] = sendsTo(customer);
			expect(sendsTo(customer)).toHaveLength(1);
			expect(confirmation.body).toMatchObject({
				type: 'template',
				biz_opaque_callback_data: 'A-1001',
				template: { name: 'order_confirmation' },
			});

			for (const value of ['sent', 'read', 'delivered'])
				await whatsapp(wf(), statusBody(confirmation.messageId, value, 'A-1001', customer));
			await capture.waitFor('/shop/api/orders/whatsapp-status', 2);
			await n8n.settle(wf().id);
			expect(
				capture.bodies('/shop/api/orders/whatsapp-status').map((b) => [b.orderId, b.status]),
			).toEqual([
				['A-1001', 'sent'],
				['A-1001', 'read'],
			]);

			const state = (
				await n8n.http('GET', `/webhook/shop-order-state?phone=${customer}`)
			).json<Json>();
			expect(state).toMatchObject({
				found: true,
				owner: 'bot',
				correlations: [
					{ correlationId: 'A-1001', messageId: confirmation.messageId, state: 'read' },
				],
			});
			expect(state.transcript).toMatchObject([
				{
					direction: 'outbound',
					type: 'template',
					status: 'read',
					correlationId: 'A-1001',
					sentBy: 'automation',
				},
			]);
		});

		it('sends the fallback template when the window was closed, tracking the order on the new message', async () => {
			const customer = '4915100000002';
			await shop('shop-order-created', order('A-1002', customer));
			const [confirmation] = await until('the confirmation', () =>
				sendsTo(customer).length === 1 ? sendsTo(customer) : false,
			);
			await timed('failedToFallbackMs', async () => {
				await whatsapp(
					wf(),
					statusBody(confirmation.messageId, 'failed', 'A-1002', customer, 131047),
				);
				return await until('the fallback', () => sendsTo(customer).length === 2);
			});
			const fallback = sendsTo(customer)[1];
			expect(fallback.body).toMatchObject({
				type: 'template',
				template: { name: 'order_update' },
				biz_opaque_callback_data: 'A-1002',
			});
			await n8n.settle(wf().id);
			const state = (
				await n8n.http('GET', `/webhook/shop-order-state?phone=${customer}`)
			).json<Json>();
			expect(state.correlations).toMatchObject([
				{ correlationId: 'A-1002', messageId: fallback.messageId, state: 'accepted' },
			]);
			expect(state.transcript.map((l: Json) => [l.messageId, l.status])).toEqual([
				[confirmation.messageId, 'failed'],
				[fallback.messageId, 'accepted'],
			]);
			expect(capture.to('/helpdesk/api/cases')).toHaveLength(0);
		});

		it('hands an undeliverable order confirmation to a human with the order context', async () => {
			const customer = '4915100000003';
			await shop('shop-order-created', order('A-1003', customer));
			const [confirmation] = await until('the confirmation', () =>
				sendsTo(customer).length === 1 ? sendsTo(customer) : false,
			);
			await whatsapp(
				wf(),
				statusBody(confirmation.messageId, 'failed', 'A-1003', customer, 131026),
			);
			const [request] = await capture.waitFor(
				(r) => r.path === '/helpdesk/api/cases' && (r.body as Json).customer.id === customer,
			);
			expect(request.body).toMatchObject({
				created: true,
				reason: 'Order confirmation undeliverable',
				rule: 'failedStatus',
				detail: 'undeliverable (code 131026)',
				priority: 'high',
				orders: [{ correlationId: 'A-1003', state: 'failed', errorClass: 'undeliverable' }],
				transcript: [
					{
						direction: 'outbound',
						messageId: confirmation.messageId,
						status: 'failed',
						error: { code: 131026, errorClass: 'undeliverable' },
					},
				],
			});
			expect(sendsTo(customer)).toHaveLength(1);
		});
	});

	describe('2. payment update', () => {
		const payment = (eventId: string, orderId: string, phone: string, value: string) => ({
			eventId,
			orderId,
			phone,
			status: value,
			amount: 59.9,
			currency: 'EUR',
		});

		it('sends exactly one receipt, only after the payment is confirmed, whatever the order and repetition of events', async () => {
			const customer = '4915100000004';
			const phone = '+49 151 00000004';
			const wf = workflows['payment-update.json'];
			await shop('shop-payment-event', payment('e1', 'P-1', phone, 'authorized'));
			await shop('shop-payment-event', payment('e2', 'P-1', phone, 'pending'));
			await n8n.settle(wf.id);
			expect(sendsTo(customer)).toHaveLength(0);

			await timed('confirmedToReceiptMs', async () => {
				await Promise.all([
					shop('shop-payment-event', payment('e3', 'P-1', phone, 'confirmed')),
					shop('shop-payment-event', payment('e3', 'P-1', phone, 'confirmed')),
					shop('shop-payment-event', payment('e4', 'P-1', phone, 'confirmed')),
					shop('shop-payment-event', payment('e2', 'P-1', phone, 'pending')),
				]);
				return await until('the receipt', () => sendsTo(customer).length >= 1);
			});
			await shop('shop-payment-event', payment('e5', 'P-1', phone, 'confirmed'));
			await n8n.settle(wf.id, { quietMs: 1500 });
			expect(sendsTo(customer)).toHaveLength(1);
			expect(sendsTo(customer)[0].body).toMatchObject({
				type: 'text',
				biz_opaque_callback_data: 'P-1',
				text: { body: 'Payment received: 59.9 EUR for order P-1. Thank you!' },
			});
			const runs = await n8n.executions(wf.id);
			expect(runs.every((e) => e.status === 'success')).toBe(true);
		});

		it('opens one helpdesk case for a failed payment reported twice, and sends no receipt', async () => {
			const customer = '4915100000005';
			const wf = workflows['payment-update.json'];
			await shop('shop-payment-event', payment('f1', 'P-2', customer, 'failed'));
			await capture.waitFor(
				(r) => r.path === '/helpdesk/api/cases' && (r.body as Json).customer.id === customer,
			);
			await shop('shop-payment-event', payment('f1', 'P-2', customer, 'failed'));
			await n8n.settle(wf.id);
			const cases = capture.to(
				(r) => r.path === '/helpdesk/api/cases' && (r.body as Json).customer.id === customer,
			);
			expect(cases).toHaveLength(1);
			expect(cases[0].body).toMatchObject({
				reason: 'Payment failed',
				rule: 'paymentFailed',
				detail: 'body.status is "failed"',
				priority: 'high',
				trigger: { body: { orderId: 'P-2' } },
			});
			expect(sendsTo(customer)).toHaveLength(0);
		});
	});

	describe('3. support bot with handoff', () => {
		const wf = () => workflows['support-bot-handoff.json'];
		let seq = 0;
		const say = async (customer: string, text: string) => {
			const id = `wamid.support-${++seq}`;
			await whatsapp(
				wf(),
				body(
					change(PHONE_A, {
						messages: [textMessage(id, text, customer, String(Math.floor(Date.now() / 1000)))],
					}),
				),
			);
			return id;
		};
		const repliesTo = (customer: string) =>
			sendsTo(customer).map((s) => (s.body.text as { body: string }).body);

		it('answers FAQs, escalates on a keyword with the transcript, stays silent while a human owns the chat, and answers again after release', async () => {
			const customer = '4915100000006';
			await timed('faqReplyMs', async () => {
				await say(customer, 'What are your opening hours?');
				return await until('the FAQ answer', () => sendsTo(customer).length === 1);
			});
			expect(repliesTo(customer)[0]).toBe('We are open Monday to Friday, 9:00 to 18:00.');
			const answer = sendsTo(customer)[0];
			await whatsapp(
				wf(),
				body(
					change(PHONE_A, {
						statuses: [status(answer.messageId, 'read', { recipient: customer })],
					}),
				),
			);

			const refundId = await timed('keywordToCaseMs', async () => {
				const id = await say(customer, 'I want a refund for my broken kettle');
				await capture.waitFor(
					(r) => r.path === '/helpdesk/api/cases' && (r.body as Json).customer.id === customer,
				);
				return id;
			});
			const [opened] = capture.to(
				(r) => r.path === '/helpdesk/api/cases' && (r.body as Json).customer.id === customer,
			);
			expect(opened.body).toMatchObject({
				created: true,
				reason: 'Customer asked for a human',
				detail: '"refund*" in text',
				priority: 'high',
				assignee: 'support-team',
				customer: { id: customer, profileName: 'Zoë Müller' },
				summary: {
					inbound: 2,
					outbound: 1,
					lastCustomerMessage: 'I want a refund for my broken kettle',
				},
			});
			expect(
				(opened.body as Json).transcript.map((l: Json) => [l.direction, l.text, l.status ?? null]),
			).toEqual([
				['inbound', 'What are your opening hours?', null],
				['outbound', 'We are open Monday to Friday, 9:00 to 18:00.', 'read'],
				['inbound', 'I want a refund for my broken kettle', null],
			]);
			await until('the acknowledgement', () => sendsTo(customer).length === 2);
			expect(repliesTo(customer)[1]).toContain(`case ${(opened.body as Json).caseId}`);
			expect((opened.body as Json).trigger.messageId).toBe(refundId);

			// the bot is silent while the human owns the conversation: messages go to the helpdesk
			await say(customer, 'What are your opening hours?');
			await say(customer, 'hello?');
			const forwarded = await capture.waitFor(
				(r) => r.path === '/helpdesk/api/messages' && (r.body as Json).from === customer,
				2,
			);
			expect(forwarded.map((r) => r.body)).toMatchObject([
				{ caseId: (opened.body as Json).caseId, text: 'What are your opening hours?' },
				{ caseId: (opened.body as Json).caseId, text: 'hello?' },
			]);
			await n8n.settle(wf().id);
			expect(sendsTo(customer)).toHaveLength(2);

			const released = (
				await n8n.http('POST', '/webhook/helpdesk-release', { body: { phone: `+${customer}` } })
			).json<Json>();
			expect(released).toMatchObject({
				released: true,
				caseId: (opened.body as Json).caseId,
				owner: 'bot',
			});
			expect(released.unansweredInbound.map((l: Json) => l.text)).toEqual([
				'What are your opening hours?',
				'hello?',
			]);

			await say(customer, 'Do you ship to Austria?');
			await until('the bot again', () => sendsTo(customer).length === 3);
			expect(repliesTo(customer)[2]).toBe('Orders ship within 1 to 2 working days.');
		});

		it('answers a customer known only by a username: replies and the handoff address the business-scoped user id as recipient', async () => {
			// No phone number anywhere: `from_user_id` on the message, `user_id` on the contact (§7).
			const userId = 'US.8800553535001';
			const sayAsUser = async (text: string) => {
				const message = usernameMessage(`wamid.support-${++seq}`, text, userId, {
					timestamp: String(Math.floor(Date.now() / 1000)),
				});
				await whatsapp(
					wf(),
					body(
						change(PHONE_A, { messages: [message], contacts: [usernameContact(userId, 'zoe_m')] }),
					),
				);
			};
			await timed('usernameReplyMs', async () => {
				await sayAsUser('What are your opening hours?');
				return await until('the FAQ answer', () => sendsTo(userId).length === 1);
			});
			const [answer] = sendsTo(userId);
			expect(answer.recipient).toBe(userId);
			expect(answer.body).not.toHaveProperty('to');
			expect(answer.body).toMatchObject({
				recipient: userId,
				type: 'text',
				text: { body: 'We are open Monday to Friday, 9:00 to 18:00.' },
			});

			await sayAsUser('I want a refund for my broken kettle');
			const [opened] = await capture.waitFor(
				(r) => r.path === '/helpdesk/api/cases' && (r.body as Json).customer.id === userId,
			);
			expect(opened.body).toMatchObject({
				created: true,
				reason: 'Customer asked for a human',
				customer: { id: userId },
				summary: { inbound: 2, outbound: 1 },
			});
			await until('the acknowledgement', () => sendsTo(userId).length === 2);
			const acknowledgement = sendsTo(userId)[1];
			expect(acknowledgement.body).not.toHaveProperty('to');
			expect(acknowledgement.recipient).toBe(userId);
			expect(repliesTo(userId)[1]).toContain(`case ${(opened.body as Json).caseId}`);

			// The helpdesk hands the conversation back by the same id, and the bot answers again.
			const released = (
				await n8n.http('POST', '/webhook/helpdesk-release', { body: { phone: userId } })
			).json<Json>();
			expect(released).toMatchObject({ released: true, owner: 'bot' });
			await sayAsUser('Do you ship to Austria?');
			await until('the bot again', () => sendsTo(userId).length === 3);
			expect(sendsTo(userId)[2].body).toMatchObject({
				recipient: userId,
				text: { body: 'Orders ship within 1 to 2 working days.' },
			});
		});

		it('hands over after two messages the FAQ did not recognise', async () => {
			const customer = '4915100000007';
			await say(customer, 'blorp');
			await until('the first sorry', () => sendsTo(customer).length === 1);
			expect(repliesTo(customer)[0]).toMatch(/^Sorry, I did not get that/);
			await say(customer, 'zzz qqq');
			const [opened] = await capture.waitFor(
				(r) => r.path === '/helpdesk/api/cases' && (r.body as Json).customer.id === customer,
			);
			expect(opened.body).toMatchObject({
				reason: 'Bot did not understand',
				rule: 'unrecognisedTurns',
				detail: '2 bot turns without a recognised answer (limit 2)',
			});
		});
	});

	it('logged no recording problem in any of it', () => {
		// Recording never fails an execution; it logs a warning instead.
		expect(n8n.logText()).not.toContain('WhatsApp conversations: could not record');
	});
});
