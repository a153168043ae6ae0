import { MemoryTriggerStore } from '../../nodes/core/stateStore/memory';
import {
	settleEvents,
	withRecovered,
	type AdmitResult,
	type TriggerItem,
} from '../../nodes/core/triggerPipeline';
import { describeTriggerPipeline } from '../support/contracts/triggerPipeline';

describeTriggerPipeline({
	name: 'this n8n instance',
	virtualTime: true,
	async create() {
		const store = new MemoryTriggerStore({ ttlMs: 7 * 86400_000, capacity: 1000 });
		return {
			store,
			stateOf: async (key, now) => store.keys.stateOf(key, now),
			currentStatus: async (messageId) => store.ledger.current(messageId),
		};
	},
});

describe('events of executions that never finished', () => {
	const item = (id: string) =>
		({ dedupeKey: `message:${id}`, messageId: id, duplicate: false }) as unknown as TriggerItem;
	const admitted = (answer: AdmitResult['answer']): AdmitResult => ({
		outputs: [[], [], [], [], []],
		received: 1,
		filtered: 0,
		duplicates: 1,
		stale: 0,
		inFlight: 0,
		hasNewEvents: false,
		answer,
	});

	it('ride along with a request, flagged with the execution they come from, and start an execution', () => {
		const result = withRecovered(admitted('acknowledge'), [
			{
				executionId: '41',
				items: [
					[0, item('wamid.a')],
					[2, item('wamid.s')],
				],
			},
		]);
		expect(result.answer).toBe('execute');
		expect(result.outputs[0]).toEqual([expect.objectContaining({ recoveredFrom: '41' })]);
		expect(result.outputs[2]).toEqual([expect.objectContaining({ recoveredFrom: '41' })]);
	});

	it('wait while the request itself is asked to retry', () => {
		const busy = admitted('retryLater');
		expect(withRecovered(busy, [{ executionId: '41', items: [[0, item('wamid.a')]] }])).toBe(busy);
	});

	it('are kept by settlement without a second confirmation', async () => {
		const store = new MemoryTriggerStore({ ttlMs: 86400_000, capacity: 100 });
		const recovered = { ...item('wamid.r'), recoveredFrom: '41' };
		const settled = await settleEvents([[recovered]], { store, now: 1 });
		expect(settled[0].map(({ item: kept }) => kept.recoveredFrom)).toEqual(['41']);
		expect(store.keys.stateOf('message:wamid.r', 1)).toBeUndefined();
	});
});
