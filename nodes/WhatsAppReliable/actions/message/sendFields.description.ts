import type { INodeProperties } from 'n8n-workflow';

/** Fields every send has: the recipient, reply-to, correlation id and idempotency key. */

export const recipientProperty: INodeProperties = {
	displayName: 'To',
	name: 'to',
	type: 'string',
	required: true,
	default: '',
	placeholder: '15551234567',
	description:
		"The recipient's phone number in international format, with country code; +, spaces and dashes are ignored",
};

export const sendFieldsProperty: INodeProperties = {
	displayName: 'Additional Fields',
	name: 'additionalFields',
	type: 'collection',
	placeholder: 'Add Field',
	default: {},
	options: [
		{
			displayName: 'Correlation ID',
			name: 'correlationId',
			type: 'string',
			default: '',
			placeholder: 'order-123',
			description:
				'Sent as biz_opaque_callback_data (up to 512 bytes) and echoed on every status webhook of this message, so the trigger can say "confirmation for order 123 delivered" without a lookup',
		},
		{
			displayName: 'Idempotency Key',
			name: 'idempotencyKey',
			type: 'string',
			default: '',
			placeholder: "={{ $json.orderId + '-confirmation' }}",
			description:
				'Send at most once per key: if a send with this key was already accepted, nothing is sent and the earlier message ID is output with skipped = true. Concurrent executions with the same key send once.',
		},
		{
			displayName: 'Record Conversations',
			name: 'recordConversations',
			type: 'boolean',
			default: true,
			description:
				'Whether to record the accepted message in the conversation record the WhatsApp Escalation node reads (transcript with delivery statuses, order state)',
		},
		{
			displayName: 'Reply To Message ID',
			name: 'replyToMessageId',
			type: 'string',
			default: '',
			placeholder: 'wamid.HBgL...',
			description: 'Sends this message as a reply quoting the message with this ID',
		},
	],
};
