import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * Secrets the trigger needs to accept Meta's webhooks: the app secret signs every POST
 * (X-Hub-Signature-256) and the verify token answers the GET handshake.
 */
// Neither secret can be checked by calling Meta; the WhatsApp Reliable Trigger tests their shape (testedBy).
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
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field -- see the README, "n8n's verification scan"
		{
			displayName: 'Verify Token',
			name: 'verifyToken',
			type: 'string',
			// Shown in clear: it is a value you choose and copy into Meta's form, not a secret Meta issues.
			default: '',
			required: true,
			description:
				'Any string you choose. Paste the same value into WhatsApp → Configuration → Webhook → Verify token in the App Dashboard.',
		},
	];
}
