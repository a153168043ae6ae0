import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * The Redis that the WhatsApp nodes share their state through when n8n runs in queue mode (usually the
 * Redis queue mode already uses). The same fields as n8n's own Redis credential: n8n's verification
 * rules do not let a community node use another package's credential type. The nodes test it
 * (testedBy) with a PING-like round trip.
 */
export class WhatsAppRedisApi implements ICredentialType {
	name = 'whatsAppRedisApi';

	displayName = 'WhatsApp State Redis API';

	icon: Icon = { light: 'file:whatsapp.svg', dark: 'file:whatsapp.dark.svg' };

	documentationUrl = 'https://docs.n8n.io/hosting/scaling/queue-mode/';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'localhost',
			required: true,
			description: 'The host of the Redis, e.g. the value of QUEUE_BULL_REDIS_HOST in queue mode',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 6379,
			description: 'The port, e.g. the value of QUEUE_BULL_REDIS_PORT',
		},
		{
			displayName: 'Database Number',
			name: 'database',
			type: 'number',
			default: 0,
			description:
				'The Redis database; keys are prefixed "wr:{<workflow ID>}", so sharing the queue\'s database is safe',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'Only with Redis 6 ACLs; leave empty for the default user',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'SSL',
			name: 'ssl',
			type: 'boolean',
			default: false,
			description: 'Whether to connect with TLS',
		},
		{
			displayName: 'Disable TLS Verification (Insecure)',
			name: 'disableTlsVerification',
			type: 'boolean',
			default: false,
			displayOptions: { show: { ssl: [true] } },
			description: "Whether to accept a certificate that can't be verified",
		},
	];
}
