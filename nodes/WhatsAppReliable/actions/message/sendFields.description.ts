import type { INodeProperties } from 'n8n-workflow';

/**
 * Fields every send has: the recipient, the idempotency key and correlation id (in plain view from
 * version 1.1; version 1 kept them in Additional Fields, where workflows of that version still have
 * them), reply-to.
 */

/** Version 1 nodes keep the two keys in Additional Fields; later versions show them on their own. */
const VERSION_1 = { show: { '@version': [1] } };
const FROM_VERSION_1_1 = { show: { '@version': [{ _cnd: { gte: 1.1 } }] } };

const CORRELATION_ID_DESCRIPTION =
	'Sent as biz_opaque_callback_data (up to 512 bytes) and echoed on every status webhook of this message, so the trigger can say "confirmation for order 123 delivered" without a lookup';
const IDEMPOTENCY_KEY_DESCRIPTION =
	'Send at most once per key: if a send with this key was already accepted, nothing is sent and the earlier message ID is output with skipped = true. Concurrent executions with the same key send once. Leave empty to send every time.';

export const idempotencyKeyProperty: INodeProperties = {
	displayName: 'Idempotency Key',
	name: 'idempotencyKey',
	type: 'string',
	default: '',
	placeholder: "={{ $json.orderId + '-confirmation' }}",
	hint: 'e.g. the order ID plus what the message is for; a re-run or a redelivered webhook then sends nothing twice',
	description: IDEMPOTENCY_KEY_DESCRIPTION,
	displayOptions: FROM_VERSION_1_1,
};

export const correlationIdProperty: INodeProperties = {
	displayName: 'Correlation ID',
	name: 'correlationId',
	type: 'string',
	default: '',
	placeholder: 'order-123',
	description: CORRELATION_ID_DESCRIPTION,
	displayOptions: FROM_VERSION_1_1,
};

export const recipientProperty: INodeProperties = {
	displayName: 'To',
	name: 'to',
	type: 'string',
	required: true,
	default: '',
	placeholder: '15551234567',
	description:
		"The recipient's phone number in international format, with country code (+, spaces and dashes are ignored), or their user ID (business-scoped user ID, e.g. US.13491208655302741918) for customers who use a username; the trigger outputs either as the customer's ID",
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
			description: CORRELATION_ID_DESCRIPTION,
			displayOptions: VERSION_1,
		},
		{
			displayName: 'Idempotency Key',
			name: 'idempotencyKey',
			type: 'string',
			default: '',
			placeholder: "={{ $json.orderId + '-confirmation' }}",
			description: IDEMPOTENCY_KEY_DESCRIPTION,
			displayOptions: VERSION_1,
		},
		{
			displayName: 'Only If Bot Owns Conversation',
			name: 'onlyIfBotOwns',
			type: 'boolean',
			// The node's outputs depend on it: one value for all items.
			noDataExpression: true,
			default: false,
			description:
				'Whether to send only while the bot owns the conversation: checked right before the message leaves (after the seconds an AI answer may take), in one step with the conversations the WhatsApp Escalation node changes. Items of conversations a human holds (or that were closed) are not sent and leave on the output Blocked (Human Owns) with the case. Use the same State Store as the trigger and the escalation node.',
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
		sentByField('bot'),
	],
};

/** Who the transcript names as the sender; Send defaults to the bot, Send Template to an automation. */
export function sentByField(defaultRole: 'bot' | 'automation'): INodeProperties {
	return {
		displayName: 'Sent By',
		name: 'sentBy',
		type: 'options',
		default: defaultRole,
		options: [
			{
				name: 'Automation',
				value: 'automation',
				description: 'A message the business sends by itself, e.g. an order or payment update',
			},
			{ name: 'Bot', value: 'bot', description: "The bot's answer to the customer" },
			{
				name: 'Human Agent',
				value: 'human',
				description: 'An agent writing through this workflow',
			},
		],
		description:
			'Who the conversation record names as the sender of this message, whoever owns the conversation at the time',
	};
}
