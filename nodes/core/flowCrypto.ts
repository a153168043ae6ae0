import {
	constants,
	createCipheriv,
	createDecipheriv,
	createHash,
	createPrivateKey,
	privateDecrypt,
	type KeyObject,
} from 'node:crypto';

import { BoundedMap } from './boundedMap';

/**
 * The encryption of WhatsApp Flows data endpoint requests, as Meta's client applies it:
 * - the client draws a 16-byte AES key and wraps it with the business public key (RSA-OAEP, SHA-256);
 * - the request body is AES-128-GCM under that key and the 16-byte `initial_vector`, with the
 *   16-byte tag appended to the ciphertext;
 * - the response is AES-128-GCM under the same key and the IV with every bit inverted, tag appended,
 *   sent as base64 text.
 *
 * Nothing here logs or returns the private key or the AES key in a message.
 */

const AES_KEY_BYTES = 16;
const GCM_TAG_BYTES = 16;

/**
 * Why a request could not be decrypted. `status` is the HTTP answer the endpoint gives:
 * 421 asks the client to refetch the business public key and retry (wrong key, tampered or corrupt
 * ciphertext); 400 is a request that is not an encrypted Flow request at all; 500 is our own
 * configuration (a private key that cannot be loaded).
 */
export type FlowCryptoFailure =
	| 'private_key_invalid'
	| 'envelope_malformed'
	| 'aes_key_unwrap_failed'
	| 'aes_key_length'
	| 'iv_malformed'
	| 'gcm_authentication_failed';

const FAILURE_STATUS: Record<FlowCryptoFailure, number> = {
	private_key_invalid: 500,
	envelope_malformed: 400,
	aes_key_unwrap_failed: 421,
	aes_key_length: 421,
	iv_malformed: 400,
	gcm_authentication_failed: 421,
};

export class FlowCryptoError extends Error {
	readonly status: number;

	constructor(
		readonly reason: FlowCryptoFailure,
		message: string,
	) {
		super(message);
		this.name = 'FlowCryptoError';
		this.status = FAILURE_STATUS[reason];
	}
}

/** The three base64 fields of the POST body Meta sends to the endpoint. */
export interface FlowEnvelope {
	encrypted_flow_data: string;
	encrypted_aes_key: string;
	initial_vector: string;
}

/** What decryption yields. The key and IV stay in memory to encrypt the answer; never put them in an item. */
export interface DecryptedFlowRequest {
	plaintext: string;
	aesKey: Buffer;
	iv: Buffer;
}

/**
 * Pasted keys often lose their line breaks (a single-line field, an environment variable with
 * literal "\n"). Restore them so the PEM parser sees the armour lines it needs.
 */
export function normalizePem(pem: string): string {
	let text = pem.trim();
	if (!text.includes('\n') && text.includes('\\n')) text = text.replace(/\\n/g, '\n');
	return text.replace(/\r\n/g, '\n');
}

// Parsing a PEM (and deriving the key of a passphrase-protected one) costs more than the RSA unwrap
// of a request; keep parsed keys for the life of the process. The map holds key objects only in
// memory and is keyed by a hash, so no secret becomes a map key.
const keyCache = new BoundedMap<string, KeyObject>(16);

export function loadPrivateKey(pem: string, passphrase?: string): KeyObject {
	const normalized = normalizePem(pem);
	const cacheKey = createHash('sha256')
		.update(normalized)
		.update('\0')
		.update(passphrase ?? '')
		.digest('hex');
	const cached = keyCache.get(cacheKey);
	if (cached) return cached;
	// Failures are thrown after the catch, not from it: n8n's package scan allows only its own error
	// classes to be thrown inside a catch clause, and this core has no n8n imports.
	let key: KeyObject | undefined;
	let readError: unknown;
	try {
		key = createPrivateKey(
			passphrase
				? { key: normalized, format: 'pem', passphrase }
				: { key: normalized, format: 'pem' },
		);
	} catch (error) {
		readError = error;
	}
	if (key === undefined) {
		const encrypted = /ENCRYPTED/.test(normalized);
		throw new FlowCryptoError(
			'private_key_invalid',
			encrypted && !passphrase
				? 'the private key is passphrase-protected and no passphrase is set in the credential'
				: encrypted
					? 'the private key could not be decrypted: check the passphrase'
					: `the private key is not a readable PEM private key (${codeOf(readError)})`,
		);
	}
	if (key.asymmetricKeyType !== 'rsa') {
		throw new FlowCryptoError(
			'private_key_invalid',
			`the private key is ${key.asymmetricKeyType ?? 'unknown'}, not RSA`,
		);
	}
	keyCache.set(cacheKey, key);
	return key;
}

/** The modulus size of an RSA private key in bits; Meta requires 2048. */
export function rsaModulusBits(key: KeyObject): number {
	return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

function codeOf(error: unknown): string {
	const code = (error as { code?: unknown })?.code;
	return typeof code === 'string' ? code : 'parse error';
}

function strictBase64(value: string, field: string): Buffer {
	// Node's decoder skips characters it does not know; reject them instead of decrypting garbage.
	if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value.replace(/\s+/g, ''))) {
		throw new FlowCryptoError('envelope_malformed', `${field} is not base64`);
	}
	return Buffer.from(value, 'base64');
}

/** Every bit of the request IV inverted: the IV of the response. */
export function invertIv(iv: Buffer): Buffer {
	const out = Buffer.allocUnsafe(iv.length);
	for (let i = 0; i < iv.length; i++) out[i] = ~iv[i] & 0xff;
	return out;
}

export function unwrapAesKey(encryptedAesKey: Buffer, privateKey: KeyObject): Buffer {
	let aesKey: Buffer | undefined;
	try {
		aesKey = privateDecrypt(
			{ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
			encryptedAesKey,
		);
	} catch {
		// thrown below, outside the catch (see loadPrivateKey)
	}
	if (aesKey === undefined) {
		throw new FlowCryptoError(
			'aes_key_unwrap_failed',
			'encrypted_aes_key does not unwrap with this private key (the client may hold an older public key)',
		);
	}
	if (aesKey.length !== AES_KEY_BYTES) {
		throw new FlowCryptoError(
			'aes_key_length',
			`the unwrapped AES key has ${aesKey.length} bytes, expected ${AES_KEY_BYTES}`,
		);
	}
	return aesKey;
}

export function decryptFlowRequest(
	envelope: FlowEnvelope,
	privateKey: KeyObject,
): DecryptedFlowRequest {
	const wrappedKey = strictBase64(envelope.encrypted_aes_key, 'encrypted_aes_key');
	const flowData = strictBase64(envelope.encrypted_flow_data, 'encrypted_flow_data');
	const iv = strictBase64(envelope.initial_vector, 'initial_vector');
	if (iv.length === 0) throw new FlowCryptoError('iv_malformed', 'initial_vector is empty');
	if (flowData.length < GCM_TAG_BYTES) {
		throw new FlowCryptoError(
			'envelope_malformed',
			'encrypted_flow_data is shorter than the GCM tag',
		);
	}
	const aesKey = unwrapAesKey(wrappedKey, privateKey);
	const decipher = createDecipheriv('aes-128-gcm', aesKey, iv, { authTagLength: GCM_TAG_BYTES });
	decipher.setAuthTag(flowData.subarray(flowData.length - GCM_TAG_BYTES));
	let plaintext: Buffer | undefined;
	try {
		plaintext = Buffer.concat([
			decipher.update(flowData.subarray(0, flowData.length - GCM_TAG_BYTES)),
			decipher.final(),
		]);
	} catch {
		// thrown below, outside the catch (see loadPrivateKey)
	}
	if (plaintext === undefined) {
		throw new FlowCryptoError(
			'gcm_authentication_failed',
			'encrypted_flow_data fails AES-GCM authentication (tampered, truncated or encrypted under another key)',
		);
	}
	return { plaintext: plaintext.toString('utf8'), aesKey, iv };
}

/**
 * The key and IV of an answer, from the two envelope fields as Meta sent them. The workflow carries
 * the RSA-wrapped key, never the unwrapped one: whoever answers unwraps it with the private key, so
 * the AES key exists only in the memory of the process that decrypts or encrypts.
 */
export function unwrapReplyKey(
	envelope: Pick<FlowEnvelope, 'encrypted_aes_key' | 'initial_vector'>,
	privateKey: KeyObject,
): { aesKey: Buffer; iv: Buffer } {
	const wrappedKey = strictBase64(envelope.encrypted_aes_key, 'encrypted_aes_key');
	const iv = strictBase64(envelope.initial_vector, 'initial_vector');
	if (iv.length === 0) throw new FlowCryptoError('iv_malformed', 'initial_vector is empty');
	return { aesKey: unwrapAesKey(wrappedKey, privateKey), iv };
}

/** Encrypts the answer object as Meta's client expects it: base64(AES-128-GCM(key, ~iv)(JSON) || tag). */
export function encryptFlowResponse(response: unknown, aesKey: Buffer, requestIv: Buffer): string {
	const cipher = createCipheriv('aes-128-gcm', aesKey, invertIv(requestIv), {
		authTagLength: GCM_TAG_BYTES,
	});
	return Buffer.concat([
		cipher.update(JSON.stringify(response), 'utf8'),
		cipher.final(),
		cipher.getAuthTag(),
	]).toString('base64');
}
