/**
 * A real n8n (the pinned version from scripts/n8n.sh, run under its Node 24) for end-to-end tests.
 *
 * Each instance gets a fresh temporary user folder with this package linked into
 * `.n8n/nodes/node_modules/n8n-nodes-whatsapp-reliable` (n8n loads `dist/`, so `npm run build` must have
 * run), free ports on 127.0.0.1, an owner managed by the environment, a logged-in REST session and an API
 * key for the public API. n8n's stdout and stderr go to a log file that `logText()` reads.
 *
 *   const n8n = await N8nInstance.start();
 *   afterAll(() => n8n.stop());
 *   await n8n.importAndPublish(workflowJson);
 *   await n8n.http('POST', n8n.webhookUrl(webhookId, 'whatsapp'), { body: payload });
 *   const runs = await n8n.waitForExecutions(workflowJson.id, 1);
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { logSize, readLog, REAPER } from './processes';

// A start takes 15-20 s and a restart 10-15 s on 2 cores: e2e tests get minutes, not jest's default 5 s.
if (typeof jest !== 'undefined') jest.setTimeout(180_000);

/** The repository root: the nearest folder up that holds scripts/n8n.sh (also from compiled benchmarks). */
export const REPO_DIR = (() => {
	let dir = __dirname;
	while (!fs.existsSync(path.join(dir, 'scripts', 'n8n.sh'))) {
		const parent = path.dirname(dir);
		if (parent === dir) throw new Error(`no scripts/n8n.sh above ${__dirname}`);
		dir = parent;
	}
	return dir;
})();
export const PACKAGE_NAME = 'n8n-nodes-whatsapp-reliable';

export interface StartOptions {
	/** n8n's HTTP port (default: a free port). The task-runner broker always gets its own free port. */
	port?: number;
	/** Extra environment for n8n; overrides the defaults (e.g. `{ N8N_LOG_LEVEL: 'debug' }`). */
	env?: Record<string, string>;
	/** How long to wait for readiness, per start (default 120 s). */
	startTimeoutMs?: number;
	/**
	 * Another installed n8n version than the pinned one (its cache must be installed); `1.x` is the 1.x
	 * scripts/n8n.sh tests (`N8N_VERSION=1.x bash scripts/n8n.sh install`).
	 */
	n8nVersion?: string;
}

export interface Execution {
	id: string;
	finished: boolean;
	mode: string;
	status: string;
	startedAt: string;
	stoppedAt: string | null;
	workflowId: string;
	retryOf?: string | null;
	/** Only with `includeData: true`: `data.resultData.runData[nodeName][run].data.main[output][item].json`. */
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	data?: any;
}

export interface HttpResponse {
	status: number;
	headers: Headers;
	text: string;
	/** The body parsed as JSON (throws if it is not JSON). */
	json<T = unknown>(): T;
}

export interface HttpOptions {
	headers?: Record<string, string>;
	/** A string or Buffer is sent as is; anything else as JSON (content-type set unless given). */
	body?: unknown;
}

export interface PublishOptions {
	/**
	 * Also wait until this answers something other than 404: a URL or path polled with GET, or a function
	 * that resolves true when ready. Kept and polled again after `restart()`.
	 */
	probe?: string | (() => Promise<boolean>);
	timeoutMs?: number;
}

export interface WaitOptions {
	timeoutMs?: number;
	/** After the count is reached, how long no further execution may arrive (default 1 s). */
	quietMs?: number;
}

/** Execution statuses that will not change any more. */
export const FINISHED_STATUSES = ['success', 'error', 'crashed', 'canceled'];

export interface CachePaths {
	N8N_VERSION: string;
	N8N_HOME: string;
	NODE_BIN: string;
	N8N_MODULES: string;
	N8N_CLI: string;
	READY: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The cache layout comes from scripts/n8n.sh, the one place that knows the pinned versions; another
 * n8n version has its own cache beside it (`N8N_VERSION=<version> bash scripts/n8n.sh install`).
 */
export function cachePaths(n8nVersion?: string): CachePaths {
	const out = execFileSync('bash', [path.join(REPO_DIR, 'scripts', 'n8n.sh'), 'paths'], {
		encoding: 'utf8',
		env: { ...process.env, N8N_VERSION: n8nVersion ?? '' },
	});
	const entries = out
		.trim()
		.split('\n')
		.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
	return Object.fromEntries(entries) as CachePaths;
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

export async function waitFor<T>(
	what: string,
	check: () => Promise<T | undefined | false>,
	timeoutMs: number,
	intervalMs = 100,
	onTimeout?: () => string,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	for (;;) {
		try {
			const value = await check();
			if (value !== undefined && value !== false) return value;
		} catch (error) {
			if (error instanceof FatalError) throw error;
			lastError = error;
		}
		if (Date.now() > deadline) {
			const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
			throw new Error(
				`Timed out after ${timeoutMs} ms waiting for ${what}${detail}${onTimeout ? `\n${onTimeout()}` : ''}`,
			);
		}
		await sleep(intervalMs);
	}
}

/** An error that stops a wait at once (e.g. n8n exited). */
export class FatalError extends Error {}

/**
 * The environment every n8n process of these tests starts from: the outer environment without anything
 * n8n-specific (jest's NODE_ENV=test makes n8n exit 1 without a word), the cache's Node 24 first on PATH,
 * and a quiet, local n8n with its user folder `dir`, HTTP on 127.0.0.1:`port` and its task-runner broker
 * on `brokerPort`. `N8nInstance` adds the owner and log settings; test/support/cluster.ts the queue mode.
 */
export function n8nProcessEnv(
	paths: CachePaths,
	opts: { dir: string; port: number; brokerPort: number },
): Record<string, string> {
	const inherited = Object.fromEntries(
		Object.entries(process.env).filter(
			([key, value]) =>
				value !== undefined &&
				!/^(N8N_|DB_|EXECUTIONS_|QUEUE_|JEST_|npm_|WEBHOOK_URL$|NODE_OPTIONS$|NODE_ENV$)/.test(key),
		),
	) as Record<string, string>;
	const baseUrl = `http://127.0.0.1:${opts.port}`;
	return {
		...inherited,
		PATH: `${paths.NODE_BIN}${path.delimiter}${process.env.PATH ?? ''}`,
		NODE_ENV: 'production',
		NO_COLOR: '1',
		N8N_USER_FOLDER: opts.dir,
		N8N_PORT: String(opts.port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_WEBHOOK_URL: `${baseUrl}/`,
		N8N_EDITOR_BASE_URL: `${baseUrl}/`,
		N8N_RUNNERS_BROKER_PORT: String(opts.brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
	};
}

export class N8nInstance {
	readonly baseUrl: string;
	readonly ownerEmail = 'owner@example.com';
	readonly ownerPassword = `Wa1-${randomBytes(9).toString('base64url')}`;
	/** The public API key (header `X-N8N-API-KEY`). */
	apiKey = '';
	/** How long the last start took until n8n was ready (ms). */
	lastStartMs = 0;
	/** The n8n version running, e.g. `2.41.1`. */
	readonly n8nVersion: string;
	/**
	 * n8n 1.x: no owner managed by the environment (it is set up once through the REST API), no
	 * publication status (activation completes within the activate call), no `mcp-registry` module.
	 */
	readonly isV1: boolean;

	private child: ChildProcess | undefined;
	private exited: Promise<void> = Promise.resolve();
	private cookie = '';
	private starts = 0;
	private readonly logFile: string;
	private readonly published = new Map<string, PublishOptions['probe'] | undefined>();

	private constructor(
		readonly dir: string,
		readonly port: number,
		readonly brokerPort: number,
		private readonly paths: CachePaths,
		private readonly env: Record<string, string>,
		private readonly startTimeoutMs: number,
	) {
		this.baseUrl = `http://127.0.0.1:${port}`;
		this.n8nVersion = paths.N8N_VERSION;
		this.isV1 = paths.N8N_VERSION.startsWith('1.');
		this.logFile = path.join(dir, 'n8n.log');
	}

	/** Starts a fresh n8n with this package loaded; resolves once it is ready and logged in. */
	static async start(opts: StartOptions = {}): Promise<N8nInstance> {
		const paths = cachePaths(opts.n8nVersion);
		if (paths.READY !== '1') {
			throw new Error(
				`n8n ${paths.N8N_VERSION} is not installed in ${paths.N8N_HOME}: run \`N8N_VERSION=${paths.N8N_VERSION} bash scripts/n8n.sh install\``,
			);
		}
		if (!fs.existsSync(path.join(REPO_DIR, 'dist'))) {
			throw new Error('dist/ is missing: run `npm run build` before the e2e tests');
		}
		const port = opts.port ?? (await freePort());
		let brokerPort = await freePort();
		while (brokerPort === port) brokerPort = await freePort();

		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-'));
		const nodesDir = path.join(dir, '.n8n', 'nodes', 'node_modules');
		fs.mkdirSync(nodesDir, { recursive: true });
		fs.symlinkSync(REPO_DIR, path.join(nodesDir, PACKAGE_NAME), 'dir');

		const instance = new N8nInstance(
			dir,
			port,
			brokerPort,
			paths,
			opts.env ?? {},
			opts.startTimeoutMs ?? 120_000,
		);
		try {
			await instance.spawnAndWait();
			if (instance.isV1) await instance.setupOwner();
			await instance.login();
			const scopes = await instance.rest<string[]>('GET', '/rest/api-keys/scopes');
			const key = await instance.rest<{ rawApiKey: string }>('POST', '/rest/api-keys', {
				label: 'e2e',
				expiresAt: null,
				scopes,
			});
			instance.apiKey = key.rawApiKey;
		} catch (error) {
			await instance.stop();
			throw error;
		}
		return instance;
	}

	/** `http://127.0.0.1:<port><path>` */
	url(urlPath: string): string {
		return `${this.baseUrl}${urlPath.startsWith('/') ? '' : '/'}${urlPath}`;
	}

	/** Production URL of a node's webhook whose description path is `webhookPath`: `/webhook/<webhookId>/<path>`. */
	webhookUrl(webhookId: string, webhookPath: string): string {
		return this.url(`/webhook/${webhookId}/${webhookPath.replace(/^\//, '')}`);
	}

	/** Everything n8n has logged so far (all starts), without colour codes. */
	logText(sinceOffset = 0): string {
		return readLog(this.logFile, sinceOffset);
	}

	/** The current length of the log, to read only what comes after with `logText(offset)`. */
	logOffset(): number {
		return logSize(this.logFile);
	}

	/** Waits until the log (after `sinceOffset`) matches. */
	async waitForLog(
		pattern: RegExp | string,
		opts: { sinceOffset?: number; timeoutMs?: number } = {},
	): Promise<string> {
		const matches = (text: string) =>
			typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
		return await waitFor(
			`log to match ${String(pattern)}`,
			async () => {
				const text = this.logText(opts.sinceOffset ?? 0);
				return matches(text) ? text : undefined;
			},
			opts.timeoutMs ?? 30_000,
			200,
		);
	}

	/** A plain HTTP request to this n8n (webhooks, health); never throws on a status code. */
	async http(method: string, urlOrPath: string, opts: HttpOptions = {}): Promise<HttpResponse> {
		const headers: Record<string, string> = { ...opts.headers };
		let body: string | Buffer | undefined;
		if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) {
			body = opts.body;
		} else if (opts.body !== undefined) {
			body = JSON.stringify(opts.body);
			if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
				headers['content-type'] = 'application/json';
			}
		}
		const res = await fetch(urlOrPath.startsWith('http') ? urlOrPath : this.url(urlOrPath), {
			method,
			headers,
			body,
		});
		const text = await res.text();
		return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
	}

	/** A call to n8n's internal REST API with the owner's session; returns the response's `data`. */
	async rest<T = Json>(method: string, restPath: string, body?: unknown): Promise<T> {
		const doRequest = async () =>
			await fetch(this.url(restPath), {
				method,
				headers: { 'content-type': 'application/json', cookie: this.cookie },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
		let res = await doRequest();
		if (res.status === 401 && !restPath.startsWith('/rest/login')) {
			await this.login();
			res = await doRequest();
		}
		const text = await res.text();
		if (!res.ok)
			throw new Error(`${method} ${restPath} answered ${res.status}: ${text.slice(0, 500)}`);
		const parsed = text ? JSON.parse(text) : {};
		return (parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed) as T;
	}

	/** A call to the public API (`/api/v1/...`) with the API key; returns the parsed body. */
	async api<T = Json>(method: string, apiPath: string, body?: unknown): Promise<T> {
		const res = await fetch(this.url(`/api/v1${apiPath}`), {
			method,
			headers: { 'content-type': 'application/json', 'X-N8N-API-KEY': this.apiKey },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok)
			throw new Error(`${method} /api/v1${apiPath} answered ${res.status}: ${text.slice(0, 500)}`);
		return (text ? JSON.parse(text) : {}) as T;
	}

	/**
	 * Creates the workflow with the `id` it carries (or replaces the one with that id); returns the id.
	 * Accepts an n8n export: only name, nodes, connections, settings, pinData and meta are taken.
	 */
	async importWorkflow(workflowJson: Json): Promise<string> {
		const { id, name, nodes, connections, settings, pinData, meta } = workflowJson;
		const payload: Json = {
			name: name ?? `Workflow ${id ?? ''}`.trim(),
			nodes,
			connections: connections ?? {},
			settings: settings ?? { executionOrder: 'v1' },
			...(pinData ? { pinData } : {}),
			...(meta ? { meta } : {}),
		};
		if (id) {
			const exists = await this.rest<{ exists: boolean } | boolean>(
				'GET',
				`/rest/workflows/${id}/exists`,
			).catch(() => false);
			if (exists === true || (typeof exists === 'object' && exists.exists)) {
				const current = await this.rest('GET', `/rest/workflows/${id}`);
				await this.rest('PATCH', `/rest/workflows/${id}`, {
					...payload,
					versionId: current.versionId,
				});
				return id;
			}
		}
		// n8n 1.x stores a new workflow's `active` as given, and requires it.
		if (this.isV1) payload.active = false;
		const created = await this.rest('POST', '/rest/workflows', id ? { ...payload, id } : payload);
		return created.id as string;
	}

	/**
	 * Publishes (activates) the workflow's current version and waits until n8n reports it published, i.e.
	 * all its triggers and webhooks are registered. Throws with n8n's reason if a trigger failed.
	 */
	async publish(workflowId: string, opts: PublishOptions = {}): Promise<void> {
		const workflow = await this.rest('GET', `/rest/workflows/${workflowId}`);
		await this.rest('POST', `/rest/workflows/${workflowId}/activate`, {
			versionId: workflow.versionId,
		});
		this.published.set(workflowId, opts.probe);
		await this.waitForPublished(workflowId, workflow.versionId as string, opts);
	}

	/** Unpublishes (deactivates) a workflow; its production webhooks then answer 404. */
	async unpublish(workflowId: string, opts: { timeoutMs?: number } = {}): Promise<void> {
		await this.rest('POST', `/rest/workflows/${workflowId}/deactivate`, {});
		this.published.delete(workflowId);
		// Like publishing, taking triggers down happens after the 200 (on 2.x; 1.x has no publication status).
		await waitFor(
			`workflow ${workflowId} to be unpublished`,
			async () =>
				this.isV1
					? (await this.rest('GET', `/rest/workflows/${workflowId}`)).active === false
					: (await this.rest('GET', `/rest/workflows/${workflowId}/publication-status`)).status ===
						'not_published',
			opts.timeoutMs ?? 30_000,
		);
	}

	/** `importWorkflow` + `publish`; returns the workflow id. */
	async importAndPublish(workflowJson: Json, opts: PublishOptions = {}): Promise<string> {
		const id = await this.importWorkflow(workflowJson);
		await this.publish(id, opts);
		return id;
	}

	/** Creates a credential and returns its id, to put in a node's `credentials: { <type>: { id, name } }`. */
	async createCredential(
		type: string,
		name: string,
		data: Record<string, unknown>,
	): Promise<string> {
		const created = await this.rest('POST', '/rest/credentials', { type, name, data });
		return created.id as string;
	}

	/** Names of the node types n8n loaded (ours are `n8n-nodes-whatsapp-reliable.<name>`). */
	async nodeTypeNames(): Promise<string[]> {
		const types = await this.rest<Array<{ name: string }>>('GET', '/types/nodes.json');
		return [...new Set(types.map((t) => t.name))];
	}

	/** Names of the credential types n8n loaded. */
	async credentialTypeNames(): Promise<string[]> {
		const types = await this.rest<Array<{ name: string }>>('GET', '/types/credentials.json');
		return types.map((t) => t.name);
	}

	/** Finished (and failed) executions of a workflow, oldest first, through the public API. */
	async executions(
		workflowId: string,
		opts: { includeData?: boolean; status?: string } = {},
	): Promise<Execution[]> {
		const all: Execution[] = [];
		let cursor: string | undefined;
		do {
			const query = new URLSearchParams({ workflowId, limit: '250' });
			if (opts.includeData) {
				query.set('includeData', 'true');
				// n8n 1.x's public API refuses this parameter as unknown.
				if (!this.isV1) query.set('ignoreDataSizeLimit', 'true');
			}
			if (opts.status) query.set('status', opts.status);
			if (cursor) query.set('cursor', cursor);
			const page = await this.api<{ data: Execution[]; nextCursor: string | null }>(
				'GET',
				`/executions?${query}`,
			);
			all.push(...page.data);
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		return all.sort((a, b) => Number(a.id) - Number(b.id));
	}

	/** One execution with its data. */
	async execution(executionId: string): Promise<Execution> {
		return await this.api<Execution>(
			'GET',
			`/executions/${executionId}?includeData=true${this.isV1 ? '' : '&ignoreDataSizeLimit=true'}`,
		);
	}

	/**
	 * Waits until at least `count` executions of the workflow have finished, then for `quietMs` in which no
	 * further one arrives and none is running; returns them all (oldest first).
	 */
	async waitForExecutions(
		workflowId: string,
		count: number,
		opts: WaitOptions & { includeData?: boolean } = {},
	): Promise<Execution[]> {
		const timeoutMs = opts.timeoutMs ?? 60_000;
		let seen: Execution[] = [];
		await waitFor(
			`${count} finished execution(s) of workflow ${workflowId}`,
			async () => {
				seen = (await this.executions(workflowId)).filter((e) =>
					FINISHED_STATUSES.includes(e.status),
				);
				return seen.length >= count;
			},
			timeoutMs,
			200,
			() => `seen ${seen.length}: ${seen.map((e) => `${e.id}:${e.status}`).join(', ')}`,
		);
		return await this.settle(workflowId, {
			quietMs: opts.quietMs,
			timeoutMs,
			includeData: opts.includeData,
		});
	}

	/**
	 * Waits until no execution (of the workflow, or of any) is running and the set of finished ones has not
	 * changed for `quietMs`; returns the workflow's executions (all workflows' when no id is given).
	 */
	async settle(
		workflowId?: string,
		opts: WaitOptions & { includeData?: boolean } = {},
	): Promise<Execution[]> {
		const quietMs = opts.quietMs ?? 1000;
		const list = async (status?: string) => {
			if (workflowId) return await this.executions(workflowId, { status });
			const query = new URLSearchParams({ limit: '250', ...(status ? { status } : {}) });
			return (await this.api<{ data: Execution[] }>('GET', `/executions?${query}`)).data;
		};
		let signature = '';
		let stableSince = Date.now();
		await waitFor(
			'executions to settle',
			async () => {
				// n8n 1.x's public API has no status filter `new`.
				const [done, running, fresh] = await Promise.all([
					list(),
					list('running'),
					this.isV1 ? [] : list('new'),
				]);
				const now = `${done.map((e) => `${e.id}:${e.status}`).join(',')}|${running.length + fresh.length}`;
				if (now !== signature || running.length + fresh.length > 0) {
					signature = now;
					stableSince = Date.now();
					return false;
				}
				return Date.now() - stableSince >= quietMs;
			},
			opts.timeoutMs ?? 60_000,
			150,
		);
		if (!workflowId) return await list();
		return await this.executions(workflowId, { includeData: opts.includeData });
	}

	/**
	 * Stops n8n (SIGTERM, as a deployment would; or SIGKILL to the whole process group with `hardKill`,
	 * as a crash or an out-of-memory kill would) and starts it again on the same folder and ports;
	 * resolves when it is ready, logged in, and every workflow published through this instance is
	 * published again.
	 */
	async restart(opts: { hardKill?: boolean } = {}): Promise<void> {
		if (opts.hardKill) this.killNow();
		await this.terminate();
		await this.spawnAndWait();
		await this.login();
		for (const [workflowId, probe] of this.published) {
			const workflow = await this.rest('GET', `/rest/workflows/${workflowId}`);
			await this.waitForPublished(workflowId, workflow.activeVersionId ?? workflow.versionId, {
				probe,
			});
		}
	}

	/** Stops n8n (SIGTERM, SIGKILL after 20 s) and removes its folder (kept when N8N_E2E_KEEP=1). */
	async stop(): Promise<void> {
		await this.terminate();
		if (process.env.N8N_E2E_KEEP === '1') {
			console.log(`n8n folder kept: ${this.dir} (log: ${this.logFile})`);
		} else {
			fs.rmSync(this.dir, { recursive: true, force: true });
		}
	}

	/** Kills n8n and its task runner at once. */
	private killNow(): void {
		const pid = this.child?.pid;
		if (pid === undefined || this.child?.exitCode !== null || this.child?.signalCode !== null)
			return;
		try {
			process.kill(-pid, 'SIGKILL');
		} catch {
			// already gone
		}
	}

	/** Resident memory of n8n's main process and its children (kB), read from /proc. */
	rssKb(): number {
		const pid = this.child?.pid;
		if (pid === undefined) return 0;
		let total = 0;
		for (const entry of fs.readdirSync('/proc')) {
			if (!/^\d+$/.test(entry)) continue;
			try {
				const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
				const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
				if (Number(fields[2]) !== pid) continue; // process group
				const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
				total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
			} catch {
				// process ended meanwhile
			}
		}
		return total;
	}

	private buildEnv(): Record<string, string> {
		const bcrypt = require(path.join(this.paths.N8N_MODULES, 'bcryptjs')) as {
			hashSync(s: string, r: number): string;
		};
		return {
			...n8nProcessEnv(this.paths, {
				dir: this.dir,
				port: this.port,
				brokerPort: this.brokerPort,
			}),
			// n8n 1.x refuses modules it does not know, and sets its owner up through the REST API.
			...(this.isV1
				? {}
				: {
						N8N_DISABLED_MODULES: 'mcp-registry',
						N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
						N8N_INSTANCE_OWNER_EMAIL: this.ownerEmail,
						N8N_INSTANCE_OWNER_PASSWORD_HASH: bcrypt.hashSync(this.ownerPassword, 10),
					}),
			N8N_LOG_LEVEL: 'debug',
			N8N_LOG_OUTPUT: 'console',
			...this.env,
		};
	}

	private async spawnAndWait(): Promise<void> {
		const started = Date.now();
		const logStart = this.logOffset();
		const fd = fs.openSync(this.logFile, 'a');
		this.starts += 1;
		fs.writeSync(fd, `\n===== e2e harness: start #${this.starts} on port ${this.port} =====\n`);
		const child = spawn(path.join(this.paths.NODE_BIN, 'node'), [this.paths.N8N_CLI, 'start'], {
			cwd: this.dir,
			env: this.buildEnv(),
			stdio: ['ignore', fd, fd],
			detached: true, // own process group: n8n and its task runner are stopped together
		});
		fs.closeSync(fd);
		this.child = child;
		this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
		spawn(
			'bash',
			['-c', REAPER, 'n8n-e2e-reaper', String(process.pid), String(child.pid), this.dir],
			{
				detached: true,
				stdio: 'ignore',
				env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KEEP: process.env.N8N_E2E_KEEP ?? '' },
			},
		).unref();
		const tail = () =>
			`--- n8n log (last 60 lines) ---\n${this.logText(logStart).split('\n').slice(-60).join('\n')}`;
		const exitedEarly = async () => {
			if (child.exitCode !== null || child.signalCode !== null) {
				throw new FatalError(
					`n8n exited (${child.exitCode ?? child.signalCode}) before it was ready\n${tail()}`,
				);
			}
		};
		await waitFor(
			`n8n readiness on ${this.baseUrl}`,
			async () => {
				await exitedEarly();
				const res = await fetch(this.url('/healthz/readiness'));
				return res.status === 200;
			},
			this.startTimeoutMs,
			200,
			tail,
		);
		// Printed at the very end of start-up, after published workflows were handed to activation.
		await waitFor(
			'the end of n8n start-up',
			async () => {
				await exitedEarly();
				return this.logText(logStart).includes('Editor is now accessible via');
			},
			// On a busy machine this line can come long after readiness.
			this.startTimeoutMs,
			100,
			tail,
		);
		this.lastStartMs = Date.now() - started;
	}

	/** n8n 1.x: creates the owner on the first start (2.x takes it from the environment). */
	private async setupOwner(): Promise<void> {
		const res = await fetch(this.url('/rest/owner/setup'), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				email: this.ownerEmail,
				firstName: 'Owner',
				lastName: 'E2e',
				password: this.ownerPassword,
			}),
		});
		if (!res.ok)
			throw new Error(`owner setup answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
	}

	private async login(): Promise<void> {
		const res = await fetch(this.url('/rest/login'), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: this.ownerEmail, password: this.ownerPassword }),
		});
		if (!res.ok)
			throw new Error(`login answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
		const cookie = res.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
		if (!cookie) throw new Error('login set no n8n-auth cookie');
		this.cookie = cookie.split(';')[0];
	}

	private async waitForPublished(
		workflowId: string,
		versionId: string,
		opts: PublishOptions,
	): Promise<void> {
		const timeoutMs = opts.timeoutMs ?? 30_000;
		let last: Json;
		await waitFor(
			`workflow ${workflowId} to be published`,
			async () => {
				if (this.isV1) {
					// 1.x registers triggers and webhooks within the activate call (a failure fails the call);
					// after a restart, the workflow is active again once start-up has ended.
					last = await this.rest('GET', `/rest/workflows/${workflowId}`);
					return last.active === true && last.activeVersionId === versionId;
				}
				last = await this.rest('GET', `/rest/workflows/${workflowId}/publication-status`);
				if (last.status === 'failed' || last.status === 'partial') {
					const reasons = (last.triggers ?? [])
						.filter((t: Json) => t.status === 'failed')
						.map((t: Json) => `${t.nodeId}: ${t.errorMessage}`);
					throw new FatalError(
						`publishing workflow ${workflowId} ${last.status}: ${reasons.join('; ')}`,
					);
				}
				return (
					last.status === 'published' && last.liveVersionId === versionId && !last.pendingVersionId
				);
			},
			timeoutMs,
			100,
			() => `last publication status: ${JSON.stringify(last)}`,
		);
		const { probe } = opts;
		if (probe === undefined) return;
		await waitFor(
			`the probe of workflow ${workflowId} to answer`,
			async () => {
				if (typeof probe === 'function') return await probe();
				return (await this.http('GET', probe)).status !== 404;
			},
			timeoutMs,
			100,
		);
	}

	private async terminate(): Promise<void> {
		const child = this.child;
		if (!child || child.pid === undefined) return;
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			// Longer than n8n's own graceful shutdown (30 s), so a SIGTERM restart is as clean as n8n makes it.
			const timer = new Promise<'timeout'>((resolve) =>
				setTimeout(() => resolve('timeout'), 40_000).unref(),
			);
			if ((await Promise.race([this.exited.then(() => 'exited' as const), timer])) === 'timeout') {
				this.killNow();
				await this.exited;
			}
		}
		// Whatever is left of the process group (a task runner that outlived n8n) goes too.
		try {
			process.kill(-child.pid, 'SIGKILL');
		} catch {
			// nothing left
		}
		this.child = undefined;
	}
}
