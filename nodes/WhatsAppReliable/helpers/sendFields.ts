import type { IExecuteFunctions } from 'n8n-workflow';

import type { SendCommon } from '../../core/messages';

/** Reads the fields every send has: the recipient, reply-to, correlation id and idempotency key. */

export interface CommonFields extends SendCommon {
	idempotencyKey?: string;
}

export function readCommon(ctx: IExecuteFunctions, itemIndex: number): CommonFields {
	const fields = ctx.getNodeParameter('additionalFields', itemIndex, {}) as Record<string, unknown>;
	const text = (value: unknown) =>
		typeof value === 'string' && value !== ''
			? value
			: typeof value === 'number'
				? String(value)
				: undefined;
	return {
		to: String(ctx.getNodeParameter('to', itemIndex, '')),
		replyToMessageId: text(fields.replyToMessageId),
		correlationId: text(fields.correlationId),
		idempotencyKey: text(fields.idempotencyKey)?.trim() || undefined,
	};
}
