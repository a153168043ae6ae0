/**
 * Webhook registration and setup checks, without n8n: what Meta's answers about subscriptions,
 * overrides, phone numbers and encryption keys mean, and what an operator should do about them.
 *
 * Meta's shapes (docs/whatsapp-cloud-api.md §7, "Webhook overrides"):
 * - `GET /{WABA_ID}/subscribed_apps` → `{ data: [{ whatsapp_business_api_data: { id, name }, override_callback_uri? }] }`
 * - `GET /{PHONE_NUMBER_ID}?fields=webhook_configuration` → `{ webhook_configuration: { phone_number?, whatsapp_business_account?, application? } }`
 * - `GET /{PHONE_NUMBER_ID}/whatsapp_business_encryption` → `{ data: [{ business_public_key, business_public_key_signature_status }] }`
 */

/** The permissions a system-user token needs for sending and for registering webhooks. */
export const REQUIRED_PERMISSIONS = [
	'whatsapp_business_messaging',
	'whatsapp_business_management',
] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown): string | undefined =>
	typeof value === 'string' && value !== '' ? value : undefined;

export interface SubscribedApp {
	appId: string | undefined;
	appName: string | undefined;
	overrideUrl: string | undefined;
}

/** The apps subscribed to a WABA, with the WABA override each set. */
export function readSubscribedApps(body: unknown): SubscribedApp[] {
	const data = isObject(body) && Array.isArray(body.data) ? body.data : [];
	return data.filter(isObject).map((entry) => {
		const app = isObject(entry.whatsapp_business_api_data) ? entry.whatsapp_business_api_data : {};
		return {
			appId: text(app.id),
			appName: text(app.name),
			overrideUrl: text(entry.override_callback_uri),
		};
	});
}

export interface WebhookConfiguration {
	/** The phone number's own override. */
	phoneNumber: string | undefined;
	/** The WABA's override, if Meta states it. */
	businessAccount: string | undefined;
	/** The app-level callback URL, if Meta states it. */
	application: string | undefined;
}

export function readWebhookConfiguration(body: unknown): WebhookConfiguration {
	const config =
		isObject(body) && isObject(body.webhook_configuration) ? body.webhook_configuration : {};
	return {
		phoneNumber: text(config.phone_number),
		businessAccount: text(config.whatsapp_business_account),
		application: text(config.application),
	};
}

/** Where Meta sends this number's message webhooks: its override, the WABA's, then the app's. */
export function effectiveCallbackUrl(
	config: WebhookConfiguration,
	wabaOverride?: string,
): string | undefined {
	return config.phoneNumber ?? config.businessAccount ?? wabaOverride ?? config.application;
}

/** The same URL, ignoring a trailing slash and the case of scheme and host. */
export function sameUrl(a: string | undefined, b: string | undefined): boolean {
	if (a === undefined || b === undefined) return false;
	const norm = (url: string) => {
		try {
			const parsed = new URL(url);
			return `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}${parsed.search}`;
		} catch {
			return url.trim().replace(/\/+$/, '');
		}
	};
	return norm(a) === norm(b);
}

/**
 * Why Meta cannot reach a URL, or undefined: Meta calls back over public HTTPS only, so a plain-HTTP,
 * loopback or private address means n8n does not know its public URL.
 */
export function callbackUrlProblem(url: string): string | undefined {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return `the webhook URL "${url}" is not a URL`;
	}
	const host = parsed.hostname.replace(/^\[|\]$/g, '');
	const local =
		host === 'localhost' ||
		host.endsWith('.localhost') ||
		host.endsWith('.local') ||
		host === '::1' ||
		/^127\./.test(host) ||
		/^10\./.test(host) ||
		/^192\.168\./.test(host) ||
		/^172\.(1[6-9]|2\d|3[01])\./.test(host) ||
		host === '0.0.0.0';
	if (parsed.protocol !== 'https:')
		return `the webhook URL ${url} is not HTTPS, and Meta calls back over public HTTPS only`;
	if (local) return `the webhook URL ${url} is not a public address Meta can reach`;
	return undefined;
}

export const WEBHOOK_URL_ADVICE =
	"Set n8n's N8N_WEBHOOK_URL environment variable to the public HTTPS address n8n is reached at (e.g. behind a reverse proxy or tunnel), restart n8n and publish again.";

export interface GraphProblem {
	httpStatus: number;
	code: number | undefined;
	message: string;
}

/** What to do about a Graph error met while registering or checking the setup. */
export function setupAdvice(problem: GraphProblem, callbackUrl?: string): string {
	const { code, httpStatus } = problem;
	if (code === 190)
		return 'The access token of the WhatsApp Cloud API credential is invalid or expired: create a new system-user token (Business settings → System users → Generate token) and save it in the credential.';
	if (code === 10 || code === 3 || code === 200 || (code !== undefined && code > 200 && code < 300))
		return `The token lacks a permission: give the system user the ${REQUIRED_PERMISSIONS.join(' and ')} permissions and assign it the WhatsApp Business Account (Business settings → System users → Assign assets), then generate a new token.`;
	if (code === 100 && /does not exist|missing permissions/i.test(problem.message))
		return "Check the credential's Phone Number ID and WhatsApp Business Account ID, and that the token's system user is assigned that account.";
	if (code === 2200 || /callback verification|verify/i.test(problem.message)) {
		const urlProblem = callbackUrl ? callbackUrlProblem(callbackUrl) : undefined;
		return urlProblem
			? `Meta could not verify the callback: ${urlProblem}. ${WEBHOOK_URL_ADVICE}`
			: "Meta could not verify the callback URL: check that n8n is reachable at it from the internet and that the webhook credential's Verify Token is set.";
	}
	if (callbackUrl && callbackUrlProblem(callbackUrl))
		return `${callbackUrlProblem(callbackUrl)}. ${WEBHOOK_URL_ADVICE}`;
	if (httpStatus === 0 || httpStatus >= 500)
		return "The Graph API could not be reached or failed: try again; check the credential's Graph Base URL if it persists.";
	return `Meta refused the request (${code ?? httpStatus}): ${problem.message}`;
}

/** One line of Check Setup's output. */
export interface SetupCheck {
	check: string;
	/** A title for checks that occur more than once (one per trigger). */
	label?: string;
	pass: boolean;
	whatToDo: string;
	details?: Record<string, unknown>;
}

/** The token's permissions from `GET /me/permissions` (`{ data: [{ permission, status }] }`). */
export function checkPermissions(body: unknown): SetupCheck {
	const data = isObject(body) && Array.isArray(body.data) ? body.data.filter(isObject) : [];
	const granted = data
		.filter((entry) => entry.status === 'granted')
		.map((entry) => String(entry.permission));
	const missing = REQUIRED_PERMISSIONS.filter((permission) => !granted.includes(permission));
	return {
		check: 'permissions',
		pass: missing.length === 0,
		whatToDo:
			missing.length === 0
				? ''
				: `Grant the token's system user ${missing.join(' and ')} (Business settings → System users), then generate a new token.`,
		details: { granted, missing },
	};
}

const GOOD_STATUS = new Set(['CONNECTED']);
const GOOD_QUALITY = new Set(['GREEN', 'YELLOW', 'UNKNOWN']);

/** Status, quality and throughput of a phone number from `GET /{PHONE_NUMBER_ID}?fields=...`. */
export function checkPhoneNumber(phoneNumberId: string, body: unknown): SetupCheck[] {
	const info = isObject(body) ? body : {};
	const status = text(info.status);
	const quality = text(info.quality_rating);
	const throughput = isObject(info.throughput) ? text(info.throughput.level) : undefined;
	const details = { phoneNumberId, displayPhoneNumber: text(info.display_phone_number) };
	return [
		{
			check: 'phoneNumberStatus',
			pass: status === undefined || GOOD_STATUS.has(status),
			whatToDo:
				status === undefined || GOOD_STATUS.has(status)
					? ''
					: `The number's status is ${status}: open WhatsApp Manager → Phone numbers and finish what it asks (registration, display name, payment method).`,
			details: { ...details, status: status ?? null, nameStatus: text(info.name_status) ?? null },
		},
		{
			check: 'phoneNumberQuality',
			pass: quality === undefined || GOOD_QUALITY.has(quality),
			whatToDo:
				quality === undefined || GOOD_QUALITY.has(quality)
					? ''
					: `The number's quality rating is ${quality}: Meta may lower its messaging limit. Send fewer marketing templates and check the blocks and reports in WhatsApp Manager → Insights.`,
			details: { ...details, qualityRating: quality ?? null },
		},
		{
			check: 'throughput',
			pass: true,
			whatToDo: '',
			details: { ...details, level: throughput ?? null },
		},
	];
}

/** Whether the WABA is subscribed to an app: a WABA without one receives no webhooks at all. */
export function checkSubscribed(wabaId: string, apps: SubscribedApp[]): SetupCheck {
	return {
		check: 'wabaSubscribed',
		pass: apps.length > 0,
		whatToDo:
			apps.length > 0
				? ''
				: `The WhatsApp Business Account ${wabaId} is not subscribed to any app, so Meta sends it no webhooks: publish a WhatsApp Reliable Trigger with Registration "Automatic", or POST /${wabaId}/subscribed_apps with the app's token.`,
		details: { businessAccountId: wabaId, apps },
	};
}

/** Whether Meta sends this number's message webhooks to the trigger's URL. */
export function checkOverride(
	phoneNumberId: string,
	triggerUrl: string,
	config: WebhookConfiguration,
	wabaOverride: string | undefined,
): SetupCheck {
	const actual = effectiveCallbackUrl(config, wabaOverride);
	const pass = sameUrl(actual, triggerUrl);
	return {
		check: 'callbackUrl',
		pass,
		whatToDo: pass
			? ''
			: actual === undefined
				? `Meta has no callback URL for ${phoneNumberId}: publish the trigger with Registration "Automatic", or set ${triggerUrl} in the App Dashboard.`
				: `Meta sends ${phoneNumberId}'s messages to ${actual}, not to ${triggerUrl}: unpublish the workflow that registered it, or publish this trigger with Registration "Automatic" once it is free.`,
		details: {
			phoneNumberId,
			expected: triggerUrl,
			actual: actual ?? null,
			phoneNumberOverride: config.phoneNumber ?? null,
			businessAccountOverride: config.businessAccount ?? wabaOverride ?? null,
			application: config.application ?? null,
		},
	};
}

/** Whether a Flow endpoint public key is uploaded and signed for the number. */
export function checkEncryption(phoneNumberId: string, body: unknown): SetupCheck {
	const data = isObject(body) && Array.isArray(body.data) ? body.data.filter(isObject) : [];
	const entry = data[0] ?? {};
	const key = text(entry.business_public_key);
	const status = text(entry.business_public_key_signature_status);
	const pass = key !== undefined && status === 'VALID';
	return {
		check: 'flowPublicKey',
		pass,
		whatToDo: pass
			? ''
			: key === undefined
				? `No Flow endpoint public key is uploaded for ${phoneNumberId}: upload the public key of the WhatsApp Flow Endpoint credential (POST /${phoneNumberId}/whatsapp_business_encryption). Only needed for Flows with a data endpoint.`
				: `The public key's signature status is ${status ?? 'unknown'}: upload the public key again.`,
		details: { phoneNumberId, signatureStatus: status ?? null, uploaded: key !== undefined },
	};
}
