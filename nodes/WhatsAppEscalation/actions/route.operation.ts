import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { leaseView } from '../../core/conversationRecord';
import { THREAD_OWNED_BY_OTHER_APP, threadOwnedElsewhere } from '../../core/lease';
import {
	compileRules,
	evaluateRules,
	RuleConfigError,
	turnRecognition,
	type Rule,
} from '../../core/escalationRules';
import { isWithHuman, takeResumedAfter } from '../../core/lease';
import { forEachItem } from '../helpers/forEachItem';
import { openCase, text, type CaseSettings } from '../helpers/openCase';
import { resolveConversation } from '../helpers/resolveConversation';
import { conversationProperties } from './conversation.description';
import { ERROR_CLASS_OPTIONS, PRIORITY_OPTIONS } from './optionLists';

/** Route: the bot gate. Human-owned conversations leave on Already With Human; otherwise the first matching rule sends the item to Human. */

export const ROUTE_OUTPUTS = { human: 0, bot: 1, alreadyWithHuman: 2 } as const;

const when = (...types: string[]) => ({ show: { type: types } });

const properties: INodeProperties[] = [
	...conversationProperties,
	{
		displayName: 'Rules',
		name: 'rules',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		default: {},
		placeholder: 'Add Rule',
		description:
			'Tested in order; the first rule that matches sends the item to Human and names the reason. Items no rule matches go to Bot.',
		options: [
			{
				displayName: 'Rule',
				name: 'rule',
				values: [
					{
						displayName: 'Check',
						name: 'type',
						type: 'options',
						default: 'keywords',
						options: [
							{
								name: 'Bot Did Not Understand (N Turns)',
								value: 'unrecognisedTurns',
								description: 'The bot failed to recognize N inbound messages in a row',
							},
							{ name: 'Custom Condition', value: 'custom', description: 'A boolean expression' },
							{
								name: 'Failed Status',
								value: 'failedStatus',
								description:
									'A failed delivery status (or failed send) of the chosen error classes',
							},
							{
								name: 'Interactive Reply ID',
								value: 'replyIds',
								description: 'The customer tapped a button or list row with one of these IDs',
							},
							{
								name: 'Keywords in Text',
								value: 'keywords',
								description:
									'Whole words, case and accents ignored; a trailing * matches any ending',
							},
							{
								name: 'Message Older Than',
								value: 'staleInbound',
								description: 'An inbound message that arrived late (e.g. after an outage)',
							},
							{
								name: 'Order Value Above',
								value: 'orderValue',
								description: 'A number field above a threshold',
							},
							{
								name: 'Pattern in Text',
								value: 'pattern',
								description: 'A regular expression, case-insensitive',
							},
							{
								name: 'Payment Failed',
								value: 'paymentFailed',
								description: 'A payment flag that is true, or a payment status such as failed',
							},
						],
					},
					{
						displayName: 'Condition',
						name: 'condition',
						type: 'boolean',
						default: false,
						description:
							'Whether the item matches: drag in a field of the item or write an expression that is true or false, e.g. whether the customer is marked VIP',
						displayOptions: when('custom'),
					},
					{
						displayName: 'Error Classes',
						name: 'errorClasses',
						type: 'multiOptions',
						options: ERROR_CLASS_OPTIONS,
						default: ['undeliverable'],
						description: 'Failures of these classes match. Leave empty for any failure.',
						displayOptions: when('failedStatus'),
					},
					{
						displayName: 'Failed Values',
						name: 'failedValues',
						type: 'string',
						default: 'failed, declined',
						description:
							'Comma-separated statuses that mean failed (case ignored); a field that is true always matches',
						displayOptions: when('paymentFailed'),
					},
					{
						displayName: 'Keywords',
						name: 'keywords',
						type: 'string',
						default: 'refund*, claim*, cancel*, complain*, agent, human',
						description: 'Comma-separated words or phrases',
						displayOptions: when('keywords'),
					},
					{
						displayName: 'Max Age (Minutes)',
						name: 'maxAgeMinutes',
						type: 'number',
						typeOptions: { minValue: 0, numberPrecision: 2 },
						default: 60,
						description:
							"Inbound messages older than this (by WhatsApp's timestamp) go to a human instead of an automatic answer",
						displayOptions: when('staleInbound'),
					},
					{
						displayName: 'Pattern',
						name: 'pattern',
						type: 'string',
						default: '',
						placeholder: '\\border\\s*#?\\d{5,}',
						description: 'A JavaScript regular expression without slashes',
						displayOptions: when('pattern'),
					},
					{
						displayName: 'Payment Field',
						name: 'paymentField',
						type: 'string',
						default: 'payment.status',
						description: 'The item field holding the payment flag or status (dot notation)',
						displayOptions: when('paymentFailed'),
					},
					{
						displayName: 'Priority',
						name: 'priority',
						type: 'options',
						options: PRIORITY_OPTIONS,
						default: 'normal',
					},
					{
						displayName: 'Reason',
						name: 'reason',
						type: 'string',
						default: '',
						placeholder: 'Refund request',
						description: "The reason the case carries. Leave empty for the rule type's default.",
					},
					{
						displayName: 'Recognized',
						name: 'recognised',
						type: 'boolean',
						default: true,
						description:
							'Whether the bot recognized this message: an expression that is true when your bot found an answer (e.g. its answer field is not empty). Each unrecognized message counts a turn; a recognized one resets the count.',
						displayOptions: when('unrecognisedTurns'),
					},
					{
						displayName: 'Reply IDs',
						name: 'replyIds',
						type: 'string',
						default: 'talk_to_agent',
						description:
							'Comma-separated button or list row IDs (or template button payloads); a trailing * matches any ending',
						displayOptions: when('replyIds'),
					},
					{
						displayName: 'Text Field',
						name: 'field',
						type: 'string',
						default: 'text',
						description: 'The item field holding the text (dot notation)',
						displayOptions: when('keywords', 'pattern'),
					},
					{
						displayName: 'Threshold',
						name: 'threshold',
						type: 'number',
						typeOptions: { numberPrecision: 2 },
						default: 500,
						description: 'Values strictly above this match',
						displayOptions: when('orderValue'),
					},
					{
						displayName: 'Turns',
						name: 'maxTurns',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 2,
						description:
							'Unrecognized inbound messages in a row that hand the conversation to a human',
						displayOptions: when('unrecognisedTurns'),
					},
					{
						displayName: 'Value Field',
						name: 'valueField',
						type: 'string',
						default: 'order.total',
						description:
							'The item field holding the value (dot notation); order.total is the total of a WhatsApp catalog order',
						displayOptions: when('orderValue'),
					},
				],
			},
		],
	},
	{
		displayName: 'Options',
		name: 'routeOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Case Assignee',
				name: 'assignee',
				type: 'string',
				default: '',
				placeholder: 'support-team',
				description: 'With Open Case on Match: a person or queue, passed on in the case',
			},
			{
				displayName: 'Case Lease (Minutes)',
				name: 'leaseMinutes',
				type: 'number',
				typeOptions: { minValue: 0, numberPrecision: 2 },
				default: 240,
				description:
					'With Open Case on Match: after this long without a Release the conversation returns to the bot by itself. 0: only Release ends it.',
			},
			{
				displayName: 'Open Case on Match',
				name: 'openCaseOnMatch',
				type: 'boolean',
				default: false,
				description:
					"Whether a rule match also hands the conversation to a human at once, in the same step as the check (as Escalate does): the Human output then carries the case package, and from that moment the bot's sends with Only If Bot Owns Conversation are blocked. Off: Human items still need Escalate.",
			},
		],
	},
];

const displayOptions = { show: { operation: ['route'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const INBOUND = new Set(['message', 'flow_response']);

function rulesFor(ctx: IExecuteFunctions, itemIndex: number): Rule[] {
	const raw = (ctx.getNodeParameter('rules', itemIndex, {}) as { rule?: unknown[] }).rule ?? [];
	try {
		return compileRules(raw);
	} catch (error) {
		const description =
			error instanceof RuleConfigError
				? `Fix the field "${error.field}" of rule ${error.ruleIndex + 1}.`
				: undefined;
		throw new NodeOperationError(ctx.getNode(), `Rules: ${(error as Error).message}`, {
			itemIndex,
			description,
		});
	}
}

/** Open Case on Match: the case Route opens itself, or null when the option is off. */
function openCaseSettings(ctx: IExecuteFunctions, itemIndex: number): CaseSettings | null {
	const options = ctx.getNodeParameter('routeOptions', itemIndex, {}) as IDataObject;
	if (options.openCaseOnMatch !== true) return null;
	const leaseMinutes = options.leaseMinutes === undefined ? 240 : Number(options.leaseMinutes);
	if (!Number.isFinite(leaseMinutes) || leaseMinutes < 0)
		throw new NodeOperationError(ctx.getNode(), 'Case Lease (Minutes): must be 0 or more', {
			itemIndex,
		});
	return { reason: null, priority: 'fromRoute', assignee: text(options.assignee), leaseMinutes };
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await forEachItem(this, 3, (book, itemIndex, json, now) => {
		const rules = rulesFor(this, itemIndex);
		const conversation = resolveConversation(this, book, itemIndex, json, { create: true, now })!;
		// The gate comes first: nothing a human owns reaches the bot, whatever the rules say. An expired
		// lease is applied here, so the item that finds it expired already goes to the bot.
		const withHuman = isWithHuman(conversation, now);
		const context: IDataObject = {
			conversationKey: conversation.key,
			owner: conversation.data.ownership.owner,
		};
		if (withHuman && conversation.data.ownership.lease) {
			const lease = leaseView(conversation.data.ownership.lease);
			return {
				output: ROUTE_OUTPUTS.alreadyWithHuman,
				json: {
					...json,
					conversation: {
						...context,
						owner: 'human',
						caseId: lease.caseId,
						assignee: lease.assignee,
						leaseExpiresAt: lease.expiresAt,
					},
					routing: {
						route: 'alreadyWithHuman',
						reason: lease.reason,
						priority: lease.priority,
						caseId: lease.caseId,
					},
				},
			};
		}

		// Under conversation routing, Meta gives the thread to one app: while another app owns it (e.g.
		// Meta's business agent), nothing here may answer.
		const otherApp = threadOwnedElsewhere(conversation);
		if (otherApp) {
			return {
				output: ROUTE_OUTPUTS.alreadyWithHuman,
				json: {
					...json,
					conversation: { ...context, threadOwner: 'other', threadOwnerAppId: otherApp.appId },
					routing: {
						route: 'alreadyWithHuman',
						reason: THREAD_OWNED_BY_OTHER_APP,
						threadOwnerAppId: otherApp.appId,
						threadOwnerSince: new Date(otherApp.since).toISOString(),
					},
				},
			};
		}

		const recognised = turnRecognition(rules);
		const inbound = typeof json.kind === 'string' && INBOUND.has(json.kind);
		const turns =
			recognised !== undefined && inbound
				? conversation.countTurn(
						typeof json.messageId === 'string' ? json.messageId : null,
						recognised,
					)
				: conversation.data.unrecognised.count;
		const match = evaluateRules(rules, { item: json, unrecognisedTurns: turns, now });
		if (match) {
			const routing: IDataObject = {
				route: 'human',
				rule: match.type,
				ruleIndex: match.index,
				reason: match.reason,
				detail: match.detail,
				priority: match.priority,
			};
			const caseSettings = openCaseSettings(this, itemIndex);
			if (caseSettings) {
				const casePackage = openCase(conversation, { ...json, routing }, caseSettings, now);
				return {
					output: ROUTE_OUTPUTS.human,
					json: {
						...(casePackage as unknown as IDataObject),
						routing: { ...routing, caseId: casePackage.caseId },
					},
				};
			}
			return {
				output: ROUTE_OUTPUTS.human,
				json: { ...json, conversation: context, routing },
			};
		}
		const routed: IDataObject = {
			...json,
			conversation: { ...context, unrecognisedTurns: turns },
			routing: { route: 'bot' },
		};
		const resumed = takeResumedAfter(conversation);
		if (resumed) {
			routed.handoff = {
				resumedAfter: {
					caseId: resumed.caseId,
					releasedAt: new Date(resumed.releasedAt).toISOString(),
					reason: resumed.reason,
				},
			};
		}
		return { output: ROUTE_OUTPUTS.bot, json: routed };
	});
}
