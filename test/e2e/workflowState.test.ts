/**
 * The workflow state in a real n8n, with the topology operators build: one workflow holding the
 * trigger, the send node and the escalation node, plus slow shop and helpdesk calls so executions
 * overlap. n8n saves a workflow's static data whole, from each execution's own copy; these tests
 * prove no save rolls another node's state back, across restarts, a Wait node, load and a hard kill.
 */
import { CaptureServer } from '../support/captureServer';
import { FakeGraphApi } from '../support/fakeGraphApi';
import { N8nInstance, PACKAGE_NAME, type Execution } from '../support/n8n';
import { connect, triggerOnlyWorkflow, until, workflowNode } from '../support/workflows';
import {
	body,
	change,
	metaSerialise,
	PHONE_A,
	sign,
	status,
	textMessage,
} from '../support/payloads';

const APP_SECRET = 'e2e-state-app-secret';
const CUSTOMER = '4915112340001';
const SHOP_WAIT_SECONDS = 70; // n8n parks executions waiting 65 s or more in the database

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function httpPost(name: string, url: string): Json {
	return workflowNode(
		name,
		'n8n-nodes-base.httpRequest',
		{
			method: 'POST',
			url,
			sendBody: true,
			specifyBody: 'json',
			jsonBody: '={{ JSON.stringify({ key: $json.dedupeKey ?? $json.messageId ?? null }) }}',
			options: { timeout: 60000 },
		},
		{ typeVersion: 4.2 },
	);
}

/** Order confirmation, bot and handoff in one workflow, as the examples compose them. */
function shopWorkflow(credentials: { webhook: string; api: string }, capture: CaptureServer): Json {
	const api = { whatsAppCloudApi: { id: credentials.api, name: 'api' } };
	const sendText = (name: string, to: string, text: string, key: string) =>
		workflowNode(
			name,
			`${PACKAGE_NAME}.whatsAppReliable`,
			{
				resource: 'message',
				operation: 'send',
				to,
				messageType: 'text',
				text,
				idempotencyKey: key,
				correlationId: key,
			},
			{ credentials: api, typeVersion: 1.1 },
		);
	const nodes = [
		workflowNode(
			'Shop: New Order',
			'n8n-nodes-base.webhook',
			{ httpMethod: 'POST', path: 'state-order', responseMode: 'onReceived', options: {} },
			{ typeVersion: 2, webhookId: 'state-order' },
		),
		sendText(
			'Send Order Confirmation',
			'={{ $json.body.phone }}',
			'Order confirmed',
			'={{ $json.body.orderId }}',
		),
		httpPost('Shop: Confirmation Sent', capture.url('/shop/sent')),
		workflowNode(
			'Shop: Wait Order',
			'n8n-nodes-base.webhook',
			{ httpMethod: 'POST', path: 'state-wait', responseMode: 'onReceived', options: {} },
			{ typeVersion: 2, webhookId: 'state-wait' },
		),
		sendText(
			'Send Before Waiting',
			'={{ $json.body.phone }}',
			'We will call you back',
			'={{ $json.body.orderId }}',
		),
		workflowNode(
			'Wait',
			'n8n-nodes-base.wait',
			{ resume: 'timeInterval', amount: SHOP_WAIT_SECONDS, unit: 'seconds' },
			{ typeVersion: 1.1, webhookId: 'state-wait-resume' },
		),
		httpPost('Shop: Waited', capture.url('/shop/waited')),
		workflowNode(
			'WhatsApp Trigger',
			`${PACKAGE_NAME}.whatsAppReliableTrigger`,
			{ options: {} },
			{
				webhookId: 'state-whatsapp',
				credentials: { whatsAppWebhookApi: { id: credentials.webhook, name: 'webhook' } },
			},
		),
		workflowNode('Route', `${PACKAGE_NAME}.whatsAppEscalation`, {
			operation: 'route',
			rules: { rule: [{ type: 'keywords', keywords: 'refund*', reason: 'Refund' }] },
		}),
		workflowNode('Escalate', `${PACKAGE_NAME}.whatsAppEscalation`, {
			operation: 'escalate',
			leaseMinutes: 1440,
		}),
		httpPost('Helpdesk: Open Case', capture.url('/helpdesk')),
		sendText(
			'Bot Reply',
			'={{ $json.customer.id }}',
			'bot reply',
			'={{ "reply-" + $json.messageId }}',
		),
		httpPost('Shop: Log Delivery', capture.url('/shop/status')),
	];
	return {
		id: 'stateShopWorkflow1',
		name: 'e2e state: shop',
		nodes,
		connections: connect(
			['Shop: New Order', 0, 'Send Order Confirmation'],
			['Send Order Confirmation', 0, 'Shop: Confirmation Sent'],
			['Shop: Wait Order', 0, 'Send Before Waiting'],
			['Send Before Waiting', 0, 'Wait'],
			['Wait', 0, 'Shop: Waited'],
			['WhatsApp Trigger', 0, 'Route'],
			['WhatsApp Trigger', 2, 'Shop: Log Delivery'],
			['WhatsApp Trigger', 3, 'Shop: Log Delivery'],
			['Route', 0, 'Escalate'],
			['Route', 1, 'Bot Reply'],
			['Escalate', 0, 'Helpdesk: Open Case'],
		),
		settings: { executionOrder: 'v1' },
	};
}

/** Only the trigger: for the replay, where the question is what reached an execution. */
const replayWorkflow = (credentials: { webhook: string }): Json =>
	triggerOnlyWorkflow({
		id: 'stateReplayWorkflow1',
		name: 'e2e state: replay',
		webhookId: 'state-replay',
		credentialId: credentials.webhook,
		parameters: { options: { recordConversations: false } },
		nodeName: 'WhatsApp Trigger',
	});

/**
 * Items the trigger emitted in an execution that ran to its end (`ran`). For one n8n cut short (a
 * restart that outlasted n8n's graceful shutdown, a kill), the items it was started with: it is in n8n
 * as crashed with those items, retryable; its trigger may or may not have run (n8n's recovery puts
 * placeholder data where a node's output was lost).
 */
function triggerItems(execution: Execution): { ran: boolean; items: Json[] } {
	const run = execution.data?.resultData?.runData?.['WhatsApp Trigger']?.[0];
	if (execution.status === 'success' && run?.data?.main)
		return { ran: true, items: (run.data.main as Json[][]).flat().map((item) => item.json) };
	const stack = execution.data?.executionData?.nodeExecutionStack ?? [];
	const start = stack.find((entry: Json) => entry.node?.name === 'WhatsApp Trigger');
	return {
		ran: false,
		items: ((start?.data?.main ?? []) as Json[][]).flat().map((item) => item.json),
	};
}

const RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3, played: 4 };

/** Deterministic pseudo-random numbers, so a failing run can be repeated. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1103515245 + 12345) & 0x7fffffff;
		return state / 0x7fffffff;
	};
}

describe('one workflow state in a real n8n', () => {
	const graph = new FakeGraphApi({ phoneNumberId: PHONE_A.phone_number_id });
	const capture = new CaptureServer();
	let n8n: N8nInstance;
	let shop: Json;
	let replay: Json;
	const timings: Record<string, number> = {};

	const post = async (hook: string, payload: unknown) => {
		const raw = Buffer.from(metaSerialise(payload));
		return await n8n.http('POST', n8n.webhookUrl(hook, 'whatsapp'), {
			headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, APP_SECRET) },
			body: raw,
		});
	};
	/** Posts like Meta: anything but 200 (a 503, a refused connection during a restart) is retried. */
	const deliver = async (hook: string, payload: unknown, timeoutMs = 120_000) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			try {
				const response = await post(hook, payload);
				if (response.status === 200) return;
			} catch {
				// n8n is restarting
			}
			if (Date.now() > deadline) throw new Error('delivery never acknowledged');
			await new Promise((resolve) => setTimeout(resolve, 300));
		}
	};
	const whatsapp = (payload: unknown) => deliver('state-whatsapp', payload);
	const order = async (path: string, orderId: string) => {
		const response = await n8n.http('POST', `/webhook/${path}`, {
			body: { orderId, phone: CUSTOMER },
		});
		expect(response.status).toBe(200);
	};
	const sendsWithText = (text: string) =>
		graph.accepted().filter((s) => (s.body as Json)?.text?.body === text);
	const message = (id: string, text: string) =>
		body(change(PHONE_A, { messages: [textMessage(id, text, CUSTOMER)] }));
	const shopExecutions = async () => await n8n.settle(shop.id, { includeData: true });

	beforeAll(async () => {
		await graph.start();
		await capture.start();
		n8n = await N8nInstance.start();
		const credentials = {
			webhook: await n8n.createCredential('whatsAppWebhookApi', 'webhook', {
				appSecret: APP_SECRET,
				verifyToken: 'state-verify',
			}),
			api: await n8n.createCredential('whatsAppCloudApi', 'api', graph.credentials()),
		};
		shop = shopWorkflow(credentials, capture);
		replay = replayWorkflow(credentials);
		for (const [workflow, hook] of [
			[shop, 'state-whatsapp'],
			[replay, 'state-replay'],
		]) {
			await n8n.importAndPublish(workflow, {
				probe: `${n8n.webhookUrl(hook, 'whatsapp')}?hub.mode=subscribe`,
			});
		}
	});

	afterAll(async () => {
		await n8n?.stop();
		await graph.stop();
		await capture.stop();
		console.log(`workflow state e2e timings (ms): ${JSON.stringify(timings)}`);
	});

	it('parks an execution in a Wait node while the next tests record keys (checked at the end)', async () => {
		await order('state-wait', 'W-1');
		await until(
			'the send before the Wait node',
			() => sendsWithText('We will call you back').length > 0,
		);
		expect(sendsWithText('We will call you back')).toHaveLength(1);
	});

	it('sends an order confirmation once, although status executions that started earlier save last, across a restart', async () => {
		capture.delays.set('/shop/status', 2500);
		const statuses = [1, 2, 3].map((i) =>
			whatsapp(body(change(PHONE_A, { statuses: [status(`wamid.earlier-${i}`, 'delivered')] }))),
		);
		await capture.waitFor('/shop/status', 3); // three trigger executions are now held by the shop
		await order('state-order', 'A-1');
		await capture.waitFor((r) => r.path === '/shop/sent', 1);
		await Promise.all(statuses);
		await shopExecutions(); // the status executions end last and save their copies
		capture.delays.delete('/shop/status');

		await n8n.restart();
		await order('state-order', 'A-1'); // the shop retries the order
		await shopExecutions();
		expect(sendsWithText('Order confirmed')).toHaveLength(1);
		const retried = (await shopExecutions()).at(-1)!;
		const output = retried.data.resultData.runData['Send Order Confirmation'][0].data.main[0];
		expect(output[0].json).toMatchObject({ skipped: true });
	});

	it("keeps a trigger execution's keys when another node's execution that started earlier saves last", async () => {
		capture.delays.set('/shop/sent', 2500);
		const sentBefore = capture.to('/shop/sent').length;
		await order('state-order', 'B-1');
		await capture.waitFor('/shop/sent', sentBefore + 1); // the order execution is now held by the shop
		await whatsapp(message('wamid.kept-1', 'hello'));
		await until('the bot reply', () => sendsWithText('bot reply').length >= 1);
		await shopExecutions();
		capture.delays.delete('/shop/sent');

		await n8n.restart();
		const executionsBefore = (await shopExecutions()).length;
		await whatsapp(message('wamid.kept-1', 'hello')); // Meta redelivers
		await n8n.settle(shop.id, { quietMs: 1500 });
		expect((await shopExecutions()).length).toBe(executionsBefore);
		expect(sendsWithText('bot reply')).toHaveLength(1);
	});

	it('keeps a human owner when a skipped send of the same workflow saves last', async () => {
		capture.delays.set('/shop/sent', 2500);
		const sentBefore = capture.to('/shop/sent').length;
		await order('state-order', 'A-1'); // a skipped retry that ends after the escalation
		await capture.waitFor('/shop/sent', sentBefore + 1);
		await whatsapp(message('wamid.refund-1', 'I want a refund'));
		await capture.waitFor('/helpdesk', 1);
		await shopExecutions();
		capture.delays.delete('/shop/sent');

		await n8n.restart();
		const repliesBefore = sendsWithText('bot reply').length;
		await whatsapp(message('wamid.after-case', 'are you there?'));
		await shopExecutions();
		expect(sendsWithText('bot reply')).toHaveLength(repliesBefore);
		const last = (await shopExecutions()).at(-1)!;
		const route = last.data.resultData.runData.Route[0].data.main;
		expect(route[2].map((item: Json) => item.json.messageId)).toEqual(['wamid.after-case']);
	});

	it('loses no acknowledged event and emits none twice in a shuffled replay with redeliveries and a restart', async () => {
		const next = random(7);
		const messageIds = Array.from({ length: 600 }, (_, i) => `wamid.replay-m${i}`);
		const outbound = Array.from({ length: 150 }, (_, i) => `wamid.replay-o${i}`);
		const events: Json[] = [
			...messageIds.map((id) => ({ messages: [textMessage(id, 'x', CUSTOMER)] })),
			...outbound.flatMap((id) =>
				['sent', 'delivered', 'read', 'failed']
					.filter(() => next() < 0.8)
					.map((value) => ({ statuses: [status(id, value)] })),
			),
		].sort(() => next() - 0.5);
		const bodies: Json[] = [];
		for (let at = 0; at < events.length; ) {
			const size = 1 + Math.floor(next() * 5);
			const slice = events.slice(at, at + size);
			at += size;
			bodies.push(
				body(
					change(PHONE_A, {
						messages: slice.flatMap((e) => e.messages ?? []),
						statuses: slice.flatMap((e) => e.statuses ?? []),
					}),
				),
			);
		}
		const deliveries = [...bodies, ...bodies.filter(() => next() < 0.3)].sort(() => next() - 0.5);
		const eventCount = events.length;
		const started = Date.now();
		let sent = 0;
		let restarted: Promise<void> | undefined;
		const worker = async () => {
			while (sent < deliveries.length) {
				const payload = deliveries[sent++];
				if (!restarted && sent >= deliveries.length * 0.4) restarted = n8n.restart();
				await deliver('state-replay', payload, 180_000);
			}
		};
		await Promise.all(Array.from({ length: 16 }, worker));
		await restarted;
		const executions = await n8n.settle(replay.id, {
			includeData: true,
			quietMs: 2000,
			timeoutMs: 120_000,
		});
		timings.replayMs = Date.now() - started;

		const seen = new Map<string, number>();
		const backwards: string[] = [];
		const highest = new Map<string, number>();
		let empty = 0;
		let neverRan = 0;
		const emptyIds: string[] = [];
		const visibleHighest = new Map<string, number>();
		for (const execution of executions) {
			const { ran, items } = triggerItems(execution);
			if (!ran) {
				neverRan++;
				for (const item of items)
					if (item.kind === 'status')
						visibleHighest.set(
							item.messageId,
							Math.max(visibleHighest.get(item.messageId) ?? 0, RANK[item.status] ?? 0),
						);
				continue;
			}
			if (items.length === 0) {
				empty++;
				emptyIds.push(execution.id);
			}
			for (const item of items) {
				seen.set(item.dedupeKey, (seen.get(item.dedupeKey) ?? 0) + 1);
				if (item.kind !== 'status') continue;
				const previous = item.ledger?.previous as string | null;
				const rank = RANK[item.status] ?? 0;
				// previous === status: a retry of a status whose first execution never ran
				if (
					previous &&
					previous !== item.status &&
					item.status !== 'failed' &&
					(RANK[previous] ?? 0) >= rank
				)
					backwards.push(`${item.messageId}: ${previous} → ${item.status}`);
				if (previous === 'failed' && item.status === 'sent')
					backwards.push(`${item.messageId}: failed → sent`);
				highest.set(item.messageId, Math.max(highest.get(item.messageId) ?? 0, rank));
			}
		}
		// Every delivery was finally answered 200, so every event must be in an execution: one that ran,
		// or one n8n cut short (crashed, its items kept and retryable in n8n).
		const inCutShort = new Set(
			executions
				.filter((e) => !triggerItems(e).ran)
				.flatMap((e) => triggerItems(e).items.map((item) => item.dedupeKey)),
		);
		const lost = messageIds.filter(
			(id) => !seen.has(`message:${id}`) && !inCutShort.has(`message:${id}`),
		);
		// After the restart n8n runs the executions it had created but not started (its boot recovery),
		// while Meta's retries of the same unanswered bodies start executions too: whichever confirms an
		// event first emits it and the other finds it taken, so an execution without items can appear
		// right after the restart, and only then. Outside that window there must be none.
		const log = n8n.logText();
		const readyAt = log.indexOf('n8n ready on', log.lastIndexOf('Received SIGTERM'));
		const restartedAt = Date.parse(log.slice(log.lastIndexOf('\n', readyAt) + 1).split(' ')[0]);
		const RECOVERY_WINDOW_MS = 60_000;
		const emptyOutsideRestart = executions
			.filter((e) => emptyIds.includes(e.id))
			.filter((e) => {
				const started = Date.parse(e.startedAt);
				return !(started >= restartedAt - 1000 && started <= restartedAt + RECOVERY_WINDOW_MS);
			})
			.map((e) => `${e.id} started ${e.startedAt}`);
		const onlyCutShort = messageIds.filter((id) => !seen.has(`message:${id}`)).length;
		const twice = [...seen].filter(([, n]) => n > 1).map(([key]) => key);
		// The highest of delivered/read/played sent for a message is never stale, so it must be emitted
		// (a `sent` can be stale: after a `failed`).
		const sentHighest = new Map<string, number>();
		for (const e of events)
			for (const s of e.statuses ?? [])
				sentHighest.set(s.id, Math.max(sentHighest.get(s.id) ?? 0, RANK[s.status] ?? 0));
		const markMissed = [...sentHighest].filter(
			([id, rank]) =>
				rank >= RANK.delivered &&
				Math.max(highest.get(id) ?? 0, visibleHighest.get(id) ?? 0) < rank,
		);
		console.log(
			`replay: ${eventCount} events in ${bodies.length} bodies, ${deliveries.length} deliveries, ${executions.length} executions (${neverRan} cut short by the restart, ${onlyCutShort} events only in those; ${empty} without items, all right after the restart), ${timings.replayMs} ms`,
		);
		expect({ lost, twice, backwards, markMissed }).toEqual({
			lost: [],
			twice: [],
			backwards: [],
			markMissed: [],
		});
		expect(emptyOutsideRestart).toEqual([]);
	}, 360_000);

	it('after a hard kill mid-burst, every acknowledged event is in an execution and none ran twice to the end', async () => {
		const ids = Array.from({ length: 240 }, (_, i) => `wamid.kill-${i}`);
		const acknowledged = new Set<string>();
		let sent = 0;
		let killed: Promise<void> | undefined;
		const worker = async () => {
			while (sent < ids.length) {
				const id = ids[sent++];
				if (!killed && acknowledged.size >= ids.length * 0.4)
					killed = n8n.restart({ hardKill: true });
				try {
					const response = await post('state-replay', message(id, 'burst'));
					if (response.status === 200) acknowledged.add(id);
				} catch {
					// killed under us
				}
			}
		};
		await Promise.all(Array.from({ length: 10 }, worker));
		await killed;
		// Meta retries whatever was not answered 200.
		for (const id of ids.filter((i) => !acknowledged.has(i)))
			await deliver('state-replay', message(id, 'burst'));
		const executions = await n8n.settle(replay.id, {
			includeData: true,
			quietMs: 2000,
			timeoutMs: 120_000,
		});
		const ran = new Map<string, string[]>();
		for (const execution of executions)
			for (const item of triggerItems(execution).items)
				if (item.messageId?.startsWith('wamid.kill-'))
					ran.set(item.messageId, [...(ran.get(item.messageId) ?? []), execution.status]);
		const missing = ids.filter((id) => !ran.has(id));
		const twiceToTheEnd = [...ran].filter(
			([, statuses]) => statuses.filter((s) => s === 'success').length > 1,
		);
		console.log(
			`hard kill: ${acknowledged.size} of ${ids.length} acknowledged before the kill; executions by status: ${JSON.stringify(
				executions.reduce<Record<string, number>>(
					(n, e) => ({ ...n, [e.status]: (n[e.status] ?? 0) + 1 }),
					{},
				),
			)}`,
		);
		expect({ missing, twiceToTheEnd }).toEqual({ missing: [], twiceToTheEnd: [] });
	}, 300_000);

	it('rolls nothing back when the execution parked in the Wait node resumes and saves', async () => {
		await capture.waitFor('/shop/waited', 1, (SHOP_WAIT_SECONDS + 60) * 1000);
		await shopExecutions();
		await n8n.restart();
		const executionsBefore = (await shopExecutions()).length;
		// Keys recorded while it was parked: a redelivery still starts nothing, the order is not resent.
		await whatsapp(message('wamid.kept-1', 'hello'));
		await whatsapp(message('wamid.refund-1', 'I want a refund'));
		await order('state-order', 'A-1');
		await shopExecutions();
		expect((await shopExecutions()).length).toBe(executionsBefore + 1);
		const confirmations = sendsWithText('Order confirmed').map(
			(s) => (s.body as Json).biz_opaque_callback_data,
		);
		expect(confirmations.filter((order) => order === 'A-1')).toHaveLength(1);
		expect(sendsWithText('bot reply')).toHaveLength(1);
	}, 240_000);
});
