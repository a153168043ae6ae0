import type { INodeProperties } from 'n8n-workflow';

import { DEFAULT_RETRY_OPTIONS } from '../../core/retryPolicy';
import {
	DEFAULT_CONCURRENCY,
	DEFAULT_MAX_PER_SECOND,
	DEFAULT_SEND_ONCE_TTL_HOURS,
	MAX_SEND_ONCE_TTL_HOURS,
	MAX_CONCURRENCY,
	SEND_ONCE_CAPACITY,
} from '../helpers/executionSettings';

/** The Options collection every operation shows: retries, pacing, concurrency, sender number. */

// Plain names, so the defaults read as values to n8n's package scan (it does not follow member access).
const INITIAL_BACKOFF_MS = DEFAULT_RETRY_OPTIONS.baseDelayMs;
const MAX_ATTEMPTS = DEFAULT_RETRY_OPTIONS.maxAttempts;
const MAX_RETRY_SECONDS = DEFAULT_RETRY_OPTIONS.maxTotalMs / 1000;
const PAIR_RATE_DELAY_MS = DEFAULT_RETRY_OPTIONS.pairRateDelayMs;

export const optionsProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'collection',
	placeholder: 'Add Option',
	default: {},
	options: [
		{
			displayName: 'Concurrency',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY },
			default: DEFAULT_CONCURRENCY,
			description:
				'How many requests may be in flight at once. Items for the same recipient are always sent one after another, in input order.',
		},
		{
			displayName: 'Initial Backoff (Ms)',
			name: 'initialBackoffMs',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: INITIAL_BACKOFF_MS,
			description:
				'Upper bound of the first random wait before a retry; it doubles with each retry (full jitter), up to 30 s',
		},
		{
			displayName: 'Max Attempts',
			name: 'maxAttempts',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 10 },
			default: MAX_ATTEMPTS,
			description:
				'Attempts per request in all, the first included. Errors that may be a bad request (codes 1 and 131000) get at most 3. Permanent errors get 1.',
		},
		{
			displayName: 'Max Messages Per Second',
			name: 'maxPerSecond',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 1000 },
			default: DEFAULT_MAX_PER_SECOND,
			description:
				"Ceiling on requests per second from this node, shared by all its executions running at the same time, retries included; after a pause a backlog leaves at this pace, not at once. 80 is Meta's default throughput per number; raise it only if Meta raised yours. 0 turns the ceiling off.",
		},
		{
			displayName: 'Max Retry Time (Seconds)',
			name: 'maxRetrySeconds',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: MAX_RETRY_SECONDS,
			description:
				'No retry is started whose wait would end later than this after the first attempt of the item',
		},
		{
			displayName: 'Pair Rate Delay (Ms)',
			name: 'pairRateDelayMs',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: PAIR_RATE_DELAY_MS,
			description:
				'First wait after error 131056 (too many messages to one user); it doubles with each retry. Meta allows about one message every 6 seconds per user.',
		},
		{
			displayName: 'Remember Idempotency Keys (Hours)',
			name: 'sendOnceTtlHours',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_SEND_ONCE_TTL_HOURS },
			default: DEFAULT_SEND_ONCE_TTL_HOURS,
			description: `How long a send with an idempotency key is remembered (at most ${SEND_ONCE_CAPACITY.toLocaleString('en-US')} keys per node; the oldest are forgotten first)`,
		},
		{
			displayName: 'Retry Uncertain Sends',
			name: 'retryUncertainSends',
			type: 'boolean',
			default: false,
			description:
				'Whether to retry a message whose request may have reached Meta (a timeout after sending, a 5xx without an error body). Off: such a send stops at once with mayHaveBeenSent = true, because a retry could deliver it twice.',
		},
		{
			displayName: 'Sender Phone Number ID',
			name: 'phoneNumberId',
			type: 'string',
			default: '',
			description: "Send from this phone number ID instead of the credential's",
		},
	],
};
