import {
	constants,
	createCipheriv,
	createDecipheriv,
	generateKeyPairSync,
	publicEncrypt,
	randomBytes,
	webcrypto,
} from 'node:crypto';

import {
	decryptFlowRequest,
	encryptFlowResponse,
	FlowCryptoError,
	invertIv,
	loadPrivateKey,
	normalizePem,
	rsaModulusBits,
	unwrapAesKey,
} from '../../nodes/core/flowCrypto';
import {
	decryptFlowResponseAsClient,
	encryptFlowRequestAsClient,
	invertedIv,
} from '../fixtures/flow/flowClient';
import { oracleGcmDecrypt, oracleGcmEncrypt, oracleInvertIv } from '../fixtures/flow/gcmOracle';
import { flowTestKeys } from '../fixtures/flow/keys';

const keys = flowTestKeys();
const APP_SECRET = 'test-app-secret';

function envelopeOf(body: string) {
	return JSON.parse(body) as {
		encrypted_flow_data: string;
		encrypted_aes_key: string;
		initial_vector: string;
	};
}

function failureOf(fn: () => unknown): FlowCryptoError {
	try {
		fn();
	} catch (error) {
		if (error instanceof FlowCryptoError) return error;
		throw error;
	}
	throw new Error('expected a FlowCryptoError');
}

describe('the GCM oracle itself', () => {
	// McGrew & Viega, "The Galois/Counter Mode of Operation", test case 6: AES-128, a 60-byte IV (the
	// GHASH path to J0 that 16-byte Flow IVs take) and additional data.
	it('reproduces the published GCM test vector with a long IV', () => {
		const key = Buffer.from('feffe9928665731c6d6a8f9467308308', 'hex');
		const iv = Buffer.from(
			'9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b',
			'hex',
		);
		const plaintext = Buffer.from(
			'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
			'hex',
		);
		const aad = Buffer.from('feedfacedeadbeeffeedfacedeadbeefabaddad2', 'hex');
		const { ciphertext, tag } = oracleGcmEncrypt(key, iv, plaintext, aad);
		expect(ciphertext.toString('hex')).toBe(
			'8ce24998625615b603a033aca13fb894be9112a5c3a211a8ba262a3cca7e2ca701e4a9a4fba43c90ccdcb281d48c7c6fd62875d2aca417034c34aee5',
		);
		expect(tag.toString('hex')).toBe('619cc5aefffe0bfa462af43c1699d050');
	});

	it('agrees with node:crypto on 16-byte IVs, and rejects a wrong tag', () => {
		for (const length of [0, 1, 15, 16, 17, 100]) {
			const key = randomBytes(16);
			const iv = randomBytes(16);
			const plaintext = randomBytes(length);
			const cipher = createCipheriv('aes-128-gcm', key, iv);
			const expected = Buffer.concat([cipher.update(plaintext), cipher.final()]);
			const { ciphertext, tag } = oracleGcmEncrypt(key, iv, plaintext);
			expect(ciphertext.equals(expected)).toBe(true);
			expect(tag.equals(cipher.getAuthTag())).toBe(true);
			expect(oracleGcmDecrypt(key, iv, ciphertext, tag)?.equals(plaintext)).toBe(true);
			const badTag = Buffer.from(tag);
			badTag[0] ^= 1;
			expect(oracleGcmDecrypt(key, iv, ciphertext, badTag)).toBeNull();
		}
	});
});

describe('invertIv', () => {
	it('inverts every bit, as computed three independent ways', () => {
		const iv = Buffer.from('00ff0ff0a55a0123456789abcdef7e81', 'hex');
		expect(invertIv(iv).toString('hex')).toBe('ff00f00f5aa5fedcba9876543210817e');
		for (let i = 0; i < 20; i++) {
			const random = randomBytes(16);
			expect(invertIv(random).equals(invertedIv(random))).toBe(true);
			expect(invertIv(random).equals(oracleInvertIv(random))).toBe(true);
			expect(invertIv(invertIv(random)).equals(random)).toBe(true);
		}
	});

	it('does not modify its input', () => {
		const iv = Buffer.alloc(16, 0x11);
		invertIv(iv);
		expect(iv.equals(Buffer.alloc(16, 0x11))).toBe(true);
	});
});

describe('loadPrivateKey', () => {
	it('loads PKCS#8 and PKCS#1 keys, plain and passphrase-protected', () => {
		for (const [pem, passphrase] of [
			[keys.business.privatePem, undefined],
			[keys.business.pkcs1Pem, undefined],
			[keys.business.encryptedPkcs8Pem, keys.passphrase],
			[keys.business.encryptedPkcs1Pem, keys.passphrase],
		] as const) {
			const key = loadPrivateKey(pem, passphrase);
			expect(key.asymmetricKeyType).toBe('rsa');
			expect(rsaModulusBits(key)).toBe(2048);
		}
	});

	it('says when a passphrase is missing or wrong, without echoing it', () => {
		const missing = failureOf(() => loadPrivateKey(keys.business.encryptedPkcs1Pem));
		expect(missing.reason).toBe('private_key_invalid');
		expect(missing.status).toBe(500);
		expect(missing.message).toMatch(/no passphrase/);
		const wrong = failureOf(() =>
			loadPrivateKey(keys.business.encryptedPkcs8Pem, 'not the passphrase'),
		);
		expect(wrong.message).toMatch(/check the passphrase/);
		expect(wrong.message).not.toContain('not the passphrase');
	});

	it('rejects garbage and non-RSA keys without quoting the input', () => {
		const garbage = failureOf(() =>
			loadPrivateKey('-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----'),
		);
		expect(garbage.reason).toBe('private_key_invalid');
		expect(garbage.message).not.toContain('c2VjcmV0');
		const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
			type: 'pkcs8',
			format: 'pem',
		}) as string;
		expect(failureOf(() => loadPrivateKey(ec)).message).toMatch(/ec, not RSA/);
	});

	it('accepts a key pasted with literal \\n and CRLF line ends', () => {
		const escaped = keys.business.privatePem.trim().replace(/\n/g, '\\n');
		expect(normalizePem(escaped)).toBe(keys.business.privatePem.trim());
		expect(loadPrivateKey(escaped).asymmetricKeyType).toBe('rsa');
		expect(loadPrivateKey(keys.business.privatePem.replace(/\n/g, '\r\n')).asymmetricKeyType).toBe(
			'rsa',
		);
	});

	it('returns the same key object for the same PEM and passphrase (cached)', () => {
		expect(loadPrivateKey(keys.business.encryptedPkcs8Pem, keys.passphrase)).toBe(
			loadPrivateKey(keys.business.encryptedPkcs8Pem, keys.passphrase),
		);
	});
});

describe('decryptFlowRequest', () => {
	const privateKey = () => loadPrivateKey(keys.business.privatePem);

	it('decrypts what the client encrypts (INIT, data_exchange, non-ASCII data)', () => {
		for (const payload of [
			{ version: '3.0', action: 'INIT', flow_token: 'tok-1' },
			{
				version: '3.0',
				action: 'data_exchange',
				screen: 'BOOK',
				data: { name: 'Zoë 🌷', n: 3 },
				flow_token: 'tok-2',
			},
		]) {
			const request = encryptFlowRequestAsClient(payload, keys.business.publicPem, APP_SECRET);
			const result = decryptFlowRequest(envelopeOf(request.body), privateKey());
			expect(JSON.parse(result.plaintext)).toEqual(payload);
			expect(result.aesKey.equals(request.aesKey)).toBe(true);
			expect(result.iv.equals(request.iv)).toBe(true);
		}
	});

	it('decrypts with a passphrase-protected key', () => {
		const request = encryptFlowRequestAsClient(
			{ action: 'ping', version: '3.0' },
			keys.business.publicPem,
			APP_SECRET,
		);
		const result = decryptFlowRequest(
			envelopeOf(request.body),
			loadPrivateKey(keys.business.encryptedPkcs1Pem, keys.passphrase),
		);
		expect(JSON.parse(result.plaintext)).toEqual({ action: 'ping', version: '3.0' });
	});

	it('decrypts a request wrapped and encrypted through WebCrypto (a second client implementation)', async () => {
		const subtle = webcrypto.subtle;
		const publicKey = await subtle.importKey(
			'spki',
			Buffer.from(keys.business.publicPem.replace(/-----[^-]+-----|\s/g, ''), 'base64'),
			{ name: 'RSA-OAEP', hash: 'SHA-256' },
			false,
			['encrypt'],
		);
		const rawKey = randomBytes(16);
		const iv = randomBytes(16);
		const aesKey = await subtle.importKey('raw', rawKey, 'AES-GCM', false, ['encrypt']);
		const payload = { version: '3.0', action: 'BACK', screen: 'B', flow_token: 't' };
		const encrypted = Buffer.from(
			await subtle.encrypt(
				{ name: 'AES-GCM', iv, tagLength: 128 },
				aesKey,
				Buffer.from(JSON.stringify(payload)),
			),
		);
		const wrapped = Buffer.from(await subtle.encrypt({ name: 'RSA-OAEP' }, publicKey, rawKey));
		const result = decryptFlowRequest(
			{
				encrypted_flow_data: encrypted.toString('base64'),
				encrypted_aes_key: wrapped.toString('base64'),
				initial_vector: iv.toString('base64'),
			},
			privateKey(),
		);
		expect(JSON.parse(result.plaintext)).toEqual(payload);
	});

	it('answers 421 for an AES key wrapped with another public key', () => {
		const request = encryptFlowRequestAsClient(
			{ action: 'ping' },
			keys.other.publicPem,
			APP_SECRET,
		);
		const error = failureOf(() => decryptFlowRequest(envelopeOf(request.body), privateKey()));
		expect(error.reason).toBe('aes_key_unwrap_failed');
		expect(error.status).toBe(421);
	});

	it('answers 421 for a tampered ciphertext, a tampered tag, or a swapped IV', () => {
		const request = encryptFlowRequestAsClient(
			{ action: 'INIT', flow_token: 't' },
			keys.business.publicPem,
			APP_SECRET,
		);
		const envelope = envelopeOf(request.body);
		const data = Buffer.from(envelope.encrypted_flow_data, 'base64');
		for (const index of [0, data.length - 17, data.length - 1]) {
			const tampered = Buffer.from(data);
			tampered[index] ^= 0x80;
			const error = failureOf(() =>
				decryptFlowRequest(
					{ ...envelope, encrypted_flow_data: tampered.toString('base64') },
					privateKey(),
				),
			);
			expect(error.reason).toBe('gcm_authentication_failed');
			expect(error.status).toBe(421);
		}
		const otherIv = failureOf(() =>
			decryptFlowRequest(
				{ ...envelope, initial_vector: randomBytes(16).toString('base64') },
				privateKey(),
			),
		);
		expect(otherIv.status).toBe(421);
		const truncated = failureOf(() =>
			decryptFlowRequest(
				{ ...envelope, encrypted_flow_data: data.subarray(0, data.length - 1).toString('base64') },
				privateKey(),
			),
		);
		expect(truncated.status).toBe(421);
	});

	it('answers 421 when the unwrapped key is not 16 bytes', () => {
		const request = encryptFlowRequestAsClient(
			{ action: 'ping' },
			keys.business.publicPem,
			APP_SECRET,
		);
		const wrapped32 = publicEncrypt(
			{
				key: keys.business.publicPem,
				padding: constants.RSA_PKCS1_OAEP_PADDING,
				oaepHash: 'sha256',
			},
			randomBytes(32),
		);
		const error = failureOf(() =>
			decryptFlowRequest(
				{ ...envelopeOf(request.body), encrypted_aes_key: wrapped32.toString('base64') },
				privateKey(),
			),
		);
		expect(error.reason).toBe('aes_key_length');
		expect(error.status).toBe(421);
	});

	it('answers 421 for an AES key wrapped with OAEP-SHA1 instead of SHA-256', () => {
		const wrongHash = publicEncrypt(
			{ key: keys.business.publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING },
			randomBytes(16),
		);
		expect(failureOf(() => unwrapAesKey(wrongHash, privateKey())).status).toBe(421);
	});

	it('answers 400 for fields that are not base64 or too short to hold a tag', () => {
		const envelope = envelopeOf(
			encryptFlowRequestAsClient({ action: 'ping' }, keys.business.publicPem, APP_SECRET).body,
		);
		expect(
			failureOf(() =>
				decryptFlowRequest({ ...envelope, encrypted_aes_key: 'not base64!' }, privateKey()),
			).status,
		).toBe(400);
		expect(
			failureOf(() =>
				decryptFlowRequest({ ...envelope, encrypted_flow_data: 'AAAA' }, privateKey()),
			).status,
		).toBe(400);
		expect(
			failureOf(() => decryptFlowRequest({ ...envelope, initial_vector: '' }, privateKey())).status,
		).toBe(400);
	});
});

describe('encryptFlowResponse', () => {
	it('is AES-128-GCM under the request key and the inverted IV, tag appended (checked with the crypto-js oracle)', () => {
		const aesKey = randomBytes(16);
		const iv = randomBytes(16);
		const response = {
			screen: 'SUCCESS',
			data: { extension_message_response: { params: { flow_token: 't', note: 'é' } } },
		};
		const base64 = encryptFlowResponse(response, aesKey, iv);
		const bytes = Buffer.from(base64, 'base64');
		const expected = oracleGcmEncrypt(
			aesKey,
			invertedIv(iv),
			Buffer.from(JSON.stringify(response), 'utf8'),
		);
		expect(bytes.equals(Buffer.concat([expected.ciphertext, expected.tag]))).toBe(true);
		expect(decryptFlowResponseAsClient(base64, aesKey, iv)).toEqual(response);
	});

	it('cannot be read with the request IV itself', () => {
		const aesKey = randomBytes(16);
		const iv = randomBytes(16);
		const bytes = Buffer.from(
			encryptFlowResponse({ data: { status: 'active' } }, aesKey, iv),
			'base64',
		);
		const decipher = createDecipheriv('aes-128-gcm', aesKey, iv);
		decipher.setAuthTag(bytes.subarray(-16));
		decipher.update(bytes.subarray(0, -16));
		expect(() => decipher.final()).toThrow();
	});

	it('matches the oracle for a fixed key and IV (known answer)', () => {
		const aesKey = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
		const iv = Buffer.from('f0e0d0c0b0a090807060504030201000', 'hex');
		const base64 = encryptFlowResponse({ data: { status: 'active' } }, aesKey, iv);
		const expected = oracleGcmEncrypt(
			aesKey,
			Buffer.from('0f1f2f3f4f5f6f7f8f9fafbfcfdfefff', 'hex'),
			Buffer.from('{"data":{"status":"active"}}'),
		);
		expect(base64).toBe(Buffer.concat([expected.ciphertext, expected.tag]).toString('base64'));
	});
});
