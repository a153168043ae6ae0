/**
 * Server processes that tests own: spawned in their own process group with output appended to a log
 * file, watched by a small reaper that stops them (and removes their folder) if the test process goes
 * away without stopping them, and stopped with a signal and a deadline.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The reaper: while the test process lives it only watches; when the test process is gone it stops the
 * server's process group (TERM, then KILL after 10 s) and removes the folder, if one is given. It ends
 * by itself when the server ends first. jest gives test files their own `process` object, whose signal
 * and exit listeners never fire, so this lives outside.
 */
export const REAPER = `
watched=$1 server=$2 dir=$3
while kill -0 "$watched" 2>/dev/null; do
	kill -0 "$server" 2>/dev/null || exit 0
	sleep 1
done
kill -TERM -- "-$server" 2>/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$server" 2>/dev/null || break; sleep 1; done
kill -KILL -- "-$server" 2>/dev/null
[ "$KEEP" = 1 ] || [ -z "$dir" ] || rm -rf "$dir"
`;

export interface OwnedProcess {
	readonly child: ChildProcess;
	readonly pid: number;
	/** Resolves when the process has exited. */
	readonly exited: Promise<void>;
	/** Whether the process is still running. */
	running(): boolean;
	/**
	 * Sends `signal` to the process (or its whole group with `group`), waits up to `timeoutMs` for it to
	 * exit, then kills the whole group. Resolves once it is gone.
	 */
	stop(opts?: { signal?: NodeJS.Signals; timeoutMs?: number; group?: boolean }): Promise<void>;
}

export interface SpawnOwnedOptions {
	args: string[];
	env: Record<string, string>;
	cwd: string;
	/** stdout and stderr are appended here. */
	logFile: string;
	/** Removed by the reaper when the test process dies without stopping the server. */
	reapDir?: string;
	uid?: number;
	gid?: number;
}

export function spawnOwned(command: string, opts: SpawnOwnedOptions): OwnedProcess {
	const fd = fs.openSync(opts.logFile, 'a');
	const spawnOpts: SpawnOptions = {
		cwd: opts.cwd,
		env: opts.env,
		stdio: ['ignore', fd, fd],
		detached: true, // own process group: children (task runners) stop together
	};
	if (opts.uid !== undefined) spawnOpts.uid = opts.uid;
	if (opts.gid !== undefined) spawnOpts.gid = opts.gid;
	const child = spawn(command, opts.args, spawnOpts);
	fs.closeSync(fd);
	if (child.pid === undefined) throw new Error(`could not start ${command}`);
	const pid = child.pid;
	const exited = new Promise<void>((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) resolve();
		child.once('exit', () => resolve());
	});
	spawn(
		'bash',
		['-c', REAPER, 'e2e-reaper', String(process.pid), String(pid), opts.reapDir ?? ''],
		{
			detached: true,
			stdio: 'ignore',
			env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KEEP: process.env.N8N_E2E_KEEP ?? '' },
		},
	).unref();
	const running = () => child.exitCode === null && child.signalCode === null;
	const killGroup = (signal: NodeJS.Signals) => {
		try {
			process.kill(-pid, signal);
		} catch {
			// nothing left
		}
	};
	return {
		child,
		pid,
		exited,
		running,
		async stop({ signal = 'SIGTERM', timeoutMs = 20_000, group = false } = {}) {
			if (running()) {
				if (group) killGroup(signal);
				else child.kill(signal);
				const timer = new Promise<'timeout'>((resolve) =>
					setTimeout(() => resolve('timeout'), timeoutMs).unref(),
				);
				if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
					killGroup('SIGKILL');
					await exited;
				}
			}
			// Whatever is left of the group (a child that outlived its parent) goes too.
			killGroup('SIGKILL');
		},
	};
}

/** Resolves true when a TCP connection to 127.0.0.1:port succeeds. */
/** A log file from byte `sinceOffset` on ('' while it does not exist). */
export function readLog(file: string, sinceOffset = 0): string {
	try {
		return fs.readFileSync(file).subarray(sinceOffset).toString('utf8');
	} catch {
		return '';
	}
}

/** The current length of a log file, to read only what comes after with `readLog(file, offset)`. */
export function logSize(file: string): number {
	try {
		return fs.statSync(file).size;
	} catch {
		return 0;
	}
}

export async function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
	return await new Promise((resolve) => {
		const socket = net.connect({ port, host });
		socket.setTimeout(1000);
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('timeout', () => {
			socket.destroy();
			resolve(false);
		});
		socket.once('error', () => resolve(false));
	});
}

/** The last `lines` lines of a log file, for error messages. */
export function tailFile(file: string, lines = 40): string {
	try {
		return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
	} catch {
		return '';
	}
}

/** Resident memory (kB) of every process in the process group `pgid`, read from /proc. */
export function groupRssKb(pgid: number | undefined): number {
	if (pgid === undefined) return 0;
	let total = 0;
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			if (Number(fields[2]) !== pgid) continue;
			const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
			total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
		} catch {
			// process ended meanwhile
		}
	}
	return total;
}
