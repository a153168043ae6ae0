import { splitEvents, type WhatsAppEvent } from '../../nodes/core/events';
import {
	body,
	bodyWithEntries,
	buttonReply,
	change,
	flowReply,
	orderMessage,
	PHONE_A,
	PHONE_B,
	status,
	templateStatusUpdate,
	textMessage,
	valueError,
	WABA_ID,
} from '../support/payloads';

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
