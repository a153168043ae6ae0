/**
 * The WhatsApp Escalation node's guarantees in a real n8n: escalations racing for one conversation in
 * concurrent executions open one case; a lease that runs out hands the conversation back to the bot;
 * a restart of n8n in the middle of an open case keeps the human as the owner. Uses the support-bot
 * example (with the capture server as helpdesk and the fake Graph API) and a bare Webhook → Escalate
 * workflow to race executions directly.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ConversationBook, DEFAULT_BOOK_CONFIG } from '../../nodes/core/conversationRecord';
import { escalate } from '../../nodes/core/lease';

import { CaptureServer } from '../support/captureServer';
import { FakeGraphApi } from '../support/fakeGraphApi';
import { cachePaths, N8nInstance, PACKAGE_NAME, REPO_DIR } from '../support/n8n';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../support/payloads';
import { until } from '../support/workflows';

const APP_SECRET = 'e2e-escalation-app-secret';
const TRIGGER = `${PACKAGE_NAME}.whatsAppReliableTrigger`;
const ESCALATION = `${PACKAGE_NAME}.whatsAppEscalation`;
const PNID = PHONE_A.phone_number_id;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The support-bot example, with real credentials, the capture server as helpdesk, and optional changes. */
function supportBot(
	credentials: { webhook: string; api: string },
	capture: CaptureServer,
	variant?: { suffix: string; leaseMinutes: number },
): Json {
	let text = fs
		.readFileSync(path.join(REPO_DIR, 'examples', 'workflows', 'support-bot-handoff.json'), 'utf8')
		.replaceAll('"whatsAppWebhookCredential"', JSON.stringify(credentials.webhook))
		.replaceAll('"whatsAppCloudApiCredential"', JSON.stringify(credentials.api))
		.replaceAll(
			'https://helpdesk.example.com',
			capture.url(variant ? `/helpdesk-${variant.suffix}` : '/helpdesk'),
		);
	if (variant) {
		// Another workflow: its own id, trigger URL and release path.
		text = text
			.replaceAll('waSupportBot0001', `waSupport${variant.suffix}`.padEnd(16, '0').slice(0, 16))
			.replaceAll(
				'7d4f9e3a-5b6c-4d8e-a0f1-2b3c4d5e6f0',
				`7d4f9e3a-5b6c-4d8e-a0f1-${variant.suffix}`.padEnd(35, '0'),
			)
			.replaceAll('"helpdesk-release"', `"helpdesk-release-${variant.suffix}"`);
	}
	const workflow = JSON.parse(text);
	if (variant)
		workflow.nodes.find((n: Json) => n.name === 'Escalate').parameters.leaseMinutes =
			variant.leaseMinutes;
	return workflow;
}

/** A book at the default capacity: every conversation 30 messages, sends delivered and read. */
function fullBook(now: number): ConversationBook {
	const book = new ConversationBook();
	let n = 0;
	for (let c = 0; c < DEFAULT_BOOK_CONFIG.maxConversations; c++) {
		const customer = `4930${String(10_000_000 + c)}`;
		for (let i = 0; i < DEFAULT_BOOK_CONFIG.transcriptLength; i++) {
			const id = `wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjQ1${(++n).toString(16).toUpperCase().padStart(16, '0')}A`;
			const at = now - 3_600_000 + i * 60_000;
			if (i % 2 === 0) {
				book.recordOutbound(
					{
						phoneNumberId: PNID,
						customerId: customer,
						messageId: id,
						message: {
							type: 'text',
							text: {
								body: 'Orders ship within 1 to 2 working days; you get a tracking link by email.',
							},
						},
						at,
					},
					at,
				);
				for (const value of ['delivered', 'read']) {
					book.recordEvent(
						{
							kind: 'status',
							phoneNumberId: PNID,
							customer: { id: customer },
							messageId: id,
							status: value,
							correlationId: null,
							errors: [],
						} as never,
						at,
					);
				}
			} else {
				book.recordEvent(
					{
						kind: 'message',
						subtype: 'text',
						phoneNumberId: PNID,
						customer: { id: customer, waId: customer, profileName: 'Zoë Müller' },
						messageId: id,
						timestamp: Math.floor(at / 1000),
						text: 'Hi, where is my order? I ordered it last week.',
						errors: [],
					} as never,
					at,
				);
			}
		}
	}
	return book;
}

/** Runs JavaScript under n8n's Node 24 (it has node:sqlite) to read and write n8n's database directly. */
function withDatabase(dbFile: string, script: string, input: string): string {
	return execFileSync(
		path.join(cachePaths().NODE_BIN, 'node'),
		['--no-warnings', '-e', script, dbFile],
		{ input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
	);
}

/** Webhook → Escalate → New Case / Existing Case → capture server: races executions on Escalate alone. */
function raceWorkflow(capture: CaptureServer): Json {
	const post = (id: string, name: string, url: string) => ({
		id,
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [600, 0],
		parameters: {
			method: 'POST',
			url,
			sendBody: true,
			specifyBody: 'json',
			jsonBody:
				'={{ JSON.stringify({ caseId: $json.caseId, created: $json.created, customer: $json.customer.id, run: $json.trigger.body.run }) }}',
			options: {},
		},
	});
	return {
		id: 'waEscalateRace01',
		name: 'e2e: escalations racing',
		nodes: [
			{
				id: 'e5a1c3d4-0000-4000-8000-000000000001',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: 'e5a1c3d4-0000-4000-8000-0000000000aa',
				parameters: {
					httpMethod: 'POST',
					path: 'escalate-race',
					responseMode: 'lastNode',
					responseData: 'firstEntryJson',
					options: {},
				},
			},
			{
				id: 'e5a1c3d4-0000-4000-8000-000000000002',
				name: 'Escalate',
				type: ESCALATION,
				typeVersion: 1,
				position: [300, 0],
				parameters: {
					operation: 'escalate',
					customerId: '={{ $json.body.phone }}',
					phoneNumberId: PNID,
					reason: 'Race',
					leaseMinutes: 0,
				},
			},
			post('e5a1c3d4-0000-4000-8000-000000000003', 'New Case', capture.url('/race/new')),
			post('e5a1c3d4-0000-4000-8000-000000000004', 'Existing Case', capture.url('/race/existing')),
		],
		connections: {
			Webhook: { main: [[{ node: 'Escalate', type: 'main', index: 0 }]] },
			Escalate: {
				main: [
					[{ node: 'New Case', type: 'main', index: 0 }],
					[{ node: 'Existing Case', type: 'main', index: 0 }],
				],
			},
		},
		settings: { executionOrder: 'v1' },
	};
}

describe('WhatsApp Escalation in a real n8n', () => {
	const graph = new FakeGraphApi({ phoneNumberId: PNID });
	const capture = new CaptureServer();
	let n8n: N8nInstance;
	let credentials: { webhook: string; api: string };
	let bot: Json;
	let seq = 0;
	const timings: Record<string, number> = {};

	const say = async (workflow: Json, customer: string, text: string) => {
		const id = `wamid.esc-${++seq}`;
		const raw = Buffer.from(
			metaSerialise(
				body(
					change(PHONE_A, {
						messages: [textMessage(id, text, customer, String(Math.floor(Date.now() / 1000)))],
					}),
				),
			),
		);
		const hook = workflow.nodes.find((n: Json) => n.type === TRIGGER).webhookId;
		const response = await n8n.http('POST', n8n.webhookUrl(hook, 'whatsapp'), {
			headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, APP_SECRET) },
			body: raw,
		});
		expect(response.status).toBe(200);
		return id;
	};
	const sendsTo = (to: string) => graph.accepted().filter((s) => s.to === to);
	const textsTo = (to: string) => sendsTo(to).map((s) => (s.body.text as { body: string }).body);
	const casesFor = (customer: string, prefix = '/helpdesk') =>
		capture.to(
			(r) => r.path === `${prefix}/api/cases` && (r.body as Json).customer.id === customer,
		);
	const publish = async (workflow: Json) => {
		const hook = workflow.nodes.find((n: Json) => n.type === TRIGGER)?.webhookId;
		await n8n.importAndPublish(
			workflow,
			hook ? { probe: `${n8n.webhookUrl(hook, 'whatsapp')}?hub.mode=subscribe` } : {},
		);
	};

	beforeAll(async () => {
		await graph.start();
		await capture.start();
		n8n = await N8nInstance.start();
		timings.n8nStartMs = n8n.lastStartMs;
		credentials = {
			webhook: await n8n.createCredential('whatsAppWebhookApi', 'WhatsApp Webhook', {
				appSecret: APP_SECRET,
				verifyToken: 'v',
			}),
			api: await n8n.createCredential(
				'whatsAppCloudApi',
				'WhatsApp Cloud API',
				graph.credentials(),
			),
		};
		bot = supportBot(credentials, capture);
		await publish(bot);
		await publish(raceWorkflow(capture));
	});

	afterAll(async () => {
		await n8n?.stop();
		await graph.stop();
		await capture.stop();
		console.log(`escalation e2e timings (ms): ${JSON.stringify(timings)}`);
	});

	it('opens one case when 20 executions escalate one conversation at once (and one per conversation for 5 more)', async () => {
		const started = Date.now();
		const answers = await Promise.all(
			Array.from({ length: 20 }, (_, run) =>
				n8n.http('POST', '/webhook/escalate-race', { body: { phone: '+49 151 0000 0100', run } }),
			),
		);
		timings.race20Ms = Date.now() - started;
		expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
		await capture.waitFor(
			(r) => r.path.startsWith('/race/') && (r.body as Json).customer === '4915100000100',
			20,
		);
		const created = capture.bodies('/race/new').filter((b) => b.customer === '4915100000100');
		const existing = capture.bodies('/race/existing').filter((b) => b.customer === '4915100000100');
		expect(created).toHaveLength(1);
		expect(existing).toHaveLength(19);
		expect(new Set([...created, ...existing].map((b) => b.caseId))).toEqual(
			new Set([created[0].caseId]),
		);

		const others = ['101', '102', '103', '104', '105'].map((n) => `+49 151 0000 0${n}`);
		await Promise.all(
			others.flatMap((phone) =>
				Array.from({ length: 8 }, (_, run) =>
					n8n.http('POST', '/webhook/escalate-race', { body: { phone, run } }),
				),
			),
		);
		await capture.waitFor((r) => r.path.startsWith('/race/'), 20 + 40);
		const perCustomer = new Map<string, Set<string>>();
		for (const b of capture.bodies('/race/new'))
			perCustomer.set(b.customer, (perCustomer.get(b.customer) ?? new Set()).add(b.caseId));
		expect([...perCustomer.values()].map((s) => s.size)).toEqual([1, 1, 1, 1, 1, 1]);
		const runs = await n8n.settle('waEscalateRace01');
		expect(runs.filter((e) => e.status === 'success')).toHaveLength(60);
	});

	it('gives two WhatsApp messages racing into the handoff one case and one acknowledgement', async () => {
		const customer = '4915100000200';
		await Promise.all([say(bot, customer, 'I want a refund'), say(bot, customer, 'agent please')]);
		await until('the case', () => casesFor(customer).length === 1);
		await capture.waitFor(
			(r) => r.path === '/helpdesk/api/messages' && (r.body as Json).from === customer,
		);
		await n8n.settle(bot.id);
		expect(casesFor(customer)).toHaveLength(1);
		// the other message reached the agent (as Existing Case or Already With Human), not the bot
		expect(
			capture.to((r) => r.path === '/helpdesk/api/messages' && (r.body as Json).from === customer),
		).toHaveLength(1);
		expect(textsTo(customer)).toHaveLength(1);
		expect(textsTo(customer)[0]).toContain((casesFor(customer)[0].body as Json).caseId);
	});

	it('returns the conversation to the bot when the lease runs out', async () => {
		const short = supportBot(credentials, capture, { suffix: 'lease', leaseMinutes: 0.1 });
		await publish(short);
		const customer = '4915100000300';
		await say(short, customer, 'I need a human');
		await until('the case', () => casesFor(customer, '/helpdesk-lease').length === 1);
		const caseId = (casesFor(customer, '/helpdesk-lease')[0].body as Json).caseId;
		const opened = (casesFor(customer, '/helpdesk-lease')[0].body as Json).leaseExpiresAt;
		await say(short, customer, 'What are your opening hours?');
		await capture.waitFor(
			(r) => r.path === '/helpdesk-lease/api/messages' && (r.body as Json).from === customer,
		);
		expect(textsTo(customer)).toHaveLength(1); // only the acknowledgement

		const wait = Date.parse(opened) - Date.now() + 300;
		if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
		const started = Date.now();
		await say(short, customer, 'What are your opening hours?');
		await until('the bot to answer again', () => textsTo(customer).length === 2);
		timings.afterExpiryReplyMs = Date.now() - started;
		expect(textsTo(customer)[1]).toBe('We are open Monday to Friday, 9:00 to 18:00.');

		const runs = await n8n.settle(short.id, { includeData: true });
		const routedToBot = runs.flatMap((e) =>
			(e.data.resultData.runData.Route?.[0]?.data?.main?.[1] ?? []).map((i: Json) => i.json),
		);
		expect(routedToBot).toEqual([
			expect.objectContaining({
				handoff: { resumedAfter: expect.objectContaining({ caseId, reason: 'lease_expired' }) },
			}),
		]);
	});

	it('keeps the human as owner across a restart of n8n in the middle of an open case', async () => {
		const customer = '4915100000400';
		await say(bot, customer, 'my parcel arrived broken, I want a refund');
		await until('the case', () => casesFor(customer).length === 1);
		const caseId = (casesFor(customer)[0].body as Json).caseId;
		await until('the acknowledgement', () => textsTo(customer).length === 1);
		await n8n.settle(bot.id);

		const started = Date.now();
		await n8n.restart();
		timings.restartMs = Date.now() - started;

		await say(bot, customer, 'any news? what are your opening hours?');
		const [forwarded] = await capture.waitFor(
			(r) => r.path === '/helpdesk/api/messages' && (r.body as Json).from === customer,
		);
		expect(forwarded.body).toMatchObject({
			caseId,
			text: 'any news? what are your opening hours?',
		});
		await n8n.settle(bot.id);
		expect(textsTo(customer)).toHaveLength(1);
		expect(casesFor(customer)).toHaveLength(1);

		const released = (
			await n8n.http('POST', '/webhook/helpdesk-release', { body: { phone: customer } })
		).json<Json>();
		expect(released).toMatchObject({
			released: true,
			caseId,
			previousOwner: 'human',
			owner: 'bot',
		});
		await say(bot, customer, 'Do you ship to Austria?');
		await until('the bot after the release', () => textsTo(customer).length === 2);
		expect(textsTo(customer)[1]).toBe('Orders ship within 1 to 2 working days.');
		expect(n8n.logText()).not.toContain('WhatsApp conversations: could not record');
	});

	it('measures what a full conversation book costs per execution, and restores it from the database', async () => {
		// Baseline: FAQ round trips (signed webhook → trigger → Route → bot reply at the Graph API) with a small book.
		const roundTrip = async (customer: string) => {
			const before = sendsTo(customer).length;
			const started = Date.now();
			await say(bot, customer, 'What are your opening hours?');
			await until('the reply', () => sendsTo(customer).length > before);
			return Date.now() - started;
		};
		const median = (values: number[]) =>
			[...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
		const small: number[] = [];
		for (let i = 0; i < 15; i++) small.push(await roundTrip('4915100000500'));
		await n8n.settle(bot.id);

		// Seed the database with a book at capacity, one conversation held by a human, and restart n8n so it restores it.
		const now = Date.now();
		const book = fullBook(now);
		const held = book.open(PNID, '4915100000600', now);
		const { lease } = escalate(
			held,
			{
				reason: 'Seeded',
				rule: null,
				detail: null,
				priority: 'normal',
				assignee: null,
				leaseMs: null,
			},
			now,
		);
		const dbFile = path.join(n8n.dir, '.n8n', 'database.sqlite');
		const readScript =
			"const {DatabaseSync}=require('node:sqlite');const db=new DatabaseSync(process.argv[1]);process.stdout.write(db.prepare('SELECT staticData FROM workflow_entity WHERE id=?').get(require('fs').readFileSync(0,'utf8')).staticData||'{}')";
		const writeScript =
			"const {DatabaseSync}=require('node:sqlite');const db=new DatabaseSync(process.argv[1]);db.exec('PRAGMA busy_timeout=10000');const {id,data}=JSON.parse(require('fs').readFileSync(0,'utf8'));db.prepare('UPDATE workflow_entity SET staticData=? WHERE id=?').run(data,id);";
		const staticData = JSON.parse(withDatabase(dbFile, readScript, bot.id));
		// n8n keeps a workflow's "global" static data under the key "global"; this package keeps one
		// document there (nodes/core/workflowState.ts) whose part "conversations" is the book.
		const stored = staticData.global.whatsAppReliable;
		stored.p.conversations = { at: Date.now(), d: book.snapshot() };
		const data = JSON.stringify(staticData);
		withDatabase(dbFile, writeScript, JSON.stringify({ id: bot.id, data }));
		await n8n.restart();

		const full: number[] = [];
		full.push(await roundTrip('4915100000501')); // the first execution restores the book
		for (let i = 0; i < 14; i++) full.push(await roundTrip('4915100000501'));
		await n8n.settle(bot.id);
		const saved = withDatabase(dbFile, readScript, bot.id);
		timings.staticDataBytesWithFullBook = Buffer.byteLength(saved);
		timings.bookBytes = Buffer.byteLength(JSON.stringify(book.snapshot()));
		timings.faqRoundTripSmallBookMedianMs = median(small);
		timings.faqRoundTripFullBookMedianMs = median(full);
		timings.faqRoundTripFullBookFirstMs = full[0];

		// The restored book is the one in use: the seeded human still owns that conversation.
		await say(bot, '4915100000600', 'hello?');
		const [forwarded] = await capture.waitFor(
			(r) => r.path === '/helpdesk/api/messages' && (r.body as Json).from === '4915100000600',
		);
		expect(forwarded.body).toMatchObject({ caseId: lease.caseId });
		// what the executions saved is the live book: the seeded conversations plus the new customer's, within capacity
		const persisted = JSON.parse(saved).global.whatsAppReliable.p.conversations.d.conversations;
		expect(persisted[`${PNID}:4915100000600`].ownership.lease.caseId).toBe(lease.caseId);
		expect(persisted[`${PNID}:4915100000501`].transcript).toHaveLength(
			DEFAULT_BOOK_CONFIG.transcriptLength,
		);
		expect(Object.keys(persisted)).toHaveLength(DEFAULT_BOOK_CONFIG.maxConversations);
	});
});
