/**
 * The 2026 platform in a real n8n, with the support-bot example (trigger → Route → bot or helpdesk)
 * and the fake Graph API: a reply the shop owner types in the WhatsApp Business app (a signed
 * `smb_message_echoes` webhook) silences the bot for that customer, a standby copy (another app
 * owns the thread) starts no bot reply, and with conversation routing Escalate passes the thread to
 * the helpdesk app and the helpdesk's Release takes it back, after which the bot answers again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { CaptureServer } from '../support/captureServer';
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance, PACKAGE_NAME, REPO_DIR } from '../support/n8n';
import {
	body,
	change,
	echoChange,
	echoMessage,
	metaSerialise,
	PHONE_A,
	sign,
	standbyChange,
	textMessage,
} from '../support/payloads';
import { until } from '../support/workflows';

const APP_SECRET = 'e2e-coexistence-app-secret';
const TRIGGER = `${PACKAGE_NAME}.whatsAppReliableTrigger`;
const PNID = PHONE_A.phone_number_id;
const HELPDESK_APP = '263902037430900';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('Coexistence and conversation routing in a real n8n', () => {
	const graph = new FakeGraphApi({ phoneNumberId: PNID });
	const capture = new CaptureServer();
	let n8n: N8nInstance;
	let bot: Json;
	let seq = 0;

	const now = () => String(Math.floor(Date.now() / 1000));
	const post = async (payload: unknown) => {
		const raw = Buffer.from(metaSerialise(payload));
		const hook = bot.nodes.find((n: Json) => n.type === TRIGGER).webhookId;
		const response = await n8n.http('POST', n8n.webhookUrl(hook, 'whatsapp'), {
			headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, APP_SECRET) },
			body: raw,
		});
		expect(response.status).toBe(200);
	};
	const say = (customer: string, text: string) =>
		post(
			body(
				change(PHONE_A, { messages: [textMessage(`wamid.co-${++seq}`, text, customer, now())] }),
			),
		);
	const sendsTo = (to: string) => graph.accepted().filter((s) => s.to === to);
	const forwarded = (customer: string) =>
		capture.to((r) => r.path === '/helpdesk/api/messages' && (r.body as Json).from === customer);

	beforeAll(async () => {
		await graph.start();
		await capture.start();
		n8n = await N8nInstance.start();
		const webhook = await n8n.createCredential('whatsAppWebhookApi', 'WhatsApp Webhook', {
			appSecret: APP_SECRET,
			verifyToken: 'v',
		});
		const api = await n8n.createCredential('whatsAppCloudApi', 'WhatsApp Cloud API', {
			...graph.credentials(),
		});
		bot = JSON.parse(
			fs
				.readFileSync(
					path.join(REPO_DIR, 'examples', 'workflows', 'support-bot-handoff.json'),
					'utf8',
				)
				.replaceAll('"whatsAppWebhookCredential"', JSON.stringify(webhook))
				.replaceAll('"whatsAppCloudApiCredential"', JSON.stringify(api))
				.replaceAll('https://helpdesk.example.com', capture.url('/helpdesk')),
		);
		// Conversation routing: Escalate passes the thread to the helpdesk app, Release takes it back.
		// (Only the thread control test escalates; the others never reach these nodes.)
		const cloud = { whatsAppCloudApi: { id: api, name: 'WhatsApp Cloud API' } };
		const escalate = bot.nodes.find((n: Json) => n.name === 'Escalate');
		escalate.parameters.passThreadControlTo = HELPDESK_APP;
		escalate.credentials = cloud;
		const release = bot.nodes.find((n: Json) => n.name === 'Release');
		release.parameters.takeThreadControl = true;
		release.credentials = cloud;
		const hook = bot.nodes.find((n: Json) => n.type === TRIGGER).webhookId;
		await n8n.importAndPublish(bot, {
			probe: `${n8n.webhookUrl(hook, 'whatsapp')}?hub.mode=subscribe`,
		});
	});

	afterAll(async () => {
		await n8n?.stop();
		await graph.stop();
		await capture.stop();
	});

	it('an echo silences the bot: after the owner replies from the app, the next message goes to Already With Human', async () => {
		const customer = '4915100000700';
		await say(customer, 'What are your opening hours?');
		await until('the bot reply', () => sendsTo(customer).length === 1);

		await post(
			body(
				echoChange([echoMessage('wamid.co-echo-1', 'Hi, Anna here, I can help', customer, now())]),
			),
		);
		await n8n.settle(bot.id);

		await say(customer, 'What are your opening hours?');
		await capture.waitFor(
			(r) => r.path === '/helpdesk/api/messages' && (r.body as Json).from === customer,
		);
		const runs = await n8n.settle(bot.id, { includeData: true });
		expect(sendsTo(customer)).toHaveLength(1); // no second bot reply at the Graph API
		expect(forwarded(customer)).toHaveLength(1);
		const already = runs.flatMap((e) =>
			(e.data.resultData.runData.Route?.[0]?.data?.main?.[2] ?? []).map((i: Json) => i.json),
		);
		expect(already).toEqual([
			expect.objectContaining({
				routing: expect.objectContaining({ reason: 'owner_replied_from_app' }),
			}),
		]);
	});

	it('a standby message starts no bot reply', async () => {
		const customer = '4915100000800';
		await post(
			body(
				standbyChange([
					textMessage('wamid.co-standby-1', 'What are your opening hours?', customer, now()),
				]),
			),
		);
		const runs = await n8n.settle(bot.id, { includeData: true });
		const standbyRun = runs.find((e) =>
			(e.data.resultData.runData['WhatsApp Trigger']?.[0]?.data?.main?.[4] ?? []).some(
				(i: Json) => i.json.messageId === 'wamid.co-standby-1',
			),
		);
		expect(standbyRun).toBeDefined();
		expect(standbyRun!.data.resultData.runData.Route).toBeUndefined();
		expect(sendsTo(customer)).toHaveLength(0);
		expect(forwarded(customer)).toHaveLength(0);
		expect(n8n.logText()).not.toContain('WhatsApp conversations: could not record');
	});

	it('conversation routing: Escalate passes the thread to the helpdesk app, Release takes it back, and the bot answers again', async () => {
		const customer = '4915100000900';
		await say(customer, 'I want a refund');
		await until('the thread passed', () =>
			graph.threadControls().some((c) => c.body.to === customer),
		);
		const runs = await n8n.settle(bot.id, { includeData: true });
		const passes = graph.threadControls().filter((c) => c.body.to === customer);
		expect(passes).toHaveLength(1);
		expect(passes[0]).toMatchObject({
			status: 200,
			path: `/v23.0/${PNID}/thread_control`,
			body: { action: 'pass', control_pass: { target_app_id: HELPDESK_APP } },
		});
		const escalated = runs.flatMap((e) =>
			(e.data.resultData.runData.Escalate?.[0]?.data?.main?.[0] ?? []).map((i: Json) => i.json),
		);
		expect(escalated).toEqual([
			expect.objectContaining({
				threadControl: expect.objectContaining({
					action: 'pass',
					ok: true,
					targetAppId: HELPDESK_APP,
				}),
			}),
		]);
		expect(graph.threadOwners.get(customer)).toBe(HELPDESK_APP);
		const sentBefore = sendsTo(customer).length; // "a person will reply"

		const released = await n8n.http('POST', '/webhook/helpdesk-release', {
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ phone: customer }),
		});
		expect(released.status).toBe(200);
		await n8n.settle(bot.id);
		const takes = graph.threadControls().filter((c) => c.body.to === customer);
		expect(takes.map((c) => c.body.action)).toEqual(['pass', 'take']);
		expect(graph.threadOwners.get(customer)).toBe(graph.appId);

		await say(customer, 'What are your opening hours?');
		await until('the bot reply', () => sendsTo(customer).length === sentBefore + 1);
		expect(n8n.logText()).not.toContain('WhatsApp conversations: could not record');
	});
});
