import {
	NodeConnectionTypes,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type IExecuteFunctions,
	type IHookFunctions,
	type INodeCredentialTestResult,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { splitEvents } from '../core/events';
import { checkHandshake } from '../core/handshake';
import { RecentSecrets } from '../core/recentSecrets';
import { verifySignature } from '../core/signature';
import type { TriggerJournal, TriggerStore } from '../core/stateStore/types';
import type { RejectReason } from '../core/triggerCounters';
import {
	admitEvents,
	settleAndRecord,
	settleEvents,
	TRIGGER_OUTPUTS,
	withRecovered,
	type AdmitResult,
	type TriggerItem,
} from '../core/triggerPipeline';
import { recordInbound } from '../shared/conversations';
import {
	createRegistration,
	deleteRegistration,
	registrationExists,
} from '../shared/webhookRegistration';
import { countTriggerRequest, registerTriggerCounters } from '../shared/triggerCounters';
import { triggerInput } from '../shared/triggerInput';
import {
	asNodeError,
	openTriggerStore,
	testRedisConnection,
	StateStoreUnavailableError,
	stateStoreProperty,
} from '../shared/stateStores';
import { whenExecutionSaved } from '../shared/workflowState';
import { testWebhookCredential, type WebhookCredentials } from './credentialTest';
import {
	DEFAULT_ECHO_LEASE_MINUTES,
	MAX_DEDUPE_CAPACITY,
	MAX_DEDUPE_WINDOW_DAYS,
	readRecordOptions,
	readTriggerOptions,
} from './triggerState';

/** App secrets read in the last minute (see RecentSecrets): n8n decrypts a credential on every read. */
const APP_SECRETS = new RecentSecrets(60_000);

/** How long Meta is asked to wait before retrying a body whose events another execution holds. */
const RETRY_AFTER_SECONDS = 10;

/**
 * The manual setup steps, one notice each: n8n shows a notice as plain text (no line breaks, bold or
 * italics), so steps joined in one notice would run together.
 */
const SETUP_STEPS = [
	"Manual setup in Meta's App Dashboard, under WhatsApp → Configuration → Webhook:",
	'Step 1: publish this workflow, open "Webhook URLs" above, choose "Production URL" and paste it as the Callback URL.',
	'Step 2: paste the Verify Token of this node\'s credential as "Verify token" and click "Verify and save". This node answers the handshake without running the workflow.',
	"Step 3: the credential's App Secret is Meta's App settings → Basic → App secret. Every POST is checked against it.",
	'Step 4: subscribe the "messages" field (and any account or template fields you want on the Other output).',
	'Testing: the Test URL accepts one call after "Listen for test event", and only while the editor waits. Meta\'s later deliveries get 404 and are retried, so use it only to capture one sample.',
];

/** What Registration "Automatic" does, one notice each. */
const AUTOMATIC_NOTES = [
	"Automatic: publishing subscribes the WhatsApp Business Account to the app if needed and registers this workflow's production URL and verify token with Meta, for the phone numbers below or, with none, for the whole account. Unpublishing removes what it registered.",
	"Template and account events (template status, quality and category updates, account alerts) still go to the app's callback URL in the App Dashboard: set that by hand (manual steps) if you want them on the Other output.",
	'Meta calls back over public HTTPS only: if n8n runs behind a proxy or tunnel, set N8N_WEBHOOK_URL to its public address.',
];

const notice = (text: string, name: string, show?: Record<string, string[]>): INodeProperties => ({
	displayName: text,
	name,
	type: 'notice',
	default: '',
	...(show ? { displayOptions: { show } } : {}),
});

/** What a rejected caller reads; anything else gets the reason (400 goes to Meta, already verified). */
const PLAIN_ANSWERS: Record<number, string> = {
	401: 'Unauthorized',
	403: 'Forbidden',
	415: 'Unsupported Media Type',
};

/** `application/json` or a `+json` type, with or without parameters such as charset. */
function isJsonContentType(value: string | string[]): boolean {
	const type = (Array.isArray(value) ? value[0] : value)?.split(';')[0].trim().toLowerCase() ?? '';
	return type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type);
}

const isJournal = (store: TriggerStore): store is TriggerStore & TriggerJournal =>
	'takeUnfinished' in store;

/**
 * The executions recovered items come from that n8n did save with this trigger's run: they finished,
 * and only their journal records outlived them (a worker killed between n8n's save and the record's
 * removal). n8n's database is the truth here; the journal only says where to look.
 */
async function savedRecoverySources(
	ctx: IExecuteFunctions,
	journal: TriggerJournal,
	inputs: TriggerItem[][],
): Promise<Set<string>> {
	const sources = new Set(inputs.flat().flatMap((item) => item.recoveredFrom ?? []));
	const saved = new Set<string>();
	for (const source of sources) {
		const data = await ctx.getExecutionDataById(source).catch(() => undefined);
		if (data?.resultData?.runData?.[ctx.getNode().name]) {
			saved.add(source);
			await journal.finished(source);
		}
	}
	return saved;
}

/**
 * Settles through the journal (confirm and record in one step, before the 200 goes out), drops the
 * records of dead executions whose events this one re-runs, and forgets its own record once the
 * execution has ended and n8n has saved it.
 */
async function settleWithJournal(
	ctx: IExecuteFunctions,
	journal: TriggerJournal,
	inputs: TriggerItem[][],
): Promise<Array<Array<{ item: TriggerItem; index: number }>>> {
	const executionId = ctx.getExecutionId();
	const finishedSources = await savedRecoverySources(ctx, journal, inputs);
	const settled = await settleAndRecord(inputs, { journal, executionId, finishedSources });
	const recoveredFrom = new Set(settled.flat().flatMap(({ item }) => item.recoveredFrom ?? []));
	for (const previous of recoveredFrom) await journal.finished(previous);
	const finished = async () =>
		await journal
			.finished(executionId)
			.catch((error: Error) =>
				ctx.logger.warn(
					`WhatsApp Reliable Trigger: could not mark execution ${executionId} finished in Redis (${error.message}); its events may run again after the recovery time`,
				),
			);
	// n8n 2.x runs this after it has saved the execution (a worker killed before that loses the
	// execution's data, so the record must outlive the save). Older n8n has no such hook: the end of
	// the execution is then learnt from its static-data save, which comes just before.
	if (ctx.onExecutionFinish) ctx.onExecutionFinish(finished);
	else whenExecutionSaved(ctx, () => void finished());
	return settled;
}

export class WhatsAppReliableTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Reliable Trigger',
		name: 'whatsAppReliableTrigger',
		icon: { light: 'file:whatsapp.svg', dark: 'file:whatsapp.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"WhatsApp events, exactly once"}}',
		description:
			// n8n's node creator shows this node and WhatsApp Reliable as one entry, with this description.
			"Send and receive WhatsApp messages reliably: webhooks verified and split into one item per event, exactly once; sends retried by Meta's error classes, at most once per key",
		defaults: { name: 'WhatsApp Reliable Trigger' },
		inputs: [],
		outputs: [
			NodeConnectionTypes.Main,
			NodeConnectionTypes.Main,
			NodeConnectionTypes.Main,
			NodeConnectionTypes.Main,
			NodeConnectionTypes.Main,
		],
		outputNames: [...TRIGGER_OUTPUTS],
		credentials: [
			{ name: 'whatsAppWebhookApi', required: true, testedBy: 'whatsAppWebhookSecretsTest' },
			// Optional: with it, Registration "Automatic" registers the webhook with Meta on publish.
			{ name: 'whatsAppCloudApi', required: false },
			// When State Store is Redis (queue mode).
			{
				name: 'whatsAppRedisApi',
				required: true,
				testedBy: 'whatsAppRedisConnectionTest',
				displayOptions: { show: { stateStore: ['redis'] } },
			},
		],
		webhooks: [
			{ name: 'setup', httpMethod: 'GET', responseMode: 'onReceived', path: 'whatsapp' },
			{
				name: 'default',
				httpMethod: 'POST',
				// Answered from execute() with sendResponse, once the execution runs (see execute()).
				responseMode: 'responseNode',
				path: 'whatsapp',
			},
		],
		properties: [
			{
				displayName: 'Registration',
				name: 'registration',
				type: 'options',
				noDataExpression: true,
				default: 'automatic',
				options: [
					{
						name: 'Automatic',
						value: 'automatic',
						description:
							'Register this workflow with Meta on publish and remove it on unpublish. Needs a WhatsApp Cloud API credential on this node; without one, set up by hand.',
					},
					{
						name: 'Manual',
						value: 'manual',
						description: "Set the callback URL by hand in Meta's App Dashboard",
					},
				],
			},
			...AUTOMATIC_NOTES.map((text, index) =>
				notice(text, `registrationNote${index}`, { registration: ['automatic'] }),
			),
			...SETUP_STEPS.map((text, step) =>
				notice(text, step === 0 ? 'setupNotice' : `setupStep${step}`),
			),
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				default: [],
				description: 'Event kinds to emit. Leave empty for all.',
				// n8n's node creator lists a trigger's event options as "On <name>", lowercased.
				options: [
					{
						name: 'Account and Template Updates',
						value: 'account_update',
						description: 'Changes to the business account, phone numbers and message templates',
					},
					{
						name: 'Business App Echoes',
						value: 'echo',
						description:
							'Messages a person at the business sent from the WhatsApp Business app (coexistence)',
					},
					{
						name: 'Calls',
						value: 'call',
						description: 'WhatsApp calls: connect, terminate and call statuses',
					},
					{
						name: 'Chat History',
						value: 'history',
						description:
							'Messages of the WhatsApp Business app chat history Meta syncs after onboarding',
					},
					{
						name: 'Errors',
						value: 'error',
						description: 'Errors Meta reports for the phone number or app, not for one message',
					},
					{
						name: 'Flow Responses',
						value: 'flow_response',
						description: 'A customer completed a WhatsApp Flow',
					},
					{
						name: 'Group Events',
						value: 'group',
						description: 'Group lifecycle, participant, settings and status updates',
					},
					{
						name: 'Messages',
						value: 'message',
						description: 'Anything a customer sends: text, media, replies, reactions, orders',
					},
					{
						name: 'Other Events',
						value: 'unknown',
						description: 'Webhook fields this node does not know yet, passed on as they came',
					},
					{
						name: 'Statuses',
						value: 'status',
						description: 'Sent, delivered, read and failed updates for messages you sent',
					},
					{
						name: 'Thread Handovers',
						value: 'handover',
						description:
							'Conversation routing: Meta passed a thread to this app or another app took it',
					},
				],
			},
			{
				displayName: 'Phone Number IDs',
				name: 'phoneNumberIds',
				type: 'string',
				default: '',
				placeholder: '106540352242922, 107655329012345',
				description:
					'Comma-separated phone number IDs this workflow handles. Leave empty for all. Lets several numbers of one Meta app share one callback URL, one workflow per number.',
			},
			stateStoreProperty,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'App ID',
						name: 'appId',
						type: 'string',
						default: '',
						placeholder: '1234567890123456',
						description:
							"Your Meta app's ID (App Dashboard → App settings → Basic). With it, a thread handover that names the new owner's app is read exactly; without it, the handover's name decides (control passed: this app owns the thread; control taken: another app does).",
					},
					{
						displayName: 'Dedupe Capacity',
						name: 'dedupeCapacity',
						type: 'number',
						typeOptions: { minValue: 100, maxValue: MAX_DEDUPE_CAPACITY },
						default: 20000,
						description:
							'How many event keys to remember at most; the oldest are forgotten first. Each costs about 12 bytes of workflow static data.',
					},
					{
						displayName: 'Dedupe Window (Days)',
						name: 'dedupeWindowDays',
						type: 'number',
						typeOptions: { minValue: 0.01, maxValue: MAX_DEDUPE_WINDOW_DAYS, numberPrecision: 2 },
						default: 7,
						description:
							'How long an event is remembered. Meta retries undelivered webhooks for up to 7 days.',
					},
					{
						displayName: 'Echo Lease (Minutes)',
						name: 'echoLeaseMinutes',
						type: 'number',
						typeOptions: { minValue: 0, numberPrecision: 2 },
						default: DEFAULT_ECHO_LEASE_MINUTES,
						description:
							'How long a reply from the WhatsApp Business app keeps the conversation with the person who sent it, from that reply. 0: until Release.',
					},
					{
						displayName: 'Echoes Give Human Ownership',
						name: 'echoOwnership',
						type: 'boolean',
						default: true,
						description:
							"Whether a message a person sends to a customer from the WhatsApp Business app (coexistence) hands that conversation to them, so WhatsApp Escalation → Route sends the customer's next messages to Already With Human instead of the bot",
					},
					{
						displayName: 'Emit Duplicates',
						name: 'emitDuplicates',
						type: 'boolean',
						default: false,
						description:
							'Whether to emit redelivered events flagged with duplicate: true instead of dropping them',
					},
					{
						displayName: 'Emit Stale Statuses',
						name: 'emitStaleStatuses',
						type: 'boolean',
						default: false,
						description:
							'Whether to emit statuses that arrive after a later one (e.g. delivered after read) flagged with stale: true instead of dropping them',
					},
					{
						displayName: 'Re-Run Unfinished Executions After (Minutes)',
						name: 'recoverAfterMinutes',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 1440 },
						default: 10,
						displayOptions: { show: { '/stateStore': ['redis'] } },
						description:
							"State Store Redis: events whose execution acknowledged them and did not finish within this time (a queue-mode worker died) run again with the next request, flagged recoveredFrom. Set it longer than this workflow's longest execution.",
					},
					{
						displayName: 'Record Conversations',
						name: 'recordConversations',
						type: 'boolean',
						default: true,
						description:
							'Whether to record messages, Flow answers and statuses in the conversation record the WhatsApp Escalation node reads (transcript, order states, owner)',
					},
				],
			},
		],
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				// Lists the trigger for Check Setup's counters before any request arrives.
				await registerTriggerCounters(this);
				return await registrationExists(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await createRegistration(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return await deleteRegistration(this);
			},
		},
	};

	methods = {
		credentialTest: {
			async whatsAppWebhookSecretsTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return testWebhookCredential(credential.data as WebhookCredentials);
			},
			async whatsAppRedisConnectionTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return await testRedisConnection(credential);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const res = this.getResponseObject();
		const req = this.getRequestObject();
		const reject = async (
			status: number,
			reason: string,
			counted: RejectReason,
		): Promise<IWebhookResponseData> => {
			this.logger.warn(
				`WhatsApp Reliable Trigger rejected a ${req.method} request with ${status}: ${reason}`,
				{
					workflowId: this.getWorkflow().id,
					node: this.getNode().name,
				},
			);
			// Callers that failed authentication learn nothing beyond the status; the reason is in the log.
			res
				.status(status)
				.type('text/plain')
				.send(PLAIN_ANSWERS[status] ?? reason);
			// Counted once the answer is on its way: counting can neither change nor delay it.
			await countTriggerRequest(this, { kind: 'rejected', reason: counted });
			return { noWebhookResponse: true };
		};

		if (this.getWebhookName() === 'setup') {
			const credentials = await this.getCredentials<{ verifyToken: string }>('whatsAppWebhookApi');
			const handshake = checkHandshake(this.getQueryData() as IDataObject, credentials.verifyToken);
			if (!handshake.accepted)
				return await reject(403, `verification failed: ${handshake.reason}`, '403 verify token');
			res.status(200).type('text/plain').send(handshake.challenge);
			await countTriggerRequest(this, { kind: 'handshake' });
			return { noWebhookResponse: true };
		}

		// Checks in this order, each before anything that could fail on what the next one reads:
		// 1. the signature header's shape (needs no secret and no body), 401;
		const header = req.headers['x-hub-signature-256'];
		const shape = verifySignature(Buffer.alloc(0), header, 'header-shape-only');
		if (shape.valid === false && shape.reason !== 'signature_mismatch') {
			return await reject(401, `invalid signature: ${shape.message}`, '401 signature');
		}
		// 2. the content type: Meta posts application/json; other types (multipart, forms) are not
		//    read as raw bytes at all, 415;
		const contentType = req.headers['content-type'];
		if (contentType !== undefined && !isJsonContentType(contentType)) {
			return await reject(
				415,
				`the content type ${JSON.stringify(String(contentType).slice(0, 100))} is not JSON`,
				'415 content type',
			);
		}
		// 3. the raw bytes, the credential and the signature over those bytes, 500 / 401;
		const rawBody: unknown = (req as { rawBody?: unknown }).rawBody;
		if (!Buffer.isBuffer(rawBody)) {
			return await reject(
				500,
				'the raw request body is not available, so the signature cannot be checked; make sure nothing in front of n8n rewrites the body and that this node receives the request directly',
				'500 raw body',
			);
		}
		const started = Date.now();
		const credentialId = this.getNode().credentials?.whatsAppWebhookApi?.id ?? null;
		const readSecret = async () => {
			const { appSecret } = await this.getCredentials<{ appSecret: string }>('whatsAppWebhookApi');
			if (credentialId !== null) APP_SECRETS.set(credentialId, appSecret, Date.now());
			return appSecret;
		};
		const remembered = credentialId === null ? undefined : APP_SECRETS.get(credentialId, started);
		let signature = verifySignature(rawBody, header, remembered ?? (await readSecret()));
		// A rotated secret: the remembered one fails, the credential's current one decides.
		if (!signature.valid && remembered !== undefined)
			signature = verifySignature(rawBody, header, await readSecret());
		const credentialMs = Date.now() - started;
		if (!signature.valid)
			return await reject(401, `invalid signature: ${signature.message}`, '401 signature');

		// 4. JSON, then the envelope within the input budget (splitEvents applies it), 400.
		let body: unknown;
		try {
			body = rawBody.length === 0 ? undefined : JSON.parse(rawBody.toString('utf8'));
		} catch {
			return await reject(400, 'the body is not valid JSON', '400 body');
		}
		const split = splitEvents(body);
		if (!split.ok)
			return await reject(
				400,
				`not a WhatsApp Business Account notification: ${split.reason}`,
				'400 body',
			);

		const options = readTriggerOptions(this);
		let admitted: AdmitResult;
		try {
			const store = await openTriggerStore(this, options);
			admitted = await admitEvents(split.events, {
				filters: options.filters,
				store,
				claimTtlMs: options.claimTtlMs,
				emitDuplicates: options.emitDuplicates,
				emitStale: options.emitStaleStatuses,
			});
			// Events a dead worker acknowledged ride along with a request that is answered (at most a few
			// executions); one asked to retry takes none, so it lends no record it would not run.
			if (isJournal(store) && admitted.answer !== 'retryLater') {
				const unfinished = await store.takeUnfinished(options.recoverAfterMs, Date.now(), 5);
				if (unfinished.length > 0)
					this.logger.warn(
						`WhatsApp Reliable Trigger: re-running the events of ${unfinished.length} acknowledged executions that did not finish (${unfinished.map((u) => u.executionId).join(', ')})`,
						{ workflowId: this.getWorkflow().id, node: this.getNode().name },
					);
				admitted = withRecovered(admitted, unfinished);
			}
		} catch (error) {
			// Nothing was recorded: Meta retries, and by then Redis may answer.
			if (error instanceof StateStoreUnavailableError)
				return await reject(503, error.message, '503 state store');
			return await reject(
				500,
				`the events could not be admitted: ${(error as Error).message}`,
				'500 admit',
			);
		}
		this.logger.debug(
			`WhatsApp Reliable Trigger: ${admitted.received} events, ${admitted.filtered} filtered out, ${admitted.duplicates} duplicates, ${admitted.stale} stale, ${admitted.inFlight} in flight (credential and signature ${credentialMs} ms, the rest ${Date.now() - started - credentialMs} ms)`,
		);

		const counted = countTriggerRequest(this, { kind: 'admitted', ...admitted });
		if (admitted.answer === 'retryLater') {
			// Meta retries anything but 200; by then the other execution has confirmed (or never started).
			this.logger.info(
				`WhatsApp Reliable Trigger answered 503: ${admitted.inFlight} events of this body are still being processed by another execution`,
				{ workflowId: this.getWorkflow().id, node: this.getNode().name },
			);
			res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS)).type('text/plain').send('');
			await counted;
			return { noWebhookResponse: true };
		}
		if (admitted.answer === 'acknowledge') {
			res.status(200).end();
			await counted;
			return { noWebhookResponse: true };
		}
		await counted;
		// The 200 comes from execute(), once the execution runs (webhook responseMode 'responseNode').
		return {
			workflowData: admitted.outputs.map((items) =>
				items.map((item) => ({ json: item as unknown as IDataObject })),
			),
		};
	}

	/**
	 * Runs first in the execution: confirms the claims, orders statuses (see triggerPipeline), and only
	 * then answers Meta's request. An event acknowledged with 200 has therefore reached a running
	 * execution; one whose execution never ran (n8n stopped first) was never acknowledged, so Meta
	 * delivers it again.
	 */
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const options = readTriggerOptions(this);
		const recordOptions = readRecordOptions(this);
		const inputs = TRIGGER_OUTPUTS.map((_, index) =>
			triggerInput(this, index).map((item) => item.json as unknown as TriggerItem),
		);
		let settled;
		try {
			const store = await openTriggerStore(this, options);
			settled = isJournal(store)
				? await settleWithJournal(this, store, inputs)
				: await settleEvents(inputs, { store });
		} catch (error) {
			// Not acknowledged: the execution fails and Meta delivers the body again.
			throw asNodeError(this, error);
		}
		// The events are confirmed: Meta may have its answer before anything else runs.
		this.sendResponse({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: '' });
		await recordInbound(
			this,
			settled.flat().map(({ item }) => item),
			recordOptions,
		);
		return settled.map((items, input) =>
			items.map(({ item, index }) => ({
				json: item as unknown as IDataObject,
				pairedItem: { item: index, input },
			})),
		);
	}
}
