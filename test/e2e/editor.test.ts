/**
 * The editor as an operator sees it, in a real n8n driven by Debian's Chromium (playwright-core; the
 * browser comes from scripts/chromium.sh, nothing is downloaded): login, the node creator, every example
 * workflow, every operation's panel, the credential forms, the trigger's setup steps. Screenshots go to
 * docs/images/ (1280×800), which the README shows.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { N8nInstance, PACKAGE_NAME, REPO_DIR } from '../support/n8n';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const IMAGES = path.join(REPO_DIR, 'docs', 'images');
const EXAMPLES = path.join(REPO_DIR, 'examples', 'workflows');
const type = (name: string) => `${PACKAGE_NAME}.${name}`;

/** Every operation panel to open: the node, its parameters, a screenshot name when one is kept. */
const PANELS: Array<{ node: string; parameters: Json; shot?: string; expects: string[] }> = [
	{ node: 'whatsAppReliableTrigger', parameters: {}, shot: 'trigger', expects: ['Events'] },
	{
		// Queue mode: the State Store choice renders (its credential's form is opened below).
		node: 'whatsAppReliableTrigger',
		parameters: { stateStore: 'redis' },
		expects: ['State Store'],
	},
	{
		node: 'whatsAppReliable',
		parameters: { resource: 'message', operation: 'send' },
		shot: 'send-message',
		expects: ['Message Type', 'To', 'Idempotency Key', 'Correlation ID'],
	},
	{
		node: 'whatsAppReliable',
		parameters: { resource: 'message', operation: 'sendTemplate' },
		shot: 'send-template',
		expects: ['Template', 'Parameter Format', 'Idempotency Key', 'Correlation ID'],
	},
	{
		node: 'whatsAppReliable',
		parameters: { resource: 'message', operation: 'markAsRead' },
		expects: ['Message ID'],
	},
	{
		node: 'whatsAppReliable',
		parameters: { resource: 'media', operation: 'upload' },
		expects: ['Input Binary Field'],
	},
	{
		node: 'whatsAppReliable',
		parameters: { resource: 'media', operation: 'download' },
		expects: ['Media ID'],
	},
	{
		node: 'whatsAppEscalation',
		parameters: { operation: 'route' },
		shot: 'escalation-route',
		expects: ['Rules'],
	},
	{
		node: 'whatsAppEscalation',
		parameters: { operation: 'escalate' },
		shot: 'escalation-escalate',
		expects: ['Reason', 'Priority'],
	},
	{ node: 'whatsAppEscalation', parameters: { operation: 'release' }, expects: ['Return To'] },
	{ node: 'whatsAppEscalation', parameters: { operation: 'get' }, expects: ['Transcript Lines'] },
	{
		node: 'whatsAppFlowTrigger',
		parameters: { path: 'flow' },
		shot: 'flow-trigger',
		expects: ['Path'],
	},
	{
		node: 'whatsAppFlowRespond',
		parameters: { respondWith: 'nextScreen' },
		shot: 'flow-respond',
		expects: ['Respond With', 'Screen'],
	},
];

/**
 * n8n's node creator merges a node and the trigger whose type name is the node's plus "Trigger" into one
 * entry, and gives that entry the trigger's description (n8n 2.41, generateMergedNodesAndActions).
 */
const ENTRY_DESCRIBED_BY: Record<string, string> = { whatsAppReliable: 'whatsAppReliableTrigger' };

/** Searches in the node creator and the nodes each must list (display name and own description). */
const SEARCHES: Record<string, string[]> = {
	WhatsApp: [
		'whatsAppReliable',
		'whatsAppEscalation',
		'whatsAppFlowTrigger',
		'whatsAppFlowRespond',
	],
	handoff: ['whatsAppEscalation'],
	human: ['whatsAppEscalation'],
	flow: ['whatsAppFlowTrigger', 'whatsAppFlowRespond'],
};

describe('the editor in a real browser', () => {
	let n8n: N8nInstance;
	let browser: BrowserContext;
	let page: Page;
	let profile: string;
	const credentials: Record<string, string> = {};
	const descriptions: Record<
		string,
		{ displayName: string; description: string; defaultVersion?: number }
	> = {};

	const shot = async (name: string) => {
		await page.screenshot({ path: path.join(IMAGES, `${name}.png`) });
	};

	beforeAll(async () => {
		const executablePath = execFileSync('bash', [path.join(REPO_DIR, 'scripts', 'chromium.sh')], {
			encoding: 'utf8',
		}).trim();
		n8n = await N8nInstance.start();
		profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-e2e-'));
		// A fresh profile per run (the user-data-dir), removed afterwards.
		browser = await chromium.launchPersistentContext(profile, {
			executablePath,
			headless: true,
			viewport: { width: 1280, height: 800 },
			args: [
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
			],
		});
		page = browser.pages()[0] ?? (await browser.newPage());
		page.setDefaultTimeout(20_000);
		fs.mkdirSync(IMAGES, { recursive: true });
		credentials.whatsAppWebhookApi = await n8n.createCredential(
			'whatsAppWebhookApi',
			'WhatsApp Webhook',
			{
				appSecret: '0123456789abcdef0123456789abcdef',
				verifyToken: 'editor-verify-token',
			},
		);
		credentials.whatsAppCloudApi = await n8n.createCredential(
			'whatsAppCloudApi',
			'WhatsApp Cloud API',
			{
				accessToken: 'editor-token',
				phoneNumberId: '106540352242922',
				businessAccountId: '',
				graphApiVersion: 'v23.0',
				baseUrl: 'http://127.0.0.1:9',
			},
		);
		credentials.whatsAppRedisApi = await n8n.createCredential(
			'whatsAppRedisApi',
			'WhatsApp State Redis',
			{ host: '127.0.0.1', port: 9, database: 0, user: '', password: '', ssl: false },
		);
		// The AI agent example's chat model credential (n8n's own type).
		credentials.openAiApi = await n8n.createCredential('openAiApi', 'OpenAI-compatible Chat API', {
			apiKey: 'editor-key',
			url: 'http://127.0.0.1:9/v1',
		});
		const types = await n8n.rest<Json[]>('GET', '/types/nodes.json');
		for (const t of types) {
			if (t.name.startsWith(`${PACKAGE_NAME}.`))
				descriptions[t.name.slice(PACKAGE_NAME.length + 1)] = t;
		}
	});

	afterAll(async () => {
		await browser?.close();
		if (profile) fs.rmSync(profile, { recursive: true, force: true });
		await n8n?.stop();
	});

	it('logs in as the owner', async () => {
		await page.goto(n8n.url('/signin'));
		await page.locator('input[type="email"]').fill(n8n.ownerEmail);
		await page.locator('input[type="password"]').fill(n8n.ownerPassword);
		await page.keyboard.press('Enter');
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
	});

	it.each(Object.entries(SEARCHES))(
		'the node creator finds our nodes under "%s"',
		async (term, nodes) => {
			await page.goto(n8n.url('/workflow/new'));
			await page
				.locator('[data-test-id="canvas-plus-button"], [data-test-id="canvas-add-button"]')
				.first()
				.click();
			const search = page
				.locator(
					'[data-test-id="node-creator-search-bar"] input, [data-test-id="node-creator-search-bar"]',
				)
				.first();
			await search.fill(term);
			const list = page.locator('[data-test-id="node-creator"]');
			for (const node of nodes) {
				const { displayName } = descriptions[node];
				const { description } = descriptions[ENTRY_DESCRIBED_BY[node] ?? node];
				const item = list
					.locator('[data-test-id="item-iterator-item"]', { hasText: displayName })
					.first();
				await item.waitFor();
				expect(await item.innerText()).toContain(description.slice(0, 40));
			}
			await shot(`node-creator-${term.toLowerCase()}`);
		},
	);

	it.each(fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')))(
		'example %s opens with no node issues',
		async (file) => {
			const text = fs
				.readFileSync(path.join(EXAMPLES, file), 'utf8')
				.replaceAll('"whatsAppWebhookCredential"', JSON.stringify(credentials.whatsAppWebhookApi))
				.replaceAll('"whatsAppCloudApiCredential"', JSON.stringify(credentials.whatsAppCloudApi))
				.replaceAll('"openAiCompatibleCredential"', JSON.stringify(credentials.openAiApi));
			const workflow = JSON.parse(text);
			const id = await n8n.importWorkflow(workflow);
			await page.goto(n8n.url(`/workflow/${id}`));
			await page.locator('[data-test-id="canvas-node"]').first().waitFor();
			await page.waitForTimeout(500);
			expect(await page.locator('[data-test-id="canvas-node"]').count()).toBeGreaterThan(1);
			expect(await page.locator('[data-test-id="node-issues"]').count()).toBe(0);
			await shot(`example-${path.basename(file, '.json')}`);
		},
	);

	it.each(PANELS.map((p) => [`${p.node} ${JSON.stringify(p.parameters)}`, p] as const))(
		'the panel of %s renders its parameters',
		async (_, panel) => {
			const node = {
				id: 'panel-node',
				name: descriptions[panel.node].displayName,
				type: type(panel.node),
				// What a new node gets (WhatsApp Reliable: 1.1, with the idempotency key in plain view).
				typeVersion: descriptions[panel.node].defaultVersion ?? 1,
				position: [0, 0],
				parameters: panel.parameters,
				...(panel.node === 'whatsAppReliableTrigger' ? { webhookId: 'editor-trigger' } : {}),
			};
			const id = await n8n.importWorkflow({
				name: `Panel ${panel.node}`,
				nodes: [node],
				connections: {},
			});
			await page.goto(n8n.url(`/workflow/${id}`));
			await page.locator('[data-test-id="canvas-node"]').first().dblclick();
			const ndv = page.locator('[data-test-id="ndv"]');
			await ndv.waitFor();
			for (const label of panel.expects) {
				await ndv
					.locator('[data-test-id="parameter-input"], .parameter-item', { hasText: label })
					.first()
					.waitFor()
					.catch(async () => {
						await ndv.getByText(label, { exact: true }).first().waitFor();
					});
			}
			if (panel.shot) await shot(`panel-${panel.shot}`);
			if (panel.node === 'whatsAppReliableTrigger') {
				// The setup steps are separate elements, not one run-together paragraph.
				const step1 = ndv.getByText(/^Step 1:/);
				const step2 = ndv.getByText(/^Step 2:/);
				await step1.first().waitFor();
				expect(await step1.count()).toBe(1);
				expect(await step2.count()).toBe(1);
				expect(await step1.first().innerText()).not.toContain('Step 2');
			}
			await page.keyboard.press('Escape');
		},
	);

	it.each(['whatsAppWebhookApi', 'whatsAppCloudApi', 'whatsAppRedisApi'])(
		'the %s credential form opens',
		async (credentialType) => {
			await page.goto(n8n.url(`/home/credentials/${credentials[credentialType]}`));
			const modal = page.locator('[data-test-id="editCredential-modal"]');
			await modal.waitFor();
			await modal
				.locator('[data-test-id="credential-connection-parameter"], .parameter-item')
				.first()
				.waitFor();
			await shot(`credential-${credentialType}`);
		},
	);
});
