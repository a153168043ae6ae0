import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	IDataObject,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { parseBody } from '../../../core/messages';
import { DEFAULT_RETRY_OPTIONS } from '../../../core/retryPolicy';
import {
	checkEncryption,
	checkOverride,
	checkPermissions,
	checkPhoneNumber,
	checkSubscribed,
	readSubscribedApps,
	readWebhookConfiguration,
	setupAdvice,
	type SetupCheck,
	type SubscribedApp,
	type WebhookConfiguration,
} from '../../../core/setup';
import { checkTriggerCounts } from '../../../core/triggerCounters';
import { findTriggerCounts } from '../../../shared/triggerCounters';
import { callGraph, graphTarget, type CallPolicy, type GraphReply } from '../../transport';

const properties: INodeProperties[] = [
	{
		displayName: 'Phone Number ID',
		name: 'phoneNumberId',
		type: 'string',
		default: '',
		description: "The number to check. Leave empty for the credential's Phone Number ID.",
	},
	{
		displayName: 'Trigger URL',
		name: 'triggerUrl',
		type: 'string',
		default: '',
		placeholder: 'the Production URL of the trigger',
		description:
			"The production URL of the WhatsApp Reliable Trigger that should receive this number's messages. Leave empty to skip that check.",
	},
];

const displayOptions = { show: { resource: ['setup'], operation: ['checkSetup'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const POLICY: CallPolicy = {
	retry: { ...DEFAULT_RETRY_OPTIONS, maxAttempts: 2, maxTotalMs: 10_000 },
};

const PHONE_FIELDS =
	'id,display_phone_number,verified_name,status,name_status,quality_rating,throughput,code_verification_status,webhook_configuration';

type Read = { ok: true; body: unknown } | { ok: false; check: (name: string) => SetupCheck };

/** Check Setup: one item per check, each with pass and what to do; nothing here changes Meta's side. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const target = await graphTarget(
		this,
		String(this.getNodeParameter('phoneNumberId', 0, '')).trim() || undefined,
	);
	const triggerUrl = String(this.getNodeParameter('triggerUrl', 0, '')).trim();
	const read = async (path: string, qs?: IDataObject): Promise<Read> => {
		const result = await callGraph(this, target, { method: 'GET', path, qs }, POLICY);
		if (result.ok) return { ok: true, body: parseBody((result.value as GraphReply).body) };
		const { error } = result.failure;
		return {
			ok: false,
			check: (name) => ({
				check: name,
				pass: false,
				whatToDo: setupAdvice({
					httpStatus: error.httpStatus,
					code: error.code,
					message: error.message,
				}),
				details: { request: `GET /${path}`, error: error.message, code: error.code ?? null },
			}),
		};
	};
	const checks: SetupCheck[] = [];
	const phone = target.phoneNumberId;

	const phoneRead = await read(phone, { fields: PHONE_FIELDS });
	checks.push(
		phoneRead.ok
			? { check: 'token', pass: true, whatToDo: '', details: { phoneNumberId: phone } }
			: phoneRead.check('token'),
	);

	const permissions = await read('me/permissions');
	checks.push(
		permissions.ok
			? checkPermissions(permissions.body)
			: {
					...permissions.check('permissions'),
					whatToDo: `The token's permissions could not be read (GET /me/permissions failed), so they are unverified. Make sure the system user has whatsapp_business_messaging and whatsapp_business_management. ${permissions.check('permissions').whatToDo}`,
				},
	);

	let config: WebhookConfiguration = {
		phoneNumber: undefined,
		businessAccount: undefined,
		application: undefined,
	};
	if (phoneRead.ok) {
		checks.push(...checkPhoneNumber(phone, phoneRead.body));
		config = readWebhookConfiguration(phoneRead.body);
	} else {
		checks.push(phoneRead.check('phoneNumberStatus'));
	}

	let apps: SubscribedApp[] | undefined;
	if (!target.businessAccountId) {
		checks.push({
			check: 'wabaSubscribed',
			pass: false,
			whatToDo:
				'The credential has no WhatsApp Business Account ID, so the subscription cannot be checked: add it to the WhatsApp Cloud API credential.',
		});
	} else {
		const subscribed = await read(`${target.businessAccountId}/subscribed_apps`);
		if (subscribed.ok) {
			apps = readSubscribedApps(subscribed.body);
			checks.push(checkSubscribed(target.businessAccountId, apps));
		} else checks.push(subscribed.check('wabaSubscribed'));
	}

	if (triggerUrl) {
		const wabaOverride = apps?.find((app) => app.overrideUrl !== undefined)?.overrideUrl;
		checks.push(checkOverride(phone, triggerUrl, config, wabaOverride));
	}

	const encryption = await read(`${phone}/whatsapp_business_encryption`);
	checks.push(
		encryption.ok ? checkEncryption(phone, encryption.body) : encryption.check('flowPublicKey'),
	);

	checks.push(...(await triggerChecks(this)));

	return [
		checks.map((check) => ({
			json: { ...check, details: check.details ?? {} } as unknown as IDataObject,
			pairedItem: { item: 0 },
		})),
	];
}

/**
 * One item per WhatsApp Reliable Trigger of this workflow: what it received since its counters started
 * (nodes/core/triggerCounters.ts), read from this process or, with State Store Redis, from Redis.
 */
async function triggerChecks(ctx: IExecuteFunctions): Promise<SetupCheck[]> {
	const { triggers, redisError } = await findTriggerCounts(ctx);
	const workflowActive = ctx.getWorkflow().active;
	const checks = triggers.map(({ name, counts, source }) =>
		checkTriggerCounts({ triggerName: name, counts, source, workflowActive }),
	);
	if (checks.length > 0) return checks;
	return [
		{
			check: 'triggerEvents',
			label: 'Triggers: events received since start',
			pass: false,
			whatToDo: redisError
				? `The triggers' counts could not be read from Redis: ${redisError}`
				: "No WhatsApp Reliable Trigger of this workflow was published or received a request in this n8n process, and none feeds this node. Put Check Setup in the trigger's workflow and publish it; with State Store Redis on the trigger, choose Redis here too.",
			details: {},
		},
	];
}
