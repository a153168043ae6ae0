/**
 * The private Redis and Postgres servers the queue-mode cluster runs on (test/support/redisServer.ts,
 * test/support/postgresServer.ts): each starts on 127.0.0.1 on a free port, keeps data across a restart
 * and leaves nothing behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cachePaths } from '../support/n8n';
import { startPostgres } from '../support/postgresServer';
import { startRedis } from '../support/redisServer';
import { canConnect } from '../support/processes';

describe('private Redis', () => {
	it('starts, keeps data across a restart, forgets it on request, and cleans up', async () => {
		const redis = await startRedis();
		try {
			expect(redis.host).toBe('127.0.0.1');
			expect(await redis.command('PING')).toBe('PONG');
			expect(await redis.command('CONFIG', 'GET', 'bind')).toEqual(['bind', '127.0.0.1']);
			await redis.command('SET', 'k', 'v');
			await redis.restart();
			expect(await redis.command('GET', 'k')).toBe('v');
			await redis.restart({ keepData: false });
			expect(await redis.command('GET', 'k')).toBeNull();
			await expect(redis.command('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/i);
		} finally {
			await redis.stop();
		}
		expect(fs.existsSync(redis.dir)).toBe(false);
		expect(await canConnect(redis.port)).toBe(false);
	});
});

describe('private Postgres', () => {
	it('starts as an unprivileged user, takes the application user over TCP with its password, keeps data across a restart, and cleans up', async () => {
		const pg = await startPostgres();
		try {
			expect(pg.host).toBe('127.0.0.1');
			expect(await pg.psql('show listen_addresses')).toBe('127.0.0.1');
			expect(await pg.psql("select current_setting('server_version_num')::int / 10000")).toBe('15');
			// n8n's own driver, as n8n connects: TCP, password.
			const { Client } = require(path.join(cachePaths().N8N_MODULES, 'pg')) as {
				Client: new (config: object) => {
					connect(): Promise<void>;
					query(sql: string): Promise<{ rows: Array<Record<string, unknown>> }>;
					end(): Promise<void>;
				};
			};
			const env = pg.n8nEnv();
			const client = new Client({
				host: env.DB_POSTGRESDB_HOST,
				port: Number(env.DB_POSTGRESDB_PORT),
				database: env.DB_POSTGRESDB_DATABASE,
				user: env.DB_POSTGRESDB_USER,
				password: env.DB_POSTGRESDB_PASSWORD,
			});
			await client.connect();
			await client.query("create table t (v text); insert into t values ('kept')");
			await client.end();
			const wrong = new Client({
				host: pg.host,
				port: pg.port,
				database: pg.database,
				user: pg.user,
				password: 'wrong',
			});
			await expect(wrong.connect()).rejects.toThrow(/password authentication failed/);
			await pg.restart();
			expect(await pg.psql('select v from t')).toBe('kept');
			await pg.restart({ hardKill: true });
			expect(await pg.psql('select v from t')).toBe('kept');
		} finally {
			await pg.stop();
		}
		expect(fs.existsSync(pg.dir)).toBe(false);
		expect(await canConnect(pg.port)).toBe(false);
	});
});
