import { constants, createHash, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import type { INodeCredentialTestResult } from 'n8n-workflow';

import { FlowCryptoError, loadPrivateKey, rsaModulusBits, unwrapAesKey } from '../core/flowCrypto';
import type { FlowEndpointCredentials } from './flowWebhook';

/**
 * Checks the credential without calling Meta: the key loads (with its passphrase), is RSA-2048 and
 * unwraps a key wrapped with its own public half, and an app secret is set. The message carries the
 * SHA-256 fingerprint of the public key so it can be compared with the one uploaded to Meta.
 */
export function testFlowEndpointCredential(
	credentials: FlowEndpointCredentials,
): INodeCredentialTestResult {
	try {
		if (!credentials.privateKey) return { status: 'Error', message: 'No private key is set' };
		const key = loadPrivateKey(credentials.privateKey, credentials.passphrase || undefined);
		const bits = rsaModulusBits(key);
		if (bits !== 2048) {
			return {
				status: 'Error',
				message: `The key has ${bits} bits; Meta requires a 2048-bit RSA key`,
			};
		}
		const publicKey = createPublicKey(key);
		const probe = randomBytes(16);
		const wrapped = publicEncrypt(
			{ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
			probe,
		);
		if (!unwrapAesKey(wrapped, key).equals(probe)) {
			return { status: 'Error', message: 'The key does not unwrap what its public key wraps' };
		}
		if (!credentials.appSecret) return { status: 'Error', message: 'No app secret is set' };
		const fingerprint = createHash('sha256')
			.update(publicKey.export({ type: 'spki', format: 'der' }))
			.digest('base64');
		return { status: 'OK', message: `RSA-2048 key loaded; public key SHA-256 ${fingerprint}` };
	} catch (error) {
		const message =
			error instanceof FlowCryptoError ? error.message : 'The private key could not be used';
		return { status: 'Error', message };
	}
}
