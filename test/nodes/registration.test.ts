import type * as http from 'node:http';

import type {
	IDataObject,
	IHookFunctions,
	IHttpRequestOptions,
	IWebhookFunctions,
} from 'n8n-workflow';

import { checkHandshake } from '../../nodes/core/handshake';
import { resetTriggerCountersForTests } from '../../nodes/shared/triggerCounters';
import { resetWorkflowStatesForTests } from '../../nodes/shared/workflowState';
import { WhatsAppReliable } from '../../nodes/WhatsAppReliable/WhatsAppReliable.node';
import { WhatsAppReliableTrigger } from '../../nodes/WhatsAppReliableTrigger/WhatsAppReliableTrigger.node';
import { FakeGraphApi } from '../support/fakeGraphApi';
import { closeServer, listenOnLoopback } from '../support/loopbackServer';
import { FakeWorkflowDatabase } from '../support/n8nStaticData';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../support/payloads';
import { mockContext, n8nLikeRequest } from './sendContext';

const VERIFY_TOKEN = 'verify-token';
const graph = new FakeGraphApi();
let n8n: http.Server;
let n8nBase = '';
/** Answers Meta's handshake like the trigger's setup webhook, for every path. */
let answerHandshakes = true;

beforeAll(async () => {
	await graph.start();
	n8n = await listenOnLoopback(async (req, res) => {
		const query = Object.fromEntries(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams);
		const handshake = checkHandshake(query, VERIFY_TOKEN);
		if (!answerHandshakes || !handshake.accepted) {
			res.writeHead(403).end('Forbidden');
			return;
		}
		res.writeHead(200, { 'content-type': 'text/plain' }).end(handshake.challenge);
	});
	const address = n8n.address() as { port: number };
	n8nBase = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
	await graph.stop();
	await closeServer(n8n);
});

beforeEach(() => {
	graph.reset();
	graph.subscriptions.clear();
	graph.handshakes.length = 0;
	graph.phoneNumbers.clear();
	graph.addPhoneNumber(graph.phoneNumberId);
	graph.addPhoneNumber('2222222222');
	answerHandshakes = true;
	resetTriggerCountersForTests();
	resetWorkflowStatesForTests();
});

/** One POST to the trigger "Trigger" of workflow wf-1, signed with `secret`; answers the status sent. */
async function postToTrigger(secret: string, id = 'wamid.counted'): Promise<number | undefined> {
	const raw = Buffer.from(
		metaSerialise(body(change(PHONE_A, { messages: [textMessage(id, 'hello')] }))),
	);
	const staticData = new FakeWorkflowDatabase().begin();
	let status: number | undefined;
	const res = {
		status(code: number) {
			status = code;
			return res;
		},
		type: () => res,
		set: () => res,
		send: () => res,
		end: () => res,
	};
	const ctx = {
		getWebhookName: () => 'default',
		getRequestObject: () => ({
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, secret) },
			rawBody: raw,
		}),
		getResponseObject: () => res,
		getCredentials: async () => ({ appSecret: 'app-secret', verifyToken: VERIFY_TOKEN }),
		getNodeParameter: (_name: string, fallback: unknown) => fallback,
		getWorkflow: () => ({ id: 'wf-1', active: true }),
		getNode: () => ({ id: 'trigger-1', name: 'Trigger' }),
		getWorkflowStaticData: (type: string) => staticData.forNode(type, 'Trigger'),
		logger: { warn: () => undefined, debug: () => undefined, info: () => undefined },
	} as unknown as IWebhookFunctions;
	await new WhatsAppReliableTrigger().webhook.call(ctx);
	return status;
}

interface HookOptions {
	params?: IDataObject;
	path?: string;
	staticData?: IDataObject;
	withCloudCredential?: boolean;
}

/** An IHookFunctions as n8n hands it to webhookMethods on publish and unpublish. */
function hookContext(options: HookOptions = {}) {
	const params: IDataObject = { registration: 'automatic', phoneNumberIds: '', ...options.params };
	const staticData = options.staticData ?? {};
	const calls: IHttpRequestOptions[] = [];
	const credentials: IDataObject = graph.credentials();
	const ctx = {
		getWorkflow: () => ({ id: 'wf-1', active: true }),
		logger: { debug: () => undefined },
		getNode: () => ({
			id: 'trigger-1',
			name: 'Trigger',
			type: 'n8n-nodes-whatsapp-reliable.whatsAppReliableTrigger',
			typeVersion: 1,
			position: [0, 0],
			parameters: params,
			credentials: {
				whatsAppWebhookApi: { id: 'w', name: 'webhook' },
				...(options.withCloudCredential === false
					? {}
					: { whatsAppCloudApi: { id: 'c', name: 'cloud' } }),
			},
		}),
		getNodeParameter: (name: string, fallback?: unknown) =>
			name in params ? params[name] : fallback,
		getNodeWebhookUrl: (name: string) =>
			name === 'default' ? `${n8nBase}/webhook/${options.path ?? 'wf-1'}/whatsapp` : undefined,
		getWorkflowStaticData: (type: string) => {
			if (type !== 'node') throw new Error('only node static data');
			return staticData;
		},
		getCredentials: async (type: string) =>
			type === 'whatsAppWebhookApi'
				? { appSecret: 'app-secret', verifyToken: VERIFY_TOKEN }
				: credentials,
		helpers: {
			httpRequestWithAuthentication: async (_type: string, request: IHttpRequestOptions) => {
				calls.push(request);
				return await n8nLikeRequest(credentials, request);
			},
		},
	};
	return { ctx: ctx as unknown as IHookFunctions, staticData, calls };
}

const methods = new WhatsAppReliableTrigger().webhookMethods.default;

describe('Registration "Automatic" (webhookMethods)', () => {
	test('publish: subscribes the WABA, registers the number with the production URL and answers the handshake', async () => {
		const { ctx, staticData } = hookContext({ params: { phoneNumberIds: graph.phoneNumberId } });
		expect(await methods.checkExists.call(ctx)).toBe(false);
		expect(await methods.create.call(ctx)).toBe(true);

		const url = `${n8nBase}/webhook/wf-1/whatsapp`;
		expect(graph.subscriptions.has(graph.businessAccountId)).toBe(true);
		expect(graph.phoneNumbers.get(graph.phoneNumberId)?.overrideUrl).toBe(url);
		expect(graph.handshakes).toEqual([{ url, status: 200, ok: true, verifyToken: VERIFY_TOKEN }]);
		const override = graph.requests.find(
			(r) => r.method === 'POST' && r.path.endsWith(`/${graph.phoneNumberId}`),
		);
		expect(override?.body).toEqual({
			webhook_configuration: { override_callback_uri: url, verify_token: VERIFY_TOKEN },
		});
		expect(staticData.webhookRegistration).toMatchObject({
			url,
			phoneNumberIds: [graph.phoneNumberId],
			subscribedBusinessAccountId: graph.businessAccountId,
		});
		expect(await methods.checkExists.call(ctx)).toBe(true);
	});

	test('no phone numbers chosen: the override is set on the WABA', async () => {
		const { ctx } = hookContext();
		await methods.create.call(ctx);
		expect(graph.subscriptions.get(graph.businessAccountId)?.overrideUrl).toBe(
			`${n8nBase}/webhook/wf-1/whatsapp`,
		);
		expect(await methods.checkExists.call(ctx)).toBe(true);
		await methods.delete.call(ctx);
		// Subscribed again without an override: back to the app-level URL, still subscribed.
		expect(graph.subscriptions.get(graph.businessAccountId)).toEqual({ overrideUrl: undefined });
	});

	test('an already subscribed WABA is not subscribed again', async () => {
		graph.subscriptions.set(graph.businessAccountId, {});
		const { ctx, staticData } = hookContext({ params: { phoneNumberIds: graph.phoneNumberId } });
		await methods.create.call(ctx);
		const subscribes = graph.requests.filter(
			(r) => r.method === 'POST' && r.path.endsWith('/subscribed_apps'),
		);
		expect(subscribes).toHaveLength(0);
		expect(
			(staticData.webhookRegistration as IDataObject).subscribedBusinessAccountId,
		).toBeUndefined();
	});

	test('two workflows on one app each register their own number; unpublishing one removes only its own', async () => {
		const one = hookContext({ path: 'wf-1', params: { phoneNumberIds: graph.phoneNumberId } });
		const two = hookContext({ path: 'wf-2', params: { phoneNumberIds: '2222222222' } });
		await methods.create.call(one.ctx);
		await methods.create.call(two.ctx);
		expect(graph.phoneNumbers.get(graph.phoneNumberId)?.overrideUrl).toBe(
			`${n8nBase}/webhook/wf-1/whatsapp`,
		);
		expect(graph.phoneNumbers.get('2222222222')?.overrideUrl).toBe(
			`${n8nBase}/webhook/wf-2/whatsapp`,
		);

		await methods.delete.call(one.ctx);
		expect(graph.phoneNumbers.get(graph.phoneNumberId)?.overrideUrl).toBeUndefined();
		expect(graph.phoneNumbers.get('2222222222')?.overrideUrl).toBe(
			`${n8nBase}/webhook/wf-2/whatsapp`,
		);
		expect(one.staticData.webhookRegistration).toBeUndefined();
		expect(graph.subscriptions.has(graph.businessAccountId)).toBe(true);
	});

	test('a number pointing elsewhere is not taken: the error says where it points', async () => {
		graph.addPhoneNumber(graph.phoneNumberId, {
			overrideUrl: 'https://127.0.0.1:1/other/whatsapp',
		});
		const { ctx } = hookContext({ params: { phoneNumberIds: graph.phoneNumberId } });
		await expect(methods.create.call(ctx)).rejects.toThrow(
			`Phone number ${graph.phoneNumberId} already sends its webhooks to https://127.0.0.1:1/other/whatsapp`,
		);
		expect(graph.phoneNumbers.get(graph.phoneNumberId)?.overrideUrl).toBe(
			'https://127.0.0.1:1/other/whatsapp',
		);
	});

	test('unpublish leaves an override that someone else has set since', async () => {
		const { ctx, staticData } = hookContext({ params: { phoneNumberIds: graph.phoneNumberId } });
		await methods.create.call(ctx);
		graph.addPhoneNumber(graph.phoneNumberId, { overrideUrl: 'https://127.0.0.1:1/someone-else' });
		expect(await methods.delete.call(ctx)).toBe(true);
		expect(graph.phoneNumbers.get(graph.phoneNumberId)?.overrideUrl).toBe(
			'https://127.0.0.1:1/someone-else',
		);
		expect(staticData.webhookRegistration).toBeUndefined();
	});

	test('a failed handshake says to set N8N_WEBHOOK_URL when the URL is not public HTTPS', async () => {
		answerHandshakes = false;
		const { ctx } = hookContext({ params: { phoneNumberIds: graph.phoneNumberId } });
		const error = await methods.create.call(ctx).then(
			() => undefined,
			(e: { message: string; description?: string }) => e,
		);
		expect(error?.message).toContain('Could not register');
		expect(error?.description).toContain('N8N_WEBHOOK_URL');
		expect(graph.handshakes[0]).toMatchObject({ ok: false, status: 403 });
		expect(graph.phoneNumbers.get(graph.phoneNumberId)?.overrideUrl).toBeUndefined();
	});

	test('a missing permission names the permissions to grant', async () => {
		graph.failWhen((r) => r.path.endsWith('/subscribed_apps'), '10');
		const { ctx } = hookContext({ params: { phoneNumberIds: graph.phoneNumberId } });
		const error = await methods.create.call(ctx).then(
			() => undefined,
			(e: { description?: string }) => e,
		);
		expect(error?.description).toContain('whatsapp_business_management');
	});

	test('Manual, or no Cloud API credential: nothing is called', async () => {
		for (const { ctx, calls } of [
			hookContext({ params: { registration: 'manual' } }),
			hookContext({ withCloudCredential: false }),
		]) {
			expect(await methods.checkExists.call(ctx)).toBe(true);
			expect(await methods.create.call(ctx)).toBe(true);
			expect(await methods.delete.call(ctx)).toBe(true);
			expect(calls).toHaveLength(0);
		}
	});

	test('the trigger takes the Cloud API credential as optional and tells where template events go', () => {
		const description = new WhatsAppReliableTrigger().description;
		expect(description.credentials).toContainEqual({ name: 'whatsAppCloudApi', required: false });
		const registration = description.properties.find((p) => p.name === 'registration');
		expect(registration?.default).toBe('automatic');
		expect(
			description.properties.some(
				(p) => p.type === 'notice' && /Template and account events/.test(p.displayName),
			),
		).toBe(true);
	});
});

describe('Check Setup', () => {
	const run = async (params: IDataObject = {}) => {
		const ctx = mockContext({
			params: {
				resource: 'setup',
				operation: 'checkSetup',
				phoneNumberId: '',
				triggerUrl: '',
				...params,
			},
			credentials: graph.credentials(),
		});
		const [items] = await new WhatsAppReliable().execute.call(ctx);
		return Object.fromEntries(items.map((item) => [item.json.check, item.json])) as Record<
			string,
			{ pass: boolean; whatToDo: string; details: IDataObject }
		>;
	};

	test('a working setup passes every check', async () => {
		const url = `${n8nBase}/webhook/wf-1/whatsapp`;
		graph.subscriptions.set(graph.businessAccountId, {});
		graph.addPhoneNumber(graph.phoneNumberId, { overrideUrl: url, publicKey: 'PEM' });
		await postToTrigger('app-secret');
		const checks = await run({ triggerUrl: url });
		expect(Object.keys(checks)).toEqual([
			'token',
			'permissions',
			'phoneNumberStatus',
			'phoneNumberQuality',
			'throughput',
			'wabaSubscribed',
			'callbackUrl',
			'flowPublicKey',
			'triggerEvents',
		]);
		for (const [name, check] of Object.entries(checks)) {
			expect([name, check.pass, check.whatToDo]).toEqual([name, true, '']);
		}
		expect(checks.throughput.details.level).toBe('STANDARD');
		expect(checks.triggerEvents).toMatchObject({
			label: 'Trigger Trigger: events received since start',
			details: {
				trigger: 'Trigger',
				countedIn: 'this n8n process',
				counts: { requests: 1, events: 1, new: 1, duplicate: 0, rejected: {} },
			},
		});
	});

	test('a broken setup fails item by item, each saying what to do', async () => {
		graph.permissions = ['whatsapp_business_messaging'];
		graph.addPhoneNumber(graph.phoneNumberId, {
			status: 'DISCONNECTED',
			qualityRating: 'RED',
			overrideUrl: 'https://127.0.0.1:1/elsewhere',
		});
		expect(await postToTrigger('not-the-app-secret')).toBe(401);
		try {
			const checks = await run({ triggerUrl: `${n8nBase}/webhook/wf-1/whatsapp` });
			expect(checks.token.pass).toBe(true);
			expect(checks.permissions).toMatchObject({ pass: false });
			expect(checks.permissions.whatToDo).toContain('whatsapp_business_management');
			expect(checks.phoneNumberStatus.pass).toBe(false);
			expect(checks.phoneNumberQuality.pass).toBe(false);
			expect(checks.wabaSubscribed.pass).toBe(false);
			expect(checks.wabaSubscribed.whatToDo).toContain('not subscribed');
			expect(checks.callbackUrl.pass).toBe(false);
			expect(checks.callbackUrl.whatToDo).toContain('https://127.0.0.1:1/elsewhere');
			expect(checks.flowPublicKey.pass).toBe(false);
			expect(checks.triggerEvents.pass).toBe(false);
			expect(checks.triggerEvents.whatToDo).toContain('1 × 401 signature');
			expect(checks.triggerEvents.whatToDo).toContain('App Secret');
		} finally {
			graph.permissions = ['whatsapp_business_messaging', 'whatsapp_business_management'];
		}
	});

	test('a trigger published but never called: its item says Meta sends nothing, and what to check', async () => {
		const { ctx } = hookContext({ params: { registration: 'manual' } });
		expect(await methods.checkExists.call(ctx)).toBe(true);
		const checks = await run();
		expect(checks.triggerEvents).toMatchObject({ pass: false, details: { trigger: 'Trigger' } });
		expect(checks.triggerEvents.whatToDo).toContain('No request reached the trigger');
		expect(checks.triggerEvents.whatToDo).toContain('subscribed to the app');
		expect(checks.triggerEvents.whatToDo).toContain('queue mode');
	});

	test('an invalid token fails the token check; unreadable permissions say they are unverified', async () => {
		graph.failWhen(() => true, '190');
		const checks = await run();
		expect(checks.token.pass).toBe(false);
		expect(checks.token.whatToDo).toContain('access token');
		expect(checks.permissions.pass).toBe(false);
		expect(checks.permissions.whatToDo).toContain('unverified');
		expect(checks.callbackUrl).toBeUndefined();
	});
});
