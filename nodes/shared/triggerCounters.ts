import type { IExecuteFunctions, IHookFunctions, IWebhookFunctions, INode } from 'n8n-workflow';

import { RedisTriggerCounters } from '../core/stateStore/redisCounters';
import {
	TriggerCounters,
	type CountsSource,
	type TriggerCounts,
	type TriggerRequestOutcome,
} from '../core/triggerCounters';
import { redisOf, usesRedis } from './stateStores';

/**
 * Where each trigger node counts its requests (core/triggerCounters.ts): in this process when its State
 * Store is This Instance, in Redis when it is Redis. Counting never changes a webhook's answer: every
 * failure here is logged at debug level and dropped.
 */

interface ProcessEntry {
	name: string;
	/** Where the trigger counts: 'redis' entries only say that it exists and counts elsewhere. */
	store: 'instance' | 'redis';
	counters: TriggerCounters;
}

/** workflow id → trigger node id → entry, for this process since it started. */
const processCounters = new Map<string, Map<string, ProcessEntry>>();

const workflowIdOf = (ctx: { getWorkflow(): { id?: string } }) => ctx.getWorkflow().id ?? 'unsaved';
const nodeIdOf = (node: INode) => node.id ?? node.name;

function processEntry(
	ctx: IWebhookFunctions | IHookFunctions,
	store: ProcessEntry['store'],
	now: number,
): ProcessEntry {
	const workflowId = workflowIdOf(ctx);
	let nodes = processCounters.get(workflowId);
	if (!nodes) processCounters.set(workflowId, (nodes = new Map()));
	const node = ctx.getNode();
	let entry = nodes.get(nodeIdOf(node));
	if (!entry) {
		entry = { name: node.name, store, counters: new TriggerCounters(now) };
		nodes.set(nodeIdOf(node), entry);
	}
	entry.name = node.name;
	entry.store = store;
	return entry;
}

async function count(
	ctx: IWebhookFunctions | IHookFunctions,
	outcome: TriggerRequestOutcome | undefined,
): Promise<void> {
	const now = Date.now();
	try {
		const redis = usesRedis(ctx);
		const entry = processEntry(ctx, redis ? 'redis' : 'instance', now);
		if (!redis) {
			if (outcome) entry.counters.record(outcome, now);
			return;
		}
		const node = ctx.getNode();
		await new RedisTriggerCounters(await redisOf(ctx), workflowIdOf(ctx)).record(
			{ id: nodeIdOf(node), name: node.name },
			outcome,
			now,
		);
	} catch (error) {
		// Not even a missing logger may turn a lost count into a failed request or publish.
		ctx.logger?.debug(
			`WhatsApp Reliable Trigger: a request was not counted: ${(error as Error).message}`,
		);
	}
}

/** Counts one webhook request of the trigger; never throws. */
export async function countTriggerRequest(
	ctx: IWebhookFunctions,
	outcome: TriggerRequestOutcome,
): Promise<void> {
	await count(ctx, outcome);
}

/** Lists the trigger among the workflow's triggers on publish, before any request; never throws. */
export async function registerTriggerCounters(ctx: IHookFunctions): Promise<void> {
	await count(ctx, undefined);
}

export interface TriggerCountsFound {
	name: string;
	counts: TriggerCounts | undefined;
	source: CountsSource;
}

const TRIGGER_TYPE_SUFFIX = '.whatsAppReliableTrigger';

/**
 * The counts of every WhatsApp Reliable Trigger of the running workflow that this process knows of
 * (published here or received a request here), that counted in Redis (when this node's State Store is
 * Redis), or that feeds this node. `redisError` when this node's Redis did not answer.
 */
export async function findTriggerCounts(
	ctx: IExecuteFunctions,
): Promise<{ triggers: TriggerCountsFound[]; redisError?: string }> {
	const now = Date.now();
	const workflowId = workflowIdOf(ctx);
	const found = new Map<string, TriggerCountsFound>();
	for (const entry of processCounters.get(workflowId)?.values() ?? []) {
		found.set(entry.name, {
			name: entry.name,
			counts: entry.store === 'instance' ? entry.counters.read() : undefined,
			source: entry.store === 'instance' ? { kind: 'process' } : { kind: 'redisUnread' },
		});
	}
	const parents =
		typeof ctx.getParentNodes === 'function'
			? ctx.getParentNodes(ctx.getNode().name, { includeNodeParameters: true })
			: [];
	for (const parent of parents) {
		if (parent.disabled || !parent.type.endsWith(TRIGGER_TYPE_SUFFIX) || found.has(parent.name))
			continue;
		const redis = parent.parameters?.stateStore === 'redis';
		found.set(parent.name, {
			name: parent.name,
			counts: undefined,
			source: redis ? { kind: 'redisUnread' } : { kind: 'process' },
		});
	}
	if (!usesRedis(ctx)) return { triggers: [...found.values()] };
	let redisError: string | undefined;
	try {
		const counters = new RedisTriggerCounters(await redisOf(ctx), workflowId);
		for (const { name, counts } of await counters.readAll(now))
			found.set(name, { name, counts, source: { kind: 'redis' } });
		// Triggers known to count in Redis with nothing there (expired, or not written yet).
		for (const entry of found.values())
			if (entry.source.kind === 'redisUnread') entry.source = { kind: 'redis' };
	} catch (error) {
		redisError = (error as Error).message;
		for (const entry of found.values())
			if (entry.source.kind === 'redisUnread')
				entry.source = { kind: 'redisFailed', message: redisError };
	}
	return { triggers: [...found.values()], redisError };
}

/** Forgets every count of this process; for tests that simulate a restart. */
export function resetTriggerCountersForTests(): void {
	processCounters.clear();
}
