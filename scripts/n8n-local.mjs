// Part of `npm start` (scripts/n8n.sh start), run under the cached Node 24 while n8n starts:
// waits for n8n, logs in as the owner, publishes the example workflows, and prints where everything is.
//
//   node scripts/n8n-local.mjs <base URL> <n8n database.sqlite> [workflow.json ...]
//   env: OWNER_EMAIL, OWNER_PASSWORD
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const [baseUrl, databaseFile, ...workflowFiles] = process.argv.slice(2);
const email = process.env.OWNER_EMAIL;
const password = process.env.OWNER_PASSWORD;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let cookie = '';

async function waitUntil(what, check, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			const value = await check();
			if (value) return value;
		} catch {
			// not yet
		}
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(250);
	}
}

async function rest(method, path, body) {
	const res = await fetch(`${baseUrl}${path}`, {
		method,
		headers: { 'content-type': 'application/json', cookie },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	if (!res.ok) {
		let message = text.slice(0, 300);
		try {
			message = JSON.parse(text).message ?? message;
		} catch {
			// not JSON
		}
		throw new Error(`${method} ${path} answered ${res.status}: ${message}`);
	}
	return text ? JSON.parse(text).data : undefined;
}

async function publish(workflowId) {
	const workflow = await rest('GET', `/rest/workflows/${workflowId}`);
	await rest('POST', `/rest/workflows/${workflowId}/activate`, { versionId: workflow.versionId });
	// Publishing finishes after the 200; the publication status says when, and why not.
	const status = await waitUntil(
		`workflow ${workflowId} to be published`,
		async () => {
			const s = await rest('GET', `/rest/workflows/${workflowId}/publication-status`);
			return s.status === 'in_progress' || s.pendingVersionId ? undefined : s;
		},
		60_000,
	);
	if (status.status !== 'published') {
		const reasons = status.triggers.filter((t) => t.status === 'failed').map((t) => t.errorMessage);
		throw new Error(`${status.status}: ${reasons.join('; ')}`);
	}
	return workflow;
}

function webhookRoutes(workflowId) {
	const db = new DatabaseSync(databaseFile, { readOnly: true });
	try {
		return db
			.prepare(
				'SELECT method, webhookPath, node FROM webhook_entity WHERE workflowId = ? ORDER BY node, method',
			)
			.all(workflowId);
	} finally {
		db.close();
	}
}

await waitUntil(
	'n8n to be ready',
	async () => (await fetch(`${baseUrl}/healthz/readiness`)).status === 200,
	300_000,
);
await waitUntil(
	'the owner login',
	async () => {
		const res = await fetch(`${baseUrl}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: email, password }),
		});
		if (!res.ok) return false;
		cookie = res.headers
			.getSetCookie()
			.find((c) => c.startsWith('n8n-auth='))
			.split(';')[0];
		return true;
	},
	60_000,
);

const lines = [];
let failed = 0;
for (const file of workflowFiles) {
	const { id, name } = JSON.parse(readFileSync(file, 'utf8'));
	try {
		if (!id) throw new Error('the file has no fixed "id"');
		await publish(id);
		lines.push(`  ${name ?? id}  (${basename(file)}, id ${id}): published`);
		for (const route of webhookRoutes(id)) {
			lines.push(
				`    ${route.method.padEnd(6)} ${baseUrl}/webhook/${route.webhookPath}   [${route.node}]`,
			);
		}
	} catch (error) {
		failed += 1;
		lines.push(
			`  ${name ?? id ?? basename(file)}  (${basename(file)}): NOT published: ${error.message}`,
		);
	}
}

console.log(
	[
		'',
		'================ n8n with n8n-nodes-whatsapp-reliable ================',
		`  Editor:   ${baseUrl}/`,
		`  Login:    ${email}`,
		`  Password: ${password}`,
		'',
		workflowFiles.length
			? 'Example workflows and their production webhook URLs:'
			: 'No example workflows in examples/workflows/.',
		...lines,
		'',
		'Press Ctrl-C to stop n8n.',
		'======================================================================',
		'',
	].join('\n'),
);
process.exitCode = failed ? 1 : 0;
