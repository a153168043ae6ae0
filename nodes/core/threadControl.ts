import { normalizeRecipient } from './messages/validation';

/**
 * Meta's conversation routing: `POST /{PHONE_NUMBER_ID}/thread_control` passes, takes or releases the
 * thread of one customer on a number that more than one app answers on.
 *
 * VERIFIED (Meta's conversation-routing overview and the messaging_handovers / standby references,
 * see the shared notes §7): the endpoint and its path, the three actions pass / take / release, and
 * that a successful pass or take is followed by a `messaging_handovers` webhook.
 *
 * ASSUMED, not checked against a live number (only against the test fake):
 * - the body `{ messaging_product: "whatsapp", to | recipient, action, metadata?, control_pass? }`,
 *   the customer addressed like a send (`to` = phone number, `recipient` = business-scoped user id);
 * - the pass target: `control_pass: { target_app_id }` (the field name of Messenger's handover
 *   protocol). Providers' documents describe `control_pass: { target_role: "ai_agent" }` for Meta's
 *   business agent, and no `control_pass` for the escalation partner configured in Meta Business
 *   Suite; the value `ai_agent` is sent that way;
 * - the answer: any 2xx without `success: false` means it was done; its body is passed on as is.
 */

export type ThreadControlAction = 'pass' | 'take' | 'release';

/** Pass target meaning Meta's business agent (sent as a role, not an app id; assumed). */
export const AI_AGENT_TARGET = 'ai_agent';

export interface ThreadControlBody {
	messaging_product: 'whatsapp';
	to?: string;
	recipient?: string;
	action: ThreadControlAction;
	metadata?: string;
	control_pass?: { target_app_id: string } | { target_role: string };
}

/** Meta's limit on `metadata` as providers document it (assumed); longer is cut. */
const METADATA_LIMIT = 1_000;

/** The request body for one customer. Throws a MessageValidationError for a customer id that is neither phone nor BSUID. */
export function threadControlBody(
	action: ThreadControlAction,
	customerId: string,
	options: { targetAppId?: string | null; metadata?: string | null } = {},
): ThreadControlBody {
	const recipient = normalizeRecipient('Customer ID', customerId);
	const body: ThreadControlBody = {
		messaging_product: 'whatsapp',
		...(recipient.to !== undefined ? { to: recipient.to } : { recipient: recipient.recipient }),
		action,
	};
	if (options.metadata) body.metadata = options.metadata.slice(0, METADATA_LIMIT);
	const target = options.targetAppId?.trim();
	if (action === 'pass' && target)
		body.control_pass =
			target === AI_AGENT_TARGET ? { target_role: AI_AGENT_TARGET } : { target_app_id: target };
	return body;
}

/** Whether Meta's 2xx answer says the action was done (assumed shape: `success: false` only on refusal). */
export function threadControlDone(body: unknown): boolean {
	return !(
		body !== null &&
		typeof body === 'object' &&
		(body as { success?: unknown }).success === false
	);
}
