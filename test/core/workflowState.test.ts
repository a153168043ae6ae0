import {
	DORMANT_RETENTION_MS,
	WorkflowState,
	type StatePart,
} from '../../nodes/core/workflowState';

/** A part that keeps a set of strings and merges restored ones under its own. */
class Keys implements StatePart {
	readonly keys = new Set<string>();
	snapshot() {
		return [...this.keys];
	}
	restore(data: unknown) {
		if (Array.isArray(data)) for (const key of data) this.keys.add(String(key));
	}
}

const T0 = 1_000_000;

describe('WorkflowState', () => {
	it('writes every part, open or not, as one document whose generation grows', () => {
		const before = new WorkflowState();
		before.part('trigger:a', () => new Keys(), T0).keys.add('k1');
		before.part('send:b', () => new Keys(), T0).keys.add('s1');
		const stored = JSON.parse(JSON.stringify(before.snapshot(T0)));
		expect(stored).toMatchObject({ f: 1, g: 1 });
		expect(before.snapshot(T0).g).toBe(2);

		// After a restart only the trigger runs: the send node's part is carried through unchanged.
		const after = new WorkflowState();
		expect(after.absorb(stored, T0)).toBe(true);
		after.part('trigger:a', () => new Keys(), T0).keys.add('k2');
		const next = after.snapshot(T0 + 1);
		expect(next.g).toBe(2);
		expect(next.p['send:b'].d).toEqual(['s1']);
		expect(next.p['trigger:a'].d).toEqual(['k1', 'k2']);
	});

	it('ignores a document that is not newer than what it has seen or written', () => {
		const state = new WorkflowState();
		const part = state.part('trigger:a', () => new Keys(), T0);
		part.keys.add('live');
		const old = { f: 1, g: 5, p: { 'trigger:a': { at: T0, d: ['old'] } } };
		expect(state.absorb(old, T0)).toBe(true);
		expect([...part.keys].sort()).toEqual(['live', 'old']);
		part.keys.delete('old'); // e.g. a customer's data erased
		expect(state.absorb({ ...old, g: 4 }, T0)).toBe(false);
		expect(state.absorb(old, T0)).toBe(false);
		expect([...part.keys]).toEqual(['live']);
		expect(state.snapshot(T0).g).toBe(6);
		expect(state.absorb('garbage', T0)).toBe(false);
	});

	it('drops a part nobody opened for longer than the retention (a deleted node)', () => {
		const state = new WorkflowState();
		state.absorb({ f: 1, g: 1, p: { 'trigger:gone': { at: T0, d: ['x'] } } }, T0);
		expect(state.snapshot(T0 + DORMANT_RETENTION_MS - 1).p['trigger:gone']).toBeDefined();
		expect(state.snapshot(T0 + DORMANT_RETENTION_MS).p['trigger:gone']).toBeUndefined();
	});

	it('adopts data of an older layout once per source, the newer layout winning', () => {
		const state = new WorkflowState();
		state.absorb({ f: 1, g: 1, p: { 'trigger:a': { at: T0, d: { dedupe: 'new' } } } }, T0);
		state.adopt('trigger:a', 'dedupe', { dedupe: 'legacy', ledger: 'legacy-ledger' }, T0);
		expect(state.snapshot(T0).p['trigger:a'].d).toEqual({ dedupe: 'new', ledger: 'legacy-ledger' });
		const part = state.part('send:b', () => new Keys(), T0);
		state.adopt('send:b', 'sendOnce', ['legacy-key'], T0);
		state.adopt('send:b', 'sendOnce', ['again'], T0);
		expect([...part.keys]).toEqual(['legacy-key']);
	});
});
