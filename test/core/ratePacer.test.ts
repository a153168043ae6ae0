import { RatePacer, RatePacers } from '../../nodes/core/ratePacer';
import { nodeRatePacer } from '../../nodes/shared/ratePacers';

/** Start times of `count` calls that all ask at `at`, each waiting what the pacer says. */
const starts = (pacer: RatePacer, at: number, count: number) =>
	Array.from({ length: count }, () => at + pacer.reserve(at));

/** The most starts inside any window of `windowMs` (a window opens at each start). */
const busiestWindow = (times: number[], windowMs: number) =>
	Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));

describe('RatePacer', () => {
	it('spaces starts to the rate', () => {
		const pacer = new RatePacer(10);
		expect([pacer.reserve(0), pacer.reserve(0), pacer.reserve(0), pacer.reserve(150)]).toEqual([
			0, 100, 200, 150,
		]);
		expect(pacer.reserve(10_000)).toBe(0);
	});

	it('lets no backlog leave at once after a stall: the next calls are spaced at the rate', () => {
		const pacer = new RatePacer(10);
		starts(pacer, 0, 30); // busy: 3 s of reservations
		const afterStall = starts(pacer, 3_600_000, 25); // an hour of nothing, then a backlog of 25
		expect(afterStall.slice(0, 4)).toEqual([3_600_000, 3_600_100, 3_600_200, 3_600_300]);
		expect(busiestWindow(afterStall, 1000)).toBe(10);
	});

	it('bounds the burst to the bucket: with room for 5, five start at once and the rest at the rate', () => {
		const pacer = new RatePacer(10, 5);
		const afterStall = starts(pacer, 60_000, 8);
		expect(afterStall).toEqual([60_000, 60_000, 60_000, 60_000, 60_000, 60_100, 60_200, 60_300]);
		// A second stall refills to 5, never more.
		expect(starts(pacer, 600_000, 7).filter((t) => t === 600_000)).toHaveLength(5);
	});

	it('does not pace without a positive, finite rate, and takes a new rate', () => {
		expect(starts(new RatePacer(0), 0, 3)).toEqual([0, 0, 0]);
		expect(starts(new RatePacer(Infinity), 0, 3)).toEqual([0, 0, 0]);
		const pacer = new RatePacer(10);
		pacer.configure(2);
		expect(starts(pacer, 0, 3)).toEqual([0, 500, 1000]);
	});
});

describe('one pacer per workflow and node, shared by concurrent executions', () => {
	it('spaces two callers of one key together, and keeps other keys apart', () => {
		const pacers = new RatePacers();
		const execA = pacers.get('wf-1:send', 10);
		const execB = pacers.get('wf-1:send', 10);
		const otherNode = pacers.get('wf-1:other', 10);
		expect(execB).toBe(execA);
		// Two executions asking in turn at the same instant share one ceiling.
		const times: number[] = [];
		for (let i = 0; i < 10; i++) {
			times.push(1000 + execA.reserve(1000));
			times.push(1000 + execB.reserve(1000));
		}
		expect(new Set(times).size).toBe(20);
		expect(busiestWindow(times, 1000)).toBe(10);
		expect(otherNode.reserve(1000)).toBe(0);
		expect(pacers.size).toBe(2);
	});

	it('keys the node pacer by workflow id and node id, so a rename keeps it', () => {
		const ctx = (workflowId: string, nodeId: string, name: string) => ({
			getWorkflow: () => ({ id: workflowId, name: 'w', active: true }),
			getNode: () =>
				({
					id: nodeId,
					name,
					type: 't',
					typeVersion: 1,
					position: [0, 0],
					parameters: {},
				}) as never,
		});
		const first = nodeRatePacer(ctx('wf-pacer', 'n-1', 'Send'), 5);
		expect(nodeRatePacer(ctx('wf-pacer', 'n-1', 'Send (renamed)'), 5)).toBe(first);
		expect(nodeRatePacer(ctx('wf-pacer', 'n-2', 'Send'), 5)).not.toBe(first);
		expect(nodeRatePacer(ctx('wf-other', 'n-1', 'Send'), 5)).not.toBe(first);
		// An edited rate reaches the shared pacer.
		expect(nodeRatePacer(ctx('wf-pacer', 'n-1', 'Send'), 1).rate).toBe(1);
	});
});
