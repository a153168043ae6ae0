// n8n's verification scan (@n8n/scan-community-package), run on this checkout instead of a published
// version: the source leg lints what the scanner lints in the attested source checkout (package.json,
// nodes/ and credentials/), the package leg lints the compiled JavaScript and package.json of the
// tarball `npm pack` makes from the current build. Both legs use the scanner's own configuration, with
// inline eslint-disable comments ignored as the scanner ignores them. Any finding (error or warning)
// fails. Also checks that the tarball ships a LICENSE and no source map that points at a missing source.
//
//   npm run build && node scripts/scan.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ESLint } from 'eslint';
import glob from 'fast-glob';
import {
	SOURCE_FILE_PATTERNS,
	buildScanConfig,
} from '@n8n/scan-community-package/scanner/scanner.mjs';

const repoDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE_FILE_PATTERNS = ['**/*.js', 'package.json'];

/**
 * Findings kept on purpose, each explained in the README ("n8n's verification scan"). Anything else
 * fails, and so does an exception that no longer occurs (it must then be removed here and there).
 */
const EXCEPTIONS = [
	{
		rule: '@n8n/community-nodes/node-usable-as-tool',
		file: 'nodes/WhatsAppFlowRespond/WhatsAppFlowRespond.node.ts',
		why: 'it answers the Flow request of the execution a Flow trigger started; as an AI tool it has nothing to answer (and usableAsTool cannot be set to false)',
	},
	{
		rule: '@n8n/community-nodes/credential-password-field',
		file: 'credentials/WhatsAppWebhookApi.credentials.ts',
		why: 'the verify token is a value the operator chooses and copies into Meta; masking it hides what must be copied',
	},
];

async function lint(label, dir, patterns) {
	const eslint = new ESLint({
		cwd: dir,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: await buildScanConfig(),
	});
	const files = glob.sync(patterns, {
		cwd: dir,
		absolute: true,
		ignore: ['node_modules/**', '**/package-lock.json'],
	});
	if (files.length === 0) throw new Error(`${label}: no files to scan in ${dir}`);
	const results = await eslint.lintFiles(files);
	for (const result of results) {
		const file = relative(dir, result.filePath);
		result.messages = result.messages.filter((m) => {
			const exception = EXCEPTIONS.find((e) => e.rule === m.ruleId && e.file === file);
			if (exception) exception.seen = true;
			return !exception;
		});
		result.errorCount = result.messages.filter((m) => m.severity === 2).length;
		result.warningCount = result.messages.filter((m) => m.severity === 1).length;
	}
	const findings = results.reduce((sum, r) => sum + r.errorCount + r.warningCount, 0);
	if (findings > 0) {
		const formatter = await eslint.loadFormatter('stylish');
		process.stdout.write(await formatter.format(results));
	}
	console.log(`[scan] ${label}: ${files.length} files, ${findings} finding(s)`);
	return findings;
}

/** What the tarball must and must not hold. */
function checkTarballContents(dir) {
	const problems = [];
	const license = ['LICENSE', 'LICENSE.md', 'LICENSE.txt'].find((f) => existsSync(join(dir, f)));
	if (!license) problems.push('no LICENSE file');
	else if (!/MIT License/.test(readFileSync(join(dir, license), 'utf8')))
		problems.push(`${license} is not the MIT license package.json declares`);
	for (const map of glob.sync('**/*.map', { cwd: dir, ignore: ['node_modules/**'] })) {
		const { sources = [], sourceRoot = '' } = JSON.parse(readFileSync(join(dir, map), 'utf8'));
		for (const source of sources) {
			if (!existsSync(join(dir, dirname(map), sourceRoot, source)))
				problems.push(`${map} points at ${source}, which the package does not ship`);
		}
	}
	for (const problem of problems) console.log(`[scan] package: ${problem}`);
	return problems.length;
}

const work = mkdtempSync(join(tmpdir(), 'n8n-scan-'));
let findings = 0;
try {
	if (!existsSync(join(repoDir, 'dist')))
		throw new Error('dist/ is missing: run `npm run build` first');
	findings += await lint('source', repoDir, SOURCE_FILE_PATTERNS);

	const packed = JSON.parse(
		execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
			cwd: repoDir,
			encoding: 'utf8',
		}),
	);
	const tarball = join(work, packed[0].filename);
	const unpacked = join(work, 'package');
	execFileSync('tar', ['-xzf', tarball, '-C', work]);
	console.log(`[scan] packed ${packed[0].filename}: ${packed[0].entryCount} files`);
	findings += await lint('package', unpacked, PACKAGE_FILE_PATTERNS);
	findings += checkTarballContents(unpacked);
	for (const e of EXCEPTIONS) {
		if (e.seen) console.log(`[scan] kept on purpose: ${e.rule} in ${e.file}: ${e.why}`);
		else {
			console.log(`[scan] stale exception: ${e.rule} no longer occurs in ${e.file}; remove it`);
			findings += 1;
		}
	}
} finally {
	rmSync(work, { recursive: true, force: true });
}
if (findings > 0) {
	console.log(`[scan] FAILED: ${findings} finding(s)`);
	process.exit(1);
}
console.log('[scan] clean');
