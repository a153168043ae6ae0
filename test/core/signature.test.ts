import { checkHandshake } from '../../nodes/core/handshake';
import { secretsEqual, verifySignature } from '../../nodes/core/signature';
import { body, change, metaSerialise, PHONE_A, sign, textMessage } from '../support/payloads';

const SECRET = 'app-secret-123';

describe('verifySignature', () => {
	const raw = Buffer.from(
		metaSerialise(body(change(PHONE_A, { messages: [textMessage('wamid.1', 'Grüße @ 東京 😀')] }))),
	);

	it('accepts the signature Meta computes over the raw bytes (crypto-js oracle)', () => {
		expect(verifySignature(raw, sign(raw, SECRET), SECRET)).toEqual({ valid: true });
	});

	it('accepts uppercase hex and a header given as an array', () => {
		const header = 'sha256=' + sign(raw, SECRET).slice('sha256='.length).toUpperCase();
		expect(verifySignature(raw, [header], SECRET).valid).toBe(true);
	});

	it('fails when the body was re-serialised instead of using the raw bytes', () => {
		const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
		expect(reserialised.equals(raw)).toBe(false);
		expect(verifySignature(reserialised, sign(raw, SECRET), SECRET)).toMatchObject({
			valid: false,
			reason: 'signature_mismatch',
		});
	});

	it('fails on one changed byte of the body', () => {
		const tampered = Buffer.from(raw);
		tampered[tampered.length - 5] ^= 1;
		expect(verifySignature(tampered, sign(raw, SECRET), SECRET)).toMatchObject({
			valid: false,
			reason: 'signature_mismatch',
		});
	});

	it('fails with the wrong secret', () => {
		expect(verifySignature(raw, sign(raw, 'other'), SECRET)).toMatchObject({
			valid: false,
			reason: 'signature_mismatch',
		});
	});

	it.each([
		[undefined, 'missing_signature'],
		['', 'missing_signature'],
		['sha1=abcdef', 'malformed_signature'],
		['sha256=xyz', 'malformed_signature'],
		['sha256=' + 'a'.repeat(63), 'malformed_signature'],
		['a'.repeat(64), 'malformed_signature'],
	])('names the reason for header %p', (header, reason) => {
		const result = verifySignature(raw, header, SECRET);
		expect(result).toMatchObject({ valid: false, reason });
		if (!result.valid) expect(result.message).not.toContain(SECRET);
	});

	it('refuses to verify without a secret', () => {
		expect(verifySignature(raw, sign(raw, ''), '')).toMatchObject({
			valid: false,
			reason: 'missing_secret',
		});
	});
});

describe('checkHandshake', () => {
	const query = {
		'hub.mode': 'subscribe',
		'hub.verify_token': 'tok',
		'hub.challenge': '1158201444',
	};

	it('returns exactly the challenge for the right token', () => {
		expect(checkHandshake(query, 'tok')).toEqual({ accepted: true, challenge: '1158201444' });
	});

	it.each([
		[{ ...query, 'hub.verify_token': 'tok2' }, 'verify_token'],
		[{ ...query, 'hub.verify_token': 'to' }, 'verify_token'],
		[{ ...query, 'hub.mode': 'unsubscribe' }, 'hub.mode'],
		[{ 'hub.mode': 'subscribe', 'hub.verify_token': 'tok' }, 'challenge'],
		[{}, 'hub.mode'],
	])('rejects %p', (q, reason) => {
		const result = checkHandshake(q, 'tok');
		expect(result.accepted).toBe(false);
		if (!result.accepted) expect(result.reason).toContain(reason);
	});

	it('rejects everything when no token is configured', () => {
		expect(checkHandshake({ ...query, 'hub.verify_token': '' }, '').accepted).toBe(false);
	});
});

describe('secretsEqual', () => {
	it('compares by value, including length', () => {
		expect(secretsEqual('abc', 'abc')).toBe(true);
		expect(secretsEqual('abc', 'abd')).toBe(false);
		expect(secretsEqual('abc', 'abcd')).toBe(false);
		expect(secretsEqual('', '')).toBe(true);
	});
});
