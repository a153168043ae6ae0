import { z } from 'zod';

import { asArray, asNumber, asRecord, asString, readPath } from './coerce';

/**
 * Escalation rules: an ordered list an operator builds without code. Each item is tested against the
 * rules in order and the first rule that matches names the reason (and the priority) of the handoff.
 * Values that n8n evaluates per item (a custom condition, "was the bot's answer recognised") arrive
 * here already evaluated, as plain booleans.
 */

const RULE_TYPES = [
	'keywords',
	'pattern',
	'replyIds',
	'orderValue',
	'failedStatus',
	'paymentFailed',
	'unrecognisedTurns',
	'staleInbound',
	'custom',
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

const DEFAULT_REASONS: Record<RuleType, string> = {
	keywords: 'Keyword in message',
	pattern: 'Pattern in message',
	replyIds: 'Customer asked through a button',
	orderValue: 'High order value',
	failedStatus: 'Message could not be delivered',
	paymentFailed: 'Payment failed',
	unrecognisedTurns: 'Bot did not understand',
	staleInbound: 'Message arrived late',
	custom: 'Custom condition',
};

export class RuleConfigError extends Error {
	constructor(
		readonly ruleIndex: number,
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'RuleConfigError';
	}
}

/** A comma- or newline-separated list, or an array (from an expression), as trimmed non-empty strings. */
const listSchema = z
	.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))])
	.optional()
	.transform((value) =>
		(Array.isArray(value)
			? value.map(String)
			: value === undefined
				? []
				: String(value).split(/[,\n]/)
		)
			.map((entry) => entry.trim())
			.filter(Boolean),
	);

/** n8n hands booleans from expressions over as booleans; accept "true"/"false" strings too. */
const flagSchema = z
	.union([z.boolean(), z.string(), z.number(), z.null()])
	.optional()
	.transform(
		(value) =>
			value === true ||
			value === 1 ||
			(typeof value === 'string' && value.trim().toLowerCase() === 'true'),
	);

const numberSchema = z.union([z.number(), z.string()]).optional();

/**
 * One rule as plain configuration data (the escalation node reads it from its "Rules" parameter; any
 * other caller may build it): validated here because it comes from people, not code. Fields a type
 * does not use are ignored.
 */
const ruleConfigSchema = z.object({
	type: z.enum(RULE_TYPES),
	reason: z.string().optional(),
	priority: z.enum(PRIORITIES).optional(),
	keywords: listSchema,
	pattern: z.string().optional(),
	field: z.string().optional(),
	replyIds: listSchema,
	valueField: z.string().optional(),
	threshold: numberSchema,
	errorClasses: listSchema,
	paymentField: z.string().optional(),
	failedValues: listSchema,
	maxTurns: numberSchema,
	recognised: flagSchema,
	maxAgeMinutes: numberSchema,
	condition: flagSchema,
});
export type RuleParameter = z.input<typeof ruleConfigSchema>;

interface RuleBase {
	index: number;
	reason: string;
	priority: Priority;
}

export type Rule = RuleBase &
	(
		| { type: 'keywords'; field: string; keywords: Array<{ keyword: string; regex: RegExp }> }
		| { type: 'pattern'; field: string; regex: RegExp }
		| { type: 'replyIds'; replyIds: string[] }
		| { type: 'orderValue'; valueField: string; threshold: number }
		| { type: 'failedStatus'; errorClasses: string[] }
		| { type: 'paymentFailed'; paymentField: string; failedValues: string[] }
		| { type: 'unrecognisedTurns'; maxTurns: number; recognised: boolean }
		| { type: 'staleInbound'; maxAgeMinutes: number }
		| { type: 'custom'; condition: boolean }
	);

const DEFAULT_FAILED_PAYMENT_VALUES = ['failed', 'declined', 'canceled', 'cancelled', 'error'];

/** Lower case without accents, so "Réclamation" matches "reclamation". */
export function normaliseText(text: string): string {
	return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

function escapeRegex(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A keyword matches whole words: "agent" matches "Agent please" but not "agenda". A trailing `*` makes
 * it a prefix ("refund*" matches "refunds", "refunded"); spaces in a phrase match any whitespace.
 */
export function keywordRegex(keyword: string): RegExp {
	const prefix = keyword.endsWith('*');
	const core = normaliseText(prefix ? keyword.slice(0, -1) : keyword).trim();
	const body = core.split(/\s+/).map(escapeRegex).join('\\s+');
	return new RegExp(
		`(?<![\\p{L}\\p{N}])${body}${prefix ? '[\\p{L}\\p{N}]*' : ''}(?![\\p{L}\\p{N}])`,
		'u',
	);
}

/** Validates the rules of one item and compiles keywords and patterns; errors name the rule and field. */
export function compileRules(raw: readonly unknown[]): Rule[] {
	return raw.map((entry, index) => {
		const parsed = ruleConfigSchema.safeParse(entry);
		if (!parsed.success) {
			const issue = parsed.error.issues[0];
			const field = issue.path.join('.') || 'type';
			throw new RuleConfigError(index, field, `Rule ${index + 1}: ${field}: ${issue.message}`);
		}
		const p = parsed.data;
		const base: RuleBase = {
			index,
			reason: p.reason?.trim() || DEFAULT_REASONS[p.type],
			priority: p.priority ?? 'normal',
		};
		const number = (
			field: 'threshold' | 'maxTurns' | 'maxAgeMinutes',
			fallback: number,
			min: number,
		) => {
			const value = p[field] === undefined || p[field] === '' ? fallback : asNumber(p[field]);
			if (value === null || value < min)
				throw new RuleConfigError(
					index,
					field,
					`Rule ${index + 1}: ${field} must be a number of at least ${min}`,
				);
			return value;
		};
		switch (p.type) {
			case 'keywords': {
				if (p.keywords.length === 0)
					throw new RuleConfigError(
						index,
						'keywords',
						`Rule ${index + 1}: add at least one keyword`,
					);
				return {
					...base,
					type: p.type,
					field: p.field?.trim() || 'text',
					keywords: p.keywords.map((keyword) => ({ keyword, regex: keywordRegex(keyword) })),
				};
			}
			case 'pattern': {
				if (!p.pattern)
					throw new RuleConfigError(index, 'pattern', `Rule ${index + 1}: the pattern is empty`);
				let regex: RegExp | undefined;
				let invalid = '';
				try {
					regex = new RegExp(p.pattern, 'iu');
				} catch (error) {
					invalid = (error as Error).message;
				}
				// Thrown after the catch, not from it (n8n's package scan).
				if (regex === undefined) {
					throw new RuleConfigError(
						index,
						'pattern',
						`Rule ${index + 1}: the pattern is not a valid regular expression: ${invalid}`,
					);
				}
				return { ...base, type: p.type, field: p.field?.trim() || 'text', regex };
			}
			case 'replyIds':
				if (p.replyIds.length === 0)
					throw new RuleConfigError(
						index,
						'replyIds',
						`Rule ${index + 1}: add at least one reply ID`,
					);
				return { ...base, type: p.type, replyIds: p.replyIds };
			case 'orderValue':
				return {
					...base,
					type: p.type,
					valueField: p.valueField?.trim() || 'order.total',
					threshold: number('threshold', 0, 0),
				};
			case 'failedStatus':
				return { ...base, type: p.type, errorClasses: p.errorClasses };
			case 'paymentFailed':
				return {
					...base,
					type: p.type,
					paymentField: p.paymentField?.trim() || 'payment.status',
					failedValues: (p.failedValues.length
						? p.failedValues
						: DEFAULT_FAILED_PAYMENT_VALUES
					).map(normaliseText),
				};
			case 'unrecognisedTurns':
				return {
					...base,
					type: p.type,
					maxTurns: Math.round(number('maxTurns', 2, 1)),
					recognised: p.recognised,
				};
			case 'staleInbound':
				return { ...base, type: p.type, maxAgeMinutes: number('maxAgeMinutes', 60, 0) };
			case 'custom':
				return { ...base, type: p.type, condition: p.condition };
		}
	});
}

export interface RuleSubject {
	/** The item's JSON: a trigger event, a send result, or any business payload (an order webhook). */
	item: Record<string, unknown>;
	/** Bot turns without a recognised answer, counted for this conversation including this item. */
	unrecognisedTurns: number;
	now: number;
}

export interface RuleMatch {
	/** Position of the rule in the list, from 0. */
	index: number;
	type: RuleType;
	reason: string;
	/** What exactly matched, for the agent: `"refund" in text`, `order total 740 > 500`. */
	detail: string;
	priority: Priority;
}

const INBOUND_KINDS = new Set(['message', 'flow_response']);

function isInbound(item: Record<string, unknown>): boolean {
	const kind = asString(item.kind);
	return kind !== null && INBOUND_KINDS.has(kind);
}

function wildcardMatch(pattern: string, value: string): boolean {
	return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : value === pattern;
}

/** The error classes of a failed status event or of a failed send item (the send node's fields). */
function failureClasses(
	item: Record<string, unknown>,
): Array<{ errorClass: string; code: unknown }> {
	const out: Array<{ errorClass: string; code: unknown }> = [];
	const ownClass = asString(item.errorClass);
	if (item.kind === 'status' && item.status === 'failed' && Array.isArray(item.errors)) {
		for (const error of asArray(item.errors).map(asRecord)) {
			const errorClass = asString(error.errorClass);
			if (errorClass !== null) out.push({ errorClass, code: error.code });
		}
		if (out.length === 0) out.push({ errorClass: 'unknown', code: null });
	} else if (ownClass !== null) {
		out.push({ errorClass: ownClass, code: item.code });
	}
	return out;
}

function matchRule(rule: Rule, subject: RuleSubject): string | null {
	const { item } = subject;
	switch (rule.type) {
		case 'keywords': {
			const text = asString(readPath(item, rule.field));
			if (!text) return null;
			const normalised = normaliseText(text);
			const hit = rule.keywords.find(({ regex }) => regex.test(normalised));
			return hit ? `"${hit.keyword}" in ${rule.field}` : null;
		}
		case 'pattern': {
			const text = asString(readPath(item, rule.field));
			const match = text ? rule.regex.exec(text) : null;
			return match ? `/${rule.regex.source}/ matched "${match[0]}" in ${rule.field}` : null;
		}
		case 'replyIds': {
			const id = asString(asRecord(item.reply).id);
			return id !== null && rule.replyIds.some((pattern) => wildcardMatch(pattern, id))
				? `reply "${id}"`
				: null;
		}
		case 'orderValue': {
			const value = asNumber(readPath(item, rule.valueField));
			return value !== null && value > rule.threshold
				? `${rule.valueField} ${value} > ${rule.threshold}`
				: null;
		}
		case 'failedStatus': {
			const hit = failureClasses(item).find(
				(f) => rule.errorClasses.length === 0 || rule.errorClasses.includes(f.errorClass),
			);
			return hit
				? `${hit.errorClass}${hit.code !== null && hit.code !== undefined ? ` (code ${String(hit.code)})` : ''}`
				: null;
		}
		case 'paymentFailed': {
			const value = readPath(item, rule.paymentField);
			if (value === true) return `${rule.paymentField} is true`;
			const text = asString(value);
			if (text !== null && rule.failedValues.includes(normaliseText(text.trim())))
				return `${rule.paymentField} is "${text}"`;
			return null;
		}
		case 'unrecognisedTurns':
			return isInbound(item) && subject.unrecognisedTurns >= rule.maxTurns
				? `${subject.unrecognisedTurns} bot turns without a recognised answer (limit ${rule.maxTurns})`
				: null;
		case 'staleInbound': {
			const timestamp = asNumber(item.timestamp);
			if (!isInbound(item) || timestamp === null) return null;
			const ageMinutes = (subject.now - timestamp * 1000) / 60_000;
			return ageMinutes > rule.maxAgeMinutes
				? `message is ${Math.round(ageMinutes)} min old (limit ${rule.maxAgeMinutes})`
				: null;
		}
		case 'custom':
			return rule.condition ? 'condition is true' : null;
	}
}

/** The first rule that matches, or null: the item stays with the bot. */
export function evaluateRules(rules: readonly Rule[], subject: RuleSubject): RuleMatch | null {
	for (const rule of rules) {
		const detail = matchRule(rule, subject);
		if (detail !== null)
			return {
				index: rule.index,
				type: rule.type,
				reason: rule.reason,
				detail,
				priority: rule.priority,
			};
	}
	return null;
}

/**
 * The "was the bot's answer recognised" flag this item carries for the turn counter: the first
 * unrecognised-turns rule's, or undefined when no such rule exists (nothing is counted).
 */
export function turnRecognition(rules: readonly Rule[]): boolean | undefined {
	const rule = rules.find(
		(r): r is Extract<Rule, { type: 'unrecognisedTurns' }> => r.type === 'unrecognisedTurns',
	);
	return rule?.recognised;
}
