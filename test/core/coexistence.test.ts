/**
 * The 2026 platform in the core: coexistence echoes and chat history, conversation routing handovers
 * and standby copies, typed from realistic bodies (test/support/payloads.ts) and recorded in the
 * conversation book: an echo hands the conversation to the person who replied from the app, history
 * changes no owner, Meta's thread owner is kept.
 */
import { ConversationBook, conversationView } from '../../nodes/core/conversationRecord';
import { splitEvents, type WhatsAppEvent } from '../../nodes/core/events';
import {
	escalate,
	holdForOwnerReply,
	isWithHuman,
	OWNER_REPLIED_FROM_APP,
	release,
	threadOwnedElsewhere,
} from '../../nodes/core/lease';
import { outputFor } from '../../nodes/core/triggerPipeline';
import {
	body,
	change,
	echoChange,
	echoMessage,
	fieldChange,
	handoverChange,
	historyChange,
	historyMessage,
	PHONE_A,
	standbyChange,
	textMessage,
	valueError,
} from '../support/payloads';

const CUSTOMER = '4915112345678';
const OTHER_CUSTOMER = '4915187654321';
const PNID = PHONE_A.phone_number_id;
const BUSINESS = PHONE_A.display_phone_number;
const MINUTE = 60_000;

function split(...changes: Array<Record<string, unknown>>): WhatsAppEvent[] {
	const result = splitEvents(body(...changes));
	if (!result.ok) throw new Error(result.reason);
	return result.events;
}

describe('events of the 2026 platform', () => {
	it('types an smb_message_echoes echo: the customer it went to, its text, id and time; it goes to Other', () => {
		const [echo] = split(echoChange([echoMessage('wamid.echo-1', 'I will call you in 5 minutes')]));
		expect(echo).toMatchObject({
			kind: 'echo',
			subtype: 'text',
			field: 'smb_message_echoes',
			dedupeKey: 'echo:wamid.echo-1',
			phoneNumberId: PNID,
			messageId: 'wamid.echo-1',
			text: 'I will call you in 5 minutes',
			timestamp: 1739321024,
			timestampIso: '2025-02-12T00:43:44.000Z',
			direction: 'outbound',
			customer: { id: CUSTOMER, waId: CUSTOMER },
		});
		expect(outputFor(echo)).toBe(4);
	});

	it('reads echoes of media and of a username customer (to_user_id, assumed)', () => {
		const [image, username] = split(
			echoChange([
				{
					from: BUSINESS,
					to: CUSTOMER,
					id: 'wamid.echo-img',
					timestamp: '1739321030',
					type: 'image',
					image: { id: 'media-1', mime_type: 'image/jpeg', caption: 'your invoice' },
				},
				{
					from: BUSINESS,
					to_user_id: 'US.13491208655302741918',
					id: 'wamid.echo-user',
					timestamp: '1739321031',
					type: 'text',
					text: { body: 'hi' },
				},
			]),
		);
		expect(image).toMatchObject({
			kind: 'echo',
			subtype: 'image',
			text: 'your invoice',
			media: { id: 'media-1', mimeType: 'image/jpeg' },
		});
		expect(username.customer).toMatchObject({
			id: 'US.13491208655302741918',
			userId: 'US.13491208655302741918',
		});
	});

	it('keeps a malformed echo and unknown keys of the change as unknown events', () => {
		const events = split({
			field: 'smb_message_echoes',
			value: {
				messaging_product: 'whatsapp',
				metadata: PHONE_A,
				message_echoes: [{ to: CUSTOMER, text: { body: 'no id' } }],
				brand_new: [1],
			},
		});
		expect(events.map((e) => [e.kind, e.subtype])).toEqual([
			['unknown', 'message_echoes'],
			['unknown', 'brand_new'],
		]);
	});

	it('types each message of a history chunk with its direction; the customer is the thread', () => {
		const events = split(
			historyChange(
				[
					{
						id: CUSTOMER,
						messages: [
							historyMessage('wamid.h1', 'Do you have size 42?', CUSTOMER, {
								timestamp: '1739230955',
							}),
							historyMessage('wamid.h2', 'Yes, in black', BUSINESS, {
								to: CUSTOMER,
								timestamp: '1739231000',
								status: 'read',
							}),
						],
					},
					{
						id: OTHER_CUSTOMER,
						messages: [historyMessage('wamid.h3', 'thanks', OTHER_CUSTOMER)],
					},
				],
				{ phase: 1, chunk_order: 3, progress: 40 },
			),
		);
		expect(events.map((e) => [e.kind, e.messageId, e.direction, e.customer?.id])).toEqual([
			['history', 'wamid.h1', 'inbound', CUSTOMER],
			['history', 'wamid.h2', 'outbound', CUSTOMER],
			['history', 'wamid.h3', 'inbound', OTHER_CUSTOMER],
		]);
		expect(events[1]).toMatchObject({
			subtype: 'text',
			text: 'Yes, in black',
			dedupeKey: 'history:wamid.h2',
			details: { type: 'history', phase: 1, chunkOrder: 3, progress: 40, status: 'read' },
		});
		expect(events.map(outputFor)).toEqual([4, 4, 4]);
	});

	it('reports a declined history as an error, and a chunk without messages as progress', () => {
		const declined = split({
			field: 'history',
			value: {
				messaging_product: 'whatsapp',
				metadata: PHONE_A,
				history: [{ errors: [valueError(2593109, 'History sharing declined by the business')] }],
			},
		});
		expect(declined).toHaveLength(1);
		expect(declined[0]).toMatchObject({ kind: 'error', subtype: '2593109' });

		const done = split(historyChange([], { phase: 2, chunk_order: 9, progress: 100 }));
		expect(done).toHaveLength(1);
		expect(done[0]).toMatchObject({
			kind: 'history',
			subtype: 'progress',
			details: { type: 'history', phase: 2, progress: 100 },
		});
		// the same chunk again is the same event
		expect(split(historyChange([], { phase: 2, chunk_order: 9, progress: 100 }))[0].dedupeKey).toBe(
			done[0].dedupeKey,
		);
	});

	it('types a handover (assumed shape): the event, the owner after it, the app ids, the customer', () => {
		const [taken] = split(
			handoverChange('control_taken', CUSTOMER, { newOwner: '111', previousOwner: '222' }),
		);
		expect(taken).toMatchObject({
			kind: 'handover',
			subtype: 'control_taken',
			customer: { id: CUSTOMER },
			timestamp: 1739321100,
			text: 'handed over by the business agent',
			details: {
				type: 'handover',
				event: 'control_taken',
				threadOwner: 'other',
				newOwnerAppId: '111',
				previousOwnerAppId: '222',
			},
		});
		expect(outputFor(taken)).toBe(4);
		const [passed] = split(handoverChange('control_passed', CUSTOMER, {}, '1739321100000'));
		expect(passed).toMatchObject({
			details: { threadOwner: 'this_app' },
			// a Messenger-style timestamp in ms is read as seconds
			timestamp: 1739321100,
		});
		expect(passed.dedupeKey).not.toBe(taken.dedupeKey);
		// Messenger's key names are read too
		const [messenger] = split({
			field: 'messaging_handovers',
			value: {
				metadata: PHONE_A,
				messaging_handovers: [{ from: CUSTOMER, pass_thread_control: { new_owner_app_id: '333' } }],
			},
		});
		expect(messenger.details).toMatchObject({
			event: 'pass_thread_control',
			threadOwner: 'this_app',
			newOwnerAppId: '333',
		});
	});

	it('keeps a handover it cannot read as unknown', () => {
		const events = split({
			field: 'messaging_handovers',
			value: { metadata: PHONE_A, messaging_handovers: [{ something: 'else' }] },
		});
		expect(events.map((e) => [e.kind, e.subtype])).toEqual([['unknown', 'messaging_handovers']]);
	});

	it('flags standby copies (assumed shape), keys them apart from the same message, and never puts them on Messages', () => {
		const [standby] = split(standbyChange([textMessage('wamid.s1', 'hello?')]));
		const [normal] = split(change(PHONE_A, { messages: [textMessage('wamid.s1', 'hello?')] }));
		expect(standby).toMatchObject({
			kind: 'message',
			standby: true,
			field: 'standby',
			text: 'hello?',
			customer: { id: CUSTOMER },
			dedupeKey: 'standby:message:wamid.s1',
		});
		expect(outputFor(standby)).toBe(4);
		expect(outputFor(normal)).toBe(0);
		expect(normal.standby).toBeUndefined();
		const [error] = split({ ...standbyChange([]), value: { errors: [valueError(131000, 'x')] } });
		expect(error).toMatchObject({ kind: 'error' });
		expect(error.standby).toBeUndefined();
	});

	it('still passes unknown fields, and message_echoes of other fields, to Other as unknown', () => {
		const [unknown] = splitEvents(fieldChange('brand_new_field', { a: 1 })).ok
			? (splitEvents(fieldChange('brand_new_field', { a: 1 })) as { events: WhatsAppEvent[] })
					.events
			: [];
		expect(unknown).toMatchObject({ kind: 'unknown', subtype: 'brand_new_field' });
		const [apiEcho] = split({
			...echoChange([echoMessage('wamid.api', 'sent by an app')]),
			field: 'message_echoes',
		});
		expect(apiEcho.kind).toBe('unknown');
		expect(outputFor(apiEcho)).toBe(4);
	});
});

describe('the conversation book and the 2026 platform', () => {
	const echoAt = 1739321024 * 1000;
	const echo = (id: string, text: string, timestamp = '1739321024') =>
		split(echoChange([echoMessage(id, text, CUSTOMER, timestamp)]))[0];
	const customerSays = (id: string, text: string) =>
		split(change(PHONE_A, { messages: [textMessage(id, text, CUSTOMER, '1739321000')] }))[0];

	it('records an echo as sent by a person from the app, and by default only records it', () => {
		const book = new ConversationBook();
		const now = echoAt + 1000;
		book.recordEvent(customerSays('wamid.in', 'is it in stock?'), now);
		expect(book.recordEvent(echo('wamid.e1', 'yes, two left'), now)).toBe('recorded');
		expect(book.recordEvent(echo('wamid.e1', 'yes, two left'), now)).toBe('duplicate');
		const conversation = book.get(PNID, CUSTOMER)!;
		expect(conversation.data.ownership.owner).toBe('bot');
		expect(conversationView(conversation).transcript).toEqual([
			expect.objectContaining({ direction: 'inbound', text: 'is it in stock?' }),
			expect.objectContaining({
				direction: 'outbound',
				messageId: 'wamid.e1',
				text: 'yes, two left',
				sentBy: 'human',
				sentFromApp: true,
			}),
		]);
	});

	it('hands the conversation to the person who replied from the app, for the lease from the reply', () => {
		const book = new ConversationBook();
		const now = echoAt + 2 * MINUTE;
		const options = { echoOwnership: { leaseMs: 30 * MINUTE } };
		book.recordEvent(echo('wamid.e1', 'I am on it'), now, options);
		const conversation = book.get(PNID, CUSTOMER)!;
		expect(conversation.data.ownership.owner).toBe('human');
		expect(conversation.data.ownership.lease).toMatchObject({
			reason: OWNER_REPLIED_FROM_APP,
			rule: null,
			since: echoAt,
			expiresAt: echoAt + 30 * MINUTE,
		});
		expect(conversation.data.casesOpened).toBe(1);
		// a later echo extends the same case
		const caseId = conversation.data.ownership.lease!.caseId;
		book.recordEvent(echo('wamid.e2', 'done', '1739321624'), now + 10 * MINUTE, options);
		expect(conversation.data.ownership.lease).toMatchObject({
			caseId,
			expiresAt: echoAt + 10 * MINUTE + 30 * MINUTE,
		});
		expect(conversation.data.casesOpened).toBe(1);
		// the lease runs out: back to the bot
		expect(isWithHuman(conversation, echoAt + 41 * MINUTE)).toBe(false);
	});

	it('does not hand over for an echo older than the lease, and keeps an open case without expiry open', () => {
		const book = new ConversationBook();
		const late = echoAt + 2 * 60 * MINUTE;
		book.recordEvent(echo('wamid.old', 'hi'), late, { echoOwnership: { leaseMs: 60 * MINUTE } });
		const conversation = book.get(PNID, CUSTOMER)!;
		expect(conversation.data.ownership.owner).toBe('bot');
		expect(conversation.data.transcript).toHaveLength(1);

		const held = escalate(
			conversation,
			{
				reason: 'Refund',
				rule: 'keywords',
				detail: null,
				priority: 'high',
				assignee: null,
				leaseMs: null,
			},
			late,
		);
		const result = holdForOwnerReply(conversation, 60 * MINUTE, late, late + 1);
		expect(result).toEqual({ lease: held.lease, created: false });
		expect(conversation.data.ownership.lease).toMatchObject({ reason: 'Refund', expiresAt: null });
	});

	it('records history as it was, changing no owner and no activity order', () => {
		const book = new ConversationBook();
		const now = 1739321024 * 1000;
		book.recordEvent(customerSays('wamid.in', 'hello'), now);
		const conversation = book.get(PNID, CUSTOMER)!;
		release(conversation, 'closed', now);
		const updatedAt = conversation.data.updatedAt;
		const history = split(
			historyChange([
				{
					id: CUSTOMER,
					messages: [
						historyMessage('wamid.h1', 'old question', CUSTOMER, { timestamp: '1739230955' }),
						historyMessage('wamid.h2', 'old answer', BUSINESS, {
							to: CUSTOMER,
							timestamp: '1739231000',
						}),
					],
				},
				{ id: OTHER_CUSTOMER, messages: [historyMessage('wamid.h3', 'hi', OTHER_CUSTOMER)] },
			]),
		);
		expect(history.map((e) => book.recordEvent(e, now))).toEqual([
			'recorded',
			'recorded',
			'recorded',
		]);
		expect(book.recordEvent(history[0], now)).toBe('duplicate');
		expect(conversation.data.ownership.owner).toBe('closed');
		expect(conversation.data.updatedAt).toBe(updatedAt);
		expect(conversationView(conversation).transcript.map((l) => [l.direction, l.text])).toEqual([
			['inbound', 'old question'],
			['outbound', 'old answer'],
			['inbound', 'hello'],
		]);
		expect(conversationView(conversation).transcript[1]).toMatchObject({
			sentBy: 'human',
			sentFromApp: true,
			fromHistory: true,
		});
		// a conversation history creates is as old as its message: older than every live one
		const other = book.get(PNID, OTHER_CUSTOMER)!;
		expect(other.data.ownership.owner).toBe('bot');
		expect(other.data.updatedAt).toBe(1739230955 * 1000);
		expect([...book.snapshot().conversations[`${PNID}:${OTHER_CUSTOMER}`].transcript]).toHaveLength(
			1,
		);
		expect(Object.keys(book.snapshot().conversations)[0]).toBe(`${PNID}:${OTHER_CUSTOMER}`);
	});

	it('ignores history of customers it does not know that is older than the retention', () => {
		const book = new ConversationBook({ retentionDays: 30 });
		const [old] = split(
			historyChange([
				{ id: OTHER_CUSTOMER, messages: [historyMessage('wamid.x', 'x', OTHER_CUSTOMER)] },
			]),
		);
		expect(book.recordEvent(old, 1739230955 * 1000 + 31 * 86_400_000)).toBe('ignored');
		expect(book.size).toBe(0);
	});

	it("records Meta's thread owner from handovers and standby copies, in order", () => {
		const book = new ConversationBook();
		const now = 1739321100 * 1000 + 1000;
		const [taken] = split(handoverChange('control_taken', CUSTOMER, { newOwner: '111' }));
		expect(book.recordEvent(taken, now)).toBe('recorded');
		const conversation = book.get(PNID, CUSTOMER)!;
		expect(threadOwnedElsewhere(conversation)).toEqual({
			owner: 'other',
			since: 1739321100 * 1000,
			appId: '111',
			via: 'control_taken',
		});
		expect(conversation.data.ownership.owner).toBe('bot');
		// an older report changes nothing
		const [olderPass] = split(handoverChange('control_passed', CUSTOMER, {}, '1739321000'));
		expect(book.recordEvent(olderPass, now)).toBe('duplicate');
		expect(threadOwnedElsewhere(conversation)).not.toBeNull();
		const [passed] = split(handoverChange('control_passed', CUSTOMER, {}, '1739321200'));
		expect(book.recordEvent(passed, now)).toBe('recorded');
		expect(threadOwnedElsewhere(conversation)).toBeNull();
		expect(conversationView(conversation).threadOwner).toMatchObject({
			owner: 'this_app',
			via: 'control_passed',
		});

		// a standby copy: another app owns the thread, and the message is in the transcript
		const [standby] = split(
			standbyChange([textMessage('wamid.s1', 'hello?', CUSTOMER, '1739321300')]),
		);
		expect(book.recordEvent(standby, now)).toBe('recorded');
		expect(threadOwnedElsewhere(conversation)).toMatchObject({ owner: 'other', via: 'standby' });
		expect(conversation.data.transcript.at(-1)).toMatchObject({ dir: 'in', text: 'hello?' });
	});

	it("reads a handover by the app ids when this app's id is known, and keeps the owner across a restore", () => {
		const book = new ConversationBook();
		const now = 1739321100 * 1000 + 1000;
		// named control_passed, but passed to another app: the app ids decide
		const [toOther] = split(handoverChange('control_passed', CUSTOMER, { newOwner: '999' }));
		book.recordEvent(toOther, now, { appId: '555' });
		expect(threadOwnedElsewhere(book.get(PNID, CUSTOMER)!)).toMatchObject({ appId: '999' });
		const [toUs] = split(
			handoverChange('control_passed', CUSTOMER, { newOwner: '555' }, '1739321200'),
		);
		book.recordEvent(toUs, now, { appId: '555' });
		expect(book.get(PNID, CUSTOMER)!.data.threadOwner).toMatchObject({
			owner: 'this_app',
			appId: '555',
		});

		const restored = new ConversationBook();
		restored.restore(JSON.parse(JSON.stringify(book.snapshot())));
		expect(restored.get(PNID, CUSTOMER)!.data.threadOwner).toEqual(
			book.get(PNID, CUSTOMER)!.data.threadOwner,
		);
	});
});
