/**
 * Runs `worker` for every item, at most `concurrency` at a time, items of the same recipient one after
 * another in input order. Stops starting new items once `stop()` is true.
 */
export async function dispatchByRecipient<T>(
	items: readonly T[],
	recipientOf: (item: T) => string,
	concurrency: number,
	worker: (item: T) => Promise<void>,
	stop: () => boolean = () => false,
): Promise<void> {
	const groups = new Map<string, T[]>();
	for (const item of items) {
		const recipient = recipientOf(item);
		const group = groups.get(recipient);
		if (group) group.push(item);
		else groups.set(recipient, [item]);
	}
	const queue = [...groups.values()];
	const lanes = Math.max(1, Math.min(Math.floor(concurrency) || 1, queue.length));
	let nextGroup = 0;
	const lane = async () => {
		while (nextGroup < queue.length && !stop()) {
			const group = queue[nextGroup++];
			for (const item of group) {
				if (stop()) return;
				await worker(item);
			}
		}
	};
	await Promise.all(Array.from({ length: lanes }, lane));
}
