import type { IDataObject, INode, IWorkflowMetadata } from 'n8n-workflow';

/**
 * Process-wide state (dedupe keys, status ranks, send-once claims) that survives n8n restarts through
 * workflow static data.
 *
 * Why not static data alone: in n8n 2.41 static data written in `webhook()` is not saved when an
 * execution starts, and static data written in `execute()` is saved as a whole object at the end of
 * the execution, last writer wins, so concurrent executions overwrite each other's keys.
 *
 * What we do instead:
 * - The live state is one object per (workflow, node, name) in this module, shared by every
 *   request and execution of this n8n process. JavaScript runs each check-and-record to completion,
 *   so concurrent deliveries are judged exactly.
 * - It is restored once per process from static data, the first time a webhook or execution needs it.
 * - `execute()` stores a `toJSON` hook in the node's static data. n8n serialises static data when it
 *   saves it at the end of the execution, so each save writes the state as it is at that moment,
 *   which includes every key recorded before, by this execution or any other. The last save to
 *   land is the newest snapshot, so "last writer wins" now loses nothing.
 */

export interface Persistable {
	/** A JSON-serialisable copy of the state. */
	snapshot(): unknown;
	/** Merges a persisted copy into the live state. */
	restore(data: unknown): void;
}

interface StateContext {
	getWorkflow(): IWorkflowMetadata;
	getNode(): INode;
	getWorkflowStaticData(type: string): IDataObject;
}

/**
 * `node`: state of one node (a trigger's dedupe keys). `workflow`: state every node of the workflow
 * shares (conversations written by the trigger, the send node and the escalation node).
 */
export type StateScope = 'node' | 'workflow';

const states = new Map<string, Persistable>();

function stateKey(ctx: StateContext, name: string, scope: StateScope): string {
	const node = ctx.getNode();
	const owner = scope === 'node' ? (node.id ?? node.name) : '';
	return `${ctx.getWorkflow().id ?? 'unsaved'}\u0000${owner}\u0000${name}`;
}

function staticData(ctx: StateContext, scope: StateScope): IDataObject {
	return ctx.getWorkflowStaticData(scope === 'node' ? 'node' : 'global');
}

/** The process-wide state for this name and scope, created and restored from static data on first use. */
export function processState<T extends Persistable>(
	ctx: StateContext,
	name: string,
	create: () => T,
	scope: StateScope = 'node',
): T {
	const key = stateKey(ctx, name, scope);
	let state = states.get(key) as T | undefined;
	if (!state) {
		state = create();
		const persisted = staticData(ctx, scope)[name];
		// Only plain data comes back from the database; our own hook object means "already live".
		if (persisted && typeof persisted === 'object' && !isHook(persisted)) state.restore(persisted);
		states.set(key, state);
	}
	return state;
}

const HOOK = Symbol('persistHook');

function isHook(value: object): boolean {
	return (value as Record<symbol, unknown>)[HOOK] === true;
}

/**
 * Makes the end-of-execution save of static data write the state as it is when n8n saves it.
 * Call only from `execute()`: writing the same static data from `webhook()` too would race with it.
 */
export function persistWithExecution(
	ctx: StateContext,
	name: string,
	state: Persistable,
	scope: StateScope = 'node',
): void {
	staticData(ctx, scope)[name] = {
		[HOOK]: true,
		toJSON: () => state.snapshot(),
	} as unknown as IDataObject;
}

/** Forgets all live state; for tests that simulate a process restart. */
export function resetProcessStateForTests(): void {
	states.clear();
}
