import type { IExecuteFunctions, NodeExecutionHint, NodeHint } from 'n8n-workflow';

import { DEFAULT_MAX_PER_SECOND, type Settings } from './executionSettings';

/**
 * Hints where a setting is likely wrong, shown by n8n in the node's panel: two per execution (they
 * need the run's data), one in the description (it needs only the parameters).
 */

/** Triggers of shops, payment providers and forms: they redeliver, and each delivery runs the workflow again. */
const REDELIVERING_TRIGGERS = new Set([
	'n8n-nodes-base.webhook',
	'n8n-nodes-base.formTrigger',
	'n8n-nodes-base.shopifyTrigger',
	'n8n-nodes-base.wooCommerceTrigger',
	'n8n-nodes-base.stripeTrigger',
	'n8n-nodes-base.paypalTrigger',
]);

export const MISSING_KEY_HINT =
	'This send has no Idempotency Key and the workflow starts from a webhook: when the shop or payment provider delivers the same event again, or the execution is retried, the customer gets the message twice. Set Idempotency Key to the order ID plus what the message is for, e.g. {{ $json.body.orderId }}-confirmation.';

export const rateHint = (perSecond: number) =>
	`Max Messages Per Second is ${perSecond}, above Meta's default throughput of ${DEFAULT_MAX_PER_SECOND} per phone number. Unless Meta has raised this number's limit, sends above it are answered with rate-limit errors (130429) and retried; set it to your number's throughput.`;

/** The same check before a run, from the parameters alone. */
export const descriptionHints: NodeHint[] = [
	{
		message: `Max Messages Per Second is above Meta's default throughput of ${DEFAULT_MAX_PER_SECOND} per phone number: set it higher only when Meta has raised this number's limit.`,
		type: 'warning',
		location: 'ndv',
		whenToDisplay: 'always',
		displayCondition: `={{ Number($parameter["options"]?.["maxPerSecond"] ?? 0) > ${DEFAULT_MAX_PER_SECOND} }}`,
	},
];

/** Whether an item's send has an idempotency key (version 1.1 in plain view, version 1 in Additional Fields). */
function hasIdempotencyKey(ctx: IExecuteFunctions, itemIndex: number): boolean {
	const key = (value: unknown) => typeof value === 'string' && value.trim() !== '';
	const fields = ctx.getNodeParameter('additionalFields', itemIndex, {}) as {
		idempotencyKey?: unknown;
	};
	return key(ctx.getNodeParameter('idempotencyKey', itemIndex, '')) || key(fields.idempotencyKey);
}

/** The hints of a Send or Send Template run; none when nothing looks wrong. */
export function sendHints(ctx: IExecuteFunctions, settings: Settings): NodeExecutionHint[] {
	const hints: NodeExecutionHint[] = [];
	const items = ctx.getInputData();
	const fromRedeliveringTrigger = ctx
		.getParentNodes(ctx.getNode().name)
		.some((parent) => !parent.disabled && REDELIVERING_TRIGGERS.has(parent.type));
	if (fromRedeliveringTrigger && items.some((_, itemIndex) => !hasIdempotencyKey(ctx, itemIndex)))
		hints.push({ message: MISSING_KEY_HINT, type: 'warning', location: 'outputPane' });
	if (settings.maxPerSecond > DEFAULT_MAX_PER_SECOND)
		hints.push({
			message: rateHint(settings.maxPerSecond),
			type: 'warning',
			location: 'outputPane',
		});
	return hints;
}
