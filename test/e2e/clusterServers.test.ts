/**
 * The private Redis and Postgres servers the queue-mode cluster runs on (test/support/redisServer.ts,
 * test/support/postgresServer.ts): each starts on 127.0.0.1 on a free port, keeps data across a restart
 * and leaves nothing behind.
 */
import * as fs from 'node:fs';
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
