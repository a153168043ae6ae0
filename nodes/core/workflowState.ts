/**
 * Everything this package remembers about one workflow, as one document: each trigger's dedupe keys
 * and status ledger, each send node's send-once keys, the conversations. Why one document: n8n saves a
 * workflow's static data whole, from the copy each execution loaded when it started, so any part an
 * execution does not write as the current truth is written back as it was at that execution's start.
 * Writing every part, every time, from the one live state in this process makes every save a complete,
 * current snapshot, and the save that lands last is never older than what it overwrites by more than
 * the executions still running.
 *
 * Parts are named by what they are and by node id (`trigger:<node id>`), so renaming a node keeps its
 * state. A part that is not open in this process (its node has not run since the restart, or was
 * deleted) is carried through unchanged, and dropped once it has not been opened for
 * `DORMANT_RETENTION_MS`: by then every key it holds has expired.
 *
 * No n8n imports: the glue that installs the document into static data lives in `nodes/shared`.
 */

export interface StatePart {
	/** A JSON-serialisable copy of the part. */
	snapshot(now: number): unknown;
	/** Merges a persisted copy under the live part (live entries win). */
	restore(data: unknown, now: number): void;
}

/** One part as persisted: `at` is when it was last open in a process, `d` its snapshot. */
interface StoredPart {
	at: number;
	d: unknown;
}

export interface StoredWorkflowState {
	/** Format. */
	f: 1;
	/** Generation: grows with every snapshot, across restarts, so a newer document can be told from an older one. */
	g: number;
	p: Record<string, StoredPart>;
}

/** Longer than the longest window any part keeps a key (30 days). */
export const DORMANT_RETENTION_MS = 31 * 24 * 3600_000;

export function isStoredWorkflowState(value: unknown): value is StoredWorkflowState {
	if (!value || typeof value !== 'object') return false;
	const stored = value as Partial<StoredWorkflowState>;
	return stored.f === 1 && typeof stored.g === 'number' && isPlainObject(stored.p);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return !!value && typeof value === 'object' && !Array.isArray(value);
}

export class WorkflowState {
	private readonly live = new Map<string, StatePart>();
	private readonly dormant = new Map<string, StoredPart>();
	private readonly adopted = new Set<string>();
	/** The newest generation written or absorbed. */
	private generation = 0;

	/** The live part with this id, created (and restored from what was persisted) on first use. */
	part<T extends StatePart>(id: string, create: () => T, now = Date.now()): T {
		let part = this.live.get(id) as T | undefined;
		if (!part) {
			part = create();
			const stored = this.dormant.get(id);
			if (stored) part.restore(stored.d, now);
			this.dormant.delete(id);
			this.live.set(id, part);
		}
		return part;
	}

	/** Whether a part is live in this process. */
	isOpen(id: string): boolean {
		return this.live.has(id);
	}

	/**
	 * Merges a persisted document if it is newer than anything seen: its parts restore under the live
	 * ones, and dormant parts take its copy. An older document (say, static data an execution parked
	 * in a Wait node carried along) adds nothing and is ignored.
	 */
	absorb(stored: unknown, now = Date.now()): boolean {
		if (!isStoredWorkflowState(stored) || stored.g <= this.generation) return false;
		this.generation = stored.g;
		for (const [id, part] of Object.entries(stored.p)) {
			if (!part || typeof part !== 'object' || typeof part.at !== 'number') continue;
			const live = this.live.get(id);
			if (live) live.restore(part.d, now);
			else this.dormant.set(id, part);
		}
		return true;
	}

	/**
	 * Adds a part's data persisted in an older layout. A live part merges it; a dormant one takes the
	 * fields it does not have yet (the newer layout wins).
	 */
	adopt(id: string, source: string, data: unknown, now = Date.now()): void {
		// Once per source and process: the old keys stay in static data until an execution saves.
		if (data === undefined || data === null || this.adopted.has(`${id}\u0000${source}`)) return;
		this.adopted.add(`${id}\u0000${source}`);
		const live = this.live.get(id);
		if (live) return live.restore(data, now);
		const dormant = this.dormant.get(id);
		const merged =
			dormant && isPlainObject(dormant.d) && isPlainObject(data)
				? { ...data, ...dormant.d }
				: (dormant?.d ?? data);
		this.dormant.set(id, { at: dormant?.at ?? now, d: merged });
	}

	/** The whole document as it is now. */
	snapshot(now = Date.now()): StoredWorkflowState {
		const parts: Record<string, StoredPart> = {};
		for (const [id, stored] of this.dormant) {
			if (now - stored.at < DORMANT_RETENTION_MS) parts[id] = stored;
			else this.dormant.delete(id);
		}
		for (const [id, part] of this.live) parts[id] = { at: now, d: part.snapshot(now) };
		this.generation += 1;
		return { f: 1, g: this.generation, p: parts };
	}
}
