import type { IDataObject, INode, IWorkflowMetadata } from 'n8n-workflow';

import { WorkflowState, type StatePart } from '../core/workflowState';

/**
 * The one live state of each workflow in this n8n process, and how it reaches n8n's database.
 *
 * - Exact under concurrency: every request and execution of this process uses the same object, and
 *   JavaScript runs each check-and-record to completion.
 * - Survives restarts through the workflow's static data, under one key in `global`. Every execution
 *   that runs a node of this package puts a `toJSON` hook there (`saveWithExecution`), so n8n's save at
 *   the end of that execution writes the whole state as it is at that moment: every part, whoever
 *   opened it. An execution that runs none of our nodes and writes no static data saves nothing.
 * - `webhook()` only reads: n8n does not save static data written there when an execution starts.
 */

export const STATE_KEY = 'whatsAppReliable';

export type StateContext = {
	getWorkflow(): IWorkflowMetadata;
	getNode(): INode;
	getWorkflowStaticData(type: string): IDataObject;
};

const states = new Map<string, WorkflowState>();

const HOOK = Symbol('whatsAppReliableStateHook');

function isHook(value: unknown): boolean {
	return !!value && typeof value === 'object' && (value as { [HOOK]?: boolean })[HOOK] === true;
}

/**
 * Where versions before 0.2 kept state: per node, in the node's static data keyed by node name (lost
 * on rename), and the conversations in `global`. Read once into the new document, removed on save.
 */
const LEGACY_NODE_KEYS: Record<string, string> = {
	dedupe: 'trigger',
	ledger: 'trigger',
	sendOnce: 'send',
};
const LEGACY_GLOBAL_KEYS: Record<string, string> = { conversations: 'conversations' };

function nodePartId(ctx: StateContext, kind: string): string {
	const node = ctx.getNode();
	return `${kind}:${node.id ?? node.name}`;
}

/**
 * This workflow's live state. The static data the context carries is merged in when it is newer than
 * anything this process has seen (the first time after a restart, or a document another process
 * wrote); an older copy, such as the one an execution parked in a Wait node carries, adds nothing.
 */
export function workflowState(ctx: StateContext, now = Date.now()): WorkflowState {
	const workflowId = ctx.getWorkflow().id ?? 'unsaved';
	let state = states.get(workflowId);
	if (!state) {
		state = new WorkflowState();
		states.set(workflowId, state);
	}
	const global = ctx.getWorkflowStaticData('global');
	if (!isHook(global[STATE_KEY])) state.absorb(global[STATE_KEY], now);
	for (const [name, id] of Object.entries(LEGACY_GLOBAL_KEYS)) {
		if (global[name] !== undefined) state.adopt(id, name, global[name], now);
	}
	const nodeData = ctx.getWorkflowStaticData('node');
	for (const [name, kind] of Object.entries(LEGACY_NODE_KEYS)) {
		if (nodeData[name] !== undefined)
			state.adopt(nodePartId(ctx, kind), name, { [name]: nodeData[name] }, now);
	}
	return state;
}

/** The part of this workflow's state that belongs to the context's node, named by node id so a rename keeps it. */
export function nodeStatePart<T extends StatePart>(
	ctx: StateContext,
	kind: string,
	create: () => T,
	now = Date.now(),
): T {
	return workflowState(ctx, now).part(nodePartId(ctx, kind), create, now);
}

/** A part of this workflow's state that every node shares (the conversations). */
export function workflowStatePart<T extends StatePart>(
	ctx: StateContext,
	id: string,
	create: () => T,
	now = Date.now(),
): T {
	return workflowState(ctx, now).part(id, create, now);
}

/**
 * Makes n8n's end-of-execution save of static data write this workflow's whole state as it is then.
 * Every node of this package calls it from `execute()`, whether or not it changed anything, so that no
 * save of this workflow carries an old copy of any part.
 */
export function saveWithExecution(ctx: StateContext, now = Date.now()): void {
	const state = workflowState(ctx, now);
	const global = ctx.getWorkflowStaticData('global');
	if (!isHook(global[STATE_KEY])) {
		global[STATE_KEY] = { [HOOK]: true, toJSON: () => state.snapshot() } as unknown as IDataObject;
	}
	// The old keys were adopted above; dropping them keeps them from coming back.
	for (const name of Object.keys(LEGACY_GLOBAL_KEYS)) if (name in global) delete global[name];
	const nodeData = ctx.getWorkflowStaticData('node');
	for (const name of Object.keys(LEGACY_NODE_KEYS)) if (name in nodeData) delete nodeData[name];
}

const FINISHED_KEY = 'whatsAppReliableFinished';
const FINISHED = Symbol('whatsAppReliableFinished');

/**
 * Calls `callback` once n8n saves this execution's static data, which it does when the execution has
 * ended (in queue mode, in the worker that ran it): the one moment a node can learn that an execution
 * finished. Writes nothing: the hook serialises to nothing, but setting it makes n8n save.
 */
export function whenExecutionSaved(ctx: StateContext, callback: () => void): void {
	const global = ctx.getWorkflowStaticData('global');
	let hook = global[FINISHED_KEY] as unknown as { [FINISHED]?: Array<() => void> } | undefined;
	if (!hook?.[FINISHED]) {
		const callbacks: Array<() => void> = [];
		hook = {
			[FINISHED]: callbacks,
			toJSON: () => {
				// Once: a second serialisation of the same copy is not a second end.
				for (const call of callbacks.splice(0)) call();
				return undefined;
			},
		} as unknown as { [FINISHED]: Array<() => void> };
		global[FINISHED_KEY] = hook as unknown as IDataObject;
	}
	hook[FINISHED]!.push(callback);
}

/** Forgets all live state; for tests that simulate a process restart. */
export function resetWorkflowStatesForTests(): void {
	states.clear();
}
