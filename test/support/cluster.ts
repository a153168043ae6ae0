/**
 * A real n8n in queue mode for end-to-end tests: a private Redis (test/support/redisServer.ts), a private
 * Postgres 15 (test/support/postgresServer.ts), and the pinned n8n with this package loaded as one main
 * (`n8n start`, an `N8nInstance`: editor, REST and public API, publishing; no production webhooks),
 * two `n8n webhook` processes (the production webhooks) and two `n8n worker` processes (the executions),
 * all on 127.0.0.1 with their own ports and user folders, the same encryption key, and one database.
 *
 *   const cluster = await N8nCluster.start();
 *   afterAll(() => cluster.stop());
 *   await cluster.importAndPublish(workflowJson);               // waits until both webhook processes answer
 *   await cluster.http('POST', cluster.webhookUrl(1, webhookId, 'whatsapp'), { body: payload });
 *   const runs = await cluster.waitForExecutions(workflowJson.id, 1, { includeData: true });
 *   cluster.workerOfExecution(runs[0].id);                      // 0 or 1: which worker ran it
 *   await cluster.killWorker(0);                                // kill -9, as a crash would
 *   await cluster.startWorker(0);
 *   await cluster.restart();                                    // all n8n processes; data stays
 *
 * Measured on 2 cores (December 2026): `start()` 24-25 s (Redis and Postgres ~1.5 s of it, then all five
 * n8n processes at once), `restart()` 19-22 s, and once 47 s: a webhook process kept one finished
 * execution "active" and waited out n8n's 30 s graceful shutdown. RSS ~2.9 GiB: main ~700 MB, each
 * webhook process ~500 MB, each worker ~650-700 MB with its task runner. Only one cluster at a time on
 * such a machine. `N8N_E2E_KEEP=1` keeps the folders and logs after `stop()`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import {
	FatalError,
	N8nInstance,
	PACKAGE_NAME,
	REPO_DIR,
	cachePaths,
	freePort,
	n8nProcessEnv,
	waitFor,
	type CachePaths,
	type Execution,
	type HttpOptions,
	type HttpResponse,
	type WaitOptions,
} from './n8n';
import { startPostgres, type PostgresServer } from './postgresServer';
import { groupRssKb, logSize, readLog, spawnOwned, tailFile, type OwnedProcess } from './processes';
import { startRedis, type RedisServer } from './redisServer';

// Five n8n processes start in 20-60 s on 2 cores, longer while other tests run.
if (typeof jest !== 'undefined') jest.setTimeout(300_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export type ProcessRole = 'webhook' | 'worker';
/** `main`, `webhook-0`, `webhook-1`, `worker-0`, `worker-1`. */
export type ProcessName = 'main' | `${ProcessRole}-${number}`;

export interface ClusterStartOptions {
	/** Number of `n8n webhook` processes (default 2). */
	webhooks?: number;
	/** Number of `n8n worker` processes (default 2). */
	workers?: number;
	/** Each worker's `--concurrency` (default 10, n8n's default; below 5 n8n warns). */
	workerConcurrency?: number;
	/** Extra environment for every n8n process (overrides the defaults), e.g. `{ N8N_LOG_LEVEL: 'debug' }`. */
	env?: Record<string, string>;
	/** Extra environment for the main, the webhook processes or the workers only (overrides `env`). */
	mainEnv?: Record<string, string>;
	webhookEnv?: Record<string, string>;
	workerEnv?: Record<string, string>;
	/** How long each process may take to become ready, per start (default 240 s). */
	startTimeoutMs?: number;
}

export interface ClusterPublishOptions {
	/**
	 * How to tell that the workflow's production webhooks are live on every webhook process:
	 * - omitted: for each production webhook path n8n registered for the workflow (in its database), an
	 *   `OPTIONS` request with an `Origin` (a CORS preflight, which n8n answers 204 for a registered path
	 *   and 404 otherwise, starting no execution) on every webhook process;
	 * - a path or URL: polled with GET on every webhook process until it answers something other than 404
	 *   (the URL's host is ignored; mind that a GET the workflow accepts starts an execution);
	 * - a function: called with each webhook process's index until it resolves true;
	 * - `false`: no probe, only n8n's publication status.
	 * Kept and polled again after `restart()`.
	 */
	probe?: string | ((webhookIndex: number) => Promise<boolean>) | false;
	timeoutMs?: number;
}

/**
 * One `n8n webhook` or `n8n worker` process. A webhook process serves HTTP (`baseUrl`); a worker opens
 * only its health-check server on `port`. Both start their own task-runner broker on `brokerPort`.
 */
export class N8nProcess {
	readonly name: ProcessName;
	/** `http://127.0.0.1:<port>`: a webhook process's server, or a worker's health-check server. */
	readonly baseUrl: string;
	/** How long the last start took until the process was ready (ms). */
	lastStartMs = 0;

	private proc: OwnedProcess | undefined;
	private starts = 0;
	private readonly logFile: string;

	constructor(
		readonly role: ProcessRole,
		readonly index: number,
		/** The process's user folder (the package is linked into `.n8n/nodes/node_modules`). */
		readonly dir: string,
		readonly port: number,
		readonly brokerPort: number,
		private readonly paths: CachePaths,
		private readonly env: Record<string, string>,
		private readonly args: string[],
		private readonly reapDir: string,
		private readonly startTimeoutMs: number,
	) {
		this.name = `${role}-${index}`;
		this.baseUrl = `http://127.0.0.1:${port}`;
		this.logFile = path.join(dir, 'n8n.log');
		const nodesDir = path.join(dir, '.n8n', 'nodes', 'node_modules');
		fs.mkdirSync(nodesDir, { recursive: true });
		fs.symlinkSync(REPO_DIR, path.join(nodesDir, PACKAGE_NAME), 'dir');
	}

	/** `http://127.0.0.1:<port><path>` */
	url(urlPath: string): string {
		return `${this.baseUrl}${urlPath.startsWith('/') ? '' : '/'}${urlPath}`;
	}

	/** The pid of the n8n process (also its process group, with its task runner), while it runs. */
	get pid(): number | undefined {
		return this.proc?.running() ? this.proc.pid : undefined;
	}

	running(): boolean {
		return this.proc?.running() ?? false;
	}

	/** Everything the process has logged (all starts), or from a `logOffset()` on. */
	logText(sinceOffset = 0): string {
		return readLog(this.logFile, sinceOffset);
	}

	logOffset(): number {
		return logSize(this.logFile);
	}

	/** Waits until the log (after `sinceOffset`) matches; resolves the log text. */
	async waitForLog(
		pattern: RegExp | string,
		opts: { sinceOffset?: number; timeoutMs?: number } = {},
	): Promise<string> {
		return await waitFor(
			`${this.name}'s log to match ${String(pattern)}`,
			async () => {
				const text = this.logText(opts.sinceOffset ?? 0);
				const hit = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
				return hit ? text : undefined;
			},
			opts.timeoutMs ?? 30_000,
			200,
		);
	}

	/** Resident memory of the process and its task runner (kB). */
	rssKb(): number {
		return groupRssKb(this.pid);
	}

	/** Starts the process; resolves once its `/healthz/readiness` answers 200. */
	async start(): Promise<void> {
		if (this.running()) throw new Error(`${this.name} is already running`);
		const started = Date.now();
		const logStart = this.logOffset();
		this.starts += 1;
		fs.appendFileSync(
			this.logFile,
			`\n===== e2e harness: start #${this.starts} of ${this.name} =====\n`,
		);
		const proc = spawnOwned(path.join(this.paths.NODE_BIN, 'node'), {
			args: [this.paths.N8N_CLI, this.role, ...this.args],
			env: this.env,
			cwd: this.dir,
			logFile: this.logFile,
			reapDir: this.reapDir,
		});
		this.proc = proc;
		const tail = () =>
			`--- ${this.name} log (last 60 lines) ---\n${this.logText(logStart).split('\n').slice(-60).join('\n')}`;
		await waitFor(
			`${this.name} readiness on ${this.baseUrl}`,
			async () => {
				if (!proc.running()) {
					throw new FatalError(
						`${this.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before it was ready\n${tail()}`,
					);
				}
				return (await fetch(this.url('/healthz/readiness'))).status === 200;
			},
			this.startTimeoutMs,
			200,
			tail,
		);
		this.lastStartMs = Date.now() - started;
	}

	/**
	 * Stops the process and waits until it is gone. SIGTERM (default) lets n8n shut down gracefully
	 * (SIGKILL after 40 s, longer than n8n's own 30 s); SIGKILL kills it and its task runner at once,
	 * as a crash or an out-of-memory kill would.
	 */
	async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
		await this.proc?.stop({ signal, timeoutMs: 40_000, group: signal === 'SIGKILL' });
	}
}

export class N8nCluster {
	/** Resolves how long `start()` took (ms). */
	lastStartMs = 0;
	/** How long the last `restart()` took (ms). */
	lastRestartMs = 0;

	private readonly published = new Map<string, ClusterPublishOptions>();
	private stopped = false;

	private constructor(
		/** The main process: editor, REST and public API, publishing, execution lists. */
		readonly main: N8nInstance,
		/** The `n8n webhook` processes, which answer the production webhooks. */
		readonly webhooks: N8nProcess[],
		/** The `n8n worker` processes, which run the executions. */
		readonly workers: N8nProcess[],
		/** The Redis n8n's queue runs on; tests may create n8n's built-in `redis` credential for it. */
		readonly redis: RedisServer,
		/** The Postgres n8n's database lives in. */
		readonly postgres: PostgresServer,
		/** The key every process encrypts credentials with (`N8N_ENCRYPTION_KEY`). */
		readonly encryptionKey: string,
		/** The cluster's folder: the webhook processes' and workers' user folders and logs. */
		readonly dir: string,
	) {}

	/** Starts Redis, Postgres and the n8n processes (all in parallel); resolves once all are ready. */
	static async start(opts: ClusterStartOptions = {}): Promise<N8nCluster> {
		const started = Date.now();
		const paths = cachePaths();
		if (paths.READY !== '1') {
			throw new Error(
				`n8n is not installed in ${paths.N8N_HOME}: run \`bash scripts/n8n.sh install\``,
			);
		}
		if (!fs.existsSync(path.join(REPO_DIR, 'dist'))) {
			throw new Error('dist/ is missing: run `npm run build` before the e2e tests');
		}
		const webhookCount = opts.webhooks ?? 2;
		const workerCount = opts.workers ?? 2;
		const startTimeoutMs = opts.startTimeoutMs ?? 240_000;

		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-cluster-'));
		const servers = await Promise.allSettled([startRedis(), startPostgres()]);
		const [redisResult, postgresResult] = servers;
		if (redisResult.status === 'rejected' || postgresResult.status === 'rejected') {
			if (redisResult.status === 'fulfilled') await redisResult.value.stop();
			if (postgresResult.status === 'fulfilled') await postgresResult.value.stop();
			fs.rmSync(dir, { recursive: true, force: true });
			throw redisResult.status === 'rejected'
				? redisResult.reason
				: (postgresResult as Json).reason;
		}
		const redis = redisResult.value;
		const postgres = postgresResult.value;

		// Distinct free ports: main HTTP and broker, then HTTP (or health check) and broker per process.
		const taken = new Set([redis.port, postgres.port]);
		const port = async () => {
			let candidate = await freePort();
			while (taken.has(candidate)) candidate = await freePort();
			taken.add(candidate);
			return candidate;
		};
		const mainPort = await port();
		const mainBrokerPort = await port();
		const webhookPorts: Array<[number, number]> = [];
		for (let i = 0; i < webhookCount; i++) webhookPorts.push([await port(), await port()]);
		const workerPorts: Array<[number, number]> = [];
		for (let i = 0; i < workerCount; i++) workerPorts.push([await port(), await port()]);

		const encryptionKey = randomBytes(24).toString('hex');
		// What every process shares: the queue, the database, the key, where webhooks are (the first
		// webhook process stands for the address a load balancer would have in front of them).
		const webhookUrl = webhookCount ? `http://127.0.0.1:${webhookPorts[0][0]}/` : undefined;
		const shared: Record<string, string> = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: redis.host,
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			...postgres.n8nEnv(),
			N8N_ENCRYPTION_KEY: encryptionKey,
			N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
			N8N_DISABLED_MODULES: 'mcp-registry',
			N8N_LOG_LEVEL: 'info',
			N8N_LOG_OUTPUT: 'console',
			...(webhookUrl ? { N8N_WEBHOOK_URL: webhookUrl } : {}),
		};
		const processEnv = (
			processDir: string,
			httpPort: number,
			brokerPort: number,
			extra: Record<string, string>,
		) => ({
			...n8nProcessEnv(paths, { dir: processDir, port: httpPort, brokerPort }),
			...shared,
			...opts.env,
			...extra,
		});

		// n8n names a process `<type>-<hostname>` when it runs in a container (this machine counts as one)
		// and ignores pubsub commands from its own name: each process gets its own host name, as separate
		// containers would have.
		const hostnamePreload = path.join(dir, 'hostname.cjs');
		fs.writeFileSync(
			hostnamePreload,
			"const os = require('node:os');\nconst name = process.env.N8N_E2E_HOSTNAME;\nif (name) os.hostname = () => name;\n",
		);
		const hostEnv = (name: string) => ({
			NODE_OPTIONS: `--require ${hostnamePreload}`,
			N8N_E2E_HOSTNAME: `e2e-${name}`,
		});

		const webhooks = webhookPorts.map(([httpPort, brokerPort], index) => {
			const processDir = path.join(dir, `webhook-${index}`);
			return new N8nProcess(
				'webhook',
				index,
				processDir,
				httpPort,
				brokerPort,
				paths,
				processEnv(processDir, httpPort, brokerPort, {
					...hostEnv(`webhook-${index}`),
					...opts.webhookEnv,
				}),
				[],
				dir,
				startTimeoutMs,
			);
		});
		const workers = workerPorts.map(([healthPort, brokerPort], index) => {
			const processDir = path.join(dir, `worker-${index}`);
			// A worker's N8N_PORT is unused; its only server is the health check.
			return new N8nProcess(
				'worker',
				index,
				processDir,
				healthPort,
				brokerPort,
				paths,
				processEnv(processDir, healthPort, brokerPort, {
					...hostEnv(`worker-${index}`),
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(healthPort),
					N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
					...opts.workerEnv,
				}),
				[`--concurrency=${opts.workerConcurrency ?? 10}`],
				dir,
				startTimeoutMs,
			);
		});

		// All at once: Postgres migrations run under an advisory lock, and every process may seed the
		// instance identity (insert-or-ignore), so the first start needs no ordering.
		const results = await Promise.allSettled([
			N8nInstance.start({
				port: mainPort,
				startTimeoutMs,
				env: {
					...shared,
					N8N_RUNNERS_BROKER_PORT: String(mainBrokerPort),
					...opts.env,
					...opts.mainEnv,
				},
			}),
			...[...webhooks, ...workers].map(async (p) => await p.start()),
		]);
		const mainResult = results[0];
		const failure = results.find((r) => r.status === 'rejected');
		if (mainResult.status === 'rejected' || failure) {
			await Promise.all([
				mainResult.status === 'fulfilled' ? mainResult.value.stop() : undefined,
				...[...webhooks, ...workers].map(async (p) => await p.stop()),
			]);
			await Promise.all([redis.stop(), postgres.stop()]);
			if (process.env.N8N_E2E_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
			throw (failure as PromiseRejectedResult).reason;
		}
		const cluster = new N8nCluster(
			mainResult.value,
			webhooks,
			workers,
			redis,
			postgres,
			encryptionKey,
			dir,
		);
		cluster.lastStartMs = Date.now() - started;
		return cluster;
	}

	/** Every n8n process, main first. */
	processNames(): ProcessName[] {
		return ['main', ...this.webhooks.map((p) => p.name), ...this.workers.map((p) => p.name)];
	}

	/** A webhook process or worker by name (`webhook-1`, `worker-0`). */
	process(name: Exclude<ProcessName, 'main'>): N8nProcess {
		const found = [...this.webhooks, ...this.workers].find((p) => p.name === name);
		if (!found) throw new Error(`no process ${name} in this cluster`);
		return found;
	}

	/**
	 * Production URL of a webhook on webhook process `webhookIndex`: `/webhook/<webhookId>/<path>` (this
	 * package's nodes), or `/webhook/<path>` when `webhookId` is empty (n8n's Webhook node).
	 */
	webhookUrl(webhookIndex: number, webhookId: string, webhookPath: string): string {
		const tail = webhookPath.replace(/^\//, '');
		return this.webhookProcess(webhookIndex).url(
			webhookId ? `/webhook/${webhookId}/${tail}` : `/webhook/${tail}`,
		);
	}

	/** `http://127.0.0.1:<port><path>` on webhook process `webhookIndex`. */
	webhookProcessUrl(webhookIndex: number, urlPath: string): string {
		return this.webhookProcess(webhookIndex).url(urlPath);
	}

	/**
	 * A plain HTTP request; never throws on a status code. A full URL is used as is; a path goes to webhook
	 * process `via` (default 0), or to the main with `via: 'main'`.
	 */
	async http(
		method: string,
		urlOrPath: string,
		opts: HttpOptions & { via?: number | 'main' } = {},
	): Promise<HttpResponse> {
		const { via = 0, ...rest } = opts;
		let url = urlOrPath;
		if (!urlOrPath.startsWith('http')) {
			url = via === 'main' ? this.main.url(urlOrPath) : this.webhookProcess(via).url(urlOrPath);
		}
		return await this.main.http(method, url, rest);
	}

	/** The main's internal REST API with the owner's session (see `N8nInstance.rest`). */
	async rest<T = Json>(method: string, restPath: string, body?: unknown): Promise<T> {
		return await this.main.rest<T>(method, restPath, body);
	}

	/** The main's public API with its API key (see `N8nInstance.api`). */
	async api<T = Json>(method: string, apiPath: string, body?: unknown): Promise<T> {
		return await this.main.api<T>(method, apiPath, body);
	}

	/** Creates (or replaces) the workflow on the main, unpublished; returns its id. */
	async importWorkflow(workflowJson: Json): Promise<string> {
		return await this.main.importWorkflow(workflowJson);
	}

	/**
	 * Publishes the workflow on the main and waits until n8n reports it published and (see `probe`) every
	 * webhook process answers its production webhooks.
	 */
	async publish(workflowId: string, opts: ClusterPublishOptions = {}): Promise<void> {
		await this.main.publish(workflowId, { timeoutMs: opts.timeoutMs });
		const probeOpts: ClusterPublishOptions = { ...opts };
		if (probeOpts.probe === undefined) {
			const probePaths = await this.registeredWebhookPaths(workflowId);
			probeOpts.probe = probePaths.length ? optionsProbe(this, probePaths) : false;
		}
		this.published.set(workflowId, probeOpts);
		await this.waitForProbe(workflowId, probeOpts);
	}

	/** `importWorkflow` + `publish`; returns the workflow id. */
	async importAndPublish(workflowJson: Json, opts: ClusterPublishOptions = {}): Promise<string> {
		const id = await this.importWorkflow(workflowJson);
		await this.publish(id, opts);
		return id;
	}

	/** Unpublishes a workflow; its production webhooks then answer 404. */
	async unpublish(workflowId: string, opts: { timeoutMs?: number } = {}): Promise<void> {
		this.published.delete(workflowId);
		await this.main.unpublish(workflowId, opts);
	}

	/** Creates a credential (encrypted with the shared key) and returns its id. */
	async createCredential(
		type: string,
		name: string,
		data: Record<string, unknown>,
	): Promise<string> {
		return await this.main.createCredential(type, name, data);
	}

	/** n8n's built-in `redis` credential pointing at the cluster's Redis (database `db`, default 0). */
	async createRedisCredential(name = 'Cluster Redis', db = 0): Promise<string> {
		return await this.main.createCredential('redis', name, {
			host: this.redis.host,
			port: this.redis.port,
			database: db,
			password: '',
		});
	}

	/** Executions of a workflow, oldest first (see `N8nInstance.executions`). */
	async executions(
		workflowId: string,
		opts: { includeData?: boolean; status?: string } = {},
	): Promise<Execution[]> {
		return await this.main.executions(workflowId, opts);
	}

	/** One execution with its data. */
	async execution(executionId: string): Promise<Execution> {
		return await this.main.execution(executionId);
	}

	/** Waits for `count` finished executions of the workflow, then for quiet (see `N8nInstance`). */
	async waitForExecutions(
		workflowId: string,
		count: number,
		opts: WaitOptions & { includeData?: boolean } = {},
	): Promise<Execution[]> {
		return await this.main.waitForExecutions(workflowId, count, opts);
	}

	/** Waits until no execution is running or queued and the finished ones stop changing. */
	async settle(
		workflowId?: string,
		opts: WaitOptions & { includeData?: boolean } = {},
	): Promise<Execution[]> {
		return await this.main.settle(workflowId, opts);
	}

	/**
	 * Which worker ran each execution, from the workers' logs (`Worker started execution <id>`, logged at
	 * n8n's `info` level): execution id → worker index. n8n stores no worker id in the execution itself.
	 */
	executionWorkers(): Map<string, number> {
		const byExecution = new Map<string, number>();
		for (const worker of this.workers) {
			for (const match of worker.logText().matchAll(/Worker started execution (\d+) /g)) {
				byExecution.set(match[1], worker.index);
			}
		}
		return byExecution;
	}

	/** The index of the worker that started the execution, or undefined if none logged it. */
	workerOfExecution(executionId: string): number | undefined {
		return this.executionWorkers().get(String(executionId));
	}

	/**
	 * Stops worker `index` and waits until it is gone: SIGKILL by default (kill -9 of it and its task
	 * runner; n8n does not re-queue what it was running), or SIGTERM for a graceful shutdown.
	 */
	async killWorker(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
		await this.worker(index).stop(signal);
	}

	/** Starts worker `index` again (after `killWorker`); resolves once it is ready. */
	async startWorker(index: number): Promise<void> {
		await this.worker(index).start();
	}

	/**
	 * Restarts every n8n process (SIGTERM, or SIGKILL with `hardKill`), all in parallel; Redis and Postgres
	 * keep running with their data. Resolves when all are ready, the main is logged in, and every workflow
	 * published through the cluster is published again and answers on every webhook process.
	 */
	async restart(opts: { hardKill?: boolean } = {}): Promise<void> {
		const started = Date.now();
		const signal = opts.hardKill ? 'SIGKILL' : 'SIGTERM';
		const results = await Promise.allSettled([
			this.main.restart({ hardKill: opts.hardKill }),
			...[...this.webhooks, ...this.workers].map(async (p) => {
				await p.stop(signal);
				await p.start();
			}),
		]);
		const failure = results.find((r) => r.status === 'rejected');
		if (failure) throw (failure as PromiseRejectedResult).reason;
		for (const [workflowId, probeOpts] of this.published) {
			await this.waitForProbe(workflowId, probeOpts);
		}
		this.lastRestartMs = Date.now() - started;
	}

	/**
	 * Stops every n8n process, then Redis and Postgres, and removes all folders (kept with
	 * N8N_E2E_KEEP=1). Safe to call twice.
	 */
	async stop(): Promise<void> {
		if (this.stopped) return;
		this.stopped = true;
		await Promise.allSettled([
			this.main.stop(),
			...[...this.webhooks, ...this.workers].map(async (p) => await p.stop()),
		]);
		await Promise.allSettled([this.redis.stop(), this.postgres.stop()]);
		if (process.env.N8N_E2E_KEEP === '1') {
			console.log(`cluster folder kept: ${this.dir}`);
		} else {
			fs.rmSync(this.dir, { recursive: true, force: true });
		}
	}

	/** A process's log (all its starts): `main`, `webhook-0`, `worker-1`, … */
	logText(name: ProcessName): string {
		return name === 'main' ? this.main.logText() : this.process(name).logText();
	}

	/** The last `lines` lines of every process's log, Redis's and Postgres's, for failure messages. */
	logTails(lines = 40): string {
		const parts = this.processNames().map(
			(name) =>
				`--- ${name} (last ${lines} lines) ---\n${this.logText(name).split('\n').slice(-lines).join('\n')}`,
		);
		parts.push(`--- redis ---\n${tailFile(path.join(this.redis.dir, 'redis.log'), lines)}`);
		parts.push(
			`--- postgres ---\n${tailFile(path.join(this.postgres.dir, 'postgres.log'), lines)}`,
		);
		return parts.join('\n');
	}

	/** Resident memory per n8n process including its task runner (kB); stopped ones count 0. */
	rssKb(): Record<ProcessName, number> {
		const out: Record<string, number> = { main: this.main.rssKb() };
		for (const p of [...this.webhooks, ...this.workers]) out[p.name] = p.rssKb();
		return out as Record<ProcessName, number>;
	}

	private webhookProcess(index: number): N8nProcess {
		const found = this.webhooks[index];
		if (!found) throw new Error(`no webhook process ${index} (there are ${this.webhooks.length})`);
		return found;
	}

	private worker(index: number): N8nProcess {
		const found = this.workers[index];
		if (!found) throw new Error(`no worker ${index} (there are ${this.workers.length})`);
		return found;
	}

	/**
	 * The production webhook paths n8n registered for the workflow (its `webhook_entity` rows in Postgres),
	 * e.g. `/webhook/<path>` for n8n's Webhook node or `/webhook/<webhookId>/<path>`; paths with
	 * parameters (`:id`) are left out.
	 */
	async registeredWebhookPaths(workflowId: string): Promise<string[]> {
		const quoted = workflowId.replace(/'/g, "''");
		const rows = await this.postgres.psql(
			`select distinct "webhookPath" from webhook_entity where "workflowId" = '${quoted}' order by 1`,
		);
		return rows
			.split('\n')
			.filter((row) => row !== '' && !row.includes(':'))
			.map((row) => `/webhook/${row}`);
	}

	private async waitForProbe(workflowId: string, opts: ClusterPublishOptions): Promise<void> {
		const { probe } = opts;
		if (probe === false || probe === undefined) return;
		const check =
			typeof probe === 'function'
				? probe
				: async (index: number) => {
						const probePath = probe.startsWith('http')
							? `${new URL(probe).pathname}${new URL(probe).search}`
							: probe;
						return (await this.http('GET', probePath, { via: index })).status !== 404;
					};
		await Promise.all(
			this.webhooks.map(
				async (p) =>
					await waitFor(
						`workflow ${workflowId}'s webhooks to answer on ${p.name}`,
						async () => await check(p.index),
						opts.timeoutMs ?? 60_000,
						100,
					),
			),
		);
	}
}

/** A CORS preflight per path: n8n answers 204 for a registered webhook path, 404 otherwise. */
function optionsProbe(cluster: N8nCluster, probePaths: string[]) {
	return async (index: number) => {
		for (const probePath of probePaths) {
			const res = await cluster.http('OPTIONS', probePath, {
				via: index,
				headers: { origin: 'http://127.0.0.1' },
			});
			if (res.status !== 204) return false;
		}
		return true;
	};
}
