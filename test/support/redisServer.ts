/**
 * A private redis-server for tests (Debian's `redis-server`, installed by `bash scripts/cluster.sh
 * install`): listens on 127.0.0.1 on a free port, keeps its files in a temporary folder under /tmp, and
 * saves nothing to disk except when `restart()` asks it to keep its data.
 *
 *   const redis = await startRedis();
 *   afterAll(() => redis.stop());
 *   await redis.command('SET', 'k', 'v');  // a minimal client, for setting up and checking state
 *   // n8n's built-in Redis credential: { host: redis.host, port: redis.port, database: 0 }
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './n8n';
import { canConnect, sleep, spawnOwned, tailFile, type OwnedProcess } from './processes';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

/** A reply of the Redis protocol: strings, integers, null, arrays of those, or an Error (not thrown). */
export type RedisReply = string | number | null | Error | RedisReply[];

export interface RedisServer {
	readonly host: '127.0.0.1';
	readonly port: number;
	/** The temporary folder (config, log, dump file). */
	readonly dir: string;
	/** The server's log. */
	logText(): string;
	/**
	 * Sends one command over a fresh connection and resolves its reply; a Redis error reply rejects.
	 * Meant for test set-up and checks, not for load.
	 */
	command(...args: Array<string | number>): Promise<RedisReply>;
	/**
	 * Stops and starts the server on the same port. With `keepData` (default true) it saves to its
	 * folder before stopping and loads that again, as a Redis with persistence would; with `hardKill` it
	 * is killed with SIGKILL (nothing saved, like a crash).
	 */
	restart(opts?: { keepData?: boolean; hardKill?: boolean }): Promise<void>;
	/** Stops the server and removes its folder (kept when N8N_E2E_KEEP=1). */
	stop(): Promise<void>;
}

export interface StartRedisOptions {
	/** Default: a free port. */
	port?: number;
	/** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
	args?: string[];
	startTimeoutMs?: number;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
	if (!fs.existsSync(REDIS_SERVER_BIN)) {
		throw new Error(`${REDIS_SERVER_BIN} is missing: run \`bash scripts/cluster.sh install\``);
	}
	const port = opts.port ?? (await freePort());
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-e2e-'));
	const logFile = path.join(dir, 'redis.log');
	const startTimeoutMs = opts.startTimeoutMs ?? 20_000;
	let proc: OwnedProcess | undefined;

	const launch = async () => {
		proc = spawnOwned(REDIS_SERVER_BIN, {
			args: [
				'--port',
				String(port),
				'--bind',
				'127.0.0.1',
				'--protected-mode',
				'yes',
				'--dir',
				dir,
				'--dbfilename',
				'dump.rdb',
				'--save',
				'',
				'--appendonly',
				'no',
				'--daemonize',
				'no',
				...(opts.args ?? []),
			],
			env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
			cwd: dir,
			logFile,
			reapDir: dir,
		});
		const deadline = Date.now() + startTimeoutMs;
		for (;;) {
			if (!proc.running()) {
				throw new Error(`redis-server exited before it was ready\n${tailFile(logFile)}`);
			}
			if (await canConnect(port)) {
				try {
					if ((await sendCommand(port, ['PING'])) === 'PONG') return;
				} catch {
					// loading
				}
			}
			if (Date.now() > deadline) {
				throw new Error(`redis-server on port ${port} not ready\n${tailFile(logFile)}`);
			}
			await sleep(50);
		}
	};

	const server: RedisServer = {
		host: '127.0.0.1',
		port,
		dir,
		logText: () => {
			try {
				return fs.readFileSync(logFile, 'utf8');
			} catch {
				return '';
			}
		},
		command: async (...args) => {
			const reply = await sendCommand(port, args.map(String));
			if (reply instanceof Error) throw reply;
			return reply;
		},
		restart: async ({ keepData = true, hardKill = false } = {}) => {
			if (proc?.running()) {
				if (hardKill) {
					await proc.stop({ signal: 'SIGKILL', group: true });
				} else {
					// SHUTDOWN closes the connection without a reply; the exit is what counts.
					await sendCommand(port, ['SHUTDOWN', keepData ? 'SAVE' : 'NOSAVE']).catch(() => {});
					await proc.stop({ timeoutMs: 10_000 });
				}
			}
			if (!keepData) fs.rmSync(path.join(dir, 'dump.rdb'), { force: true });
			await launch();
		},
		stop: async () => {
			await proc?.stop({ timeoutMs: 5_000 });
			if (process.env.N8N_E2E_KEEP === '1') console.log(`redis folder kept: ${dir}`);
			else fs.rmSync(dir, { recursive: true, force: true });
		},
	};
	try {
		await launch();
	} catch (error) {
		await server.stop();
		throw error;
	}
	return server;
}

/** One command over a fresh connection, with the reply parsed (RESP2). */
export async function sendCommand(port: number, args: string[], host = '127.0.0.1') {
	const payload =
		`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
	return await new Promise<RedisReply>((resolve, reject) => {
		const socket = net.connect({ port, host });
		let buffer = Buffer.alloc(0);
		socket.setTimeout(10_000);
		socket.on('connect', () => socket.write(payload));
		socket.on('data', (chunk) => {
			buffer = Buffer.concat([buffer, chunk]);
			const parsed = parseReply(buffer, 0);
			if (parsed) {
				socket.destroy();
				resolve(parsed.value);
			}
		});
		socket.on('timeout', () => {
			socket.destroy();
			reject(new Error(`redis on port ${port}: no reply to ${args[0]}`));
		});
		socket.on('error', reject);
		socket.on('close', () => reject(new Error(`redis on port ${port} closed the connection`)));
	});
}

/** Parses one reply at `offset`; undefined while it is incomplete. */
function parseReply(buf: Buffer, offset: number): { value: RedisReply; end: number } | undefined {
	const lineEnd = buf.indexOf('\r\n', offset);
	if (lineEnd < 0) return undefined;
	const type = String.fromCharCode(buf[offset]);
	const line = buf.toString('utf8', offset + 1, lineEnd);
	const next = lineEnd + 2;
	switch (type) {
		case '+':
			return { value: line, end: next };
		case '-':
			return { value: new Error(line), end: next };
		case ':':
			return { value: Number(line), end: next };
		case '$': {
			const length = Number(line);
			if (length < 0) return { value: null, end: next };
			if (buf.length < next + length + 2) return undefined;
			return { value: buf.toString('utf8', next, next + length), end: next + length + 2 };
		}
		case '*': {
			const count = Number(line);
			if (count < 0) return { value: null, end: next };
			const items: RedisReply[] = [];
			let at = next;
			for (let i = 0; i < count; i++) {
				const item = parseReply(buf, at);
				if (!item) return undefined;
				items.push(item.value);
				at = item.end;
			}
			return { value: items, end: at };
		}
		default:
			throw new Error(`unexpected redis reply: ${buf.toString('utf8', offset, lineEnd)}`);
	}
}
