import { buildCasePackage, unansweredInbound } from '../../nodes/core/casePackage';
import { ConversationBook, type Conversation } from '../../nodes/core/conversationRecord';
import { splitEvents } from '../../nodes/core/events';
import {
	escalate,
	expireLease,
	isWithHuman,
	newCaseId,
	release,
	takeResumedAfter,
	type EscalationRequest,
} from '../../nodes/core/lease';
import {
	body,
	change,
	flowReply,
	orderMessage,
	PHONE_A,
	status,
	textMessage,
} from '../support/payloads';

const CUSTOMER = '4915112345678';
const PNID = PHONE_A.phone_number_id;
const T0 = 1_730_000_000_000;
const MINUTE = 60_000;

const request = (overrides: Partial<EscalationRequest> = {}): EscalationRequest => ({
	reason: 'Refund request',
	rule: 'keywords',
	detail: '"refund*" in text',
	priority: 'high',
	assignee: 'support',
	leaseMs: 30 * MINUTE,
	...overrides,
});

function record(book: ConversationBook, value: Record<string, unknown>, now = T0): void {
	const split = splitEvents(body(change(PHONE_A, value)));
	if (!split.ok) throw new Error(split.reason);
	for (const event of split.events) book.recordEvent(event, now);
}

function fresh(): { book: ConversationBook; conversation: Conversation } {
	const book = new ConversationBook();
	return { book, conversation: book.open(PNID, CUSTOMER, T0) };
}

describe('escalate: one open case per conversation', () => {
	it('opens a case with a lease, and returns the same case to every further escalation', () => {
		const { conversation } = fresh();
		let ids = 0;
		const first = escalate(conversation, request(), T0, () => `case-${++ids}`);
		expect(first).toEqual({
			created: true,
			lease: {
				caseId: 'case-1',
				assignee: 'support',
				reason: 'Refund request',
				rule: 'keywords',
				detail: '"refund*" in text',
				priority: 'high',
				since: T0,
				expiresAt: T0 + 30 * MINUTE,
			},
		});
		const second = escalate(
			conversation,
			request({ reason: 'Another rule', priority: 'low' }),
			T0 + MINUTE,
			() => `case-${++ids}`,
		);
		expect(second).toEqual({ created: false, lease: first.lease });
		expect(ids).toBe(1);
		expect(conversation.data.casesOpened).toBe(1);
		expect(conversation.data.ownership.owner).toBe('human');
	});

	it('judges 1,000 escalations of one conversation interleaved with others: one case each', () => {
		const book = new ConversationBook();
		const cases = new Map<string, Set<string>>();
		for (let i = 0; i < 1000; i++) {
			const customer = String(100 + (i % 7));
			const result = escalate(book.open(PNID, customer, T0), request(), T0 + i);
			cases.set(customer, (cases.get(customer) ?? new Set()).add(result.lease.caseId));
		}
		expect([...cases.values()].map((s) => s.size)).toEqual([1, 1, 1, 1, 1, 1, 1]);
	});

	it('makes readable, unique case ids', () => {
		const ids = new Set(Array.from({ length: 200 }, () => newCaseId(T0)));
		expect(ids.size).toBe(200);
		expect([...ids][0]).toMatch(/^WA-20241027-[0-9a-f]{8}$/);
	});

	it('resets the unrecognised-turn count when a human takes over', () => {
		const { conversation } = fresh();
		conversation.countTurn('m1', false);
		conversation.countTurn('m2', false);
		escalate(conversation, request(), T0);
		expect(conversation.data.unrecognised.count).toBe(0);
		// the message that escalated is not counted again on a re-run
		expect(conversation.countTurn('m2', false)).toBe(0);
	});
});

describe('release and the lease', () => {
	it('returns the conversation to the bot on release, idempotently, and opens a new case next time', () => {
		const { conversation } = fresh();
		const { lease } = escalate(conversation, request(), T0);
		expect(release(conversation, 'bot', T0 + MINUTE)).toEqual({
			released: true,
			caseId: lease.caseId,
			previousOwner: 'human',
		});
		expect(conversation.data.ownership).toEqual({
			owner: 'bot',
			since: T0 + MINUTE,
			lease: null,
			resumedAfter: { caseId: lease.caseId, releasedAt: T0 + MINUTE, reason: 'manual' },
		});
		expect(release(conversation, 'bot', T0 + 2 * MINUTE)).toEqual({
			released: false,
			caseId: null,
			previousOwner: 'bot',
		});
		const again = escalate(conversation, request(), T0 + 3 * MINUTE);
		expect(again.created).toBe(true);
		expect(again.lease.caseId).not.toBe(lease.caseId);
		expect(conversation.data.casesOpened).toBe(2);
	});

	it('closes a conversation on request', () => {
		const { conversation } = fresh();
		escalate(conversation, request(), T0);
		expect(release(conversation, 'closed', T0 + 1)).toMatchObject({
			released: true,
			previousOwner: 'human',
		});
		expect(conversation.data.ownership.owner).toBe('closed');
		expect(release(fresh().conversation, 'closed', T0)).toEqual({
			released: false,
			caseId: null,
			previousOwner: 'bot',
		});
	});

	it('expires the lease when the conversation is next looked at, at the exact expiry', () => {
		const { conversation } = fresh();
		const { lease } = escalate(conversation, request({ leaseMs: 10 * MINUTE }), T0);
		expect(isWithHuman(conversation, T0 + 10 * MINUTE - 1)).toBe(true);
		expect(isWithHuman(conversation, T0 + 10 * MINUTE)).toBe(false);
		expect(conversation.data.ownership.resumedAfter).toEqual({
			caseId: lease.caseId,
			releasedAt: T0 + 10 * MINUTE,
			reason: 'lease_expired',
		});
		expect(expireLease(conversation, T0 + 11 * MINUTE)).toBe(false);
		expect(escalate(conversation, request(), T0 + 11 * MINUTE).created).toBe(true);
	});

	it('never expires a lease of 0 (only Release ends it)', () => {
		const { conversation } = fresh();
		escalate(conversation, request({ leaseMs: null }), T0);
		expect(isWithHuman(conversation, T0 + 365 * 86_400_000)).toBe(true);
		expect(conversation.data.ownership.lease?.expiresAt).toBeNull();
	});

	it('hands the released case to the first bot item exactly once', () => {
		const { conversation } = fresh();
		const { lease } = escalate(conversation, request(), T0);
		release(conversation, 'bot', T0 + 5);
		expect(takeResumedAfter(conversation)).toEqual({
			caseId: lease.caseId,
			releasedAt: T0 + 5,
			reason: 'manual',
		});
		expect(takeResumedAfter(conversation)).toBeNull();
	});

	it('lists what the customer wrote after the last answer, for the bot to pick up', () => {
		const { book, conversation } = fresh();
		record(book, { messages: [textMessage('wamid.1', 'refund please')] });
		book.recordOutbound(
			{
				phoneNumberId: PNID,
				customerId: CUSTOMER,
				messageId: 'wamid.o1',
				message: { type: 'text', text: { body: 'An agent will contact you' } },
				at: T0 + 1,
			},
			T0,
		);
		record(book, {
			messages: [
				textMessage('wamid.2', 'hello?', CUSTOMER, '1730000002'),
				textMessage('wamid.3', 'anyone?', CUSTOMER, '1730000003'),
			],
		});
		expect(unansweredInbound(conversation).map((l) => l.text)).toEqual(['hello?', 'anyone?']);
	});
});

describe('the case package', () => {
	it('carries the customer, both directions with statuses, orders, Flow answers and media links', () => {
		const { book, conversation } = fresh();
		book.recordOutbound(
			{
				phoneNumberId: PNID,
				customerId: CUSTOMER,
				messageId: 'wamid.conf',
				message: { type: 'template', template: { name: 'order_confirmation' } },
				correlationId: 'order-1001',
				at: T0 - 5000,
			},
			T0,
		);
		record(book, { statuses: [status('wamid.conf', 'read', { correlationId: 'order-1001' })] });
		record(book, { messages: [orderMessage('wamid.order')] });
		record(book, {
			messages: [flowReply('wamid.flow', 'claim-7', { problem: 'damaged', photo: true })],
		});
		record(book, {
			messages: [
				{
					from: CUSTOMER,
					id: 'wamid.photo',
					timestamp: '1730000400',
					type: 'image',
					image: { id: 'media-77', mime_type: 'image/jpeg', sha256: 'x', caption: 'the box' },
				},
			],
		});
		record(book, {
			messages: [textMessage('wamid.text', 'I want a refund', CUSTOMER, '1730000500')],
		});

		const trigger = {
			kind: 'message',
			text: 'I want a refund',
			raw: { huge: true },
			routing: { route: 'human' },
		};
		const result = escalate(conversation, request({ assignee: null }), T0);
		const pkg = buildCasePackage(conversation, result, trigger, {
			mediaLinkTemplate: 'https://n8n.example/webhook/media?id={id}',
		});

		expect(pkg).toMatchObject({
			caseId: result.lease.caseId,
			created: true,
			reason: 'Refund request',
			rule: 'keywords',
			priority: 'high',
			assignee: null,
			openedAt: new Date(T0).toISOString(),
			leaseExpiresAt: new Date(T0 + 30 * MINUTE).toISOString(),
			conversationKey: `${PNID}:${CUSTOMER}`,
			customer: { id: CUSTOMER, profileName: 'Zoë Müller' },
			orders: [
				{ correlationId: 'order-1001', messageId: 'wamid.conf', state: 'read', errorClass: null },
			],
			orderMessages: [{ messageId: 'wamid.order', total: 25, currency: 'EUR', items: 2 }],
			flowAnswers: [
				{
					messageId: 'wamid.flow',
					flowToken: 'claim-7',
					fields: { problem: 'damaged', photo: true },
				},
			],
			media: [
				{
					direction: 'inbound',
					messageId: 'wamid.photo',
					id: 'media-77',
					mimeType: 'image/jpeg',
					link: 'https://n8n.example/webhook/media?id=media-77',
				},
			],
			summary: { inbound: 4, outbound: 1, lastCustomerMessage: 'I want a refund' },
			trigger: { kind: 'message', text: 'I want a refund', routing: { route: 'human' } },
		});
		expect(pkg.trigger).not.toHaveProperty('raw');
		expect(pkg.transcript.map((l) => [l.direction, l.messageId, l.status ?? null])).toEqual([
			['outbound', 'wamid.conf', 'read'],
			['inbound', 'wamid.flow', null],
			['inbound', 'wamid.order', null],
			['inbound', 'wamid.photo', null],
			['inbound', 'wamid.text', null],
		]);
		expect(JSON.parse(JSON.stringify(pkg))).toEqual(pkg);

		const repeat = buildCasePackage(
			conversation,
			escalate(conversation, request(), T0 + 1),
			trigger,
			{ transcriptLimit: 2 },
		);
		expect(repeat).toMatchObject({ caseId: pkg.caseId, created: false });
		expect(repeat.transcript.map((l) => l.messageId)).toEqual(['wamid.photo', 'wamid.text']);
		expect(repeat.media[0].link).toBeNull();
	});
});
