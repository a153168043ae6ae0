import type { INodeCredentialTestResult } from 'n8n-workflow';

/** What Meta shows as an app's secret: 32 lowercase hexadecimal characters. */
const APP_SECRET_SHAPE = /^[0-9a-f]{32}$/;

export interface WebhookCredentials {
	appSecret?: string;
	verifyToken?: string;
}

/**
 * Checks the webhook credential without calling Meta (neither secret can be checked remotely: the app
 * secret is proven by the first signed POST, the verify token by Meta's handshake). Catches the usual
 * mistakes: an access token or the app ID pasted as the app secret, spaces copied along, no token.
 */
export function testWebhookCredential(credentials: WebhookCredentials): INodeCredentialTestResult {
	const appSecret = credentials.appSecret ?? '';
	const verifyToken = credentials.verifyToken ?? '';
	if (appSecret === '') return { status: 'Error', message: 'No app secret is set' };
	if (appSecret !== appSecret.trim())
		return { status: 'Error', message: 'The app secret starts or ends with a space' };
	if (!APP_SECRET_SHAPE.test(appSecret)) {
		return {
			status: 'Error',
			message: `The app secret has ${appSecret.length} characters; Meta's App settings → Basic → App secret is 32 hexadecimal characters (an access token or the app ID does not sign webhooks)`,
		};
	}
	if (verifyToken === '') return { status: 'Error', message: 'No verify token is set' };
	if (verifyToken !== verifyToken.trim())
		return { status: 'Error', message: 'The verify token starts or ends with a space' };
	return {
		status: 'OK',
		message:
			"The app secret has the shape of a Meta app secret and a verify token is set; Meta's handshake and the first signed POST prove them",
	};
}
