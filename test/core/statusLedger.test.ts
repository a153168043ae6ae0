import { StatusLedger } from '../../nodes/core/statusLedger';

function run(sequence: string[]) {
	const ledger = new StatusLedger(100);
	return sequence.map((status) => {
		const j = ledger.apply('wamid.1', status);
		return `${status}:${j.verdict}:${j.current}`;
	});
}

describe('StatusLedger', () => {
	it('advances in order', () => {
		expect(run(['sent', 'delivered', 'read', 'played'])).toEqual([
			'sent:advanced:sent',
			'delivered:advanced:delivered',
			'read:advanced:read',
			'played:advanced:played',
		]);
	});

	it('never downgrades when statuses arrive out of order', () => {
		expect(run(['read', 'delivered', 'sent'])).toEqual([
			'read:advanced:read',
			'delivered:stale:read',
			'sent:stale:read',
		]);
	});

	it('tells duplicates from stale events', () => {
		expect(run(['delivered', 'delivered', 'sent'])).toEqual([
			'delivered:advanced:delivered',
			'delivered:duplicate:delivered',
			'sent:stale:delivered',
		]);
	});

	it('applies failed only below delivered; only delivered, read or played clear a failure', () => {
		expect(run(['sent', 'failed', 'delivered', 'failed'])).toEqual([
			'sent:advanced:sent',
			'failed:advanced:failed',
			'delivered:advanced:delivered',
			'failed:duplicate:delivered',
		]);
		expect(run(['delivered', 'failed'])).toEqual([
			'delivered:advanced:delivered',
			'failed:stale:delivered',
		]);
		expect(run(['failed', 'sent'])).toEqual(['failed:advanced:failed', 'sent:stale:failed']);
	});

	it('treats unranked statuses as news once without moving the mark', () => {
		expect(run(['read', 'deleted', 'deleted'])).toEqual([
			'read:advanced:read',
			'deleted:advanced:read',
			'deleted:duplicate:read',
		]);
	});

	it('reports the previous status', () => {
		const ledger = new StatusLedger(10);
		expect(ledger.apply('m', 'sent').previous).toBeNull();
		expect(ledger.apply('m', 'read').previous).toBe('sent');
	});

	it('keeps messages apart and evicts the least recently active beyond capacity', () => {
		const ledger = new StatusLedger(2);
		ledger.apply('a', 'read');
		ledger.apply('b', 'read');
		ledger.apply('a', 'played');
		ledger.apply('c', 'sent');
		expect(ledger.size).toBe(2);
		expect(ledger.current('b')).toBeNull();
		expect(ledger.current('a')).toBe('played');
	});

	it('survives a snapshot round trip through JSON, live state winning', () => {
		const before = new StatusLedger(10);
		before.apply('m1', 'read');
		before.apply('m2', 'failed');
		const after = new StatusLedger(10);
		after.apply('m2', 'delivered');
		after.restore(JSON.parse(JSON.stringify(before.snapshot())));
		expect(after.current('m1')).toBe('read');
		expect(after.current('m2')).toBe('delivered');
		expect(after.apply('m1', 'delivered').verdict).toBe('stale');
	});

	it('ignores garbage when restoring', () => {
		const ledger = new StatusLedger(10);
		ledger.restore('nonsense');
		ledger.restore({ x: 'not-an-array' });
		expect(ledger.size).toBe(0);
	});
});
