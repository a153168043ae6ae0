import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import {
	normaliseCustomerId,
	type BookConfig,
	type Conversation,
	type ConversationBook,
} from '../../core/conversation';
import { openConversations } from '../../shared/conversations';

/** What every operation shares: which conversation an item belongs to, the store limits, the item loop. */

export const conversationProperties: INodeProperties[] = [
	{
		displayName: 'Customer ID',
		name: 'customerId',
		type: 'string',
		default: '',
		placeholder: '={{ $json.body.phone }}',
		description:
			"The customer's WhatsApp ID or phone number. Leave empty to use the item's customer.ID (trigger events), waId or to (send results), or customerId.",
	},
	{
		displayName: 'Phone Number ID',
		name: 'phoneNumberId',
		type: 'string',
		default: '',
		description:
			"The business phone number ID of the conversation. Leave empty to use the item's phoneNumberId, or the customer's only conversation. Set it for items from other sources (an order or payment webhook).",
	},
];

export const storeProperty: INodeProperties = {
	displayName: 'Conversation Store',
	name: 'store',
	type: 'collection',
	placeholder: 'Add Limit',
	default: {},
	description:
		"Limits of the workflow's conversation store, shared by every node of this workflow; the last node to run with a limit set applies it",
	options: [
		{
			displayName: 'Max Conversations',
			name: 'maxConversations',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 500,
			description:
				'Conversations kept at most; the least recently active ones the bot owns are dropped first. Each costs about 7.5 kB of workflow static data at 30 messages, written at the end of every execution.',
		},
		{
			displayName: 'Max Text Length',
			name: 'maxTextLength',
			type: 'number',
			typeOptions: { minValue: 20 },
			default: 500,
			description: 'Longer message texts are cut before they are stored',
		},
		{
			displayName: 'Retention (Days)',
			name: 'retentionDays',
			type: 'number',
			typeOptions: { minValue: 0.01, numberPrecision: 2 },
			default: 30,
			description:
				'Conversations without activity for longer are dropped, unless a human holds them on a lease that is still running',
		},
		{
			displayName: 'Transcript Length',
			name: 'transcriptLength',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 30,
			description: 'Messages kept per conversation, both directions; the oldest are dropped first',
		},
	],
};

export function readStoreConfig(ctx: IExecuteFunctions): Partial<BookConfig> {
	const store = ctx.getNodeParameter('store', 0, {}) as IDataObject;
	const config: Partial<BookConfig> = {};
	for (const key of [
		'maxConversations',
		'maxTextLength',
		'retentionDays',
		'transcriptLength',
	] as const) {
		const value = store[key];
		if (typeof value === 'number' && Number.isFinite(value) && value > 0)
			config[key] = key === 'retentionDays' ? value : Math.round(value);
	}
	return config;
}

const text = (value: unknown): string | null =>
	typeof value === 'string' && value.trim() !== ''
		? value.trim()
		: typeof value === 'number'
			? String(value)
			: null;

/** The customer and business number an item names: parameters first, then the item's fields. */
export function conversationIds(
	ctx: IExecuteFunctions,
	itemIndex: number,
	json: IDataObject,
): { customerId: string; phoneNumberId: string | null } {
	const customer = json.customer as IDataObject | null | undefined;
	const customerId = normaliseCustomerId(
		text(ctx.getNodeParameter('customerId', itemIndex, '')) ??
			text(customer?.id) ??
			text(json.waId) ??
			text(json.to) ??
			text(json.customerId),
	);
	if (!customerId) {
		throw new NodeOperationError(ctx.getNode(), 'Customer ID: the item has no customer', {
			itemIndex,
			description:
				'Set "Customer ID" (e.g. {{ $json.body.phone }}), or pass items from the WhatsApp Reliable Trigger or the WhatsApp Reliable node, which carry one.',
		});
	}
	return {
		customerId,
		phoneNumberId:
			text(ctx.getNodeParameter('phoneNumberId', itemIndex, '')) ?? text(json.phoneNumberId),
	};
}

/** The conversation an item belongs to; without a number, the customer's only conversation. */
export function resolveConversation(
	ctx: IExecuteFunctions,
	book: ConversationBook,
	itemIndex: number,
	json: IDataObject,
	options: { create: boolean; now: number },
): Conversation | undefined {
	const { customerId, phoneNumberId } = conversationIds(ctx, itemIndex, json);
	if (!phoneNumberId) {
		const known = book.findByCustomer(customerId);
		if (known.length === 1)
			return options.create
				? book.open(known[0].data.phoneNumberId, customerId, options.now)
				: known[0];
		if (!options.create && known.length === 0) return undefined;
		throw new NodeOperationError(ctx.getNode(), 'Phone Number ID: the item has no phoneNumberId', {
			itemIndex,
			description:
				known.length === 0
					? `Customer ${customerId} has no conversation yet, so the business number cannot be guessed. Set "Phone Number ID".`
					: `Customer ${customerId} has conversations on ${known.length} numbers. Set "Phone Number ID" to choose one.`,
		});
	}
	return options.create
		? book.open(phoneNumberId, customerId, options.now)
		: book.get(phoneNumberId, customerId);
}

/**
 * Runs `handle` for each item with the workflow's book; failures become error items with Continue On
 * Fail (on the first output) or the node's error. Every output item is paired with its input.
 */
export function forEachItem(
	ctx: IExecuteFunctions,
	outputCount: number,
	handle: (
		book: ConversationBook,
		itemIndex: number,
		json: IDataObject,
		now: number,
	) => { output: number; json: IDataObject },
): INodeExecutionData[][] {
	const items = ctx.getInputData();
	const outputs: INodeExecutionData[][] = Array.from({ length: outputCount }, () => []);
	const book = openConversations(ctx, readStoreConfig(ctx));
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const result = handle(book, itemIndex, items[itemIndex].json, Date.now());
			outputs[result.output].push({ json: result.json, pairedItem: { item: itemIndex } });
		} catch (error) {
			if (!ctx.continueOnFail()) {
				throw error instanceof NodeOperationError
					? error
					: new NodeOperationError(ctx.getNode(), error as Error, { itemIndex });
			}
			outputs[0].push({
				json: { ...items[itemIndex].json, error: (error as Error).message },
				pairedItem: { item: itemIndex },
			});
		}
	}
	return outputs;
}
