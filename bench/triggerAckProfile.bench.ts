/**
 * Where the trigger's acknowledgement time goes, step by step, read from n8n's own debug log for
 * sequential requests (concurrency 1): n8n receives the request → our webhook() has judged the body →
 * n8n has stored the execution → n8n starts the trigger node (our execute(), which answers) → the
 * client has the 200 → n8n has saved the execution and the static data. Printed as medians.
 *
 * Needs `npm run build` and the cached n8n; `npm run bench` does both.
 */
import { N8nInstance } from '../test/support/n8n';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../test/support/payloads';

const SECRET = 'bench-profile-secret';
const REQUESTS = Number(process.env.BENCH_PROFILE_REQUESTS ?? 40);

const STEPS: Array<[string, RegExp]> = [
	['n8n received the request', /Received webhook "POST" for path "bench-profile/],
	['webhook() judged the body', /WhatsApp Reliable Trigger: \d+ events/],
	['n8n stored the execution', /Execution for workflow .* was assigned id/],
	['the execution started', /Workflow execution started/],
	['the trigger node ran (answers Meta)', /Running node "WhatsApp Reliable Trigger" finished/],
	['n8n saves execution data and static data', /Save execution data to database/],
];

const median = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

async function main() {
	const n8n = await N8nInstance.start();
	try {
		const credentialId = await n8n.createCredential('whatsAppWebhookApi', 'bench', {
			appSecret: SECRET,
			verifyToken: 'bench',
		});
		const url = n8n.webhookUrl('bench-profile', 'whatsapp');
		await n8n.importAndPublish(
			{
				id: 'benchProfile0001',
				name: 'bench: ack profile',
				nodes: [
					{
						id: 'c0a80001-0000-4000-8000-0000000000a1',
						name: 'WhatsApp Reliable Trigger',
						type: 'n8n-nodes-whatsapp-reliable.whatsAppReliableTrigger',
						typeVersion: 1,
						position: [0, 0],
						webhookId: 'bench-profile',
						parameters: { options: {} },
						credentials: { whatsAppWebhookApi: { id: credentialId, name: 'bench' } },
					},
				],
				connections: {},
				settings: { executionOrder: 'v1' },
			},
			{ probe: `${url}?hub.mode=subscribe` },
		);
		const deltas: number[][] = STEPS.map(() => []);
		const answered: number[] = [];
		for (let i = 0; i < REQUESTS; i++) {
			const raw = Buffer.from(
				metaSerialise(
					body(change(PHONE_A, { messages: [textMessage(`wamid.profile${i}`, 'hi')] })),
				),
			);
			const offset = n8n.logOffset();
			const sent = Date.now();
			const res = await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(raw, SECRET) },
				body: raw,
			});
			await res.arrayBuffer();
			const acked = Date.now();
			await n8n.settle(undefined, { quietMs: 300 });
			const lines = n8n.logText(offset).split('\n');
			const at = STEPS.map(([, pattern]) => {
				const line = lines.find((l) => pattern.test(l));
				return line ? Date.parse(line.split(' ')[0]) : NaN;
			});
			if (i < 5 || at.some(Number.isNaN)) continue; // warm-up, or a step not logged
			at.forEach((t, step) => deltas[step].push(t - sent));
			answered.push(acked - sent);
		}
		console.log(
			`trigger ack profile: medians over ${answered.length} sequential requests, ms since the client sent`,
		);
		console.log('| step | ms |');
		console.log('|---|---|');
		STEPS.forEach(([name], step) =>
			console.log(`| ${name} | ${median(deltas[step]).toFixed(0)} |`),
		);
		console.log(`| the client had the 200 | ${median(answered).toFixed(0)} |`);
	} finally {
		await n8n.stop();
	}
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
