/**
 * What conversations cost: bytes in the workflow's static data per transcript entry and per
 * conversation at capacity, heap per conversation, and the store cost n8n pays at the end of every
 * execution that touched the book (serialising it) and once per process start (restoring it). The
 * baseline, measured in the same run, is the trigger's dedupe store at its default capacity (20,000
 * keys), which every trigger execution already serialises. Not an assertion.
 *
 * Realistic shapes: wamids of Meta's length, inbound texts of ~60 characters, bot answers of ~90, one
 * order template with a correlation id per conversation, delivered + read applied to every send.
 *
 * Run: npm run bench (or: npx tsc -p tsconfig.bench.json && node --expose-gc .cache/bench/bench/conversation.bench.js)
 * Environment: CONVERSATION_BENCH_CONVERSATIONS (default 1000), CONVERSATION_BENCH_ROUNDS (default 7).
 */
import {
	ConversationBook,
	DEFAULT_BOOK_CONFIG,
	type OutboundRecord,
} from '../nodes/core/conversationRecord';
import { MemoryDedupeStore } from '../nodes/core/dedupeStore';
import type { WhatsAppEvent } from '../nodes/core/events';
import { escalate, isWithHuman } from '../nodes/core/lease';

const CONVERSATIONS = Number(
	process.env.CONVERSATION_BENCH_CONVERSATIONS ?? DEFAULT_BOOK_CONFIG.maxConversations,
);
const ROUNDS = Number(process.env.CONVERSATION_BENCH_ROUNDS ?? 7);
const ENTRIES = DEFAULT_BOOK_CONFIG.transcriptLength;
const PNID = '106540352242922';
const T0 = Date.UTC(2025, 0, 1);

let counter = 0;
const wamid = () =>
	`wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjQ1${(++counter).toString(16).toUpperCase().padStart(16, '0')}A`;
const customerOf = (i: number) => `49151${String(10_000_000 + i)}`;

const INBOUND = [
	'Hi, where is my order? I ordered it last week.',
	'Do you ship to Austria and how long does it take?',
	'Can I change the delivery address please?',
];
const ANSWERS = [
	'Orders ship within 1 to 2 working days; you get a tracking link by email once it leaves us.',
	'Yes, we ship to Austria. Delivery takes 3 to 5 working days after the order ships.',
	'You can change the address until the order ships: reply with the new address and the order number.',
];

function inbound(customer: string, text: string, second: number): WhatsAppEvent {
	return {
		kind: 'message',
		subtype: 'text',
		dedupeKey: '',
		field: 'messages',
		wabaId: '102290129340398',
		phoneNumberId: PNID,
		displayPhoneNumber: '15550783881',
		customer: {
			id: customer,
			waId: customer,
			userId: null,
			profileName: 'Zoë Müller',
			username: null,
		},
		messageId: wamid(),
		timestamp: second,
		timestampIso: null,
		text,
		context: null,
		reply: null,
		flow: null,
		order: null,
		media: null,
		reaction: null,
		status: null,
		correlationId: null,
		errors: [],
		raw: null,
	};
}

function statusEvent(
	customer: string,
	messageId: string,
	value: string,
	correlationId: string | null,
): WhatsAppEvent {
	return {
		...inbound(customer, '', 0),
		kind: 'status',
		subtype: value,
		messageId,
		status: value,
		correlationId,
		text: null,
		timestamp: null,
	};
}

function sent(
	customer: string,
	messageId: string,
	message: Record<string, unknown>,
	at: number,
	correlationId?: string,
): OutboundRecord {
	return {
		phoneNumberId: PNID,
		customerId: customer,
		messageId,
		message: { messaging_product: 'whatsapp', to: customer, ...message },
		correlationId,
		at,
	};
}

/** One conversation at capacity: an order template, then customer and bot taking turns; every send delivered and read. */
function fill(book: ConversationBook, customer: string): void {
	let at = T0;
	const deliver = (id: string, correlationId: string | null) => {
		for (const value of ['delivered', 'read'])
			book.recordEvent(statusEvent(customer, id, value, correlationId), at);
	};
	const template = wamid();
	book.recordOutbound(
		sent(
			customer,
			template,
			{
				type: 'template',
				template: {
					name: 'order_confirmation',
					language: { code: 'en_US' },
					components: [
						{
							type: 'body',
							parameters: [
								{ type: 'text', text: 'Zoë' },
								{ type: 'text', text: 'A-100234' },
							],
						},
					],
				},
			},
			at,
			'A-100234',
		),
		at,
	);
	deliver(template, 'A-100234');
	for (let i = 1; i < ENTRIES; i++) {
		at += 60_000;
		if (i % 2 === 1) {
			book.recordEvent(inbound(customer, INBOUND[i % INBOUND.length], Math.floor(at / 1000)), at);
		} else {
			const id = wamid();
			book.recordOutbound(
				sent(customer, id, { type: 'text', text: { body: ANSWERS[i % ANSWERS.length] } }, at),
				at,
			);
			deliver(id, null);
		}
	}
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

function cpuMs(fn: () => void): number {
	const started = process.cpuUsage();
	fn();
	const used = process.cpuUsage(started);
	return (used.user + used.system) / 1000;
}

function perEntry(): void {
	const book = new ConversationBook();
	const customer = customerOf(0);
	const empty = bytes(book.open(PNID, customer, T0).snapshot());
	book.recordEvent(inbound(customer, INBOUND[0], T0 / 1000), T0);
	const afterInbound = bytes(book.get(PNID, customer)!.snapshot());
	const id = wamid();
	book.recordOutbound(sent(customer, id, { type: 'text', text: { body: ANSWERS[0] } }, T0), T0);
	const afterOutbound = bytes(book.get(PNID, customer)!.snapshot());
	for (const value of ['delivered', 'read'])
		book.recordEvent(statusEvent(customer, id, value, null), T0);
	const afterStatuses = bytes(book.get(PNID, customer)!.snapshot());
	console.log(`  empty conversation record (profile, owner, counters):       ${empty} bytes`);
	console.log(
		`  + inbound text entry (${INBOUND[0].length} chars):                      ${afterInbound - empty} bytes`,
	);
	console.log(
		`  + outbound text entry (${ANSWERS[0].length} chars):                     ${afterOutbound - afterInbound} bytes`,
	);
	console.log(
		`  + its delivered and read statuses (ledger entry):          ${afterStatuses - afterOutbound} bytes`,
	);
	console.log(
		`  text-free overhead: inbound ${afterInbound - empty - INBOUND[0].length} bytes, outbound with statuses ${afterStatuses - afterInbound - ANSWERS[0].length} bytes`,
	);
}

function main(): void {
	console.log(
		`conversation bench: ${CONVERSATIONS} conversations x ${ENTRIES} entries (defaults), Node ${process.version}, median of ${ROUNDS} rounds (CPU time)`,
	);
	perEntry();

	const gc = (globalThis as { gc?: () => void }).gc;
	gc?.();
	const heapBefore = process.memoryUsage().heapUsed;
	const book = new ConversationBook();
	const fillMs = cpuMs(() => {
		for (let i = 0; i < CONVERSATIONS; i++) fill(book, customerOf(i));
	});
	gc?.();
	const heapPerConversation = (process.memoryUsage().heapUsed - heapBefore) / CONVERSATIONS;
	const one = bytes(book.get(PNID, customerOf(0))!.snapshot());
	const stored = JSON.stringify({ conversations: { toJSON: () => book.snapshot() } });
	console.log(
		`  one conversation at capacity (${ENTRIES} entries, 1 order, ${ENTRIES / 2} sends with statuses): ${one} bytes in static data, ${(heapPerConversation / 1024).toFixed(1)} kB heap`,
	);
	console.log(
		`  book at capacity: ${(Buffer.byteLength(stored) / 1e6).toFixed(2)} MB in static data (${book.size} conversations)`,
	);
	console.log(
		`  recording: ${((fillMs * 1000) / (CONVERSATIONS * (ENTRIES + ENTRIES))).toFixed(1)} us CPU per recorded message or status`,
	);

	const dedupe = new MemoryDedupeStore({ ttlMs: 7 * 86_400_000, capacity: 20_000 });
	for (let i = 0; i < 20_000; i++) dedupe.checkAndRecord([`message:${wamid()}`], Date.now());
	const dedupeBytes = bytes(dedupe.snapshot());

	const results = {
		dedupeSave: [] as number[],
		bookSave: [] as number[],
		bookRestore: [] as number[],
		gate: [] as number[],
	};
	for (let round = 0; round < ROUNDS; round++) {
		results.dedupeSave.push(
			cpuMs(() => JSON.stringify({ dedupe: { toJSON: () => dedupe.snapshot() } })),
		);
		results.bookSave.push(
			cpuMs(() => JSON.stringify({ conversations: { toJSON: () => book.snapshot() } })),
		);
		results.bookRestore.push(
			cpuMs(() => {
				const restored = new ConversationBook();
				restored.restore(JSON.parse(stored).conversations);
			}),
		);
		// The gate and the check-and-set of Escalate: what Route and Escalate do per item, before n8n.
		results.gate.push(
			cpuMs(() => {
				for (let i = 0; i < CONVERSATIONS; i++) {
					const conversation = book.open(PNID, customerOf(i), T0);
					if (!isWithHuman(conversation, T0))
						escalate(
							conversation,
							{
								reason: 'bench',
								rule: null,
								detail: null,
								priority: 'normal',
								assignee: null,
								leaseMs: 1,
							},
							T0,
						);
				}
			}) / CONVERSATIONS,
		);
	}
	const dedupeSave = median(results.dedupeSave);
	const bookSave = median(results.bookSave);
	console.log(
		`  baseline: trigger dedupe store, 20,000 keys: ${(dedupeBytes / 1e6).toFixed(2)} MB, serialised in ${dedupeSave.toFixed(1)} ms`,
	);
	console.log(
		`  book save at the end of an execution (JSON.stringify):      ${bookSave.toFixed(1)} ms  ratio ${(bookSave / dedupeSave).toFixed(2)} x dedupe store`,
	);
	console.log(
		`  book restore once per process start (JSON.parse + restore): ${median(results.bookRestore).toFixed(1)} ms`,
	);
	console.log(
		`  gate + escalate check-and-set per item:                     ${(median(results.gate) * 1000).toFixed(2)} us`,
	);
}

main();
