import type { INodeProperties } from 'n8n-workflow';

import { STORE_LIMITS } from '../helpers/storeConfig';

/** The fields every operation shows: which conversation an item belongs to, and the store limits. */

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
			typeOptions: { minValue: 1, maxValue: STORE_LIMITS.maxConversations },
			default: 200,
			description:
				'Conversations kept at most; the least recently active ones the bot owns are dropped first. Each costs about 4.5 kB of workflow static data at 20 messages, written by every execution of this workflow.',
		},
		{
			displayName: 'Max Text Length',
			name: 'maxTextLength',
			type: 'number',
			typeOptions: { minValue: 20, maxValue: STORE_LIMITS.maxTextLength },
			default: 500,
			description: 'Longer message texts are cut before they are stored',
		},
		{
			displayName: 'Retention (Days)',
			name: 'retentionDays',
			type: 'number',
			typeOptions: { minValue: 0.01, maxValue: STORE_LIMITS.retentionDays, numberPrecision: 2 },
			default: 30,
			description:
				'Conversations without activity for longer are dropped, unless a human holds them on a lease that is still running',
		},
		{
			displayName: 'Transcript Length',
			name: 'transcriptLength',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: STORE_LIMITS.transcriptLength },
			default: 20,
			description: 'Messages kept per conversation, both directions; the oldest are dropped first',
		},
	],
};
