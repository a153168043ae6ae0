/**
 * n8n's queue mode for real (test/support/cluster.ts): Redis, Postgres, one main, two webhook processes
 * and two workers, with this package loaded. A plain n8n Webhook → Set workflow is answered by both
 * webhook processes and run by the workers; a worker killed with SIGKILL leaves the other one working;
 * a restart of the whole cluster keeps the workflow published. Also the shortest example of a
 * queue-mode test.
 */
import { N8nCluster } from '../support/cluster';
import { nodeOutputs } from '../support/workflows';

const WORKFLOW_ID = 'e2eCluster000001';
const WEBHOOK_PATH = 'e2e-cluster';

const workflow = {
	id: WORKFLOW_ID,
	name: 'e2e cluster: webhook → set',
	nodes: [
		{
			id: '6b7e1f0a-4c2d-4e8f-9a1b-3c5d7e9f1a01',
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: '6b7e1f0a-4c2d-4e8f-9a1b-3c5d7e9f1a02',
			parameters: {
				httpMethod: 'POST',
				path: WEBHOOK_PATH,
				responseMode: 'onReceived',
				options: { responseData: 'noData' },
			},
		},
		{
			id: '6b7e1f0a-4c2d-4e8f-9a1b-3c5d7e9f1a03',
			name: 'Set',
			type: 'n8n-nodes-base.set',
			typeVersion: 3.4,
			position: [240, 0],
			parameters: {
				mode: 'raw',
				jsonOutput: '={{ { n: $json.body.n, via: $json.body.via } }}',
				options: {},
			},
		},
	],
	connections: { Webhook: { main: [[{ node: 'Set', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1' },
};

/** Sends requests n = from..to-1, alternating between the webhook processes, `concurrency` at a time. */
async function send(cluster: N8nCluster, from: number, to: number, concurrency: number) {
	const statuses: number[] = [];
	let next = from;
	const lane = async () => {
		while (next < to) {
			const n = next++;
			const via = n % 2;
			const res = await cluster.http('POST', cluster.webhookUrl(via, '', WEBHOOK_PATH), {
				body: { n, via },
			});
			statuses.push(res.status);
		}
	};
	await Promise.all(Array.from({ length: concurrency }, lane));
	return statuses;
}

describe('n8n queue mode (1 main, 2 webhook processes, 2 workers)', () => {
	let cluster: N8nCluster;

	beforeAll(async () => {
		cluster = await N8nCluster.start();
		console.log(
			`cluster started in ${cluster.lastStartMs} ms; RSS (MB): ${JSON.stringify(
				Object.fromEntries(
					Object.entries(cluster.rssKb()).map(([name, kb]) => [name, Math.round(kb / 1024)]),
				),
			)}`,
		);
	});

	afterAll(async () => {
		await cluster?.stop();
	});

	it('answers on both webhook processes and runs every execution on a worker', async () => {
		// Waits until both webhook processes answer a CORS preflight on the path n8n registered.
		await cluster.importAndPublish(workflow);
		expect(await cluster.registeredWebhookPaths(WORKFLOW_ID)).toEqual([`/webhook/${WEBHOOK_PATH}`]);
		// The main serves no production webhooks.
		const onMain = await cluster.http('POST', `/webhook/${WEBHOOK_PATH}`, {
			via: 'main',
			body: { n: -1 },
		});
		expect(onMain.status).toBe(404);

		const statuses = await send(cluster, 0, 40, 10);
		expect(statuses).toEqual(Array(40).fill(200));
		const runs = await cluster.waitForExecutions(WORKFLOW_ID, 40, {
			includeData: true,
			timeoutMs: 120_000,
		});
		expect(runs.map((e) => e.status)).toEqual(Array(40).fill('success'));
		expect(runs.map((e) => nodeOutputs(e, 'Set')[0][0].n).sort((a, b) => a - b)).toEqual(
			Array.from({ length: 40 }, (_, n) => n),
		);
		const workers = cluster.executionWorkers();
		const ranBy = runs.map((e) => workers.get(e.id));
		expect(ranBy.every((w) => w === 0 || w === 1)).toBe(true);
		console.log(
			`executions per worker: ${[0, 1].map((w) => ranBy.filter((r) => r === w).length).join(' / ')}`,
		);
	});

	it('keeps processing on the other worker after one is killed with SIGKILL', async () => {
		await cluster.killWorker(0);
		expect(cluster.workers[0].running()).toBe(false);
		const before = (await cluster.executions(WORKFLOW_ID)).length;

		expect(await send(cluster, 100, 110, 5)).toEqual(Array(10).fill(200));
		const runs = await cluster.waitForExecutions(WORKFLOW_ID, before + 10, { timeoutMs: 120_000 });
		const fresh = runs.slice(before);
		expect(fresh.map((e) => e.status)).toEqual(Array(10).fill('success'));
		const workers = cluster.executionWorkers();
		expect(fresh.map((e) => workers.get(e.id))).toEqual(Array(10).fill(1));

		await cluster.startWorker(0);
		expect(cluster.workers[0].running()).toBe(true);
	});

	it('still answers and runs after a restart of the whole cluster', async () => {
		await cluster.restart();
		console.log(`cluster restarted in ${cluster.lastRestartMs} ms`);
		const before = (await cluster.executions(WORKFLOW_ID)).length;
		const res = await cluster.http('POST', cluster.webhookUrl(1, '', WEBHOOK_PATH), {
			body: { n: 200, via: 1 },
		});
		expect(res.status).toBe(200);
		const runs = await cluster.waitForExecutions(WORKFLOW_ID, before + 1, { includeData: true });
		const last = runs[runs.length - 1];
		expect(last.status).toBe('success');
		expect(nodeOutputs(last, 'Set')[0][0]).toEqual({ n: 200, via: 1 });
		expect(cluster.workerOfExecution(last.id)).toBeDefined();
	});
});
