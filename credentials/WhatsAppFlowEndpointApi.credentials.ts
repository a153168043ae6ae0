import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * Secrets of a WhatsApp Flows data endpoint: the RSA private key whose public half is uploaded to
 * Meta (it unwraps the AES key of every request) and the app secret that signs every request.
 * The WhatsApp Flow Trigger tests it (testedBy): the key is loaded, checked to be RSA-2048 and put
 * through an encrypt/decrypt round trip. Nothing is sent anywhere.
 */
export class WhatsAppFlowEndpointApi implements ICredentialType {
	name = 'whatsAppFlowEndpointApi';

	displayName = 'WhatsApp Flow Endpoint API';

	icon: Icon = { light: 'file:whatsapp.svg', dark: 'file:whatsapp.dark.svg' };

	documentationUrl =
		'https://developers.facebook.com/docs/whatsapp/flows/guides/implementingyourflowendpoint';

	properties: INodeProperties[] = [
		{
			displayName: 'Private Key',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 6 },
			default: '',
			required: true,
			placeholder: '-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----',
			description:
				'The 2048-bit RSA private key in PEM form (PKCS#1 "RSA PRIVATE KEY", PKCS#8 "PRIVATE KEY" or "ENCRYPTED PRIVATE KEY"). Its public key must be uploaded with POST /{phone-number-ID}/whatsapp_business_encryption.',
		},
		{
			displayName: 'Passphrase',
			name: 'passphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'The passphrase of the private key, if it is encrypted (openssl genrsa -des3 asks for one)',
		},
		{
			displayName: 'App Secret',
			name: 'appSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Meta App Dashboard → App settings → Basic → App secret. Meta signs every Flow endpoint request with it (X-Hub-Signature-256); requests that do not match are answered 432.',
		},
	];
}
