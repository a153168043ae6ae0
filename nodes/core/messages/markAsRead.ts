import { requireText } from './validation';

export interface MarkAsReadBody {
	messaging_product: 'whatsapp';
	status: 'read';
	message_id: string;
	typing_indicator?: { type: 'text' };
}

/** Marks an inbound message (and the ones before it) read; the typing indicator shows for up to 25 s (docs/whatsapp-facts.md §3). */
export function buildMarkAsRead(messageId: string, typingIndicator = false): MarkAsReadBody {
	const body: MarkAsReadBody = {
		messaging_product: 'whatsapp',
		status: 'read',
		message_id: requireText('Message ID', messageId).trim(),
	};
	if (typingIndicator) body.typing_indicator = { type: 'text' };
	return body;
}
