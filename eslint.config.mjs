import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import tseslint from 'typescript-eslint';

// n8n's community rules (import allow-list, no process/setTimeout/console, no runtime deps) apply to
// what ships: nodes/, credentials/ and package.json. Tests, scripts and benchmarks run only here and
// may use node:http, fs and child processes.
const shipped = ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'];

export default tseslint.config(
	{ ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cache/**', '**/*.js', '**/*.mjs'] },
	{
		files: ['**/*.ts'],
		extends: [tseslint.configs.recommended],
		rules: {
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
			'no-console': 'error',
		},
	},
	{
		files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
		rules: { 'no-console': 'off', '@typescript-eslint/no-require-imports': 'off' },
	},
	{ ...n8nCommunityNodesPlugin.configs.recommended, files: shipped },
	{
		// The core never imports n8n, so it cannot throw n8n's error classes; nodes wrap its errors.
		files: ['nodes/core/**/*.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
	{
		files: ['package.json'],
		languageOptions: { parser: tseslint.parser },
	},
);
