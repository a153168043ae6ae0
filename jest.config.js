/** Unit and node tests run in milliseconds; e2e tests drive a real n8n and run one file at a time. */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] };

module.exports = {
	// Generous for e2e tests that start n8n; unit tests finish in milliseconds anyway.
	testTimeout: 180000,
	projects: [
		{
			displayName: 'unit',
			testEnvironment: 'node',
			transform,
			testMatch: ['<rootDir>/test/core/**/*.test.ts', '<rootDir>/test/nodes/**/*.test.ts'],
		},
		{
			displayName: 'e2e',
			testEnvironment: 'node',
			transform,
			testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
		},
	],
};
