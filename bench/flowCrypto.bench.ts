/**
 * What the Flow endpoint's own work costs per request, against the floor of the same cryptography
 * done bare with node:crypto, measured in the same run and printed as a ratio. Not an assertion.
 *
 * - floor:   RSA-OAEP-SHA256 unwrap + AES-128-GCM decrypt + JSON.parse + AES-128-GCM encrypt of the answer
 * - crypto:  decryptFlowRequest + encryptFlowResponse (the product's crypto module, parsed key cached)
 * - request: openFlowRequest (HMAC check, JSON, zod envelope + request schemas, decrypt, classify)
 *            + encryptReply of a next-screen answer: everything the trigger does besides n8n itself
 *
 * Run (no ts-node here; compile into the ignored .cache folder, where node_modules resolves):
 *   npx tsc --outDir .cache/flow-bench --rootDir . --strict --module commonjs --target es2022 --esModuleInterop \
 *     --skipLibCheck --types node bench/flowCrypto.bench.ts && node .cache/flow-bench/bench/flowCrypto.bench.js
 * Environment: FLOW_BENCH_REQUESTS (per round, default 500), FLOW_BENCH_ROUNDS (default 7).
 */
import {
	constants,
	createCipheriv,
	createDecipheriv,
	createHmac,
	createPrivateKey,
	generateKeyPairSync,
	privateDecrypt,
	publicEncrypt,
	randomBytes,
	type KeyObject,
} from 'node:crypto';

import { decryptFlowRequest, encryptFlowResponse, loadPrivateKey } from '../nodes/core/flowCrypto';
import { encryptReply, nextScreenReply, openFlowRequest } from '../nodes/core/flowEndpoint';

const REQUESTS = Number(process.env.FLOW_BENCH_REQUESTS ?? 500);
const ROUNDS = Number(process.env.FLOW_BENCH_ROUNDS ?? 7);
const APP_SECRET = 'bench-app-secret';

interface Prepared {
	raw: Buffer;
	signature: string;
	envelope: { encrypted_flow_data: string; encrypted_aes_key: string; initial_vector: string };
}

function prepare(publicKey: KeyObject, count: number): Prepared[] {
	const out: Prepared[] = [];
	for (let i = 0; i < count; i++) {
		const aesKey = randomBytes(16);
		const iv = randomBytes(16);
		const payload = {
			version: '3.0',
			action: 'data_exchange',
			screen: 'APPOINTMENT',
			flow_token: `token-${i}`,
			data: { service: 'haircut', slot: '11:00', name: 'Zoë', notes: 'x'.repeat(200) },
		};
		const cipher = createCipheriv('aes-128-gcm', aesKey, iv);
		const data = Buffer.concat([
			cipher.update(JSON.stringify(payload)),
			cipher.final(),
			cipher.getAuthTag(),
		]);
		const envelope = {
			encrypted_flow_data: data.toString('base64'),
			encrypted_aes_key: publicEncrypt(
				{ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
				aesKey,
			).toString('base64'),
			initial_vector: iv.toString('base64'),
		};
		const raw = Buffer.from(JSON.stringify(envelope));
		out.push({
			raw,
			envelope,
			signature: 'sha256=' + createHmac('sha256', APP_SECRET).update(raw).digest('hex'),
		});
	}
	return out;
}

const answer = {
	screen: 'SUMMARY',
	data: { summary: 'Zoë, haircut at 11:00', service: 'haircut', slot: '11:00' },
};

function floor(requests: Prepared[], key: KeyObject): void {
	for (const request of requests) {
		const envelope = JSON.parse(request.raw.toString('utf8'));
		const aesKey = privateDecrypt(
			{ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
			Buffer.from(envelope.encrypted_aes_key, 'base64'),
		);
		const data = Buffer.from(envelope.encrypted_flow_data, 'base64');
		const iv = Buffer.from(envelope.initial_vector, 'base64');
		const decipher = createDecipheriv('aes-128-gcm', aesKey, iv);
		decipher.setAuthTag(data.subarray(-16));
		JSON.parse(
			Buffer.concat([decipher.update(data.subarray(0, -16)), decipher.final()]).toString('utf8'),
		);
		const flipped = Buffer.from(iv.map((b) => ~b & 0xff));
		const cipher = createCipheriv('aes-128-gcm', aesKey, flipped);
		Buffer.concat([
			cipher.update(JSON.stringify(answer)),
			cipher.final(),
			cipher.getAuthTag(),
		]).toString('base64');
	}
}

function cryptoModule(requests: Prepared[], pem: string, passphrase: string): void {
	for (const request of requests) {
		const decrypted = decryptFlowRequest(request.envelope, loadPrivateKey(pem, passphrase));
		JSON.parse(decrypted.plaintext);
		encryptFlowResponse(answer, decrypted.aesKey, decrypted.iv);
	}
}

function fullRequest(requests: Prepared[], pem: string, passphrase: string): void {
	const secrets = { appSecret: APP_SECRET, privateKey: () => loadPrivateKey(pem, passphrase) };
	for (const request of requests) {
		const outcome = openFlowRequest(request.raw, request.signature, secrets);
		if (outcome.type !== 'exchange') throw new Error(`unexpected outcome ${outcome.type}`);
		encryptReply(nextScreenReply(answer.screen, answer.data), outcome.aesKey, outcome.iv);
	}
}

// CPU time of this process (user + system), not wall time: on a shared, loaded machine the wall clock
// also counts the time the process waited for a core, which swamps differences of a few percent.
function timeUs(fn: () => void): number {
	const started = process.cpuUsage();
	fn();
	const used = process.cpuUsage(started);
	return (used.user + used.system) / REQUESTS;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
	const passphrase = 'bench passphrase';
	const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
	const pem = pair.privateKey.export({
		type: 'pkcs8',
		format: 'pem',
		cipher: 'aes-256-cbc',
		passphrase,
	}) as string;
	const bareKey = createPrivateKey({ key: pem, passphrase });
	const requests = prepare(pair.publicKey, REQUESTS);

	// Warm up every path (JIT, key cache) before measuring.
	floor(requests.slice(0, 50), bareKey);
	cryptoModule(requests.slice(0, 50), pem, passphrase);
	fullRequest(requests.slice(0, 50), pem, passphrase);

	const results = { floor: [] as number[], crypto: [] as number[], request: [] as number[] };
	// Interleaved rounds in rotating order, so drift in machine load hits all three alike.
	const runs: Array<[keyof typeof results, () => void]> = [
		['floor', () => floor(requests, bareKey)],
		['crypto', () => cryptoModule(requests, pem, passphrase)],
		['request', () => fullRequest(requests, pem, passphrase)],
	];
	for (let round = 0; round < ROUNDS; round++) {
		for (let i = 0; i < runs.length; i++) {
			const [name, run] = runs[(round + i) % runs.length];
			results[name].push(timeUs(run));
		}
	}
	const f = median(results.floor);
	const c = median(results.crypto);
	const r = median(results.request);
	console.log(
		`flowCrypto bench: ${ROUNDS} rounds x ${REQUESTS} requests, RSA-2048, Node ${process.version}, median of rounds`,
	);
	console.log(`  floor   (bare node:crypto)            ${f.toFixed(1)} us CPU/request`);
	console.log(
		`  crypto  (decrypt + encrypt module)    ${c.toFixed(1)} us CPU/request  ratio ${(c / f).toFixed(3)}`,
	);
	console.log(
		`  request (signature..classify + reply) ${r.toFixed(1)} us CPU/request  ratio ${(r / f).toFixed(3)}`,
	);
	console.log(
		`  throughput: floor ${(1e6 / f).toFixed(0)} req/s per CPU second, request ${(1e6 / r).toFixed(0)} req/s per CPU second`,
	);
}

main();
