/**
 * What the editor shows, checked without n8n: codex files and their README anchors, the webhook
 * credential test, literal option defaults that match the engine's, and descriptions in US English.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { DEFAULT_RETRY_OPTIONS } from '../../nodes/core/retryPolicy';
import { optionsProperty } from '../../nodes/WhatsAppReliable/actions/options.description';
import { WhatsAppReliable } from '../../nodes/WhatsAppReliable/WhatsAppReliable.node';
import { WhatsAppReliableTrigger } from '../../nodes/WhatsAppReliableTrigger/WhatsAppReliableTrigger.node';
import { testWebhookCredential } from '../../nodes/WhatsAppReliableTrigger/credentialTest';
import { WhatsAppEscalation } from '../../nodes/WhatsAppEscalation/WhatsAppEscalation.node';
import { WhatsAppFlowRespond } from '../../nodes/WhatsAppFlowRespond/WhatsAppFlowRespond.node';
import { WhatsAppFlowTrigger } from '../../nodes/WhatsAppFlowTrigger/WhatsAppFlowTrigger.node';

const ROOT = path.join(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens. */
const anchors = new Set(
	readme
		.split('\n')
		.filter((line) => /^#{1,6} /.test(line))
		.map((line) =>
			line
				.replace(/^#+ /, '')
				.trim()
				.toLowerCase()
				.replace(/[^\p{L}\p{N} _-]/gu, '')
				.replace(/ /g, '-'),
		),
);

const NODES = {
	WhatsAppReliable,
	WhatsAppReliableTrigger,
	WhatsAppEscalation,
	WhatsAppFlowTrigger,
	WhatsAppFlowRespond,
};

describe('codex files', () => {
	it.each(Object.keys(NODES))(
		'%s has one beside it, naming the node and linking README sections',
		(folder) => {
			const file = path.join(ROOT, 'nodes', folder, `${folder}.node.json`);
			const codex = JSON.parse(fs.readFileSync(file, 'utf8'));
			const node = new NODES[folder as keyof typeof NODES]();
			expect(codex.node).toBe(`${pkg.name}.${node.description.name}`);
			expect(codex.categories.length).toBeGreaterThan(0);
			expect(codex.alias).toContain('WhatsApp');
			const links = [
				...codex.resources.primaryDocumentation,
				...(codex.resources.credentialDocumentation ?? []),
			].map((r: { url: string }) => r.url);
			expect(links.length).toBeGreaterThan(0);
			for (const url of links) {
				expect(url.startsWith(`${pkg.homepage}#`)).toBe(true);
				expect(anchors).toContain(url.slice(url.indexOf('#') + 1));
			}
		},
	);

	it('the escalation node is found by handoff, human and agent; the Flow nodes by flow', () => {
		const alias = (folder: string) =>
			JSON.parse(
				fs.readFileSync(path.join(ROOT, 'nodes', folder, `${folder}.node.json`), 'utf8'),
			).alias.map((a: string) => a.toLowerCase());
		expect(alias('WhatsAppEscalation')).toEqual(
			expect.arrayContaining(['handoff', 'human', 'agent', 'escalation']),
		);
		expect(alias('WhatsAppFlowTrigger')).toContain('flows');
		expect(alias('WhatsAppFlowRespond')).toContain('flows');
	});
});

describe('webhook credential test', () => {
	const secret = '0123456789abcdef0123456789abcdef';
	it('accepts a 32-hex app secret and a verify token', () => {
		expect(testWebhookCredential({ appSecret: secret, verifyToken: 'abc' }).status).toBe('OK');
	});
	it.each([
		[{ appSecret: '', verifyToken: 'abc' }, 'No app secret'],
		[{ appSecret: 'EAAG' + 'x'.repeat(100), verifyToken: 'abc' }, '104 characters'],
		[{ appSecret: ` ${secret}`, verifyToken: 'abc' }, 'space'],
		[{ appSecret: secret, verifyToken: '' }, 'No verify token'],
		[{ appSecret: secret, verifyToken: 'abc ' }, 'space'],
	])('rejects %j', (credentials, reason) => {
		const result = testWebhookCredential(credentials);
		expect(result.status).toBe('Error');
		expect(result.message).toContain(reason);
	});
});

describe('descriptions', () => {
	it('the Options defaults are the engine defaults', () => {
		const byName = Object.fromEntries(
			(optionsProperty.options as Array<{ name: string; default: unknown }>).map((o) => [
				o.name,
				o.default,
			]),
		);
		expect(byName.initialBackoffMs).toBe(DEFAULT_RETRY_OPTIONS.baseDelayMs);
		expect(byName.maxAttempts).toBe(DEFAULT_RETRY_OPTIONS.maxAttempts);
		expect(byName.maxRetrySeconds).toBe(DEFAULT_RETRY_OPTIONS.maxTotalMs / 1000);
		expect(byName.pairRateDelayMs).toBe(DEFAULT_RETRY_OPTIONS.pairRateDelayMs);
	});

	it('no notice relies on HTML n8n drops (line breaks, bold, italics)', () => {
		for (const NodeClass of Object.values(NODES)) {
			for (const p of new NodeClass().description.properties) {
				if (p.type === 'notice') expect(p.displayName).not.toMatch(/<(br|b|i)\b/);
			}
		}
	});

	it('the shipped copy is in US English', () => {
		// What an operator reads: labels, descriptions, hints, placeholders, option names; not the
		// parameter names and values, which are stable identifiers.
		const readable: string[] = [];
		const walk = (value: unknown): void => {
			if (Array.isArray(value)) return value.forEach(walk);
			if (!value || typeof value !== 'object') return;
			const entry = value as Record<string, unknown>;
			for (const key of ['displayName', 'description', 'hint', 'action', 'placeholder', 'subtitle'])
				if (typeof entry[key] === 'string') readable.push(entry[key] as string);
			if ('value' in entry && typeof entry.name === 'string') readable.push(entry.name);
			for (const [key, child] of Object.entries(entry)) if (key !== 'displayOptions') walk(child);
		};
		Object.values(NODES).forEach((N) => walk(new N().description));
		const british =
			/\b(recognis|unrecognis|authoris|organis|behaviour|colour|cancelled|licence|favour|centre|catalogue|analys[ei])/i;
		expect(readable.filter((text) => british.test(text))).toEqual([]);
	});
});
