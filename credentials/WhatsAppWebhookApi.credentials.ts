import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * Secrets the trigger needs to accept Meta's webhooks: the app secret signs every POST
 * (X-Hub-Signature-256) and the verify token answers the GET handshake.
 */
// Neither secret can be checked by calling Meta: the app secret is proven by the first signed POST and
// the verify token by the handshake Meta runs when the callback URL is saved in the App Dashboard.
// eslint-disable-next-line @n8n/community-nodes/credential-test-required
export class WhatsAppWebhookApi implements ICredentialType {
	name = 'whatsAppWebhookApi';

	displayName = 'WhatsApp Webhook API';

	icon: Icon = { light: 'file:whatsapp.svg', dark: 'file:whatsapp.dark.svg' };

	documentationUrl = 'https://developers.facebook.com/docs/graph-api/webhooks/getting-started';

	properties: INodeProperties[] = [
		{
			displayName: 'App Secret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Meta App Dashboard → App settings → Basic → App secret. Meta signs every webhook POST with it; requests whose X-Hub-Signature-256 does not match are rejected with 401.',
		},
		{
			displayName: 'Verify Token',
			name: 'verifyToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Any string you choose. Paste the same value into WhatsApp → Configuration → Webhook → Verify token in the App Dashboard.',
		},
	];
}
