// Writes the credentials the example workflows reference (fixed ids) into the folder given, in n8n's
// import format. Only for a local n8n: secrets Meta issues are placeholders to replace in the editor.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const folder = process.argv[2];
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
	modulusLength: 2048,
	publicKeyEncoding: { type: 'spki', format: 'pem' },
	privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const verifyToken = randomBytes(12).toString('base64url');

const credentials = [
	{
		id: 'whatsAppWebhookCredential',
		name: 'WhatsApp Webhook',
		type: 'whatsAppWebhookApi',
		data: { appSecret: 'replace-with-your-app-secret', verifyToken },
	},
	{
		id: 'whatsAppCloudApiCredential',
		name: 'WhatsApp Cloud API',
		type: 'whatsAppCloudApi',
		data: {
			accessToken: 'replace-with-your-access-token',
			phoneNumberId: '106540352242922',
			businessAccountId: '',
			graphApiVersion: 'v23.0',
			baseUrl: 'https://graph.facebook.com',
		},
	},
	{
		// The AI agent example's chat model: any server with OpenAI's chat completions API (a local
		// model server, a gateway, OpenAI itself); set its base URL and key in the editor.
		id: 'openAiCompatibleCredential',
		name: 'OpenAI-compatible Chat API',
		type: 'openAiApi',
		data: { apiKey: 'replace-with-your-api-key', url: 'http://127.0.0.1:11434/v1' },
	},
	{
		id: 'flowEndpointCredential',
		name: 'WhatsApp Flow Endpoint',
		type: 'whatsAppFlowEndpointApi',
		data: { privateKey, passphrase: '', appSecret: 'replace-with-your-app-secret' },
	},
];
for (const credential of credentials) {
	writeFileSync(join(folder, `${credential.id}.json`), JSON.stringify(credential, null, 2), {
		mode: 0o600,
	});
}
writeFileSync(join(folder, 'flow-endpoint-public.pem'), publicKey);
console.error(`[n8n.sh] webhook verify token for Meta's App Dashboard: ${verifyToken}`);
console.error(
	`[n8n.sh] Flow endpoint public key to upload to Meta: ${join(folder, 'flow-endpoint-public.pem')}`,
);
