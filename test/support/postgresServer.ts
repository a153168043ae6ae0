/**
 * A private PostgreSQL 15 for tests (Debian's server, installed by `bash scripts/cluster.sh install`):
 * a fresh cluster in a temporary folder under /tmp, listening on 127.0.0.1 on a free port, with its
 * unix socket inside that folder, and one database owned by a password user for the application.
 * Postgres refuses to run as root, so when the tests run as root the server runs as the unprivileged
 * system user `n8ncluster` (made by scripts/cluster.sh), which owns the folder.
 *
 * Durability is switched off (fsync, synchronous_commit): a test database needs speed, not crash safety
 * of the machine. A restart or a kill of the *server process* still keeps committed data.
 *
 *   const pg = await startPostgres();
 *   afterAll(() => pg.stop());
 *   // n8n: DB_TYPE=postgresdb DB_POSTGRESDB_HOST=pg.host DB_POSTGRESDB_PORT=pg.port ... (see pg.n8nEnv())
 *   await pg.psql('select count(*) from execution_entity');
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_DIR, freePort } from './n8n';
import { sleep, spawnOwned, tailFile, type OwnedProcess } from './processes';

export interface PostgresServer {
	readonly host: '127.0.0.1';
	readonly port: number;
	/** The application's database, user and password (the user owns the database). */
	readonly database: string;
	readonly user: string;
	readonly password: string;
	/** The temporary folder: `data/` (the cluster), `socket/`, `postgres.log`. */
	readonly dir: string;
	/** `DB_TYPE=postgresdb` and the `DB_POSTGRESDB_*` variables for n8n. */
	n8nEnv(): Record<string, string>;
	/** The server's log. */
	logText(): string;
	/**
	 * Runs SQL with psql as the superuser in the application's database (or `opts.database`);
	 * returns psql's unaligned, tuples-only output (`|` between columns), trimmed.
	 */
	psql(sql: string, opts?: { database?: string }): Promise<string>;
	/** Stops the server (fast shutdown; SIGKILL with `hardKill`) and starts it again on the same data. */
	restart(opts?: { hardKill?: boolean }): Promise<void>;
	/** Stops the server and removes its folder (kept when N8N_E2E_KEEP=1). */
	stop(): Promise<void>;
}

export interface StartPostgresOptions {
	/** Default: a free port. */
	port?: number;
	/** Default `n8n`, for both the database and its user. */
	database?: string;
	user?: string;
	/** Extra server settings, e.g. `{ max_connections: '50' }`. */
	settings?: Record<string, string>;
	startTimeoutMs?: number;
}

interface ClusterPaths {
	PG_BIN: string;
	PG_USER: string;
}

function clusterPaths(): ClusterPaths {
	const out = execFileSync('bash', [path.join(REPO_DIR, 'scripts', 'cluster.sh'), 'paths'], {
		encoding: 'utf8',
	});
	return Object.fromEntries(
		out
			.trim()
			.split('\n')
			.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
	) as unknown as ClusterPaths;
}

/** The uid and gid the server runs as: the unprivileged user when we are root, else ourselves. */
function serverIdentity(pgUser: string): { uid?: number; gid?: number } {
	if (process.getuid?.() !== 0) return {};
	let uid: number, gid: number;
	try {
		uid = Number(execFileSync('id', ['-u', pgUser], { encoding: 'utf8' }).trim());
		gid = Number(execFileSync('id', ['-g', pgUser], { encoding: 'utf8' }).trim());
	} catch {
		throw new Error(
			`Postgres refuses to run as root and the user ${pgUser} is missing: run \`bash scripts/cluster.sh install\``,
		);
	}
	return { uid, gid };
}

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
	const { PG_BIN, PG_USER } = clusterPaths();
	if (!fs.existsSync(path.join(PG_BIN, 'postgres'))) {
		throw new Error(`${PG_BIN}/postgres is missing: run \`bash scripts/cluster.sh install\``);
	}
	const identity = serverIdentity(PG_USER);
	const port = opts.port ?? (await freePort());
	const database = opts.database ?? 'n8n';
	const user = opts.user ?? 'n8n';
	const password = randomBytes(12).toString('base64url');
	const startTimeoutMs = opts.startTimeoutMs ?? 30_000;

	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-e2e-'));
	const dataDir = path.join(dir, 'data');
	const socketDir = path.join(dir, 'socket');
	const logFile = path.join(dir, 'postgres.log');
	fs.mkdirSync(socketDir);
	fs.writeFileSync(logFile, '');
	if (identity.uid !== undefined) {
		for (const p of [dir, socketDir, logFile]) fs.chownSync(p, identity.uid, identity.gid!);
	}
	// Only the environment psql and initdb need: no PG* variables from outside leak in.
	const env = {
		PATH: process.env.PATH ?? '/usr/bin:/bin',
		LANG: 'C.UTF-8',
		LC_ALL: 'C.UTF-8',
		HOME: dir,
	};
	const run = async (bin: string, args: string[], input?: string) =>
		await new Promise<string>((resolve, reject) => {
			const child = execFile(
				path.join(PG_BIN, bin),
				args,
				{ cwd: dir, env, encoding: 'utf8', ...identity, maxBuffer: 64 * 1024 * 1024 },
				(error, stdout, stderr) => {
					if (error)
						reject(new Error(`${bin} ${args.join(' ')} failed: ${stderr || error.message}`));
					else resolve(stdout);
				},
			);
			if (input !== undefined) child.stdin?.end(input);
		});

	let proc: OwnedProcess | undefined;
	const launch = async () => {
		const settings: Record<string, string> = {
			listen_addresses: '127.0.0.1',
			port: String(port),
			unix_socket_directories: socketDir,
			fsync: 'off',
			synchronous_commit: 'off',
			full_page_writes: 'off',
			max_connections: '100',
			shared_buffers: '64MB',
			...opts.settings,
		};
		proc = spawnOwned(path.join(PG_BIN, 'postgres'), {
			args: ['-D', dataDir, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
			env,
			cwd: dir,
			logFile,
			reapDir: dir,
			...identity,
		});
		const deadline = Date.now() + startTimeoutMs;
		for (;;) {
			if (!proc.running()) {
				throw new Error(`postgres exited before it was ready\n${tailFile(logFile)}`);
			}
			try {
				await run('pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port)]);
				return;
			} catch {
				// starting
			}
			if (Date.now() > deadline) {
				throw new Error(`postgres on port ${port} not ready\n${tailFile(logFile)}`);
			}
			await sleep(100);
		}
	};

	const psql = async (sql: string, o: { database?: string } = {}) =>
		(
			await run(
				'psql',
				[
					'-X',
					'-q',
					'-At',
					'-v',
					'ON_ERROR_STOP=1',
					'-h',
					socketDir,
					'-p',
					String(port),
					'-U',
					'postgres',
					'-d',
					o.database ?? database,
					'-f',
					'-',
				],
				sql,
			)
		).trim();

	const server: PostgresServer = {
		host: '127.0.0.1',
		port,
		database,
		user,
		password,
		dir,
		n8nEnv: () => ({
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(port),
			DB_POSTGRESDB_DATABASE: database,
			DB_POSTGRESDB_USER: user,
			DB_POSTGRESDB_PASSWORD: password,
		}),
		logText: () => {
			try {
				return fs.readFileSync(logFile, 'utf8');
			} catch {
				return '';
			}
		},
		psql,
		restart: async ({ hardKill = false } = {}) => {
			// SIGINT is Postgres' fast shutdown (SIGTERM would wait for every client to disconnect).
			await proc?.stop(
				hardKill ? { signal: 'SIGKILL', group: true } : { signal: 'SIGINT', timeoutMs: 15_000 },
			);
			await launch();
		},
		stop: async () => {
			await proc?.stop({ signal: 'SIGINT', timeoutMs: 10_000 });
			if (process.env.N8N_E2E_KEEP === '1') console.log(`postgres folder kept: ${dir}`);
			else fs.rmSync(dir, { recursive: true, force: true });
		},
	};

	try {
		// The superuser `postgres` trusts the unix socket only; TCP needs a password (scram-sha-256).
		await run('initdb', [
			'-D',
			dataDir,
			'-U',
			'postgres',
			'--auth-local=trust',
			'--auth-host=scram-sha-256',
			'--encoding=UTF8',
			'--locale=C.UTF-8',
			'--no-sync',
			'--no-instructions',
		]);
		await launch();
		const quoted = password.replace(/'/g, "''");
		await psql(`CREATE ROLE "${user}" LOGIN PASSWORD '${quoted}';`, { database: 'postgres' });
		await psql(`CREATE DATABASE "${database}" OWNER "${user}";`, { database: 'postgres' });
	} catch (error) {
		await server.stop();
		throw error;
	}
	return server;
}
