import type { IDataObject, IHookFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { DEFAULT_RETRY_OPTIONS } from '../core/retryPolicy';
import {
	readSubscribedApps,
	readWebhookConfiguration,
	sameUrl,
	setupAdvice,
	type SubscribedApp,
} from '../core/setup';
import {
	callGraph,
	graphTarget,
	type CallPolicy,
	type GraphReply,
	type GraphTarget,
} from '../WhatsAppReliable/transport';

/**
 * Registration "Automatic" of the WhatsApp Reliable Trigger (n8n's webhookMethods): on publish the
 * WABA is subscribed to the app if it is not, and this workflow's production URL with the webhook
 * credential's verify token becomes the override of the chosen phone numbers, or of the WABA when
 * none are chosen; on unpublish exactly those overrides go again, if they still point here.
 */

export const CLOUD_CREDENTIAL = 'whatsAppCloudApi';
const STATIC_KEY = 'webhookRegistration';

/** What this workflow registered, kept in the node's static data. */
export interface Registration {
	url: string;
	/** Phone numbers whose override this workflow set. */
	phoneNumberIds: string[];
	/** The WABA whose override this workflow set (no phone numbers chosen). */
	businessAccountId?: string;
	/** Whether this workflow subscribed the WABA to the app (kept on unpublish: other workflows rely on it). */
	subscribedBusinessAccountId?: string;
}

const POLICY: CallPolicy = {
	retry: { ...DEFAULT_RETRY_OPTIONS, maxAttempts: 3, maxTotalMs: 20_000 },
};

/** Automatic only with a Cloud API credential on the trigger; otherwise the manual setup applies. */
export function isAutomatic(ctx: IHookFunctions): boolean {
	const registration = String(ctx.getNodeParameter('registration', 'automatic'));
	return (
		registration === 'automatic' && ctx.getNode().credentials?.[CLOUD_CREDENTIAL] !== undefined
	);
}

function chosenPhoneNumbers(ctx: IHookFunctions): string[] {
	return String(ctx.getNodeParameter('phoneNumberIds', ''))
		.split(',')
		.map((id) => id.trim())
		.filter(Boolean);
}

function stored(ctx: IHookFunctions): Registration | undefined {
	const value = ctx.getWorkflowStaticData('node')[STATIC_KEY] as Registration | undefined;
	return value && typeof value.url === 'string' ? value : undefined;
}

function webhookUrl(ctx: IHookFunctions): string {
	const url = ctx.getNodeWebhookUrl('default');
	if (!url)
		throw new NodeOperationError(ctx.getNode(), 'n8n gave no production URL for this trigger');
	return url;
}

async function call(
	ctx: IHookFunctions,
	target: GraphTarget,
	request: Parameters<typeof callGraph>[2],
	doing: string,
	callbackUrl?: string,
): Promise<GraphReply> {
	const result = await callGraph(ctx, target, request, POLICY);
	if (result.ok) return result.value;
	const { error } = result.failure;
	throw new NodeApiError(ctx.getNode(), error.raw as JsonObject, {
		message: `Could not ${doing}: ${error.message}`,
		description: setupAdvice(
			{ httpStatus: error.httpStatus, code: error.code, message: error.message },
			callbackUrl,
		),
		httpCode: String(error.httpStatus),
	});
}

async function subscribedApps(ctx: IHookFunctions, target: GraphTarget): Promise<SubscribedApp[]> {
	const reply = await call(
		ctx,
		target,
		{ method: 'GET', path: `${target.businessAccountId}/subscribed_apps` },
		`read the apps subscribed to WhatsApp Business Account ${target.businessAccountId}`,
	);
	return readSubscribedApps(reply.body);
}

async function phoneOverride(
	ctx: IHookFunctions,
	target: GraphTarget,
	phoneNumberId: string,
): Promise<string | undefined> {
	const reply = await call(
		ctx,
		target,
		{ method: 'GET', path: phoneNumberId, qs: { fields: 'webhook_configuration' } },
		`read the webhook configuration of phone number ${phoneNumberId}`,
	);
	return readWebhookConfiguration(reply.body).phoneNumber;
}

async function targetOf(ctx: IHookFunctions): Promise<GraphTarget> {
	const target = await graphTarget(ctx);
	if (!target.businessAccountId)
		throw new NodeOperationError(
			ctx.getNode(),
			'The WhatsApp Cloud API credential has no WhatsApp Business Account ID',
			{
				description:
					'Registration "Automatic" subscribes that account to the app: add its ID to the credential (App Dashboard → WhatsApp → API Setup).',
			},
		);
	return target;
}

/** checkExists: whether everything this workflow would register already points at its URL. */
export async function registrationExists(ctx: IHookFunctions): Promise<boolean> {
	if (!isAutomatic(ctx)) return true;
	const url = webhookUrl(ctx);
	const target = await targetOf(ctx);
	const apps = await subscribedApps(ctx, target);
	if (apps.length === 0) return false;
	const phones = chosenPhoneNumbers(ctx);
	if (phones.length === 0) return apps.some((app) => sameUrl(app.overrideUrl, url));
	for (const phone of phones)
		if (!sameUrl(await phoneOverride(ctx, target, phone), url)) return false;
	return true;
}

/** create: subscribe the WABA if needed, then register the overrides. */
export async function createRegistration(ctx: IHookFunctions): Promise<boolean> {
	if (!isAutomatic(ctx)) return true;
	const url = webhookUrl(ctx);
	const target = await targetOf(ctx);
	const { verifyToken } = await ctx.getCredentials<{ verifyToken: string }>('whatsAppWebhookApi');
	const previous = stored(ctx);
	const phones = chosenPhoneNumbers(ctx);
	const registration: Registration = { url, phoneNumberIds: [] };
	const save = () => {
		ctx.getWorkflowStaticData('node')[STATIC_KEY] = { ...registration } as unknown as IDataObject;
	};

	const apps = await subscribedApps(ctx, target);
	if (apps.length === 0) {
		await call(
			ctx,
			target,
			{ method: 'POST', path: `${target.businessAccountId}/subscribed_apps` },
			`subscribe WhatsApp Business Account ${target.businessAccountId} to the app`,
		);
		registration.subscribedBusinessAccountId = target.businessAccountId;
	} else if (previous?.subscribedBusinessAccountId === target.businessAccountId) {
		registration.subscribedBusinessAccountId = target.businessAccountId;
	}

	const mine = (current: string | undefined) =>
		current === undefined || sameUrl(current, url) || sameUrl(current, previous?.url);

	if (phones.length === 0) {
		const current = apps.find((app) => app.overrideUrl !== undefined)?.overrideUrl;
		if (!mine(current))
			throw new NodeOperationError(
				ctx.getNode(),
				`WhatsApp Business Account ${target.businessAccountId} already sends its webhooks to ${current}`,
				{
					description: `Another workflow or tool registered that URL. Unpublish it first, or enter this workflow's phone number IDs under "Phone Number IDs" to register single numbers instead.`,
				},
			);
		await call(
			ctx,
			target,
			{
				method: 'POST',
				path: `${target.businessAccountId}/subscribed_apps`,
				body: { override_callback_uri: url, verify_token: verifyToken },
			},
			`register ${url} for WhatsApp Business Account ${target.businessAccountId}`,
			url,
		);
		registration.businessAccountId = target.businessAccountId;
		save();
		return true;
	}

	for (const phone of phones) {
		const current = await phoneOverride(ctx, target, phone);
		if (!mine(current))
			throw new NodeOperationError(
				ctx.getNode(),
				`Phone number ${phone} already sends its webhooks to ${current}`,
				{
					description: `Another workflow or tool registered that URL. Unpublish the workflow behind ${current} first, or remove ${phone} from "Phone Number IDs" here.`,
				},
			);
		await call(
			ctx,
			target,
			{
				method: 'POST',
				path: phone,
				body: { webhook_configuration: { override_callback_uri: url, verify_token: verifyToken } },
			},
			`register ${url} for phone number ${phone}`,
			url,
		);
		registration.phoneNumberIds.push(phone);
		// Saved after every number, so an unpublish after a partial failure removes what was set.
		save();
	}
	return true;
}

/** delete: remove the overrides this workflow set, only where they still point at its URL. */
export async function deleteRegistration(ctx: IHookFunctions): Promise<boolean> {
	const registration = stored(ctx);
	if (!registration || ctx.getNode().credentials?.[CLOUD_CREDENTIAL] === undefined) return true;
	const target = await graphTarget(ctx);
	const businessAccountId = registration.businessAccountId;
	for (const phone of registration.phoneNumberIds) {
		if (!sameUrl(await phoneOverride(ctx, target, phone), registration.url)) continue;
		await call(
			ctx,
			target,
			{
				method: 'POST',
				path: phone,
				body: { webhook_configuration: { override_callback_uri: '' } },
			},
			`remove the override of phone number ${phone}`,
		);
	}
	if (businessAccountId) {
		const apps = await subscribedApps(ctx, { ...target, businessAccountId });
		if (apps.some((app) => sameUrl(app.overrideUrl, registration.url)))
			// Subscribing again without an override returns the WABA to the app-level URL.
			await call(
				ctx,
				target,
				{ method: 'POST', path: `${businessAccountId}/subscribed_apps` },
				`remove the override of WhatsApp Business Account ${businessAccountId}`,
			);
	}
	delete ctx.getWorkflowStaticData('node')[STATIC_KEY];
	return true;
}
