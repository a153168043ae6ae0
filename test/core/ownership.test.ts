/**
 * Ownership where the message leaves: the bot-send check and its pending mark, the sender's declared
 * role in the transcript, and what the case package says about a bot message on its way.
 */
import { buildCasePackage } from '../../nodes/core/casePackage';
import { ConversationBook, conversationView } from '../../nodes/core/conversationRecord';
import { reviveConversation } from '../../nodes/core/conversationRecord/conversation';
import {
	checkBotSend,
	escalate,
	pendingBotSend,
	release,
	type EscalationRequest,
} from '../../nodes/core/lease';

const PNID = '106540352242922';
const CUSTOMER = '4915112345678';
const T0 = 1_730_000_000_000;
const MINUTE = 60_000;

const request = (leaseMs: number | null = 30 * MINUTE): EscalationRequest => ({
	reason: 'Refund request',
	rule: null,
	detail: null,
	priority: 'high',
	assignee: 'support',
	leaseMs,
});

const sent = (messageId: string, text: string, at: number) => ({
	phoneNumberId: PNID,
	customerId: CUSTOMER,
	messageId,
	message: { type: 'text', text: { body: text } },
	at,
});

function fresh() {
	const book = new ConversationBook();
	return { book, conversation: book.open(PNID, CUSTOMER, T0) };
}

describe('checkBotSend: the bot sends only while it owns the conversation', () => {
	it('allows the bot and marks its send pending until the given time', () => {
		const { conversation } = fresh();
		expect(checkBotSend(conversation, T0, T0 + MINUTE)).toEqual({ allowed: true });
		expect(conversation.data.pendingBotSend).toEqual({ at: T0, until: T0 + MINUTE });
		expect(pendingBotSend(conversation, T0 + MINUTE - 1)).not.toBeNull();
		expect(pendingBotSend(conversation, T0 + MINUTE)).toBeNull();
	});

	it('blocks while a human holds the case, with the lease, and marks nothing', () => {
		const { conversation } = fresh();
		const { lease } = escalate(conversation, request(), T0, () => 'case-1');
		expect(checkBotSend(conversation, T0 + 1, T0 + MINUTE)).toEqual({
			allowed: false,
			owner: 'human',
			lease,
		});
		expect(conversation.data.pendingBotSend ?? null).toBeNull();
	});

	it('blocks a closed conversation, and allows the bot again once the lease ran out', () => {
		const closed = fresh().conversation;
		release(closed, 'closed', T0);
		expect(checkBotSend(closed, T0 + 1, T0 + MINUTE)).toEqual({
			allowed: false,
			owner: 'closed',
			lease: null,
		});

		const { conversation } = fresh();
		escalate(conversation, request(MINUTE), T0, () => 'case-2');
		expect(checkBotSend(conversation, T0 + MINUTE, T0 + 2 * MINUTE)).toEqual({ allowed: true });
		expect(conversation.data.ownership.owner).toBe('bot');
	});

	it('an escalation after the check finds the bot message on its way; recording the send ends that', () => {
		const { book, conversation } = fresh();
		checkBotSend(conversation, T0, T0 + MINUTE);
		const result = escalate(conversation, request(), T0 + 1000, () => 'case-3');
		const casePackage = buildCasePackage(conversation, result, {});
		expect(casePackage.botMessageInFlight).toEqual({
			clearedAt: new Date(T0).toISOString(),
			until: new Date(T0 + MINUTE).toISOString(),
		});

		const other = fresh();
		checkBotSend(other.conversation, T0, T0 + MINUTE);
		other.book.recordOutbound({ ...sent('wamid.B1', 'answer', T0 + 500), sentBy: 'bot' }, T0 + 500);
		expect(other.conversation.data.pendingBotSend).toBeNull();
		const later = escalate(other.conversation, request(), T0 + 1000, () => 'case-4');
		expect(buildCasePackage(other.conversation, later, {}).botMessageInFlight).toBeNull();
		expect(book.size).toBe(1);
	});

	it('keeps the pending mark across a snapshot and restore', () => {
		const { conversation } = fresh();
		checkBotSend(conversation, T0, T0 + MINUTE);
		const revived = reviveConversation(JSON.parse(JSON.stringify(conversation.snapshot())), 40);
		expect(revived?.data.pendingBotSend).toEqual({ at: T0, until: T0 + MINUTE });
	});
});

describe('recordOutbound: the sender as declared', () => {
	it('records an automation sent during an open case as automation, a human agent as human', () => {
		const { book, conversation } = fresh();
		escalate(conversation, request(), T0, () => 'case-5');
		book.recordOutbound(
			{ ...sent('wamid.A1', 'Your order shipped', T0 + 1), sentBy: 'automation' },
			T0 + 1,
		);
		book.recordOutbound({ ...sent('wamid.H1', 'Hi, I am Ana', T0 + 2), sentBy: 'human' }, T0 + 2);
		book.recordOutbound({ ...sent('wamid.B1', 'bot', T0 + 3), sentBy: 'bot' }, T0 + 3);
		expect(
			conversationView(conversation).transcript.map((line) => [line.messageId, line.sentBy]),
		).toEqual([
			['wamid.A1', 'automation'],
			['wamid.H1', 'human'],
			['wamid.B1', 'bot'],
		]);
	});

	it('without a declared role, names whoever owns the conversation (as sends were recorded before)', () => {
		const { book, conversation } = fresh();
		book.recordOutbound(sent('wamid.1', 'before', T0), T0);
		escalate(conversation, request(), T0 + 1, () => 'case-6');
		book.recordOutbound(sent('wamid.2', 'during', T0 + 2), T0 + 2);
		expect(conversation.data.transcript.map((e) => e.by)).toEqual(['bot', 'human']);
	});
});
