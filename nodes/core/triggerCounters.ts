import type { SetupCheck } from './setup';

/**
 * What a trigger node has seen since its counters were created (the start of the n8n process for the
 * in-process counters; the first request or publish for the Redis ones), so "active but never fires"
 * can be answered from one look: did anything arrive, and if so, why did nothing come out.
 *
 * One request is one `TriggerRequestOutcome`; `counterIncrements` turns it into the increments both
 * backends add (this process's `TriggerCounters`, or one Redis hash per trigger node).
 */

/** Why the trigger refused a request, as it is counted: the HTTP status and what failed. */
export const REJECT_REASONS = {
	'403 verify token': 'the GET handshake carried a wrong verify token or mode',
	'401 signature': 'the X-Hub-Signature-256 header was missing, malformed or did not match',
	'415 content type': 'the body was not JSON',
	'500 raw body': 'the raw body was not available to check the signature',
	'400 body': 'the body was not valid JSON or not a WhatsApp Business Account notification',
	'503 state store': 'the State Store (Redis) did not answer',
	'500 admit': 'the events could not be admitted',
} as const;
export type RejectReason = keyof typeof REJECT_REASONS;

export type TriggerRequestOutcome =
	/** A GET handshake answered with the challenge. */
	| { kind: 'handshake' }
	| { kind: 'rejected'; reason: RejectReason }
	/** A POST whose events were admitted (answered 200 or 503 "retry later"). */
	| {
			kind: 'admitted';
			received: number;
			filtered: number;
			duplicates: number;
			stale: number;
			inFlight: number;
			answer: 'execute' | 'acknowledge' | 'retryLater';
	  };

/** The numbers counted, by field name (the names are the Redis hash fields too). */
export interface TriggerCounts {
	/** When counting started (ms since the epoch). */
	since: number;
	/** POST requests, accepted or not. */
	requests: number;
	/** GET handshakes answered with the challenge. */
	handshakes: number;
	/** Events in the accepted bodies. */
	events: number;
	/** Events passed on as news (claimed for an execution). */
	new: number;
	duplicate: number;
	stale: number;
	/** Events left out by the node's Events or Phone Number IDs. */
	filtered: number;
	/** Requests answered 503 because another execution still held some of their events. */
	retryLater: number;
	/** Requests refused, by reason (GET handshakes included). */
	rejected: Partial<Record<RejectReason, number>>;
	lastRequestAt: number | null;
	lastNewEventAt: number | null;
}

const COUNT_FIELDS = [
	'requests',
	'handshakes',
	'events',
	'new',
	'duplicate',
	'stale',
	'filtered',
	'retryLater',
] as const;
type CountField = (typeof COUNT_FIELDS)[number];

const REJECTED_PREFIX = 'rejected:';

/** The increments one request adds: counter field → amount (zeroes left out). */
export function counterIncrements(outcome: TriggerRequestOutcome): Record<string, number> {
	const add: Record<string, number> = {};
	const inc = (field: string, by = 1) => {
		if (by > 0) add[field] = (add[field] ?? 0) + by;
	};
	switch (outcome.kind) {
		case 'handshake':
			inc('handshakes');
			break;
		case 'rejected':
			if (outcome.reason !== '403 verify token') inc('requests');
			inc(`${REJECTED_PREFIX}${outcome.reason}`);
			break;
		case 'admitted': {
			inc('requests');
			inc('events', outcome.received);
			inc('filtered', outcome.filtered);
			if (outcome.answer === 'retryLater') {
				inc('retryLater');
				break;
			}
			inc('duplicate', outcome.duplicates);
			inc('stale', outcome.stale);
			inc('new', outcome.received - outcome.filtered - outcome.duplicates - outcome.stale);
			break;
		}
	}
	return add;
}

/** Whether a request with this outcome counts as a request (a POST) and whether it brought news. */
export function outcomeMarks(outcome: TriggerRequestOutcome): { request: boolean; news: boolean } {
	const increments = counterIncrements(outcome);
	return { request: (increments.requests ?? 0) > 0, news: (increments.new ?? 0) > 0 };
}

export function emptyCounts(since: number): TriggerCounts {
	return {
		since,
		requests: 0,
		handshakes: 0,
		events: 0,
		new: 0,
		duplicate: 0,
		stale: 0,
		filtered: 0,
		retryLater: 0,
		rejected: {},
		lastRequestAt: null,
		lastNewEventAt: null,
	};
}

const isReason = (value: string): value is RejectReason => value in REJECT_REASONS;

/** Counts read back from field → value pairs (a Redis hash); unknown fields are ignored. */
export function countsFromFields(
	fields: Record<string, string | number>,
	now: number,
): TriggerCounts {
	const number = (value: unknown) => {
		const parsed = Number(value);
		return Number.isFinite(parsed) ? parsed : 0;
	};
	const counts = emptyCounts(fields.since === undefined ? now : number(fields.since));
	for (const [field, value] of Object.entries(fields)) {
		if ((COUNT_FIELDS as readonly string[]).includes(field))
			counts[field as CountField] = number(value);
		else if (field.startsWith(REJECTED_PREFIX)) {
			const reason = field.slice(REJECTED_PREFIX.length);
			if (isReason(reason)) counts.rejected[reason] = number(value);
		}
	}
	if (fields.lastRequestAt !== undefined) counts.lastRequestAt = number(fields.lastRequestAt);
	if (fields.lastNewEventAt !== undefined) counts.lastNewEventAt = number(fields.lastNewEventAt);
	return counts;
}

/** One trigger node's counters in this process. */
export class TriggerCounters {
	private readonly counts: TriggerCounts;

	constructor(since: number) {
		this.counts = emptyCounts(since);
	}

	record(outcome: TriggerRequestOutcome, now: number): void {
		for (const [field, by] of Object.entries(counterIncrements(outcome))) {
			if (field.startsWith(REJECTED_PREFIX)) {
				const reason = field.slice(REJECTED_PREFIX.length) as RejectReason;
				this.counts.rejected[reason] = (this.counts.rejected[reason] ?? 0) + by;
			} else this.counts[field as CountField] += by;
		}
		const marks = outcomeMarks(outcome);
		if (marks.request) this.counts.lastRequestAt = now;
		if (marks.news) this.counts.lastNewEventAt = now;
	}

	read(): TriggerCounts {
		return { ...this.counts, rejected: { ...this.counts.rejected } };
	}
}

/** Where a trigger's counts were read from, and what that means for the reader. */
export type CountsSource =
	| { kind: 'process' }
	| { kind: 'redis' }
	/** The trigger counts in Redis, but this node's State Store is not Redis: nothing to read. */
	| { kind: 'redisUnread' }
	/** Redis did not answer. */
	| { kind: 'redisFailed'; message: string };

export interface TriggerCountsInput {
	triggerName: string;
	/** Undefined when nothing was counted for the trigger where the reader looked. */
	counts: TriggerCounts | undefined;
	source: CountsSource;
	/** Whether the workflow is published (active). */
	workflowActive: boolean;
}

/** What to do about each reason, when a reason is why no event came through. */
const REJECT_ADVICE: Record<RejectReason, string> = {
	'403 verify token':
		"Meta's verify token differs from the Verify Token of the trigger's webhook credential: make them equal (App Dashboard → WhatsApp → Configuration), or publish with Registration Automatic.",
	'401 signature':
		"The App Secret of the trigger's webhook credential is not the secret of the app Meta signs with (App settings → Basic → App secret), or something in front of n8n changes the body.",
	'415 content type':
		'Something posts bodies that are not JSON: Meta posts application/json, so a proxy changes the content type or the caller is not Meta.',
	'500 raw body':
		'n8n did not hand the raw body to the trigger: make sure nothing in front of n8n rewrites the body and that the request reaches this node directly.',
	'400 body':
		'The bodies were not WhatsApp Business Account notifications: the URL is subscribed for another object (Page, Instagram) or a test tool posts other JSON.',
	'503 state store':
		"The trigger's Redis did not answer: check its Redis credential and that Redis runs. Meta retries these.",
	'500 admit': 'The events could not be admitted: see the n8n log for the error.',
};

const NEVER_ARRIVED =
	'Meta has sent this trigger nothing: check that the WhatsApp Business Account is subscribed to the app (the wabaSubscribed item), that Meta calls this trigger\'s production URL (the callbackUrl item, with the trigger\'s URL as Trigger URL), and that the "messages" field is subscribed in the App Dashboard.';

const PER_PROCESS =
	'These counts are kept in each n8n process. In queue mode the webhook processes receive the requests and this node may run in a worker that sees none of them: choose State Store Redis on the trigger and on this node to count across processes.';

function formatTime(ms: number | null): string | null {
	return ms === null ? null : new Date(ms).toISOString();
}

/** Check Setup's item for one trigger's counters: did events arrive, and if not, why. */
export function checkTriggerCounts(input: TriggerCountsInput): SetupCheck {
	const { triggerName, counts, source } = input;
	const label = `Trigger ${triggerName}: events received since start`;
	const base = { check: 'triggerEvents', label };
	const countedIn =
		source.kind === 'process'
			? 'this n8n process'
			: source.kind === 'redis'
				? 'Redis'
				: 'Redis (not read)';
	const fail = (whatToDo: string, details: Record<string, unknown> = {}): SetupCheck => ({
		...base,
		pass: false,
		whatToDo,
		details: { trigger: triggerName, countedIn, ...details },
	});

	if (source.kind === 'redisUnread')
		return fail(
			"The trigger counts in Redis (its State Store is Redis): set this node's State Store to Redis with the same Redis credential to read its counts.",
		);
	if (source.kind === 'redisFailed')
		return fail(`The trigger's counts could not be read from Redis: ${source.message}`);

	const processNote = source.kind === 'process' ? ` ${PER_PROCESS}` : '';
	if (!input.workflowActive && (counts === undefined || counts.requests === 0))
		return fail(
			`The workflow is not published, so Meta's requests reach no production URL: publish it.${processNote}`,
			counts ? { counts: view(counts) } : {},
		);
	if (counts === undefined || (counts.requests === 0 && counts.handshakes === 0))
		return fail(
			`No request reached the trigger since ${since(counts, source)}. ${NEVER_ARRIVED}${processNote}`,
			{
				counts: counts ? view(counts) : null,
			},
		);

	const rejectedTotal = Object.values(counts.rejected).reduce((sum, n) => sum + (n ?? 0), 0);
	const rejections = Object.entries(counts.rejected)
		.filter(([, n]) => (n ?? 0) > 0)
		.sort(([, a], [, b]) => (b ?? 0) - (a ?? 0)) as Array<[RejectReason, number]>;
	const rejectionText = rejections.map(([reason, n]) => `${n} × ${reason}`).join(', ');
	const through = counts.new + counts.duplicate + counts.stale;

	if (through > 0) {
		return {
			...base,
			pass: true,
			whatToDo:
				rejectedTotal > 0
					? `Events arrive. ${rejectedTotal} requests were also refused (${rejectionText}); if they came from Meta: ${REJECT_ADVICE[rejections[0][0]]}`
					: '',
			details: { trigger: triggerName, countedIn, counts: view(counts) },
		};
	}
	if (rejections.length > 0)
		return fail(
			`No event came through: ${rejectionText}. ${REJECT_ADVICE[rejections[0][0]]}${processNote}`,
			{ counts: view(counts) },
		);
	if (counts.requests === 0)
		return fail(
			`Meta verified the URL (${counts.handshakes} handshakes answered) but has posted nothing since ${since(counts, source)}. ${NEVER_ARRIVED}${processNote}`,
			{ counts: view(counts) },
		);
	if (counts.events > 0 && counts.filtered === counts.events)
		return fail(
			`All ${counts.events} events were left out by the trigger's Events or Phone Number IDs: check that Phone Number IDs lists the number Meta reports (metadata.phone_number_id) and that Events includes the kinds you expect.`,
			{ counts: view(counts) },
		);
	if (counts.retryLater > 0)
		return fail(
			`Every request was answered 503 because another execution still held its events: the executions the trigger starts do not finish (see the workflow's executions); Meta retries meanwhile.${processNote}`,
			{ counts: view(counts) },
		);
	return fail(
		`Requests arrived but carried no event (${counts.requests} requests, ${counts.events} events): Meta posts at least one change per notification, so the caller is probably a test tool.`,
		{ counts: view(counts) },
	);
}

function since(counts: TriggerCounts | undefined, source: CountsSource): string {
	if (counts) return formatTime(counts.since) ?? 'start';
	return source.kind === 'process'
		? 'this n8n process started'
		: 'its counters were created (they expire after 30 days without a request)';
}

/** The counts as Check Setup shows them: times as ISO strings. */
function view(counts: TriggerCounts): Record<string, unknown> {
	return {
		...counts,
		since: formatTime(counts.since),
		lastRequestAt: formatTime(counts.lastRequestAt),
		lastNewEventAt: formatTime(counts.lastNewEventAt),
	};
}
