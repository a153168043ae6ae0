import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { BookConfig } from '../../core/conversation';

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
		if (typeof value === 'number' && Number.isFinite(value) && value > 0)
			config[key] = key === 'retentionDays' ? value : Math.round(value);
	}
	return config;
}
