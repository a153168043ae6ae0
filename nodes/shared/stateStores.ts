import type {
	ICredentialsDecrypted,
	IExecuteFunctions,
	IHookFunctions,
	INodeCredentialTestResult,
	INodeProperties,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { ConversationBook, type BookConfig } from '../core/conversationRecord';
import type { DedupeStoreOptions } from '../core/dedupeStore';
import {
	MemoryConversationStore,
	MemorySendOnceStore,
	MemoryTriggerStore,
} from '../core/stateStore/memory';
import { RedisSendOnceStore, RedisTriggerStore, redisNamespace } from '../core/stateStore/redis';
import { RedisConversationStore } from '../core/stateStore/redisConversations';
import type { ConversationStore, SendOnceStore, TriggerStore } from '../core/stateStore/types';
import { StateStoreUnavailableError } from '../core/stateStore/types';
import { RECENT_REDIS_CREDENTIALS, redisScripts, type RedisCredential } from './redisClient';
import { nodeStatePart, saveWithExecution, workflowStatePart } from './workflowState';

/**
 * Which backend of the state interfaces (nodes/core/stateStore/types.ts) a node uses, from its
 * "State Store" parameter: this n8n instance (memory + static data, the default) or Redis (n8n's own
 * Redis credential type, for queue mode). Every node of a workflow that shares state (the trigger,
 * send node and escalation node share the conversations) should name the same store.
 */

export const stateStoreProperty: INodeProperties = {
	displayName: 'State Store',
	name: 'stateStore',
	type: 'options',
	noDataExpression: true,
	default: 'instance',
	description:
		'Where this node remembers events, sends and conversations. Choose Redis when n8n runs in queue mode (webhook processes and workers), and on every WhatsApp node of the workflow.',
	options: [
		{
			name: 'This Instance',
			value: 'instance',
			description: 'In this n8n process, saved with the workflow: for n8n running as one process',
		},
		{
			name: 'Redis',
			value: 'redis',
			description:
				'Shared by every n8n process; uses a WhatsApp State Redis credential (for example the Redis of queue mode)',
		},
	],
};

type Context = IWebhookFunctions | IExecuteFunctions | IHookFunctions;

const isExecution = (ctx: Context): ctx is IExecuteFunctions => 'getInputData' in ctx;

export function usesRedis(ctx: Context): boolean {
	const value = isExecution(ctx)
		? ctx.getNodeParameter('stateStore', 0, 'instance')
		: ctx.getNodeParameter('stateStore', 'instance');
	return value === 'redis';
}

function workflowId(ctx: Context): string {
	return ctx.getWorkflow().id ?? 'unsaved';
}

/** The Redis of the node's credential; failures name the credential. */
export async function redisOf(ctx: Context) {
	const reference = ctx.getNode().credentials?.whatsAppRedisApi;
	const name = reference?.name ?? 'Redis';
	const id = reference?.id ?? null;
	let remembered = id === null ? undefined : RECENT_REDIS_CREDENTIALS.get(id, Date.now());
	if (remembered === undefined) {
		remembered = JSON.stringify(await ctx.getCredentials<RedisCredential>('whatsAppRedisApi'));
		if (id !== null) RECENT_REDIS_CREDENTIALS.set(id, remembered, Date.now());
	}
	return redisScripts(JSON.parse(remembered) as RedisCredential, name);
}

/** A failure inside an execution as a node error; a Redis failure names the credential and what to check. */
export function asNodeError(ctx: IExecuteFunctions, error: unknown): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	if (!(error instanceof StateStoreUnavailableError))
		return new NodeOperationError(ctx.getNode(), error as Error);
	return new NodeOperationError(ctx.getNode(), error.message, {
		description:
			"The node's State Store is Redis and Redis did not answer. Check the Redis credential (host, port, password) and that Redis is running; nothing was recorded.",
	});
}

export { StateStoreUnavailableError };

/** The trigger node's memory. */
export async function openTriggerStore(
	ctx: Context,
	options: DedupeStoreOptions,
): Promise<TriggerStore> {
	if (usesRedis(ctx)) {
		const namespace = redisNamespace(workflowId(ctx), ctx.getNode().id);
		return new RedisTriggerStore(await redisOf(ctx), namespace, options.ttlMs);
	}
	const memory = nodeStatePart(ctx, 'trigger', () => new MemoryTriggerStore(options));
	memory.configure(options);
	if (isExecution(ctx)) saveWithExecution(ctx);
	return memory;
}

/** The send node's send-once keys. */
export async function openSendOnceStore(
	ctx: IExecuteFunctions,
	options: DedupeStoreOptions,
): Promise<SendOnceStore> {
	if (usesRedis(ctx)) {
		const namespace = redisNamespace(workflowId(ctx), ctx.getNode().id);
		return new RedisSendOnceStore(await redisOf(ctx), namespace, options.ttlMs);
	}
	const memory = nodeStatePart(ctx, 'send', () => new MemorySendOnceStore(options));
	memory.configure(options);
	saveWithExecution(ctx);
	return memory;
}

export const CONVERSATIONS_STATE = 'conversations';

/**
 * The workflow's conversations, with the limits the caller sets. In this instance: the one live book,
 * expired conversations dropped, persisted with this execution. Only `execute()` may open them.
 */
export async function openConversationStore(
	ctx: IExecuteFunctions,
	config: Partial<BookConfig> = {},
	now = Date.now(),
): Promise<ConversationStore> {
	if (usesRedis(ctx))
		return new RedisConversationStore(await redisOf(ctx), `wr:{${workflowId(ctx)}}`, config);
	const book = workflowStatePart(ctx, CONVERSATIONS_STATE, () => new ConversationBook(), now);
	book.configure(config);
	book.purge(now);
	saveWithExecution(ctx, now);
	return new MemoryConversationStore(book);
}

/** The credential test of the Redis credential: one script round trip. */
export async function testRedisConnection(
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const name = credential.name ?? 'Redis';
	try {
		const answer = await redisScripts(credential.data as RedisCredential, name).eval(
			"return 'ok'",
			0,
		);
		return answer === 'ok'
			? { status: 'OK', message: 'Redis answered' }
			: { status: 'Error', message: `Redis answered ${String(answer)}` };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
}
