import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { BookConfig } from '../../core/conversationRecord';

/**
 * The most each limit may be set to: one workflow's conversations stay a few MB of static data, which
 * every execution writes, and personal data is not kept for longer than 90 days.
 */
export const STORE_LIMITS = {
	maxConversations: 5_000,
	maxTextLength: 4_096,
	retentionDays: 90,
	transcriptLength: 100,
} as const;

/** The limits of the Conversation Store collection that are set; the book keeps its defaults for the rest. */
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
		if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
			const bounded = Math.min(value, STORE_LIMITS[key]);
			config[key] = key === 'retentionDays' ? bounded : Math.round(bounded);
		}
	}
	return config;
}
