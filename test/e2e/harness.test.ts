/**
 * The harness itself against a real n8n: our package loads, a built-in Webhook workflow is imported and
 * published, each POST gives exactly one execution, and a restart keeps the workflow published.
 * Also the shortest example of how an e2e test uses test/support/n8n.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { N8nInstance, PACKAGE_NAME, REPO_DIR } from '../support/n8n';

const WORKFLOW_ID = 'e2eHarness000001';
const WEBHOOK_PATH = 'e2e-harness';

const workflow = {
	id: WORKFLOW_ID,
	name: 'e2e harness: built-in webhook',
	nodes: [
		{
			id: '5d1c5a2e-7a36-4c4b-9d0e-3b0d5f7c1a01',
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: '8a0f6f0c-9d3e-4b7a-a1c2-2f4e6d8b0c11',
			// The built-in node's path is the whole path: /webhook/<path> (our nodes use /webhook/<webhookId>/<path>).
			parameters: {
				httpMethod: 'POST',
				path: WEBHOOK_PATH,
				responseMode: 'onReceived',
				options: {},
			},
		},
	],
	connections: {},
	settings: { executionOrder: 'v1' },
};

describe('real n8n harness', () => {
	let n8n: N8nInstance;

	beforeAll(async () => {
		n8n = await N8nInstance.start();
	});

	afterAll(async () => {
		await n8n?.stop();
	});

	it('loads this package without errors', async () => {
		const link = path.join(n8n.dir, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME);
		expect(fs.realpathSync(link)).toBe(fs.realpathSync(REPO_DIR));
		expect(n8n.logText()).not.toMatch(new RegExp(`Failed to load package "${PACKAGE_NAME}"`));

		const manifest = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'package.json'), 'utf8'));
		const ours = (await n8n.nodeTypeNames()).filter((name) => name.startsWith(`${PACKAGE_NAME}.`));
		// Each node file gives one type (n8n adds a `…Tool` type for nodes usable as AI tools).
		expect(ours.filter((name) => !name.endsWith('Tool')).length).toBe(manifest.n8n.nodes.length);
		expect(await n8n.credentialTypeNames()).toEqual(
			expect.arrayContaining(['whatsAppWebhookApi', 'whatsAppCloudApi']),
		);
	});

	it('counts one execution per webhook call, before and after a restart', async () => {
		await n8n.importAndPublish(workflow);
		expect(await n8n.executions(WORKFLOW_ID)).toEqual([]);

		const first = await n8n.http('POST', `/webhook/${WEBHOOK_PATH}`, { body: { call: 1 } });
		expect(first.status).toBe(200);
		const one = await n8n.waitForExecutions(WORKFLOW_ID, 1, { includeData: true });
		expect(one.map((e) => e.status)).toEqual(['success']);
		expect(one[0].data.resultData.runData.Webhook[0].data.main[0][0].json.body).toEqual({
			call: 1,
		});

		await n8n.restart();

		const second = await n8n.http('POST', `/webhook/${WEBHOOK_PATH}`, { body: { call: 2 } });
		expect(second.status).toBe(200);
		const two = await n8n.waitForExecutions(WORKFLOW_ID, 2);
		expect(two.map((e) => e.status)).toEqual(['success', 'success']);

		await n8n.unpublish(WORKFLOW_ID);
		expect((await n8n.http('POST', `/webhook/${WEBHOOK_PATH}`, { body: {} })).status).toBe(404);
	});
});
