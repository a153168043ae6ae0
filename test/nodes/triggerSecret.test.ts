import type { IWebhookFunctions } from 'n8n-workflow';

import { RecentSecrets } from '../../nodes/core/recentSecrets';
import { WhatsAppReliableTrigger } from '../../nodes/WhatsAppReliableTrigger/WhatsAppReliableTrigger.node';
import { resetWorkflowStatesForTests } from '../../nodes/shared/workflowState';
import { FakeWorkflowDatabase } from '../support/n8nStaticData';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../support/payloads';

describe('RecentSecrets', () => {
	it('remembers a secret per credential until it expires', () => {
		const secrets = new RecentSecrets(1000);
		secrets.set('c1', 's1', 0);
		expect(secrets.get('c1', 999)).toBe('s1');
		expect(secrets.get('c2', 999)).toBeUndefined();
		expect(secrets.get('c1', 1000)).toBeUndefined();
	});
});

describe('WhatsApp Reliable Trigger: the app secret', () => {
	const db = new FakeWorkflowDatabase();
	let secret = 'first-secret';
	let reads = 0;
	let sequence = 0;

	async function post(signWith: string) {
		const raw = Buffer.from(
			metaSerialise(
				body(change(PHONE_A, { messages: [textMessage(`wamid.s${sequence++}`, 'x')] })),
			),
		);
		const sent: { status?: number } = {};
		const res = {
			status: (code: number) => ((sent.status = code), res),
			type: () => res,
			set: () => res,
			send: () => res,
			end: () => res,
		};
		const copy = db.begin();
		const ctx = {
			getWebhookName: () => 'default',
			getRequestObject: () => ({
				method: 'POST',
				headers: { 'x-hub-signature-256': sign(raw, signWith) },
				rawBody: raw,
			}),
			getResponseObject: () => res,
			getCredentials: async () => {
				reads++;
				return { appSecret: secret, verifyToken: 't' };
			},
			getNodeParameter: (_name: string, fallback: unknown) => fallback,
			getWorkflow: () => ({ id: 'wf-secret', active: true }),
			getNode: () => ({
				id: 'n1',
				name: 'Trigger',
				credentials: { whatsAppWebhookApi: { id: 'cred-1' } },
			}),
			getWorkflowStaticData: (type: string) => copy.forNode(type, 'Trigger'),
			logger: { warn: () => undefined, info: () => undefined, debug: () => undefined },
		} as unknown as IWebhookFunctions;
		const response = await new WhatsAppReliableTrigger().webhook.call(ctx);
		return response.workflowData ? 'accepted' : sent.status;
	}

	beforeAll(() => resetWorkflowStatesForTests());

	it('reads the credential once for many requests, and again at once when the secret was rotated', async () => {
		expect(await post('first-secret')).toBe('accepted');
		expect(await post('first-secret')).toBe('accepted');
		expect(reads).toBe(1);
		secret = 'rotated-secret';
		expect(await post('rotated-secret')).toBe('accepted');
		expect(reads).toBe(2);
		expect(await post('first-secret')).toBe(401);
		expect(await post('never-the-secret')).toBe(401);
	});
});
