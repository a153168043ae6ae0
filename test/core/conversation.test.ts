import {
	Conversation,
	ConversationBook,
	conversationView,
	type OutboundRecord,
} from '../../nodes/core/conversationRecord';
import { normaliseCustomerId } from '../../nodes/core/customerId';
import { splitEvents, type WhatsAppEvent } from '../../nodes/core/events';
import { escalate } from '../../nodes/core/lease';
import {
	body,
	buttonReply,
	change,
	flowReply,
	orderMessage,
	PHONE_A,
	PHONE_B,
	status,
	textMessage,
	usernameContact,
	usernameMessage,
} from '../support/payloads';

const CUSTOMER = '4915112345678';
const PNID = PHONE_A.phone_number_id;
const T0 = 1_730_000_000_000;

function events(value: Record<string, unknown>, phone = PHONE_A): WhatsAppEvent[] {
	const split = splitEvents(body(change(phone, value)));
	if (!split.ok) throw new Error(split.reason);
	return split.events;
}
const one = (value: Record<string, unknown>, phone = PHONE_A) => events(value, phone)[0];

function sent(
	messageId: string,
	message: Record<string, unknown>,
	extra: Partial<OutboundRecord> = {},
): OutboundRecord {
	return {
		phoneNumberId: PNID,
		customerId: CUSTOMER,
		messageId,
		message: { messaging_product: 'whatsapp', to: CUSTOMER, ...message },
		at: T0 + 1000,
		...extra,
	};
}
const text = (body: string) => ({ type: 'text', text: { body } });

describe('customer ids', () => {
	it('turns phone numbers in any notation into the digits of a wa_id, and leaves BSUIDs alone', () => {
		expect(normaliseCustomerId('+49 151 123-456 78')).toBe(CUSTOMER);
		expect(normaliseCustomerId('(0049) 151.12345678')).toBe('0049151' + '12345678');
		expect(normaliseCustomerId('US.13491208655302741918')).toBe('US.13491208655302741918');
		expect(normaliseCustomerId(4915112345678)).toBe(CUSTOMER);
		expect(normaliseCustomerId('  ')).toBeNull();
		expect(normaliseCustomerId(undefined)).toBeNull();
	});
});

describe('inbound recording', () => {
	it('records every kind of inbound event with the profile, in time order, once', () => {
		const book = new ConversationBook();
		const batch = [
			...events({ messages: [textMessage('wamid.in1', 'Hallo, wo ist meine Bestellung?')] }),
			...events({ messages: [buttonReply('wamid.in2', 'track_order', 'Track order')] }),
			...events({
				messages: [flowReply('wamid.in3', 'flow-token-1', { rating: 4, comment: 'ok' })],
			}),
			...events({ messages: [orderMessage('wamid.in4')] }),
			...events({
				messages: [
					{
						from: CUSTOMER,
						id: 'wamid.in5',
						timestamp: '1730000500',
						type: 'image',
						image: { id: 'media-1', mime_type: 'image/jpeg', sha256: 'x', caption: 'broken box' },
					},
					{
						from: CUSTOMER,
						id: 'wamid.in6',
						timestamp: '1730000600',
						type: 'reaction',
						reaction: { message_id: 'wamid.out1', emoji: '👍' },
					},
				],
			}),
		];
		for (const event of batch) expect(book.recordEvent(event, T0)).toBe('recorded');
		// Meta redelivers: nothing changes
		expect(book.recordEvent(batch[0], T0)).toBe('duplicate');

		const conversation = book.get(PNID, CUSTOMER)!;
		const view = conversationView(conversation);
		expect(view.customer).toEqual({
			id: CUSTOMER,
			waId: CUSTOMER,
			userId: null,
			profileName: 'Zoë Müller',
			username: null,
		});
		expect(view.transcript.map((l) => [l.messageId, l.type, l.text])).toEqual([
			['wamid.in1', 'text', 'Hallo, wo ist meine Bestellung?'],
			['wamid.in2', 'interactive.button_reply', 'Track order'],
			['wamid.in3', 'interactive.nfm_reply', null],
			['wamid.in4', 'order', 'please deliver fast'],
			['wamid.in5', 'image', 'broken box'],
			['wamid.in6', 'reaction', '👍'],
		]);
		expect(view.transcript[1].replyId).toBe('track_order');
		expect(view.transcript[2].flow).toEqual({
			flowToken: 'flow-token-1',
			fields: { rating: 4, comment: 'ok' },
		});
		expect(view.transcript[3].order).toEqual({ total: 25, currency: 'EUR', items: 2 });
		expect(view.transcript[4].media).toEqual({ id: 'media-1', mimeType: 'image/jpeg' });
		expect(view.transcript[5].reaction).toEqual({ messageId: 'wamid.out1', emoji: '👍' });
		expect(view.transcript.every((l) => l.direction === 'inbound' && l.status === undefined)).toBe(
			true,
		);
		expect(view.lastInboundAt).toBe('2024-10-27T03:43:20.000Z');
		expect(view.owner).toBe('bot');
	});

	it('keeps conversations per business number and customer apart', () => {
		const book = new ConversationBook();
		book.recordEvent(one({ messages: [textMessage('wamid.a', 'A')] }), T0);
		book.recordEvent(one({ messages: [textMessage('wamid.b', 'B')] }, PHONE_B), T0);
		book.recordEvent(one({ messages: [textMessage('wamid.c', 'C', '4917000000000')] }), T0);
		expect(book.size).toBe(3);
		expect(
			book
				.findByCustomer(CUSTOMER)
				.map((c) => c.data.phoneNumberId)
				.sort(),
		).toEqual([PNID, PHONE_B.phone_number_id].sort());
	});

	it('ignores events without a customer or number, and value-level errors', () => {
		const book = new ConversationBook();
		const error = events({ errors: [{ code: 131000, title: 'x', message: 'x' }] })[0];
		expect(book.recordEvent(error, T0)).toBe('ignored');
		expect(
			book.recordEvent(
				{ ...one({ messages: [textMessage('wamid.x', 'x')] }), phoneNumberId: null },
				T0,
			),
		).toBe('ignored');
		expect(book.size).toBe(0);
	});

	it('bounds the transcript and cuts long texts', () => {
		const book = new ConversationBook({ transcriptLength: 3, maxTextLength: 10 });
		for (let i = 0; i < 5; i++)
			book.recordEvent(
				one({
					messages: [
						textMessage(`wamid.${i}`, `message number ${i}`, CUSTOMER, String(1730000000 + i)),
					],
				}),
				T0,
			);
		const transcript = book.get(PNID, CUSTOMER)!.data.transcript;
		expect(transcript.map((e) => e.id)).toEqual(['wamid.2', 'wamid.3', 'wamid.4']);
		expect(transcript[0].text).toBe('message n…');
	});

	it('reopens a closed conversation with the bot when the customer writes', () => {
		const book = new ConversationBook();
		const conversation = book.open(PNID, CUSTOMER, T0);
		conversation.data.ownership = { owner: 'closed', since: T0, lease: null, resumedAfter: null };
		book.recordEvent(one({ messages: [textMessage('wamid.again', 'hi again')] }), T0 + 5);
		expect(conversation.data.ownership).toMatchObject({ owner: 'bot', since: T0 + 5 });
	});
});

describe('outbound recording and statuses through the ledger', () => {
	it('records what was sent, by whom, and the correlation id with its state', () => {
		const book = new ConversationBook();
		expect(book.recordOutbound(sent('wamid.o1', text('Your order is on its way')), T0)).toBe(
			'recorded',
		);
		expect(book.recordOutbound(sent('wamid.o1', text('Your order is on its way')), T0)).toBe(
			'duplicate',
		);
		book.recordOutbound(
			sent(
				'wamid.o2',
				{
					type: 'template',
					template: {
						name: 'order_confirmation',
						language: { code: 'en_US' },
						components: [
							{
								type: 'body',
								parameters: [
									{ type: 'text', text: 'A-1001' },
									{
										type: 'currency',
										currency: { fallback_value: '€25.00', code: 'EUR', amount_1000: 25000 },
									},
								],
							},
						],
					},
				},
				{ correlationId: 'order-A-1001', messageStatus: 'held_for_quality_assessment' },
			),
			T0,
		);
		book.recordOutbound(
			sent('wamid.o3', {
				type: 'interactive',
				interactive: { type: 'button', body: { text: 'Need help?' }, action: {} },
			}),
			T0,
		);
		book.recordOutbound(
			sent('wamid.o4', {
				type: 'document',
				document: {
					link: 'https://shop.example/invoice.pdf',
					filename: 'invoice.pdf',
					caption: 'Invoice',
				},
			}),
			T0,
		);
		const conversation = book.get(PNID, CUSTOMER)!;
		escalate(
			conversation,
			{ reason: 'x', rule: null, detail: null, priority: 'normal', assignee: null, leaseMs: null },
			T0,
		);
		book.recordOutbound(sent('wamid.o5', text('Hi, this is Anna from support')), T0);

		const view = conversationView(conversation);
		expect(view.transcript.map((l) => [l.messageId, l.type, l.text, l.sentBy, l.status])).toEqual([
			['wamid.o1', 'text', 'Your order is on its way', 'bot', 'accepted'],
			[
				'wamid.o2',
				'template',
				'[template order_confirmation: A-1001 | €25.00]',
				'bot',
				'held_for_quality_assessment',
			],
			['wamid.o3', 'interactive', 'Need help?', 'bot', 'accepted'],
			['wamid.o4', 'document', 'Invoice', 'bot', 'accepted'],
			['wamid.o5', 'text', 'Hi, this is Anna from support', 'human', 'accepted'],
		]);
		expect(view.transcript[3].media).toEqual({
			id: null,
			mimeType: null,
			filename: 'invoice.pdf',
			link: 'https://shop.example/invoice.pdf',
		});
		expect(view.correlations).toEqual([
			{
				correlationId: 'order-A-1001',
				messageId: 'wamid.o2',
				state: 'held_for_quality_assessment',
				errorClass: null,
				updatedAt: new Date(T0).toISOString(),
			},
		]);
	});

	it('applies statuses forward only: read before delivered stays read, sent last changes nothing', () => {
		const book = new ConversationBook();
		book.recordOutbound(sent('wamid.o1', text('hello'), { correlationId: 'order-1' }), T0);
		const apply = (value: string) =>
			book.recordEvent(
				one({ statuses: [status('wamid.o1', value, { correlationId: 'order-1' })] }),
				T0 + 10,
			);
		expect(apply('read')).toBe('recorded');
		expect(apply('delivered')).toBe('duplicate');
		expect(apply('sent')).toBe('duplicate');
		expect(apply('read')).toBe('duplicate');
		const view = conversationView(book.get(PNID, CUSTOMER)!);
		expect(view.transcript[0].status).toBe('read');
		expect(view.correlations[0]).toMatchObject({ correlationId: 'order-1', state: 'read' });
	});

	it('keeps a failure after delivery as a note, and lets delivery after a failure upgrade it', () => {
		const book = new ConversationBook();
		book.recordOutbound(sent('wamid.multi', text('a')), T0);
		book.recordOutbound(sent('wamid.late', text('b'), { at: T0 + 2000 }), T0);
		book.recordEvent(one({ statuses: [status('wamid.multi', 'delivered')] }), T0);
		book.recordEvent(
			one({ statuses: [status('wamid.multi', 'failed', { errorCode: 131026 })] }),
			T0,
		);
		book.recordEvent(
			one({ statuses: [status('wamid.late', 'failed', { errorCode: 131047 })] }),
			T0,
		);
		let view = conversationView(book.get(PNID, CUSTOMER)!);
		expect(view.transcript.map((l) => [l.status, l.error])).toEqual([
			['delivered', { code: 131026, errorClass: 'undeliverable' }],
			['failed', { code: 131047, errorClass: 'window_closed' }],
		]);
		book.recordEvent(one({ statuses: [status('wamid.late', 'delivered')] }), T0);
		view = conversationView(book.get(PNID, CUSTOMER)!);
		expect(view.transcript[1].status).toBe('delivered');
	});

	it("follows the newest message of a correlation id: the old message's statuses no longer move it", () => {
		const book = new ConversationBook();
		book.recordOutbound(
			sent('wamid.first', text('confirmation'), { correlationId: 'order-9' }),
			T0,
		);
		book.recordEvent(
			one({
				statuses: [
					status('wamid.first', 'failed', { correlationId: 'order-9', errorCode: 131047 }),
				],
			}),
			T0,
		);
		expect(conversationView(book.get(PNID, CUSTOMER)!).correlations[0]).toMatchObject({
			messageId: 'wamid.first',
			state: 'failed',
			errorClass: 'window_closed',
		});
		book.recordOutbound(
			sent(
				'wamid.fallback',
				{ type: 'template', template: { name: 'order_update' } },
				{ correlationId: 'order-9', fallbackTemplate: true },
			),
			T0 + 1,
		);
		book.recordEvent(
			one({ statuses: [status('wamid.first', 'sent', { correlationId: 'order-9' })] }),
			T0 + 2,
		);
		book.recordEvent(
			one({ statuses: [status('wamid.fallback', 'delivered', { correlationId: 'order-9' })] }),
			T0 + 3,
		);
		const view = conversationView(book.get(PNID, CUSTOMER)!);
		expect(view.correlations).toEqual([
			{
				correlationId: 'order-9',
				messageId: 'wamid.fallback',
				state: 'delivered',
				errorClass: null,
				updatedAt: new Date(T0 + 3).toISOString(),
			},
		]);
		expect(view.transcript.find((l) => l.messageId === 'wamid.fallback')).toMatchObject({
			fallbackTemplate: true,
			status: 'delivered',
		});
	});

	it('keeps a status of an unknown message only when it carries a correlation id', () => {
		const book = new ConversationBook();
		expect(book.recordEvent(one({ statuses: [status('wamid.elsewhere', 'delivered')] }), T0)).toBe(
			'ignored',
		);
		expect(book.size).toBe(0);
		expect(
			book.recordEvent(
				one({ statuses: [status('wamid.elsewhere', 'delivered', { correlationId: 'order-7' })] }),
				T0,
			),
		).toBe('recorded');
		expect(conversationView(book.get(PNID, CUSTOMER)!).correlations).toMatchObject([
			{ correlationId: 'order-7', state: 'delivered' },
		]);
	});

	it('bounds the correlation ids per conversation, least recently updated first out', () => {
		const book = new ConversationBook({ maxCorrelations: 2 });
		for (const id of ['a', 'b', 'c'])
			book.recordOutbound(sent(`wamid.${id}`, text(id), { correlationId: `order-${id}` }), T0);
		expect(Object.keys(book.get(PNID, CUSTOMER)!.data.correlations)).toEqual([
			'order-b',
			'order-c',
		]);
	});

	it('evicts integer-like correlation ids by age too, also after a restore', () => {
		const book = new ConversationBook({ maxCorrelations: 2 });
		for (const [i, id] of ['300', '200', '100'].entries())
			book.recordOutbound(sent(`wamid.${id}`, text(id), { correlationId: id }), T0 + i);
		const ids = (b: ConversationBook) =>
			conversationView(b.get(PNID, CUSTOMER)!).correlations.map((c) => c.correlationId);
		expect(ids(book)).toEqual(['200', '100']);
		const restored = new ConversationBook({ maxCorrelations: 2 });
		restored.restore(JSON.parse(JSON.stringify(book.snapshot())));
		expect(ids(restored)).toEqual(['200', '100']);
		restored.recordOutbound(sent('wamid.400', text('400'), { correlationId: '400' }), T0 + 5);
		expect(ids(restored)).toEqual(['100', '400']);
	});
});

describe('capacity, retention, persistence', () => {
	it('evicts the least recently active bot conversations first and keeps human-owned ones', () => {
		const book = new ConversationBook({ maxConversations: 3 });
		const human = book.open(PNID, '100', T0);
		escalate(
			human,
			{ reason: 'x', rule: null, detail: null, priority: 'normal', assignee: null, leaseMs: null },
			T0,
		);
		book.open(PNID, '200', T0 + 1);
		book.open(PNID, '300', T0 + 2);
		book.open(PNID, '400', T0 + 3);
		expect(book.size).toBe(3);
		expect(book.get(PNID, '100')).toBeDefined();
		expect(book.get(PNID, '200')).toBeUndefined();
		book.open(PNID, '300', T0 + 4); // activity moves it to the back of the queue
		book.open(PNID, '500', T0 + 5);
		expect(book.get(PNID, '400')).toBeUndefined();
		expect(book.get(PNID, '300')).toBeDefined();
	});

	it('drops idle conversations after the retention, unless a human holds them on a running lease', () => {
		const book = new ConversationBook({ retentionDays: 1 });
		book.open(PNID, 'old-bot', T0);
		const held = book.open(PNID, 'old-human', T0);
		escalate(
			held,
			{
				reason: 'x',
				rule: null,
				detail: null,
				priority: 'normal',
				assignee: null,
				leaseMs: 3 * 86_400_000,
			},
			T0,
		);
		const expired = book.open(PNID, 'old-human-expired', T0);
		escalate(
			expired,
			{ reason: 'x', rule: null, detail: null, priority: 'normal', assignee: null, leaseMs: 1000 },
			T0,
		);
		book.open(PNID, 'recent', T0 + 86_400_000);
		expect(book.purge(T0 + 86_400_000 + 1)).toBe(2);
		expect(
			[...['old-bot', 'old-human', 'old-human-expired', 'recent']].filter((c) => book.get(PNID, c)),
		).toEqual(['old-human', 'recent']);
	});

	it('survives a round trip through JSON, ledger included, and applies the stored limits', () => {
		const book = new ConversationBook({ transcriptLength: 5 });
		book.recordEvent(one({ messages: [textMessage('wamid.in1', 'refund please')] }), T0);
		book.recordOutbound(sent('wamid.o1', text('On it'), { correlationId: 'order-1' }), T0);
		book.recordEvent(one({ statuses: [status('wamid.o1', 'read')] }), T0);
		escalate(
			book.get(PNID, CUSTOMER)!,
			{
				reason: 'Refund',
				rule: 'keywords',
				detail: '"refund"',
				priority: 'high',
				assignee: 'anna',
				leaseMs: 60_000,
			},
			T0,
		);

		const stored = JSON.parse(
			JSON.stringify({ conversations: { toJSON: () => book.snapshot() } }),
		).conversations;
		const restored = new ConversationBook();
		restored.restore(stored);
		expect(restored.settings.transcriptLength).toBe(5);
		const conversation = restored.get(PNID, CUSTOMER)!;
		expect(conversationView(conversation)).toEqual(conversationView(book.get(PNID, CUSTOMER)!));
		expect(conversation.data.ownership).toMatchObject({
			owner: 'human',
			lease: { reason: 'Refund', assignee: 'anna', expiresAt: T0 + 60_000 },
		});
		// the restored ledger still knows read: delivered arriving now is stale
		expect(restored.recordEvent(one({ statuses: [status('wamid.o1', 'delivered')] }), T0)).toBe(
			'duplicate',
		);
		expect(conversationView(conversation).transcript[1].status).toBe('read');
	});

	it('lets live conversations win over persisted ones and ignores junk', () => {
		const book = new ConversationBook();
		book.recordEvent(one({ messages: [textMessage('wamid.live', 'live')] }), T0);
		const old = new ConversationBook();
		old.recordEvent(one({ messages: [textMessage('wamid.old', 'old')] }), T0);
		old.recordEvent(one({ messages: [textMessage('wamid.other', 'other', '4917000000000')] }), T0);
		book.restore(JSON.parse(JSON.stringify(old.snapshot())));
		expect(book.get(PNID, CUSTOMER)!.data.transcript.map((e) => e.id)).toEqual(['wamid.live']);
		expect(book.get(PNID, '4917000000000')).toBeDefined();
		for (const junk of [null, 'x', { v: 2 }, { v: 1, conversations: { a: { nope: true } } }])
			book.restore(junk);
		expect(book.size).toBe(2);
	});

	it('applies smaller limits at once', () => {
		const book = new ConversationBook();
		for (let i = 0; i < 6; i++)
			book.recordEvent(
				one({ messages: [textMessage(`wamid.${i}`, 'x', String(4900 + i))] }),
				T0 + i,
			);
		for (const event of events({
			messages: [
				textMessage('wamid.x1', 'x'),
				textMessage('wamid.x2', 'y', CUSTOMER, '1730000001'),
			],
		}))
			book.recordEvent(event, T0 + 10);
		book.configure({ transcriptLength: 1, maxConversations: 2 });
		expect(book.size).toBe(2);
		expect(book.get(PNID, CUSTOMER)!.data.transcript.map((e) => e.id)).toEqual(['wamid.x2']);
	});
});

describe('turn counter', () => {
	it('counts unrecognised turns once per message and resets on a recognised one', () => {
		const conversation = Conversation.create(PNID, CUSTOMER, T0, 10);
		expect(conversation.countTurn('m1', false)).toBe(1);
		expect(conversation.countTurn('m1', false)).toBe(1);
		expect(conversation.countTurn('m2', false)).toBe(2);
		expect(conversation.countTurn('m3', true)).toBe(0);
		expect(conversation.countTurn('m4', false)).toBe(1);
	});
});

describe('transcript order', () => {
	it('keeps arrival order within a second (inbound stamps are whole seconds) and moves clearly older entries back', () => {
		const book = new ConversationBook();
		const second = 1_730_000_100;
		book.recordEvent(
			one({ messages: [textMessage('wamid.q', 'hours?', CUSTOMER, String(second))] }),
			T0,
		);
		book.recordOutbound(sent('wamid.a', text('9 to 18'), { at: second * 1000 + 700 }), T0);
		// the customer's next message, stamped in the same second as our answer
		book.recordEvent(
			one({ messages: [textMessage('wamid.q2', 'thanks', CUSTOMER, String(second))] }),
			T0,
		);
		// a message Meta redelivers after an outage, a minute older
		book.recordEvent(
			one({ messages: [textMessage('wamid.old', 'earlier', CUSTOMER, String(second - 60))] }),
			T0,
		);
		expect(book.get(PNID, CUSTOMER)!.data.transcript.map((e) => e.id)).toEqual([
			'wamid.old',
			'wamid.q',
			'wamid.a',
			'wamid.q2',
		]);
	});
});

describe('customers known by a business-scoped user id', () => {
	const BSUID = 'US.13491208655302741918';

	it('keeps one conversation when a username customer later shows their number; either id finds it', () => {
		const book = new ConversationBook();
		book.recordEvent(
			one({ messages: [usernameMessage('wamid.b1', 'hi')], contacts: [usernameContact(BSUID)] }),
			T0,
		);
		// Meta now shows both: customer.id becomes the wa_id.
		const both = one({
			messages: [{ ...usernameMessage('wamid.b2', 'again'), from: CUSTOMER }],
			contacts: [{ ...usernameContact(BSUID), wa_id: CUSTOMER }],
		});
		expect(both.customer?.id).toBe(CUSTOMER);
		expect(book.recordEvent(both, T0 + 1000)).toBe('recorded');
		expect(book.size).toBe(1);
		const conversation = book.get(PNID, CUSTOMER);
		expect(conversation).toBe(book.get(PNID, BSUID));
		expect(conversation?.data.transcript.map((e) => e.id)).toEqual(['wamid.b1', 'wamid.b2']);
		expect(book.findByCustomer(CUSTOMER)).toEqual([conversation]);
		// A send answered with the user id lands there too.
		book.recordOutbound(
			sent('wamid.o1', { type: 'text', text: { body: 'yes' } }, { customerId: BSUID }),
			T0 + 2000,
		);
		expect(book.size).toBe(1);
		expect(conversation?.data.transcript).toHaveLength(3);
		// A redelivered message under the other id is still a duplicate.
		expect(
			book.recordEvent(
				one({ messages: [usernameMessage('wamid.b1', 'hi')], contacts: [usernameContact(BSUID)] }),
				T0 + 3000,
			),
		).toBe('duplicate');
	});

	it('follows user_changed_user_id: the conversation is keyed by the new user id', () => {
		const book = new ConversationBook();
		book.recordEvent(
			one({ messages: [usernameMessage('wamid.c1', 'hi')], contacts: [usernameContact(BSUID)] }),
			T0,
		);
		const change = usernameMessage('wamid.c2', '', BSUID, {
			type: 'system',
			text: undefined,
			system: {
				body: 'changed',
				type: 'user_changed_user_id',
				user_id: 'US.777',
				previous_user_id: BSUID,
			},
		});
		expect(book.recordEvent(one({ messages: [change] }), T0 + 1000)).toBe('recorded');
		expect(book.size).toBe(1);
		const conversation = book.get(PNID, 'US.777');
		expect(conversation?.data.customerId).toBe('US.777');
		expect(conversation?.data.transcript.map((e) => e.id)).toEqual(['wamid.c1', 'wamid.c2']);
		book.recordEvent(
			one({
				messages: [usernameMessage('wamid.c3', 'new id', 'US.777')],
				contacts: [usernameContact('US.777')],
			}),
			T0 + 2000,
		);
		expect(book.size).toBe(1);
		expect(conversation?.data.transcript).toHaveLength(3);
	});

	it('erases a conversation found by the other id', () => {
		const book = new ConversationBook();
		book.recordEvent(
			one({
				messages: [{ ...usernameMessage('wamid.e1', 'hi'), from: CUSTOMER }],
				contacts: [{ ...usernameContact(BSUID), wa_id: CUSTOMER }],
			}),
			T0,
		);
		expect(book.erase(BSUID)).toBe(1);
		expect(book.size).toBe(0);
	});
});
