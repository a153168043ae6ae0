import { splitEvents, type WhatsAppEvent } from '../../nodes/core/events';
import {
	body,
	bodyWithEntries,
	buttonReply,
	change,
	fieldChange,
	flowReply,
	orderMessage,
	PHONE_A,
	PHONE_B,
	status,
	templateStatusUpdate,
	textMessage,
	usernameContact,
	usernameMessage,
	valueError,
	WABA_ID,
} from '../support/payloads';
import { outputFor } from '../../nodes/core/triggerPipeline';
import { deepJson, followA, spliceJson } from '../support/hostile';

function events(input: unknown): WhatsAppEvent[] {
	const result = splitEvents(input);
	if (!result.ok) throw new Error(result.reason);
	return result.events;
}

describe('splitEvents', () => {
	it('makes one event per item across entries, changes, messages, statuses and errors', () => {
		const result = events(
			bodyWithEntries(
				[
					change(PHONE_A, {
						messages: [textMessage('wamid.1', 'hi'), textMessage('wamid.2', 'there')],
						statuses: [status('wamid.out1', 'read')],
					}),
					change(PHONE_B, { errors: [valueError(131000, 'Something went wrong')] }),
				],
				[
					change(PHONE_B, {
						statuses: [status('wamid.out2', 'failed'), status('wamid.out2', 'sent')],
					}),
				],
			),
		);
		expect(result.map((e) => [e.kind, e.subtype, e.phoneNumberId])).toEqual([
			['message', 'text', PHONE_A.phone_number_id],
			['message', 'text', PHONE_A.phone_number_id],
			['status', 'read', PHONE_A.phone_number_id],
			['error', '131000', PHONE_B.phone_number_id],
			['status', 'failed', PHONE_B.phone_number_id],
			['status', 'sent', PHONE_B.phone_number_id],
		]);
	});

	it('fills a text message: customer, profile name, timestamps, dedupe key, raw item', () => {
		const [event] = events(
			body(
				change(PHONE_A, {
					messages: [textMessage('wamid.abc', 'Grüße 😀', '4915112345678', '1730000000')],
				}),
			),
		);
		expect(event).toMatchObject({
			kind: 'message',
			subtype: 'text',
			dedupeKey: 'message:wamid.abc',
			wabaId: WABA_ID,
			phoneNumberId: PHONE_A.phone_number_id,
			displayPhoneNumber: PHONE_A.display_phone_number,
			customer: {
				id: '4915112345678',
				waId: '4915112345678',
				userId: null,
				profileName: 'Zoë Müller',
			},
			messageId: 'wamid.abc',
			timestamp: 1730000000,
			timestampIso: '2024-10-27T03:33:20.000Z',
			text: 'Grüße 😀',
		});
		expect(event.raw).toEqual(textMessage('wamid.abc', 'Grüße 😀', '4915112345678', '1730000000'));
	});

	it('identifies username users by user_id when from is absent', () => {
		const message = {
			id: 'wamid.u1',
			timestamp: '1730000000',
			type: 'text',
			text: { body: 'hi' },
			from_user_id: 'US.13491208655302741918',
		};
		const contacts = [
			{ profile: { name: 'Anon', username: 'anon_1' }, user_id: 'US.13491208655302741918' },
		];
		const [event] = events(body(change(PHONE_A, { messages: [message], contacts })));
		expect(event.customer).toEqual({
			id: 'US.13491208655302741918',
			waId: null,
			userId: 'US.13491208655302741918',
			profileName: 'Anon',
			username: 'anon_1',
		});
	});

	it('parses reply buttons, list replies and template buttons with their ids and titles', () => {
		const list = {
			from: '49',
			id: 'wamid.l',
			timestamp: '1',
			type: 'interactive',
			interactive: {
				type: 'list_reply',
				list_reply: { id: 'row-2', title: 'Refund', description: 'Money back' },
			},
		};
		const templateButton = {
			from: '49',
			id: 'wamid.t',
			timestamp: '1',
			type: 'button',
			context: { from: '1555', id: 'wamid.tpl' },
			button: { payload: 'CONFIRM', text: 'Confirm order' },
		};
		const [button, row, tpl] = events(
			body(
				change(PHONE_A, {
					messages: [buttonReply('wamid.b', 'pay', 'Pay now'), list, templateButton],
				}),
			),
		);
		expect(button).toMatchObject({
			subtype: 'interactive.button_reply',
			text: 'Pay now',
			reply: { type: 'button_reply', id: 'pay', title: 'Pay now' },
			context: { messageId: 'wamid.out-menu' },
		});
		expect(row.reply).toEqual({
			type: 'list_reply',
			id: 'row-2',
			title: 'Refund',
			description: 'Money back',
		});
		expect(tpl).toMatchObject({
			subtype: 'button',
			reply: { type: 'template_button', id: 'CONFIRM' },
			context: { messageId: 'wamid.tpl' },
		});
	});

	it('turns an nfm_reply into a flow_response with parsed fields and the flow token', () => {
		const [event] = events(
			body(
				change(PHONE_A, {
					messages: [flowReply('wamid.f', 'booking-42', { date: '2026-12-01', slot: '10:00' })],
				}),
			),
		);
		expect(event).toMatchObject({
			kind: 'flow_response',
			subtype: 'interactive.nfm_reply',
			dedupeKey: 'message:wamid.f',
			flow: {
				flowToken: 'booking-42',
				fields: { date: '2026-12-01', slot: '10:00' },
				name: 'flow',
				body: 'Sent',
			},
		});
	});

	it('keeps a flow response whose response_json is not JSON, with the raw string', () => {
		const message = flowReply('wamid.g', 't', {});
		(message.interactive as { nfm_reply: { response_json: string } }).nfm_reply.response_json =
			'{broken';
		const [event] = events(body(change(PHONE_A, { messages: [message] })));
		expect(event.flow).toMatchObject({ flowToken: null, fields: {}, responseJson: '{broken' });
	});

	it('reads order items and their total', () => {
		const [event] = events(body(change(PHONE_A, { messages: [orderMessage('wamid.o')] })));
		expect(event.order).toEqual({
			catalogId: 'cat-1',
			text: 'please deliver fast',
			items: [
				{ productRetailerId: 'sku-1', quantity: 2, itemPrice: 10.5, currency: 'EUR' },
				{ productRetailerId: 'sku-2', quantity: 1, itemPrice: 4, currency: 'EUR' },
			],
			total: 25,
			currency: 'EUR',
		});
	});

	it('marks a removed reaction and reads media', () => {
		const reaction = {
			from: '49',
			id: 'wamid.r',
			timestamp: '1',
			type: 'reaction',
			reaction: { message_id: 'wamid.out', emoji: '' },
		};
		const image = {
			from: '49',
			id: 'wamid.i',
			timestamp: '1',
			type: 'image',
			image: { id: 'media-1', mime_type: 'image/jpeg', sha256: 'abc', caption: 'receipt' },
		};
		const [r, i] = events(body(change(PHONE_A, { messages: [reaction, image] })));
		expect(r.reaction).toEqual({ messageId: 'wamid.out', emoji: null, removed: true });
		expect(i).toMatchObject({
			text: 'receipt',
			media: { id: 'media-1', mimeType: 'image/jpeg', caption: 'receipt' },
		});
	});

	it('exposes biz_opaque_callback_data as the correlation id and classifies status errors', () => {
		const [ok, failed] = events(
			body(
				change(PHONE_A, {
					statuses: [
						status('wamid.o1', 'delivered', { correlationId: 'order-123' }),
						status('wamid.o2', 'failed', { errorCode: 131026 }),
					],
				}),
			),
		);
		expect(ok).toMatchObject({
			kind: 'status',
			status: 'delivered',
			correlationId: 'order-123',
			dedupeKey: 'status:wamid.o1:delivered',
			customer: { waId: '4915112345678' },
		});
		expect(failed.errors).toEqual([
			expect.objectContaining({
				code: 131026,
				errorClass: 'undeliverable',
				retry: 'no',
				guidance: expect.stringContaining('undeliverable'),
			}),
		]);
	});

	it('gives value-level errors a content hash key that is stable across redeliveries', () => {
		const a = events(body(change(PHONE_A, { errors: [valueError(131000, 'x')] })))[0];
		const b = events(body(change(PHONE_A, { errors: [valueError(131000, 'x')] })))[0];
		const c = events(body(change(PHONE_A, { errors: [valueError(131000, 'y')] })))[0];
		expect(a.dedupeKey).toMatch(/^error:[0-9a-f]{32}$/);
		expect(a.dedupeKey).toBe(b.dedupeKey);
		expect(a.dedupeKey).not.toBe(c.dedupeKey);
		expect(a).toMatchObject({
			kind: 'error',
			errors: [{ errorClass: 'transient', retry: 'limited' }],
		});
	});

	it('turns template status updates into account updates keyed by id, event and entry time', () => {
		const [event] = events(templateStatusUpdate('tpl-9', 'APPROVED', 1730000500));
		expect(event).toMatchObject({
			kind: 'account_update',
			subtype: 'message_template_status_update',
			status: 'APPROVED',
			dedupeKey: `field:message_template_status_update:${WABA_ID}:tpl-9:APPROVED:1730000500`,
		});
		const [later] = events(templateStatusUpdate('tpl-9', 'PAUSED', 1730000600));
		expect(later.dedupeKey).not.toBe(event.dedupeKey);
	});

	it('keeps unknown fields, unknown arrays and malformed items as unknown events', () => {
		const input = {
			object: 'whatsapp_business_account',
			entry: [
				{
					id: WABA_ID,
					time: 1,
					changes: [{ field: 'brand_new_field', value: { foo: 1 } }, 'not-a-change'],
				},
				'not-an-entry',
				{
					id: WABA_ID,
					changes: [
						change(PHONE_A, { messages: [{ no: 'id' }], statuses: [textMessage('x', 'y')] }),
					],
				},
			],
		};
		(
			input.entry[2] as { changes: Array<{ value: Record<string, unknown> }> }
		).changes[0].value.calls = [{ id: 'c1' }];
		const result = events(input);
		expect(result.map((e) => [e.kind, e.subtype])).toEqual([
			['unknown', 'brand_new_field'],
			['unknown', 'change'],
			['unknown', 'entry'],
			['unknown', 'messages'],
			['unknown', 'statuses'],
			['unknown', 'calls'],
		]);
		expect(new Set(result.map((e) => e.dedupeKey)).size).toBe(result.length);
		expect(result[3].raw).toEqual({ no: 'id' });
	});

	it.each([
		[[], 'not a JSON object'],
		[{}, 'empty'],
		[undefined, 'empty'],
		['text', 'not a JSON object'],
		[{ object: 'page', entry: [] }, '"page"'],
		[{ entry: [] }, 'missing'],
		[{ object: 'whatsapp_business_account', entry: {} }, '"entry" is not an array'],
	])('refuses %p', (input, reason) => {
		const result = splitEvents(input);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.reason).toContain(reason);
	});
});

describe('splitEvents: every malformed part of a valid body is an unknown event', () => {
	const valid = textMessage('wamid.valid', 'still here');
	const withEntry = (entry: unknown) => ({
		object: 'whatsapp_business_account',
		entry: [entry, { id: WABA_ID, changes: [change(PHONE_A, { messages: [valid] })] }],
	});
	const withChange = (rawChange: unknown) => withEntry({ id: WABA_ID, changes: [rawChange] });
	// The malformed part sits in one change, the valid message in the next one of the same entry.
	const withValue = (extra: Record<string, unknown>) => {
		const c = change(PHONE_A, { statuses: [] }) as { value: Record<string, unknown> };
		return body({ ...c, value: { ...c.value, ...extra } }, change(PHONE_A, { messages: [valid] }));
	};
	/** A messages change whose `messages` is exactly `messages` (the helper reads messages[0]). */
	const messagesChange = (messages: unknown[], extra: Record<string, unknown> = {}) => {
		const c = change(PHONE_A, { messages: [valid] }) as { value: Record<string, unknown> };
		return { ...c, value: { ...c.value, messages, ...extra } };
	};

	it.each([
		['an entry that is null', withEntry(null), 'entry', null],
		['an entry that is a number', withEntry(7), 'entry', 7],
		['an entry that is a string', withEntry('x'), 'entry', 'x'],
		['an empty entry', withEntry({}), 'entry', {}],
		[
			'changes: null',
			withEntry({ id: WABA_ID, changes: null }),
			'entry',
			{ id: WABA_ID, changes: null },
		],
		['a change that is null', withChange(null), 'change', null],
		['a change that is a number', withChange(3), 'change', 3],
		[
			'a change whose value is null',
			withChange({ field: 'messages', value: null }),
			'change',
			{ field: 'messages', value: null },
		],
		['value.statuses a string', withValue({ statuses: 'read' }), 'statuses', 'read'],
		['value.messages null', withValue({ messages: null }), 'messages', null],
		['a status that is a number', withValue({ statuses: [5] }), 'statuses', 5],
		['a status that is an empty string', withValue({ statuses: [''] }), 'statuses', ''],
		['a status that is an empty object', withValue({ statuses: [{}] }), 'statuses', {}],
		['value.errors a number', withValue({ errors: 131000 }), 'errors', 131000],
		['a value-level error that is null', withValue({ errors: [null] }), 'errors', null],
	])('%s', (_name, input, subtype, raw) => {
		const result = events(input);
		const unknown = result.filter((e) => e.kind === 'unknown');
		expect(unknown).toHaveLength(1);
		expect(unknown[0]).toMatchObject({ subtype, raw, truncated: false });
		expect(unknown[0].dedupeKey).toMatch(/^unknown:[0-9a-f]{32}$/);
		// The valid message beside it is still there.
		expect(result.filter((e) => e.kind === 'message').map((e) => e.messageId)).toEqual([
			'wamid.valid',
		]);
	});

	it('turns messages[0] = null into an unknown event and keeps the message after it', () => {
		const result = events(body(messagesChange([null, valid])));
		expect(result.map((e) => [e.kind, e.subtype, e.raw === null])).toEqual([
			['unknown', 'messages', true],
			['message', 'text', false],
		]);
	});

	it('gives equal malformed parts of different bodies different keys, and a redelivery the same keys', () => {
		const a = body(messagesChange([null, textMessage('wamid.a', 'a')]));
		const b = body(messagesChange([null, textMessage('wamid.b', 'b')]));
		const keyOf = (input: unknown) => events(input)[0].dedupeKey;
		expect(keyOf(a)).not.toBe(keyOf(b));
		expect(keyOf(a)).toBe(keyOf(JSON.parse(JSON.stringify(a))));
		// Two nulls in one body, a null message and a null status: one event each, none shares a key.
		const many = events(body(messagesChange([null, null], { statuses: [null] })));
		expect(many.map((e) => e.subtype)).toEqual(['messages', 'messages', 'statuses']);
		expect(new Set(many.map((e) => e.dedupeKey)).size).toBe(3);
	});
});

describe('splitEvents: the input budget', () => {
	const DEEP = 5_000;
	const parse = (value: unknown, deepAt: Record<string, number>) =>
		JSON.parse(
			spliceJson(
				value,
				Object.fromEntries(
					Object.entries(deepAt).map(([placeholder, depth]) => [
						`"${placeholder}"`,
						deepJson(depth),
					]),
				),
			),
		) as unknown;

	it('emits a message with a value 5,000 deep as flagged, with a marker, beside an unflagged valid message', () => {
		const input = parse(
			body(
				change(PHONE_A, {
					messages: [
						{ ...textMessage('wamid.deep', 'x'), text: { body: 'x', extra: '@deep@' } },
						textMessage('wamid.ok', 'fine'),
					],
				}),
			),
			{ '@deep@': DEEP },
		);
		const [deep, ok] = events(input);
		expect(deep).toMatchObject({
			kind: 'message',
			messageId: 'wamid.deep',
			text: 'x',
			truncated: true,
		});
		const chain = followA((deep.raw as { text: { extra: unknown } }).text.extra);
		expect(chain.end).toEqual({ truncated: 'depth' });
		expect(chain.levels).toBeLessThan(64);
		expect(ok).toMatchObject({
			kind: 'message',
			messageId: 'wamid.ok',
			text: 'fine',
			truncated: false,
		});
		expect(() => JSON.stringify(deep)).not.toThrow();
	});

	it.each([
		['value.errors', (c: Record<string, unknown>) => ({ ...c, errors: ['@deep@'] })],
		[
			'a status error',
			(c: Record<string, unknown>) => ({
				...c,
				statuses: [{ ...status('wamid.s', 'failed'), errors: [{ code: 1, error_data: '@deep@' }] }],
			}),
		],
		[
			'context',
			(c: Record<string, unknown>) => ({
				...c,
				messages: [{ ...textMessage('wamid.c', 'c'), context: '@deep@' }, ...(c.messages as [])],
			}),
		],
		['an unknown key', (c: Record<string, unknown>) => ({ ...c, calls: '@deep@' })],
		['metadata', (c: Record<string, unknown>) => ({ ...c, metadata: '@deep@' })],
	])(
		'keeps the valid message beside a value 5,000 deep in %s, and flags what held it',
		(_name, extend) => {
			const c = change(PHONE_A, { messages: [textMessage('wamid.ok', 'fine')] }) as {
				value: Record<string, unknown>;
			};
			const input = parse(body({ ...c, value: extend(c.value) }), { '@deep@': DEEP });
			const result = events(input);
			const ok = result.find((e) => e.messageId === 'wamid.ok');
			expect(ok).toMatchObject({ kind: 'message', text: 'fine' });
			expect(result.some((e) => e.truncated)).toBe(true);
			expect(() => JSON.stringify(result)).not.toThrow();
		},
	);

	it('flags only events whose own part was past the budget', () => {
		const input = parse(
			body(
				change(PHONE_A, {
					messages: [textMessage('wamid.ok', 'fine')],
					errors: ['@deep@' as never],
				}),
			),
			{ '@deep@': DEEP },
		);
		expect(events(input).map((e) => [e.kind, e.truncated])).toEqual([
			['message', false],
			// The error object is kept (only its part past the depth is a marker): still an error event.
			['error', true],
		]);
	});

	it('bounds JSON inside a Flow response_json string and flags the event', () => {
		const reply = flowReply('wamid.f', 'tok', { slot: '10:00' });
		const nfm = (reply.interactive as { nfm_reply: Record<string, unknown> }).nfm_reply;
		nfm.response_json = `{"flow_token":"tok","slot":"10:00","deep":${deepJson(DEEP)}}`;
		const [event] = events(body(change(PHONE_A, { messages: [reply] })));
		expect(event).toMatchObject({ kind: 'flow_response', truncated: true });
		expect(event.flow?.flowToken).toBe('tok');
		expect(event.flow?.fields.slot).toBe('10:00');
		expect(followA(event.flow?.fields.deep).end).toEqual({ truncated: 'depth' });
	});

	it('replaces 100,000 statuses by one flagged unknown event and keeps the messages', () => {
		const input = body(
			change(PHONE_A, {
				messages: [textMessage('wamid.ok', 'fine')],
				statuses: new Array(100_000).fill(status('wamid.s', 'sent')),
			}),
		);
		const result = events(input);
		expect(result.map((e) => [e.kind, e.subtype, e.truncated])).toEqual([
			['message', 'text', false],
			['unknown', 'statuses', true],
		]);
		expect(result[1].raw).toEqual({ truncated: 'array', length: 100_000 });
	});

	it('replaces a 2 MB text by a marker and still emits the message, flagged', () => {
		const big = 'x'.repeat(2 * 1024 * 1024);
		const [event, ok] = events(
			body(
				change(PHONE_A, {
					messages: [textMessage('wamid.big', big), textMessage('wamid.ok', 'fine')],
				}),
			),
		);
		expect(event).toMatchObject({
			kind: 'message',
			messageId: 'wamid.big',
			text: null,
			truncated: true,
		});
		expect((event.raw as { text: { body: unknown } }).text.body).toEqual({
			truncated: 'string',
			length: big.length,
		});
		expect(ok).toMatchObject({ text: 'fine', truncated: false });
	});

	it.each([
		[
			'an entry array of 100,000 items',
			{ object: 'whatsapp_business_account', entry: new Array(100_000).fill({}) },
			'"entry" is past the input limit: an array with more than 10000 items',
		],
		[
			'a body with 20,000 keys',
			Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 1])),
			'the body is past the input limit: an object with more than 10000 keys',
		],
	])('refuses %s: the envelope itself is past the budget', (_name, input, reason) => {
		expect(splitEvents(input)).toEqual({ ok: false, reason });
	});

	it('refuses an "object" nested 5,000 deep without recursing into it', () => {
		const result = splitEvents(parse({ object: '@deep@', entry: [] }, { '@deep@': DEEP }));
		expect(result.ok).toBe(false);
		if (!result.ok)
			expect(result.reason).toMatch(/^"object" is .*, not "whatsapp_business_account"$/);
	});
});

describe('business-scoped user ids', () => {
	const BSUID = 'US.13491208655302741918';
	const PARENT = 'US.ENT.11815799212886844830';

	it('fills userId, username and the parent user id from the contact', () => {
		const [event] = events(
			body(
				change(PHONE_A, {
					messages: [usernameMessage('wamid.u2', 'hi')],
					contacts: [usernameContact(BSUID, 'anon_1', PARENT)],
				}),
			),
		);
		expect(event.customer).toEqual({
			id: BSUID,
			waId: null,
			userId: BSUID,
			profileName: 'Anon',
			username: 'anon_1',
			parentUserId: PARENT,
		});
		expect(event.dedupeKey).toBe('message:wamid.u2');
	});

	it('keys a customer with both a wa_id and a user id by the wa_id, and keeps the user id', () => {
		const [event] = events(
			body(
				change(PHONE_A, {
					messages: [{ ...usernameMessage('wamid.u3', 'hi'), from: '4915112345678' }],
					contacts: [{ ...usernameContact(), wa_id: '4915112345678' }],
				}),
			),
		);
		expect(event.customer).toMatchObject({ id: '4915112345678', userId: BSUID });
	});

	it('knows the customer of a status sent to a user id by recipient_user_id', () => {
		const item = { ...status('wamid.out-u', 'delivered'), recipient_user_id: BSUID };
		delete (item as { recipient_id?: string }).recipient_id;
		const [event] = events(body(change(PHONE_A, { statuses: [item] })));
		expect(event.customer).toMatchObject({ id: BSUID, userId: BSUID, waId: null });
		expect(event.dedupeKey).toBe('status:wamid.out-u:delivered');
	});

	it('types the system message user_changed_user_id as an identity change', () => {
		const message = usernameMessage('wamid.sys', '', BSUID, {
			type: 'system',
			text: undefined,
			system: {
				body: 'User A changed from US.134… to US.999…',
				type: 'user_changed_user_id',
				user_id: 'US.999',
				previous_user_id: BSUID,
			},
		});
		const [event] = events(body(change(PHONE_A, { messages: [message] })));
		expect(event).toMatchObject({
			kind: 'message',
			subtype: 'system',
			details: {
				type: 'identity_change',
				change: 'user_changed_user_id',
				userId: 'US.999',
				previousUserId: BSUID,
			},
		});
	});
});

describe('2026 events', () => {
	it('keeps group_id on a message sent in a group', () => {
		const [event] = events(
			body(
				change(PHONE_A, {
					messages: [{ ...textMessage('wamid.g1', 'hi all'), group_id: 'grp-1' }],
				}),
			),
		);
		expect(event).toMatchObject({ kind: 'message', groupId: 'grp-1', text: 'hi all' });
		const [plain] = events(body(change(PHONE_A, { messages: [textMessage('wamid.g2', 'x')] })));
		expect(plain).not.toHaveProperty('groupId');
	});

	it('reads pricing category and type of a status', () => {
		const [event] = events(body(change(PHONE_A, { statuses: [status('wamid.p', 'sent')] })));
		expect(event.pricing).toEqual({
			model: 'PMP',
			category: 'utility',
			type: 'regular',
			billable: true,
		});
		const free = {
			...status('wamid.p2', 'sent'),
			pricing: { pricing_model: 'PMP', category: 'service', type: 'free_customer_service' },
		};
		const [second] = events(body(change(PHONE_A, { statuses: [free] })));
		expect(second.pricing).toMatchObject({ type: 'free_customer_service', billable: null });
	});

	it('makes one call event per call, keyed by call id, event and status, with the caller', () => {
		const input = fieldChange('calls', {
			messaging_product: 'whatsapp',
			metadata: PHONE_A,
			contacts: [{ profile: { name: 'Zoë' }, wa_id: '4915112345678' }],
			calls: [
				{
					id: 'wacid.1',
					event: 'connect',
					direction: 'USER_INITIATED',
					from: '4915112345678',
					to: PHONE_A.display_phone_number,
					timestamp: '1730000800',
				},
				{
					id: 'wacid.1',
					event: 'terminate',
					status: 'COMPLETED',
					direction: 'USER_INITIATED',
					from: '4915112345678',
					to: PHONE_A.display_phone_number,
					start_time: '1730000800',
					end_time: '1730000833',
					duration: 33,
				},
			],
		});
		const [connect, terminate] = events(input);
		expect(connect).toMatchObject({
			kind: 'call',
			subtype: 'calls.connect',
			dedupeKey: 'call:wacid.1:connect:null',
			phoneNumberId: PHONE_A.phone_number_id,
			customer: { id: '4915112345678', profileName: 'Zoë' },
			timestamp: 1730000800,
		});
		expect(terminate).toMatchObject({
			subtype: 'calls.terminate',
			status: 'COMPLETED',
			details: { type: 'call', callId: 'wacid.1', durationSeconds: 33, endTime: 1730000833 },
		});
		expect(outputFor(terminate)).toBe(4);
		// A call the business placed: the customer is the one called.
		const [outbound] = events(
			fieldChange('calls', {
				metadata: PHONE_A,
				calls: [
					{ id: 'wacid.2', event: 'connect', direction: 'BUSINESS_INITIATED', to: '4915100000000' },
				],
			}),
		);
		expect(outbound.customer?.id).toBe('4915100000000');
		// A call without an id is kept as unknown, never dropped.
		expect(
			events(fieldChange('calls', { calls: [{ event: 'x' }] })).map((e) => [e.kind, e.subtype]),
		).toEqual([['unknown', 'calls']]);
	});

	it.each([
		'group_lifecycle_update',
		'group_participants_update',
		'group_settings_update',
		'group_status_update',
	])('types %s items as group events', (field) => {
		const item = {
			timestamp: '1730000900',
			group_id: 'grp-9',
			type: 'group_create',
			subject: 'VIP',
		};
		const [event] = events(
			fieldChange(field, { messaging_product: 'whatsapp', metadata: PHONE_A, groups: [item] }),
		);
		expect(event).toMatchObject({
			kind: 'group',
			subtype: `${field}.group_create`,
			text: 'VIP',
			details: { type: 'group', groupId: 'grp-9', event: 'group_create', subject: 'VIP' },
		});
		expect(event.dedupeKey).toMatch(new RegExp(`^group:${field}:grp-9:[0-9a-f]{32}$`));
		expect(events(fieldChange(field, { metadata: PHONE_A, groups: [item] }))[0].dedupeKey).toBe(
			event.dedupeKey,
		);
		// Without a groups array: one group event for the change.
		const [whole] = events(fieldChange(field, { group_id: 'grp-9', type: 'group_delete' }));
		expect(whole).toMatchObject({ kind: 'group', details: { groupId: 'grp-9' } });
		expect(outputFor(whole)).toBe(4);
	});

	it('sends Flow alerts and a throttled or blocked Flow to Failures with guidance; recoveries to Other', () => {
		const alert = events(
			fieldChange('flows', {
				event: 'ENDPOINT_ERROR_RATE',
				message: 'Endpoint error rate has reached 10%',
				flow_id: 'flow-1',
				alert_state: 'ACTIVATED',
				error_rate: 10,
				threshold: 5,
			}),
		)[0];
		expect(alert).toMatchObject({
			kind: 'account_update',
			subtype: 'flows',
			dedupeKey: `field:flows:${WABA_ID}:flow-1:ENDPOINT_ERROR_RATE:1730000700`,
			details: { type: 'flow_health', flowId: 'flow-1', failing: true, alertState: 'ACTIVATED' },
			errors: [{ title: 'ENDPOINT_ERROR_RATE', guidance: expect.stringMatching(/endpoint/) }],
		});
		expect(outputFor(alert)).toBe(3);
		for (const [newStatus, words] of [
			['THROTTLED', /10 sends per hour/],
			['BLOCKED', /blocked/],
		] as const) {
			const [moved] = events(
				fieldChange('flows', {
					event: 'FLOW_STATUS_CHANGE',
					flow_id: 'flow-1',
					old_status: 'PUBLISHED',
					new_status: newStatus,
				}),
			);
			expect(outputFor(moved)).toBe(3);
			expect(moved.errors[0].guidance).toMatch(words);
		}
		for (const value of [
			{ event: 'ENDPOINT_LATENCY', flow_id: 'flow-1', alert_state: 'DEACTIVATED' },
			{
				event: 'FLOW_STATUS_CHANGE',
				flow_id: 'flow-1',
				old_status: 'THROTTLED',
				new_status: 'PUBLISHED',
			},
		]) {
			const [fine] = events(fieldChange('flows', value));
			expect(fine.errors).toEqual([]);
			expect(outputFor(fine)).toBe(4);
		}
	});

	it('reads both shapes of template_category_update, keyed as before', () => {
		const [impending] = events(
			fieldChange('template_category_update', {
				message_template_id: 'tpl-1',
				message_template_name: 'order_update',
				message_template_language: 'en_US',
				correct_category: 'MARKETING',
				new_category: 'MARKETING',
				category_update_timestamp: 1730100000,
			}),
		);
		expect(impending).toMatchObject({
			kind: 'account_update',
			dedupeKey: `field:template_category_update:${WABA_ID}:tpl-1:MARKETING:1730000700`,
			details: {
				type: 'template_category',
				stage: 'impending',
				correctCategory: 'MARKETING',
				categoryUpdateTimestamp: 1730100000,
			},
		});
		const [completed] = events(
			fieldChange('template_category_update', {
				message_template_id: 'tpl-1',
				message_template_name: 'order_update',
				message_template_language: 'en_US',
				previous_category: 'UTILITY',
				new_category: 'MARKETING',
			}),
		);
		expect(completed.details).toMatchObject({
			stage: 'completed',
			previousCategory: 'UTILITY',
			newCategory: 'MARKETING',
		});
	});

	it('reads the 2026 limit field of phone_number_quality_update beside the old one', () => {
		const [event] = events(
			fieldChange('phone_number_quality_update', {
				display_phone_number: PHONE_A.display_phone_number,
				event: 'UPGRADE',
				max_daily_conversations_per_business: 10000,
			}),
		);
		expect(event).toMatchObject({
			kind: 'account_update',
			dedupeKey: `field:phone_number_quality_update:${WABA_ID}:${PHONE_A.display_phone_number}:UPGRADE:1730000700`,
			details: {
				type: 'phone_number_quality',
				event: 'UPGRADE',
				currentLimit: null,
				maxDailyConversationsPerBusiness: 10000,
			},
		});
		const [old] = events(
			fieldChange('phone_number_quality_update', {
				display_phone_number: PHONE_A.display_phone_number,
				event: 'FLAGGED',
				current_limit: 'TIER_1K',
			}),
		);
		expect(old.details).toMatchObject({ currentLimit: 'TIER_1K' });
	});

	it('still sends unknown fields to Other', () => {
		const [event] = events(fieldChange('brand_new_2027_field', { anything: 1 }));
		expect(event.kind).toBe('unknown');
		expect(outputFor(event)).toBe(4);
	});
});
