/**
 * Workflow static data as n8n 2.41 handles it, for every node test (one fake, shaped like n8n):
 *
 * - The database holds one JSON row per workflow: `{ global: {...}, 'node:<node name>': {...} }`.
 * - Each execution (and each webhook request) starts from its own copy of that row, read when it starts.
 * - `getWorkflowStaticData('global')` is the copy's `global`; `getWorkflowStaticData('node')` is
 *   `node:<name of the calling node>`.
 * - At its end an execution saves its whole copy, serialised then (so `toJSON` hooks run at save
 *   time), and only if something in it was written: n8n's ObservableObject sets `__dataChanged`.
 * - Saves can land out of order: `finish()` serialises and returns `land()`, which writes the row.
 */
import type { IDataObject } from 'n8n-workflow';

export class FakeWorkflowDatabase {
	private row = '{}';
	/** How many saves landed. */
	saves = 0;
	/** Size of the last save, in bytes. */
	lastSaveBytes = 0;

	/** The stored row, parsed. */
	read(): IDataObject {
		return JSON.parse(this.row) as IDataObject;
	}

	/** Puts a row in place, as an operator (or an older version of the package) left it. */
	seed(row: IDataObject): void {
		this.row = JSON.stringify(row);
	}

	/** A copy of the row as an execution (or webhook request) loads it when it starts. */
	begin(): ExecutionStaticData {
		return new ExecutionStaticData(this, JSON.parse(this.row) as IDataObject);
	}

	/** Called by an execution's `land()`. */
	write(serialised: string): void {
		this.row = serialised;
		this.saves++;
		this.lastSaveBytes = Buffer.byteLength(serialised);
	}
}

export class ExecutionStaticData {
	private changed = false;

	constructor(
		private readonly db: FakeWorkflowDatabase,
		private readonly data: IDataObject,
	) {}

	/** What the context's `getWorkflowStaticData(type)` returns for a node of this name. */
	forNode(type: string, nodeName: string): IDataObject {
		const key = type === 'global' ? 'global' : `node:${nodeName}`;
		this.data[key] ??= {};
		return this.observe(this.data[key] as IDataObject);
	}

	/** The end of the execution: serialise now if anything was written; `land()` stores it. */
	finish(): () => void {
		if (!this.changed) return () => undefined;
		const serialised = JSON.stringify(this.data);
		return () => this.db.write(serialised);
	}

	/** The end of the execution with the save landing at once. */
	finishAndLand(): void {
		this.finish()();
	}

	get wasChanged(): boolean {
		return this.changed;
	}

	/** Like n8n's ObservableObject: any write or delete, however deep, marks the copy as changed. */
	private observe(target: IDataObject): IDataObject {
		return new Proxy(target, {
			get: (object, property, receiver) => {
				const value = Reflect.get(object, property, receiver) as unknown;
				if (
					value &&
					typeof value === 'object' &&
					!Array.isArray(value) &&
					typeof property === 'string' &&
					Object.getPrototypeOf(value) === Object.prototype
				)
					return this.observe(value as IDataObject);
				return value;
			},
			set: (object, property, value) => {
				this.changed = true;
				return Reflect.set(object, property, value);
			},
			deleteProperty: (object, property) => {
				this.changed = true;
				return Reflect.deleteProperty(object, property);
			},
		});
	}
}
