import { MemoryTriggerStore } from '../../nodes/core/stateStore/memory';
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
