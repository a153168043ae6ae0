import { readPath as getPath } from '../../nodes/core/coerce';
import { splitEvents, type WhatsAppEvent } from '../../nodes/core/events';
import {
	compileRules,
	evaluateRules,
	keywordRegex,
	normaliseText,
	RuleConfigError,
	turnRecognition,
	type RuleParameter,
} from '../../nodes/core/escalationRules';
import {
	body,
	buttonReply,
	change,
	orderMessage,
	PHONE_A,
	status,
	textMessage,
} from '../support/payloads';

const NOW = Date.UTC(2024, 9, 27, 4, 0, 0); // 1730001600 s: 1600 s after the payloads' text timestamp

function event(value: Record<string, unknown>): WhatsAppEvent {
	const split = splitEvents(body(change(PHONE_A, value)));
	if (!split.ok) throw new Error(split.reason);
	return split.events[0];
}

const item = (e: WhatsAppEvent) => e as unknown as Record<string, unknown>;
const judge = (rules: RuleParameter[], subject: Record<string, unknown>, turns = 0) =>
	evaluateRules(compileRules(rules), { item: subject, unrecognisedTurns: turns, now: NOW });

describe('keywords', () => {
	const rules: RuleParameter[] = [
		{ type: 'keywords', keywords: 'refund*, cancel*, agent, talk to human', priority: 'high' },
	];

	it.each([
		['I want a REFUND', 'refund*'],
		['Refunded twice?!', 'refund*'],
		['please cancel my order', 'cancel*'],
		['Cancellation!', 'cancel*'],
		['AGENT', 'agent'],
		['can I talk   to human please', 'talk to human'],
	])('"%s" matches %s', (text, keyword) => {
		expect(judge(rules, item(event({ messages: [textMessage('wamid.k', text)] })))).toMatchObject({
			type: 'keywords',
			reason: 'Keyword in message',
			detail: `"${keyword}" in text`,
			priority: 'high',
			index: 0,
		});
	});

	it.each(['agenda for today', 'reagent', 'what are your hours', 'humane society'])(
		'"%s" does not match (whole words only)',
		(text) => {
			expect(judge(rules, item(event({ messages: [textMessage('wamid.k', text)] })))).toBeNull();
		},
	);

	it('ignores case and accents in text and keywords, and reads non-Latin scripts', () => {
		expect(
			judge([{ type: 'keywords', keywords: 'réclamation' }], { text: 'Je fais une RECLAMATION' }),
		).not.toBeNull();
		expect(
			judge([{ type: 'keywords', keywords: 'reclamation' }], { text: 'une réclamation' }),
		).not.toBeNull();
		expect(
			judge([{ type: 'keywords', keywords: 'Beschwerde*' }], {
				text: 'Ich möchte mich beschweren, das ist eine Beschwerde!',
			}),
		).toMatchObject({ detail: '"Beschwerde*" in text' });
		expect(judge([{ type: 'keywords', keywords: '退款' }], { text: '我要 退款' })).not.toBeNull();
		expect(normaliseText('Zoë Müller')).toBe('zoe muller');
		expect(keywordRegex('cancel*').test('cancellation')).toBe(true);
	});

	it('reads another field with dot notation, and skips items without text', () => {
		expect(
			judge([{ type: 'keywords', keywords: 'urgent', field: 'body.note' }], {
				body: { note: 'URGENT delivery' },
			}),
		).toMatchObject({ detail: '"urgent" in body.note' });
		expect(judge(rules, item(event({ statuses: [status('wamid.x', 'read')] })))).toBeNull();
		expect(getPath({ a: [{ b: 2 }] }, 'a[0].b')).toBe(2);
		expect(getPath({ a: null }, 'a.b')).toBeUndefined();
	});
});

describe('pattern, reply ids and order value', () => {
	it('matches a case-insensitive regular expression and says what matched', () => {
		expect(
			judge([{ type: 'pattern', pattern: 'order\\s*#?\\d{5,}' }], {
				text: 'Where is ORDER #123456?',
			}),
		).toMatchObject({
			type: 'pattern',
			detail: '/order\\s*#?\\d{5,}/ matched "ORDER #123456" in text',
		});
		expect(
			judge([{ type: 'pattern', pattern: 'order\\s*#?\\d{5,}' }], { text: 'order 12' }),
		).toBeNull();
	});

	it('refuses an invalid pattern naming the rule and field', () => {
		expect(() =>
			compileRules([
				{ type: 'keywords', keywords: 'x' },
				{ type: 'pattern', pattern: '(unclosed' },
			]),
		).toThrow(RuleConfigError);
		try {
			compileRules([
				{ type: 'keywords', keywords: 'x' },
				{ type: 'pattern', pattern: '(unclosed' },
			]);
		} catch (error) {
			expect(error).toMatchObject({ ruleIndex: 1, field: 'pattern' });
			expect((error as Error).message).toMatch(
				/^Rule 2: the pattern is not a valid regular expression/,
			);
		}
		expect(() => compileRules([{ type: 'keywords', keywords: ' , ' }])).toThrow(
			/Rule 1: add at least one keyword/,
		);
		expect(() => compileRules([{ type: 'nonsense' } as unknown as RuleParameter])).toThrow(
			/Rule 1: type/,
		);
		expect(() => compileRules([{ type: 'orderValue', threshold: 'lots' }])).toThrow(
			/threshold must be a number/,
		);
	});

	it('matches interactive reply ids and template button payloads, with a trailing wildcard', () => {
		const rules: RuleParameter[] = [
			{ type: 'replyIds', replyIds: 'talk_to_agent, claim_*', reason: 'Asked for an agent' },
		];
		expect(
			judge(
				rules,
				item(event({ messages: [buttonReply('wamid.r1', 'talk_to_agent', 'Talk to an agent')] })),
			),
		).toMatchObject({
			reason: 'Asked for an agent',
			detail: 'reply "talk_to_agent"',
		});
		expect(
			judge(
				rules,
				item(event({ messages: [buttonReply('wamid.r2', 'claim_damaged', 'Damaged')] })),
			),
		).not.toBeNull();
		expect(
			judge(rules, item(event({ messages: [buttonReply('wamid.r3', 'faq_hours', 'Hours')] }))),
		).toBeNull();
		const templateButton = event({
			messages: [
				{
					from: '4915112345678',
					id: 'wamid.tb',
					timestamp: '1730000000',
					type: 'button',
					button: { payload: 'talk_to_agent', text: 'Agent' },
				},
			],
		});
		expect(judge(rules, item(templateButton))).not.toBeNull();
	});

	it('compares the order total of a catalogue order, or any number field, strictly above the threshold', () => {
		const order = item(event({ messages: [orderMessage('wamid.o1')] })); // 2 × 10.5 + 4 = 25
		expect(judge([{ type: 'orderValue', threshold: 20 }], order)).toMatchObject({
			detail: 'order.total 25 > 20',
			reason: 'High order value',
		});
		expect(judge([{ type: 'orderValue', threshold: 25 }], order)).toBeNull();
		expect(
			judge([{ type: 'orderValue', valueField: 'body.amount', threshold: 500 }], {
				body: { amount: '1,250.00' },
			}),
		).toMatchObject({ detail: 'body.amount 1250 > 500' });
		expect(
			judge([{ type: 'orderValue', valueField: 'body.amount', threshold: 500 }], {
				body: { amount: 'n/a' },
			}),
		).toBeNull();
	});
});

describe('failed statuses and payments', () => {
	const failedUndeliverable = item(
		event({ statuses: [status('wamid.out1', 'failed', { errorCode: 131026 })] }),
	);
	const failedWindow = item(
		event({ statuses: [status('wamid.out2', 'failed', { errorCode: 131047 })] }),
	);

	it('matches failed statuses of the chosen classes only', () => {
		const rules: RuleParameter[] = [
			{ type: 'failedStatus', errorClasses: ['undeliverable'], priority: 'urgent' },
		];
		expect(judge(rules, failedUndeliverable)).toMatchObject({
			detail: 'undeliverable (code 131026)',
			priority: 'urgent',
			reason: 'Message could not be delivered',
		});
		expect(judge(rules, failedWindow)).toBeNull();
		expect(judge([{ type: 'failedStatus', errorClasses: [] }], failedWindow)).toMatchObject({
			detail: 'window_closed (code 131047)',
		});
		expect(
			judge(
				[{ type: 'failedStatus' }],
				item(event({ statuses: [status('wamid.out3', 'delivered')] })),
			),
		).toBeNull();
	});

	it("matches the send node's failed items by their errorClass", () => {
		expect(
			judge([{ type: 'failedStatus', errorClasses: 'window_closed' }], {
				errorClass: 'window_closed',
				code: 131047,
				windowClosed: true,
			}),
		).toMatchObject({ detail: 'window_closed (code 131047)' });
	});

	it('matches a payment flag that is true or a failed status value, case ignored', () => {
		const rules: RuleParameter[] = [{ type: 'paymentFailed', paymentField: 'body.status' }];
		expect(judge(rules, { body: { status: 'FAILED' } })).toMatchObject({
			type: 'paymentFailed',
			detail: 'body.status is "FAILED"',
			reason: 'Payment failed',
		});
		expect(judge(rules, { body: { status: 'declined' } })).not.toBeNull();
		expect(judge(rules, { body: { status: 'confirmed' } })).toBeNull();
		expect(
			judge([{ type: 'paymentFailed', paymentField: 'paymentFailed' }], { paymentFailed: true }),
		).toMatchObject({ detail: 'paymentFailed is true' });
		expect(
			judge([{ type: 'paymentFailed', paymentField: 'body.status', failedValues: 'chargeback' }], {
				body: { status: 'failed' },
			}),
		).toBeNull();
	});
});

describe('bot turns, late messages, custom conditions', () => {
	const text = item(event({ messages: [textMessage('wamid.t', 'blorp')] }));

	it('matches after N unrecognised turns, for inbound messages only', () => {
		const rules: RuleParameter[] = [{ type: 'unrecognisedTurns', maxTurns: 2, recognised: false }];
		expect(judge(rules, text, 1)).toBeNull();
		expect(judge(rules, text, 2)).toMatchObject({
			detail: '2 bot turns without a recognised answer (limit 2)',
			reason: 'Bot did not understand',
		});
		expect(judge(rules, item(event({ statuses: [status('wamid.s', 'read')] })), 5)).toBeNull();
		expect(turnRecognition(compileRules(rules))).toBe(false);
		expect(
			turnRecognition(
				compileRules([{ type: 'unrecognisedTurns', recognised: 'true' as unknown as boolean }]),
			),
		).toBe(true);
		expect(turnRecognition(compileRules([{ type: 'keywords', keywords: 'x' }]))).toBeUndefined();
	});

	it('matches inbound messages older than the limit by their WhatsApp timestamp', () => {
		// textMessage is stamped 1730000000 s; NOW is 1600 s later, about 27 minutes.
		expect(judge([{ type: 'staleInbound', maxAgeMinutes: 20 }], text)).toMatchObject({
			detail: 'message is 27 min old (limit 20)',
			reason: 'Message arrived late',
		});
		expect(judge([{ type: 'staleInbound', maxAgeMinutes: 30 }], text)).toBeNull();
		expect(
			judge(
				[{ type: 'staleInbound', maxAgeMinutes: 1 }],
				item(event({ statuses: [status('wamid.s', 'read')] })),
			),
		).toBeNull();
	});

	it('takes a custom condition n8n evaluated, as a boolean', () => {
		expect(judge([{ type: 'custom', condition: true, reason: 'VIP customer' }], {})).toMatchObject({
			reason: 'VIP customer',
			detail: 'condition is true',
		});
		expect(judge([{ type: 'custom', condition: false }], {})).toBeNull();
		expect(judge([{ type: 'custom', condition: 'true' as unknown as boolean }], {})).not.toBeNull();
	});
});

describe('order of rules', () => {
	it('returns the first rule that matches, which names the reason and priority', () => {
		const rules: RuleParameter[] = [
			{ type: 'replyIds', replyIds: 'talk_to_agent', reason: 'Button', priority: 'low' },
			{ type: 'keywords', keywords: 'refund', reason: 'Refund request', priority: 'high' },
			{ type: 'custom', condition: true, reason: 'Catch-all', priority: 'urgent' },
		];
		expect(judge(rules, { text: 'refund please' })).toMatchObject({
			index: 1,
			reason: 'Refund request',
			priority: 'high',
		});
		expect(judge(rules, { text: 'hello' })).toMatchObject({ index: 2, reason: 'Catch-all' });
		expect(judge(rules.slice(0, 2), { text: 'hello' })).toBeNull();
		expect(judge([], { text: 'refund' })).toBeNull();
	});
});
