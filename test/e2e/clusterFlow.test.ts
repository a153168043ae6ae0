/**
 * The WhatsApp Flows data endpoint in n8n's queue mode (test/support/cluster.ts): the request is held
 * by an `n8n webhook` process, the execution runs on a worker, and the WhatsApp Flow Respond node's
 * answer travels back through n8n's own respond-to-webhook path. Meta's client is simulated by
 * test/fixtures/flow/flowClient.ts. Also: a workflow that ends without a respond node is answered
 * with the encrypted timeout message, not with the empty 200 n8n sends in queue mode, and no
 * execution holds an AES key or the private key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { N8nCluster } from '../support/cluster';
import { PACKAGE_NAME, REPO_DIR, type Execution } from '../support/n8n';
import {
	decryptFlowResponseAsClient,
	encryptFlowRequestAsClient,
	signFlowBody,
} from '../fixtures/flow/flowClient';
import { flowTestKeys } from '../fixtures/flow/keys';
import { withFlowCredential } from '../support/workflows';

const keys = flowTestKeys();
const APP_SECRET = 'cluster-flow-app-secret-0123456789';
const TRIGGER = `${PACKAGE_NAME}.whatsAppFlowTrigger`;

const booking = JSON.parse(
	fs.readFileSync(path.join(REPO_DIR, 'examples', 'workflows', 'flow-booking.json'), 'utf8'),
);
const bookingTrigger = booking.nodes.find((n: { type: string }) => n.type === TRIGGER);
const BOOKING = {
	id: booking.id as string,
	hook: bookingTrigger.webhookId,
	path: bookingTrigger.parameters.path,
};

const NO_RESPOND = {
	id: 'clusterFlowNoRsp',
	hook: '5e2a7c1d-8b3f-4a6e-9c0d-1f2e3a4b5c01',
	path: 'cluster-flow-no-respond',
};
const noRespondWorkflow = {
	id: NO_RESPOND.id,
	name: 'cluster e2e flow: no respond node',
	nodes: [
		{
			id: '5e2a7c1d-8b3f-4a6e-9c0d-1f2e3a4b5c02',
			name: 'WhatsApp Flow Trigger',
			type: TRIGGER,
			typeVersion: 1,
			position: [0, 0],
			webhookId: NO_RESPOND.hook,
			parameters: { path: NO_RESPOND.path, options: { timeoutMessage: 'Please try again' } },
		},
		{
			id: '5e2a7c1d-8b3f-4a6e-9c0d-1f2e3a4b5c03',
			name: 'Do nothing',
			type: 'n8n-nodes-base.noOp',
			typeVersion: 1,
			position: [240, 0],
			parameters: {},
		},
	],
	connections: {
		'WhatsApp Flow Trigger': { main: [[{ node: 'Do nothing', type: 'main', index: 0 }], []] },
	},
	settings: { executionOrder: 'v1' },
};

describe('WhatsApp Flow endpoint in n8n queue mode (webhook process holds, worker answers)', () => {
	let cluster: N8nCluster;

	async function post(via: number, hook: string, endpointPath: string, payload: unknown) {
		const request = encryptFlowRequestAsClient(payload, keys.business.publicPem, APP_SECRET);
		const response = await cluster.http('POST', cluster.webhookUrl(via, hook, endpointPath), {
			headers: {
				'content-type': 'application/json',
				'x-hub-signature-256': signFlowBody(request.body, APP_SECRET),
			},
			body: request.body,
		});
		return {
			request,
			response,
			answer: () => decryptFlowResponseAsClient(response.text, request.aesKey, request.iv),
		};
	}

	beforeAll(async () => {
		cluster = await N8nCluster.start();
		const credentialId = await cluster.createCredential(
			'whatsAppFlowEndpointApi',
			'WhatsApp Flow Endpoint',
			{
				privateKey: keys.business.encryptedPkcs8Pem,
				passphrase: keys.passphrase,
				appSecret: APP_SECRET,
			},
		);
		// Live once every webhook process answers a ping (answered there, no execution).
		const pingProbe = (hook: string, endpointPath: string) => async (via: number) =>
			(await post(via, hook, endpointPath, { version: '3.0', action: 'ping' })).response.status ===
			200;
		await cluster.importAndPublish(withFlowCredential(booking, credentialId), {
			probe: pingProbe(BOOKING.hook, BOOKING.path),
		});
		await cluster.importAndPublish(withFlowCredential(noRespondWorkflow, credentialId), {
			probe: pingProbe(NO_RESPOND.hook, NO_RESPOND.path),
		});
	});

	afterAll(async () => {
		await cluster?.stop();
	});

	it('runs INIT → APPOINTMENT → SUMMARY → completion through both webhook processes, answered by the workers', async () => {
		const init = await post(0, BOOKING.hook, BOOKING.path, {
			version: '3.0',
			action: 'INIT',
			flow_token: 'cluster-token',
		});
		expect(init.response.status).toBe(200);
		expect(init.answer()).toMatchObject({ screen: 'APPOINTMENT' });

		const chosen = { service: 'colour', slot: '15:30', name: 'Ana' };
		const summary = await post(1, BOOKING.hook, BOOKING.path, {
			version: '3.0',
			action: 'data_exchange',
			screen: 'APPOINTMENT',
			flow_token: 'cluster-token',
			data: chosen,
		});
		expect(summary.response.status).toBe(200);
		expect(summary.answer()).toEqual({
			screen: 'SUMMARY',
			data: { summary: 'Ana, colour at 15:30', ...chosen },
		});

		const done = await post(0, BOOKING.hook, BOOKING.path, {
			version: '3.0',
			action: 'data_exchange',
			screen: 'SUMMARY',
			flow_token: 'cluster-token',
			data: chosen,
		});
		expect(done.response.status).toBe(200);
		expect(done.answer()).toEqual({
			screen: 'SUCCESS',
			data: { extension_message_response: { params: { ...chosen, flow_token: 'cluster-token' } } },
		});

		const runs: Execution[] = await cluster.waitForExecutions(BOOKING.id, 3, {
			includeData: true,
			timeoutMs: 120_000,
		});
		expect(runs.map((run) => run.status)).toEqual(['success', 'success', 'success']);
		for (const run of runs) expect([0, 1]).toContain(cluster.workerOfExecution(run.id));

		const saved = JSON.stringify(runs);
		for (const exchange of [init, summary, done]) {
			for (const encoding of ['base64', 'hex', 'base64url'] as const)
				expect(saved).not.toContain(exchange.request.aesKey.toString(encoding));
		}
		for (const line of keys.business.encryptedPkcs8Pem
			.split('\n')
			.concat(keys.business.privatePem.split('\n'))
			.filter((l) => l.length > 40 && !l.startsWith('-----')))
			expect(saved).not.toContain(line);
		expect(saved).not.toContain(keys.passphrase);
		expect(saved).not.toContain(APP_SECRET);
	});

	it("answers the encrypted timeout message, not n8n's empty 200, when the workflow ends without a respond node", async () => {
		const ended = await post(1, NO_RESPOND.hook, NO_RESPOND.path, {
			version: '3.0',
			action: 'data_exchange',
			screen: 'PICK',
			flow_token: 't',
			data: {},
		});
		expect(ended.response.status).toBe(200);
		expect(ended.answer()).toEqual({ screen: 'PICK', data: { error_message: 'Please try again' } });

		const init = await post(0, NO_RESPOND.hook, NO_RESPOND.path, {
			version: '3.0',
			action: 'INIT',
			flow_token: 't',
		});
		expect(init.response.status).toBe(500);
		expect(init.answer()).toEqual({ error_msg: 'Please try again' });

		const runs = await cluster.waitForExecutions(NO_RESPOND.id, 2, { timeoutMs: 120_000 });
		expect(runs.map((run) => run.status)).toEqual(['success', 'success']);
		expect(cluster.logText('webhook-1')).toMatch(
			/was not answered by a WhatsApp Flow Respond node/,
		);
	});
});
