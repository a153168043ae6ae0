import { dispatchByRecipient } from '../../nodes/core/recipientLanes';

describe('dispatchByRecipient', () => {
	it('keeps order per recipient and bounds concurrency', async () => {
		const items = ['a1', 'b1', 'a2', 'c1', 'b2', 'a3', 'd1', 'e1'];
		const done: string[] = [];
		let active = 0;
		let peak = 0;
		await dispatchByRecipient(
			items,
			(i) => i[0],
			3,
			async (item) => {
				active++;
				peak = Math.max(peak, active);
				await new Promise((resolve) => setTimeout(resolve, item === 'a1' ? 20 : 2));
				done.push(item);
				active--;
			},
		);
		expect(peak).toBe(3);
		expect(done.filter((i) => i[0] === 'a')).toEqual(['a1', 'a2', 'a3']);
		expect(done.filter((i) => i[0] === 'b')).toEqual(['b1', 'b2']);
		expect(done).toHaveLength(8);
	});

	it('starts nothing more once stop() is true', async () => {
		const done: number[] = [];
		await dispatchByRecipient(
			[1, 2, 3, 4, 5],
			String,
			1,
			async (n) => void done.push(n),
			() => done.length >= 2,
		);
		expect(done).toEqual([1, 2]);
	});
});
