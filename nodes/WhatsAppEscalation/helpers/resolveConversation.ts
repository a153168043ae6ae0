import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { Conversation, ConversationBook } from '../../core/conversationRecord';
import { normaliseCustomerId } from '../../core/customerId';

/** Which conversation an item belongs to: the Customer ID and Phone Number ID parameters, else the item's fields. */

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
