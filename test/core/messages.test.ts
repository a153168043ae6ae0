import {
	buildContacts,
	buildCtaUrl,
	buildFlow,
	buildList,
	buildLocation,
	buildMarkAsRead,
	buildMedia,
	buildReaction,
	buildReplyButtons,
	buildTemplate,
	buildText,
	checkUploadSize,
	LIMITS,
	mediaUploadBody,
	MessageValidationError,
	normalizePhone,
	normalizeRecipient,
	recipientId,
	parseGraphError,
	parseRetryAfter,
	parseSendResult,
} from '../../nodes/core/messages';
import { parseMultipart } from '../support/fakeGraphApi';

const to = '+1 (555) 010-1234';
const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '15550101234' };

/** Runs `fn` and returns the validation error it throws. */
function violation(fn: () => unknown): MessageValidationError {
	try {
		fn();
	} catch (error) {
		if (error instanceof MessageValidationError) return error;
		throw error;
	}
	throw new Error('expected a MessageValidationError');
}

describe('envelope', () => {
	it('normalises the recipient and adds reply context and correlation id (§3)', () => {
		expect(
			buildText({ to, replyToMessageId: 'wamid.ABC', correlationId: 'order-123' }, { body: 'Hi' }),
		).toEqual({
			...base,
			type: 'text',
			context: { message_id: 'wamid.ABC' },
			text: { body: 'Hi' },
			biz_opaque_callback_data: 'order-123',
		});
	});

	it('rejects a correlation id over 512 UTF-8 bytes, counting bytes not characters', () => {
		expect(() => buildText({ to, correlationId: 'x'.repeat(512) }, { body: 'Hi' })).not.toThrow();
		const error = violation(() =>
			buildText({ to, correlationId: 'é'.repeat(257) }, { body: 'Hi' }),
		);
		expect(error.field).toBe('Correlation ID');
		expect(error.limit).toBe('at most 512 bytes (UTF-8)');
	});

	it('rejects recipients that are not phone numbers', () => {
		expect(normalizePhone('To', '+49 151 2345-6789')).toBe('4915123456789');
		expect(violation(() => normalizePhone('To', 'abc')).field).toBe('To');
		expect(violation(() => normalizePhone('To', '1234567890123456')).limit).toMatch(/15 digits/);
		expect(violation(() => normalizePhone('To', '')).limit).toBe('required');
	});

	it('takes a phone number as to and a business-scoped user id as recipient', () => {
		expect(normalizeRecipient('To', '+49 151 2345-6789')).toEqual({ to: '4915123456789' });
		expect(normalizeRecipient('To', 4915123456789)).toEqual({ to: '4915123456789' });
		expect(normalizeRecipient('To', ' US.13491208655302741918 ')).toEqual({
			recipient: 'US.13491208655302741918',
		});
		expect(normalizeRecipient('To', 'US.ENT.11815799212886844830')).toEqual({
			recipient: 'US.ENT.11815799212886844830',
		});
		expect(recipientId({ recipient: 'US.1' })).toBe('US.1');
		expect(recipientId({ to: '4915123456789' })).toBe('4915123456789');
		// Phone notation keeps the phone number's errors.
		expect(violation(() => normalizeRecipient('To', '1234567890123456')).limit).toMatch(
			/15 digits/,
		);
		const neither = violation(() => normalizeRecipient('To', 'jane'));
		expect(neither.field).toBe('To');
		expect(neither.limit).toMatch(/phone number .* or a business-scoped user id/);
		expect(violation(() => normalizeRecipient('To', `US.${'1'.repeat(129)}`)).field).toBe('To');
		expect(violation(() => normalizeRecipient('To', 'us.123')).field).toBe('To');
		expect(violation(() => normalizeRecipient('To', '  ')).limit).toBe('required');
	});

	it('puts a business-scoped user id in recipient and never in to', () => {
		expect(buildText({ to: 'US.13491208655302741918' }, { body: 'Hi' })).toEqual({
			messaging_product: 'whatsapp',
			recipient_type: 'individual',
			recipient: 'US.13491208655302741918',
			type: 'text',
			text: { body: 'Hi' },
		});
	});

	it('reads message_status held_for_quality_assessment and a user_id contact from a send answer', () => {
		expect(
			parseSendResult({
				messaging_product: 'whatsapp',
				contacts: [{ input: 'US.13491208655302741918', user_id: 'US.13491208655302741918' }],
				messages: [{ id: 'wamid.H', message_status: 'held_for_quality_assessment' }],
			}),
		).toEqual({
			messageId: 'wamid.H',
			waId: 'US.13491208655302741918',
			messageStatus: 'held_for_quality_assessment',
			input: 'US.13491208655302741918',
		});
	});
});

describe('text', () => {
	it('builds text with and without link preview', () => {
		expect(buildText({ to }, { body: 'See https://example.com', previewUrl: true })).toEqual({
			...base,
			type: 'text',
			text: { preview_url: true, body: 'See https://example.com' },
		});
		expect(buildText({ to }, { body: 'Hi' }).text).toEqual({ body: 'Hi' });
	});

	it('enforces 4096 characters', () => {
		expect(() => buildText({ to }, { body: 'a'.repeat(LIMITS.textBody) })).not.toThrow();
		const error = violation(() => buildText({ to }, { body: 'a'.repeat(4097) }));
		expect(error).toMatchObject({ field: 'Text', limit: 'at most 4096 characters' });
		expect(error.message).toBe('Text: is 4097 characters long; the limit is 4096');
	});
});

describe('media', () => {
	it.each(['image', 'video', 'audio', 'document', 'sticker'] as const)(
		'builds %s by id and by link',
		(kind) => {
			expect(buildMedia({ to }, kind, { media: { id: '12345' } })).toEqual({
				...base,
				type: kind,
				[kind]: { id: '12345' },
			});
			expect(buildMedia({ to }, kind, { media: { link: 'https://example.com/f' } })[kind]).toEqual({
				link: 'https://example.com/f',
			});
		},
	);

	it('adds caption and filename where Meta allows them', () => {
		expect(
			buildMedia({ to }, 'document', {
				media: { id: '1' },
				caption: 'Invoice',
				filename: 'invoice.pdf',
			}).document,
		).toEqual({ id: '1', caption: 'Invoice', filename: 'invoice.pdf' });
		expect(
			violation(() => buildMedia({ to }, 'audio', { media: { id: '1' }, caption: 'x' })).field,
		).toBe('Caption');
		expect(
			violation(() => buildMedia({ to }, 'sticker', { media: { id: '1' }, caption: 'x' })).field,
		).toBe('Caption');
		expect(
			violation(() => buildMedia({ to }, 'image', { media: { id: '1' }, filename: 'x' })).field,
		).toBe('File Name');
		expect(
			violation(() =>
				buildMedia({ to }, 'image', { media: { id: '1' }, caption: 'c'.repeat(1025) }),
			).limit,
		).toBe('at most 1024 characters');
	});

	it('rejects links that are not http(s) and empty ids', () => {
		expect(
			violation(() => buildMedia({ to }, 'image', { media: { link: 'ftp://x/y' } })).field,
		).toBe('Media URL');
		expect(
			violation(() => buildMedia({ to }, 'image', { media: { link: 'not a url' } })).field,
		).toBe('Media URL');
		expect(violation(() => buildMedia({ to }, 'image', { media: { id: ' ' } })).field).toBe(
			'Media ID',
		);
	});

	it("checks Meta's upload size per kind", () => {
		expect(() => checkUploadSize('image', 5 * 1024 * 1024)).not.toThrow();
		expect(violation(() => checkUploadSize('image', 5 * 1024 * 1024 + 1)).limit).toBe(
			'image files up to 5 MB',
		);
		expect(violation(() => checkUploadSize('sticker', 600 * 1024)).limit).toBe(
			'sticker files up to 500 KB',
		);
		expect(violation(() => checkUploadSize('document', 0)).limit).toBe('a non-empty file');
	});

	it('builds a multipart upload body the Graph API (and the fake) can read', () => {
		const { body, contentType } = mediaUploadBody(
			Buffer.from([0, 1, 2, 255]),
			'a"b.png',
			'image/png',
			'BOUNDARY',
		);
		expect(contentType).toBe('multipart/form-data; boundary=BOUNDARY');
		const fields = parseMultipart(body, 'BOUNDARY');
		expect(fields.map((f) => f.name)).toEqual(['messaging_product', 'type', 'file']);
		expect(fields[0].data.toString()).toBe('whatsapp');
		expect(fields[1].data.toString()).toBe('image/png');
		expect(fields[2]).toMatchObject({ filename: 'a%22b.png', contentType: 'image/png' });
		expect([...fields[2].data]).toEqual([0, 1, 2, 255]);
	});
});

describe('location, contacts, reaction', () => {
	it('builds a location', () => {
		expect(
			buildLocation(
				{ to },
				{ latitude: '52.52', longitude: 13.405, name: 'Office', address: 'Berlin' },
			),
		).toEqual({
			...base,
			type: 'location',
			location: { latitude: 52.52, longitude: 13.405, name: 'Office', address: 'Berlin' },
		});
		expect(violation(() => buildLocation({ to }, { latitude: 91, longitude: 0 })).limit).toBe(
			'a number from -90 to 90',
		);
		expect(violation(() => buildLocation({ to }, { latitude: 0, longitude: -181 })).field).toBe(
			'Longitude',
		);
	});

	it('builds contacts from JSON (one card or a list) and names the failing path', () => {
		const card = {
			name: { formatted_name: 'Jane Doe', first_name: 'Jane' },
			phones: [{ phone: '+15551234567', type: 'WORK' }],
		};
		expect(buildContacts({ to }, JSON.stringify(card)).contacts).toEqual([card]);
		expect(buildContacts({ to }, [card, card]).contacts).toHaveLength(2);
		expect(violation(() => buildContacts({ to }, '{"name":{"formatted_name":"X"}}')).field).toBe(
			'Contacts (JSON)[0].name',
		);
		expect(violation(() => buildContacts({ to }, '{oops')).limit).toBe('valid JSON');
		expect(violation(() => buildContacts({ to }, '[]')).limit).toBe('at least one contact');
		expect(violation(() => buildContacts({ to }, { ...card, birthday: '1.1.2000' })).field).toBe(
			'Contacts (JSON)[0].birthday',
		);
	});

	it('builds a reaction and its removal', () => {
		expect(buildReaction({ to }, { messageId: 'wamid.X', emoji: '👍' })).toEqual({
			...base,
			type: 'reaction',
			reaction: { message_id: 'wamid.X', emoji: '👍' },
		});
		expect(buildReaction({ to }, { messageId: 'wamid.X', emoji: '👍🏽' }).reaction).toEqual({
			message_id: 'wamid.X',
			emoji: '👍🏽',
		});
		expect(buildReaction({ to }, { messageId: 'wamid.X', remove: true }).reaction).toEqual({
			message_id: 'wamid.X',
			emoji: '',
		});
		expect(
			violation(() => buildReaction({ to }, { messageId: 'wamid.X', emoji: '👍👍' })).limit,
		).toBe('exactly one emoji');
		expect(
			violation(() => buildReaction({ to }, { messageId: 'wamid.X', emoji: 'ok' })).limit,
		).toBe('exactly one emoji');
		expect(violation(() => buildReaction({ to }, { messageId: '', emoji: '👍' })).field).toBe(
			'Message ID',
		);
	});
});

describe('interactive', () => {
	const parts = {
		header: { type: 'text' as const, text: 'Order 123' },
		body: 'Is this right?',
		footer: 'Shop',
	};

	it('builds reply buttons (§3)', () => {
		expect(
			buildReplyButtons({ to }, parts, [
				{ id: 'yes', title: 'Yes' },
				{ id: 'no', title: 'No' },
			]),
		).toEqual({
			...base,
			type: 'interactive',
			interactive: {
				type: 'button',
				header: { type: 'text', text: 'Order 123' },
				body: { text: 'Is this right?' },
				footer: { text: 'Shop' },
				action: {
					buttons: [
						{ type: 'reply', reply: { id: 'yes', title: 'Yes' } },
						{ type: 'reply', reply: { id: 'no', title: 'No' } },
					],
				},
			},
		});
	});

	it('enforces button count, title and id limits and uniqueness', () => {
		const four = [1, 2, 3, 4].map((n) => ({ id: `b${n}`, title: `B${n}` }));
		expect(violation(() => buildReplyButtons({ to }, parts, four))).toMatchObject({
			field: 'Buttons',
			limit: 'at most 3 buttons',
		});
		expect(violation(() => buildReplyButtons({ to }, parts, []))).toMatchObject({
			field: 'Buttons',
		});
		expect(
			violation(() => buildReplyButtons({ to }, parts, [{ id: 'a', title: 'x'.repeat(21) }])),
		).toMatchObject({ field: 'Button 1 Title', limit: 'at most 20 characters' });
		expect(
			violation(() => buildReplyButtons({ to }, parts, [{ id: 'i'.repeat(257), title: 'x' }])),
		).toMatchObject({ field: 'Button 1 ID', limit: 'at most 256 characters' });
		expect(
			violation(() => buildReplyButtons({ to }, parts, [{ id: ' a', title: 'x' }])).limit,
		).toBe('no leading or trailing spaces');
		expect(
			violation(() =>
				buildReplyButtons({ to }, parts, [
					{ id: 'a', title: 'x' },
					{ id: 'a', title: 'y' },
				]),
			).limit,
		).toBe('unique button IDs');
		expect(
			violation(() =>
				buildReplyButtons({ to }, parts, [
					{ id: 'a', title: 'x' },
					{ id: 'b', title: 'x' },
				]),
			).limit,
		).toBe('unique button titles');
	});

	it('checks body, header and footer lengths and header kinds', () => {
		const ok = [{ id: 'a', title: 'A' }];
		expect(
			violation(() => buildReplyButtons({ to }, { body: 'b'.repeat(1025) }, ok)),
		).toMatchObject({ field: 'Body Text', limit: 'at most 1024 characters' });
		expect(
			violation(() => buildReplyButtons({ to }, { body: 'b', footer: 'f'.repeat(61) }, ok)),
		).toMatchObject({ field: 'Footer Text', limit: 'at most 60 characters' });
		expect(
			violation(() =>
				buildReplyButtons(
					{ to },
					{ body: 'b', header: { type: 'text', text: 'h'.repeat(61) } },
					ok,
				),
			).field,
		).toBe('Header Text');
		expect(
			buildReplyButtons(
				{ to },
				{ body: 'b', header: { type: 'image', media: { link: 'https://x.test/i.png' } } },
				ok,
			).interactive,
		).toMatchObject({
			header: { type: 'image', image: { link: 'https://x.test/i.png' } },
		});
		expect(
			violation(() =>
				buildList({ to }, { body: 'b', header: { type: 'image', media: { id: '1' } } }, 'Pick', [
					{ rows: [{ id: 'r', title: 'R' }] },
				]),
			).field,
		).toBe('Header Type');
	});

	it('builds a list with sections and rows (§3)', () => {
		const sections = [
			{
				title: 'Pizza',
				rows: [{ id: 'p1', title: 'Margherita', description: 'Tomato, mozzarella' }],
			},
			{ title: 'Drinks', rows: [{ id: 'd1', title: 'Water' }] },
		];
		expect(
			buildList({ to }, { body: 'Menu' }, 'Choose', JSON.stringify(sections)).interactive,
		).toEqual({
			type: 'list',
			body: { text: 'Menu' },
			action: { button: 'Choose', sections },
		});
	});

	it('enforces list limits', () => {
		const rows = (n: number, prefix = 'r') =>
			Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, title: `Row ${i}` }));
		expect(
			violation(() =>
				buildList({ to }, { body: 'b' }, 'Choose', [
					{ rows: rows(3) },
					{ title: 'B', rows: rows(3, 's') },
				]),
			),
		).toMatchObject({ field: 'Sections (JSON)[0].title' });
		expect(
			violation(() =>
				buildList({ to }, { body: 'b' }, 'Choose', [
					{ title: 'A', rows: rows(6) },
					{ title: 'B', rows: rows(5, 's') },
				]),
			).limit,
		).toBe('at most 10 rows in all sections together');
		const eleven = Array.from({ length: 11 }, (_, i) => ({
			title: `S${i}`,
			rows: [{ id: `r${i}`, title: 'x' }],
		}));
		expect(violation(() => buildList({ to }, { body: 'b' }, 'Choose', eleven)).limit).toBe(
			'at most 10 sections',
		);
		expect(
			violation(() => buildList({ to }, { body: 'b' }, 'x'.repeat(21), [{ rows: rows(1) }])).field,
		).toBe('List Button Text');
		expect(
			violation(() =>
				buildList({ to }, { body: 'b' }, 'Choose', [
					{ rows: [{ id: 'r', title: 't'.repeat(25) }] },
				]),
			).field,
		).toBe('Sections (JSON)[0].rows[0].title');
		expect(
			violation(() =>
				buildList({ to }, { body: 'b' }, 'Choose', [
					{ rows: [{ id: 'r', title: 't', description: 'd'.repeat(73) }] },
				]),
			).limit,
		).toBe('at most 72 characters');
		expect(
			violation(() =>
				buildList({ to }, { body: 'b' }, 'Choose', [{ title: 's'.repeat(25), rows: rows(1) }]),
			).field,
		).toBe('Sections (JSON)[0].title');
		expect(
			violation(() =>
				buildList({ to }, { body: 'b' }, 'Choose', [
					{
						rows: [
							{ id: 'a', title: 'x' },
							{ id: 'a', title: 'y' },
						],
					},
				]),
			).limit,
		).toBe('unique row IDs');
		expect(violation(() => buildList({ to }, { body: 'b' }, 'Choose', [{ rows: [] }])).field).toBe(
			'Sections (JSON)[0].rows',
		);
	});

	it('builds a CTA URL button (§3)', () => {
		expect(
			buildCtaUrl({ to }, { body: 'Track it' }, 'Track', 'https://example.com/t/1').interactive,
		).toEqual({
			type: 'cta_url',
			body: { text: 'Track it' },
			action: {
				name: 'cta_url',
				parameters: { display_text: 'Track', url: 'https://example.com/t/1' },
			},
		});
		expect(
			violation(() => buildCtaUrl({ to }, { body: 'b' }, 'x'.repeat(21), 'https://e.x')).field,
		).toBe('Button Text');
		expect(violation(() => buildCtaUrl({ to }, { body: 'b' }, 'Go', 'example.com')).field).toBe(
			'Button URL',
		);
	});
});

describe('flow', () => {
	const flow = { body: 'Book now', cta: 'Book', mode: 'published' as const };

	it('builds navigate with flow id, token, screen and data (§3)', () => {
		expect(
			buildFlow(
				{ to },
				{
					...flow,
					flow: { id: '123' },
					flowToken: 'tok-1',
					action: 'navigate',
					screen: 'WELCOME',
					data: '{"name":"Jane"}',
				},
			).interactive,
		).toEqual({
			type: 'flow',
			body: { text: 'Book now' },
			action: {
				name: 'flow',
				parameters: {
					flow_message_version: '3',
					flow_token: 'tok-1',
					flow_id: '123',
					flow_cta: 'Book',
					mode: 'published',
					flow_action: 'navigate',
					flow_action_payload: { screen: 'WELCOME', data: { name: 'Jane' } },
				},
			},
		});
	});

	it('builds data_exchange by flow name in draft mode, without flow_action_payload', () => {
		const parameters = (
			buildFlow(
				{ to },
				{
					...flow,
					mode: 'draft',
					flow: { name: 'booking' },
					action: 'data_exchange',
					screen: 'IGNORED',
				},
			).interactive as { action: { parameters: object } }
		).action.parameters;
		expect(parameters).toEqual({
			flow_message_version: '3',
			flow_name: 'booking',
			flow_cta: 'Book',
			mode: 'draft',
			flow_action: 'data_exchange',
		});
	});

	it('omits empty screen data and validates CTA, screen and data', () => {
		const p = (
			buildFlow({ to }, { ...flow, flow: { id: '1' }, action: 'navigate', screen: 'S', data: '{}' })
				.interactive as { action: { parameters: Record<string, unknown> } }
		).action.parameters;
		expect(p.flow_action_payload).toEqual({ screen: 'S' });
		expect(
			violation(() =>
				buildFlow(
					{ to },
					{ ...flow, cta: 'x'.repeat(21), flow: { id: '1' }, action: 'data_exchange' },
				),
			).field,
		).toBe('Flow CTA');
		expect(
			violation(() =>
				buildFlow({ to }, { ...flow, cta: 'Go 🚀', flow: { id: '1' }, action: 'data_exchange' }),
			).limit,
		).toBe('no emoji');
		expect(
			violation(() =>
				buildFlow({ to }, { ...flow, flow: { id: '1' }, action: 'navigate', screen: '' }),
			).field,
		).toBe('First Screen');
		expect(
			violation(() =>
				buildFlow(
					{ to },
					{ ...flow, flow: { id: '1' }, action: 'navigate', screen: 'S', data: '[1]' },
				),
			).field,
		).toBe('Screen Data (JSON)');
		expect(
			violation(() => buildFlow({ to }, { ...flow, flow: { name: '' }, action: 'data_exchange' }))
				.field,
		).toBe('Flow Name');
		expect(
			violation(() =>
				buildFlow(
					{ to },
					{
						...flow,
						header: { type: 'image', media: { id: '1' } },
						flow: { id: '1' },
						action: 'data_exchange',
					},
				),
			).field,
		).toBe('Header Type');
	});
});

describe('template', () => {
	it('builds the full shape of §3: media header, text, currency and date-time body, quick reply, url and flow buttons', () => {
		const message = buildTemplate(
			{ to, correlationId: 'order-1' },
			{
				name: 'order_confirmation',
				language: 'en_US',
				header: { type: 'image', media: { id: '999' } },
				body: [
					{ type: 'text', text: 'Jane' },
					{ type: 'currency', code: 'usd', amount1000: 12990, fallback: '$12.99' },
					{ type: 'date_time', fallback: 'May 1, 2026' },
				],
				buttons: [
					{ subType: 'quick_reply', index: 0, payload: 'STOP' },
					{ subType: 'url', index: '1', text: 'track/123' },
					{ subType: 'flow', index: 2, flowToken: 'ft', flowActionData: '{"order":"123"}' },
				],
			},
		);
		expect(message).toEqual({
			...base,
			type: 'template',
			template: {
				name: 'order_confirmation',
				language: { policy: 'deterministic', code: 'en_US' },
				components: [
					{ type: 'header', parameters: [{ type: 'image', image: { id: '999' } }] },
					{
						type: 'body',
						parameters: [
							{ type: 'text', text: 'Jane' },
							{
								type: 'currency',
								currency: { fallback_value: '$12.99', code: 'USD', amount_1000: 12990 },
							},
							{ type: 'date_time', date_time: { fallback_value: 'May 1, 2026' } },
						],
					},
					{
						type: 'button',
						sub_type: 'quick_reply',
						index: '0',
						parameters: [{ type: 'payload', payload: 'STOP' }],
					},
					{
						type: 'button',
						sub_type: 'url',
						index: '1',
						parameters: [{ type: 'text', text: 'track/123' }],
					},
					{
						type: 'button',
						sub_type: 'flow',
						index: '2',
						parameters: [
							{ type: 'action', action: { flow_token: 'ft', flow_action_data: { order: '123' } } },
						],
					},
				],
			},
			biz_opaque_callback_data: 'order-1',
		});
	});

	it('builds named parameters, text/document/location headers and copy-code buttons', () => {
		const named = buildTemplate(
			{ to },
			{
				name: 't',
				language: 'de',
				parameterFormat: 'named',
				header: { type: 'text', text: 'Hallo', parameterName: 'greeting' },
				body: [{ type: 'text', text: 'Jane', name: 'first_name' }],
			},
		);
		expect((named.template as { components: unknown[] }).components).toEqual([
			{ type: 'header', parameters: [{ type: 'text', text: 'Hallo', parameter_name: 'greeting' }] },
			{ type: 'body', parameters: [{ type: 'text', text: 'Jane', parameter_name: 'first_name' }] },
		]);
		const doc = buildTemplate(
			{ to },
			{
				name: 't',
				language: 'en',
				header: { type: 'document', media: { link: 'https://x.test/a.pdf' }, filename: 'a.pdf' },
				buttons: [{ subType: 'copy_code', index: 0, couponCode: 'SAVE10' }],
			},
		);
		expect((doc.template as { components: unknown[] }).components).toEqual([
			{
				type: 'header',
				parameters: [
					{ type: 'document', document: { link: 'https://x.test/a.pdf', filename: 'a.pdf' } },
				],
			},
			{
				type: 'button',
				sub_type: 'copy_code',
				index: '0',
				parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }],
			},
		]);
		const loc = buildTemplate(
			{ to },
			{
				name: 't',
				language: 'en',
				header: {
					type: 'location',
					location: { latitude: 1, longitude: 2, name: 'Shop', address: 'Main St' },
				},
			},
		);
		expect((loc.template as { components: unknown[] }).components).toEqual([
			{
				type: 'header',
				parameters: [
					{
						type: 'location',
						location: { latitude: 1, longitude: 2, name: 'Shop', address: 'Main St' },
					},
				],
			},
		]);
		expect(buildTemplate({ to }, { name: 'hello_world', language: 'en_US' }).template).toEqual({
			name: 'hello_world',
			language: { policy: 'deterministic', code: 'en_US' },
		});
	});

	it('validates template parameters', () => {
		const t = { name: 't', language: 'en' };
		expect(violation(() => buildTemplate({ to }, { ...t, language: '' })).field).toBe(
			'Language Code',
		);
		expect(violation(() => buildTemplate({ to }, { ...t, name: '' })).field).toBe('Template');
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{ ...t, body: [{ type: 'currency', code: 'USD', amount1000: 0, fallback: '$0' }] },
				),
			).field,
		).toBe('Body Parameter 1 Amount × 1000');
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{ ...t, body: [{ type: 'currency', code: 'USD', amount1000: 1.5, fallback: '$0' }] },
				),
			).field,
		).toBe('Body Parameter 1 Amount × 1000');
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{ ...t, body: [{ type: 'currency', code: 'dollars', amount1000: 1, fallback: '$' }] },
				),
			).field,
		).toBe('Body Parameter 1 Currency Code');
		expect(
			violation(() => buildTemplate({ to }, { ...t, body: [{ type: 'date_time', fallback: '' }] }))
				.field,
		).toBe('Body Parameter 1 Fallback Value');
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{ ...t, parameterFormat: 'named', body: [{ type: 'text', text: 'x' }] },
				),
			).field,
		).toBe('Body Parameter 1 Name');
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{
						...t,
						parameterFormat: 'named',
						body: [{ type: 'text', text: 'x', name: 'First Name' }],
					},
				),
			).limit,
		).toMatch(/lowercase/);
		expect(
			violation(() =>
				buildTemplate({ to }, { ...t, header: { type: 'text', text: 'h'.repeat(61) } }),
			).limit,
		).toBe('at most 60 characters');
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{ ...t, header: { type: 'location', location: { latitude: 1, longitude: 2 } } },
				),
			).field,
		).toBe('Header Location Name');
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{ ...t, buttons: [{ subType: 'copy_code', index: 0, couponCode: 'C'.repeat(16) }] },
				),
			).limit,
		).toBe('at most 15 characters');
		expect(
			violation(() =>
				buildTemplate({ to }, { ...t, buttons: [{ subType: 'url', index: 10, text: 'x' }] }),
			).field,
		).toBe('Button 1 Index');
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{
						...t,
						buttons: [
							{ subType: 'quick_reply', index: 0, payload: 'a' },
							{ subType: 'quick_reply', index: 0, payload: 'b' },
						],
					},
				),
			).limit,
		).toBe('a different index per button');
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{ ...t, buttons: [{ subType: 'quick_reply', index: 0, payload: '' }] },
				),
			).field,
		).toBe('Button 1 Payload');
		expect(
			violation(() => buildTemplate({ to }, { ...t, extraComponents: '{"type":"carousel"}' }))
				.field,
		).toBe('Extra Components (JSON)');
	});

	it('allows 32768 body characters when the body is alone, 1024 otherwise', () => {
		const long = 'x'.repeat(2000);
		expect(() =>
			buildTemplate({ to }, { name: 't', language: 'en', body: [{ type: 'text', text: long }] }),
		).not.toThrow();
		expect(
			violation(() =>
				buildTemplate(
					{ to },
					{
						name: 't',
						language: 'en',
						header: { type: 'text', text: 'h' },
						body: [{ type: 'text', text: long }],
					},
				),
			).limit,
		).toBe('at most 1024 characters');
	});
});

describe('mark as read', () => {
	it('builds with and without typing indicator (§3)', () => {
		expect(buildMarkAsRead('wamid.IN')).toEqual({
			messaging_product: 'whatsapp',
			status: 'read',
			message_id: 'wamid.IN',
		});
		expect(buildMarkAsRead('wamid.IN', true)).toEqual({
			messaging_product: 'whatsapp',
			status: 'read',
			message_id: 'wamid.IN',
			typing_indicator: { type: 'text' },
		});
		expect(violation(() => buildMarkAsRead(' ')).field).toBe('Message ID');
	});
});

describe('responses', () => {
	it('reads the send answer (§3)', () => {
		expect(
			parseSendResult({
				messaging_product: 'whatsapp',
				contacts: [{ input: '+1 555', wa_id: '1555' }],
				messages: [{ id: 'wamid.A', message_status: 'held_for_quality_assessment' }],
			}),
		).toEqual({
			messageId: 'wamid.A',
			waId: '1555',
			messageStatus: 'held_for_quality_assessment',
			input: '+1 555',
		});
		expect(
			parseSendResult('{"messages":[{"id":"wamid.B"}],"contacts":[{"user_id":"US.1"}]}'),
		).toMatchObject({ messageId: 'wamid.B', waId: 'US.1', messageStatus: 'accepted' });
		expect(parseSendResult({ success: true })).toBeUndefined();
	});

	it("reads Meta's error shape, and plain-text bodies", () => {
		const body = {
			error: {
				message: '(#131047) Re-engagement message',
				type: 'OAuthException',
				code: 131047,
				error_data: { messaging_product: 'whatsapp', details: 'more than 24 hours' },
				fbtrace_id: 'Axyz',
			},
		};
		expect(parseGraphError(400, JSON.stringify(body))).toMatchObject({
			httpStatus: 400,
			code: 131047,
			message: '(#131047) Re-engagement message',
			details: 'more than 24 hours',
			fbtraceId: 'Axyz',
			type: 'OAuthException',
		});
		expect(parseGraphError(502, '<html>Bad Gateway</html>')).toMatchObject({
			httpStatus: 502,
			code: undefined,
			message: '<html>Bad Gateway</html>',
		});
		expect(parseGraphError(500, undefined).message).toBe('HTTP 500');
	});

	it('reads Retry-After in seconds and as a date', () => {
		const now = Date.parse('2026-01-01T00:00:00Z');
		expect(parseRetryAfter('3', now)).toBe(3000);
		expect(parseRetryAfter(['1.5'], now)).toBe(1500);
		expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
		expect(parseRetryAfter('soon', now)).toBeUndefined();
		expect(parseRetryAfter(undefined, now)).toBeUndefined();
	});
});
