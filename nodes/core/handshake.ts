import { secretsEqual } from './signature';

/**
 * Meta verifies a callback URL with GET ?hub.mode=subscribe&hub.challenge=C&hub.verify_token=T.
 * The endpoint must answer 200 with exactly C when T is the configured token, else 403.
 */
export type HandshakeResult =
	| { accepted: true; challenge: string }
	| { accepted: false; reason: string };

export function checkHandshake(
	query: Record<string, unknown>,
	verifyToken: string | undefined,
): HandshakeResult {
	const mode = query['hub.mode'];
	const token = query['hub.verify_token'];
	const challenge = query['hub.challenge'];
	if (!verifyToken)
		return { accepted: false, reason: 'no verify token is configured in the credential' };
	if (mode !== 'subscribe') return { accepted: false, reason: 'hub.mode is not "subscribe"' };
	if (typeof token !== 'string' || !secretsEqual(token, verifyToken)) {
		return { accepted: false, reason: 'hub.verify_token does not match the credential' };
	}
	if (typeof challenge !== 'string' || challenge === '') {
		return { accepted: false, reason: 'hub.challenge is missing' };
	}
	return { accepted: true, challenge };
}
