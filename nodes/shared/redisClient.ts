import { createHash } from 'crypto';
import type { Redis, RedisOptions } from 'ioredis';

import { RecentSecrets } from '../core/recentSecrets';
import { reportingFailures, type RedisScripts } from '../core/stateStore/redis';

/**
 * The one place this package loads a module outside n8n's allow-list for community nodes: `ioredis`.
 * Why it is acceptable: n8n itself depends on ioredis (5.3.2 in n8n 2.41.1, for queue mode and its
 * cache) and puts its own module folders on NODE_PATH when it loads community nodes, so the package
 * keeps no runtime dependency and uses exactly the client n8n's queue mode uses. It is loaded lazily,
 * only when a node's State Store is Redis: an instance that never chooses Redis never loads it.
 * scripts/scan.mjs lists this file as the one explained exception to n8n's verification scan.
 */

/** n8n's built-in Redis credential (`redis`), the one queue mode's Redis is usually entered as. */
export interface RedisCredential {
	host?: string;
	port?: number;
	database?: number;
	user?: string;
	password?: string;
	ssl?: boolean;
	disableTlsVerification?: boolean;
}

type RedisConstructor = new (options: RedisOptions) => Redis;

let RedisClass: RedisConstructor | undefined;

/** Loads ioredis from n8n's own modules, once. */
function loadIoredis(): RedisConstructor {
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- see the comment at the top
	RedisClass ??= (require('ioredis') as { default: RedisConstructor }).default;
	return RedisClass;
}

/** One client per distinct connection in this process, shared by every node and request. */
const clients = new Map<string, Redis>();

function connectionKey(credential: RedisCredential): string {
	return createHash('sha256').update(JSON.stringify(credential)).digest('base64url');
}

const COMMAND_TIMEOUT_MS = 5_000;

/**
 * A client for the credential. Commands fail fast rather than queue while Redis is down (one retry,
 * `commandTimeout`): a webhook must answer 503 within Meta's timeout, and an execution must fail with
 * a clear error instead of hanging.
 */
export function redisScripts(credential: RedisCredential, credentialName: string): RedisScripts {
	const key = connectionKey(credential);
	let client = clients.get(key);
	if (!client) {
		const Client = loadIoredis();
		client = new Client({
			host: credential.host || 'localhost',
			port: Number(credential.port) || 6379,
			db: Number(credential.database) || 0,
			username: credential.user || undefined,
			password: credential.password || undefined,
			tls: credential.ssl ? { rejectUnauthorized: !credential.disableTlsVerification } : undefined,
			connectTimeout: COMMAND_TIMEOUT_MS,
			commandTimeout: COMMAND_TIMEOUT_MS,
			maxRetriesPerRequest: 1,
			// Reconnects in the background; commands meanwhile fail fast (see above).
			retryStrategy: (times) => Math.min(times * 200, 2_000),
		});
		// Without a listener, a lost connection would be an unhandled 'error' event; each command reports it.
		client.on('error', () => undefined);
		clients.set(key, client);
	}
	return reportingFailures(client, credentialName);
}

/**
 * Reading a credential costs n8n a decryption (tens of ms); the trigger's webhook reads the Redis
 * credential on every request, so it is remembered for a minute, like the app secret.
 */
export const RECENT_REDIS_CREDENTIALS = new RecentSecrets(60_000);

/** Closes every client; for tests. */
export function closeRedisClientsForTests(): void {
	for (const client of clients.values()) client.disconnect();
	clients.clear();
}
