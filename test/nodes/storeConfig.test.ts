import type { IExecuteFunctions } from 'n8n-workflow';

import { readStoreConfig, STORE_LIMITS } from '../../nodes/WhatsAppEscalation/helpers/storeConfig';
import { storeProperty } from '../../nodes/WhatsAppEscalation/actions/conversation.description';

const withStore = (store: Record<string, unknown>) =>
	({ getNodeParameter: () => store }) as unknown as IExecuteFunctions;

describe('Conversation Store limits', () => {
	it('caps every limit at its maximum, in the panel and when read', () => {
		expect(
			readStoreConfig(
				withStore({
					maxConversations: 1e9,
					maxTextLength: 1e9,
					retentionDays: 3650,
					transcriptLength: 1e6,
				}),
			),
		).toEqual(STORE_LIMITS);
		for (const option of storeProperty.options as Array<{
			name: keyof typeof STORE_LIMITS;
			typeOptions: { maxValue: number };
		}>)
			expect(option.typeOptions.maxValue).toBe(STORE_LIMITS[option.name]);
	});

	it('keeps limits below the maximum as set', () => {
		expect(readStoreConfig(withStore({ retentionDays: 7.5, transcriptLength: 12.4 }))).toEqual({
			retentionDays: 7.5,
			transcriptLength: 12,
		});
	});
});
