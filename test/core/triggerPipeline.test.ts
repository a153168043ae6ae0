import { MemoryDedupeStore } from '../../nodes/core/dedupeStore';
import { splitEvents, type WhatsAppEvent } from '../../nodes/core/events';
import { StatusLedger } from '../../nodes/core/statusLedger';
import { admitEvents, settleEvents, type TriggerFilters } from '../../nodes/core/triggerPipeline';
import {
	body,
	change,
	flowReply,
	PHONE_A,
	PHONE_B,
	status,
	templateStatusUpdate,
	textMessage,
	valueError,
} from '../support/payloads';

const ALL: TriggerFilters = { kinds: [], phoneNumberIds: [] };

function split(input: unknown): WhatsAppEvent[] {
	const result = splitEvents(input);
	if (!result.ok) throw new Error(result.reason);
	return result.events;
}

function setup() {
	const store = new MemoryDedupeStore({ ttlMs: 7 * 86400_000, capacity: 1000 });
	const ledger = new StatusLedger(1000);
	const admit = (
		input: unknown,
		filters = ALL,
		now = 0,
		emitDuplicates = false,
		emitStale = false,
	) =>
		admitEvents(split(input), {
			filters,
			store,
			ledger,
			claimTtlMs: 10_000,
			emitDuplicates,
			emitStale,
			now,
		});
	const settle = (outputs: ReturnType<typeof admit>['outputs'], now = 1) =>
		settleEvents(outputs, { store, now }).map((items) => items.map(({ item }) => item));
	return { store, ledger, admit, settle };
}

const mixed = () =>
	body(
		change(PHONE_A, {
			messages: [textMessage('wamid.m1', 'hi'), flowReply('wamid.f1', 'tok', { a: 1 })],
			statuses: [status('wamid.o1', 'delivered'), status('wamid.o2', 'failed')],
		}),
		change(PHONE_B, {
			errors: [valueError(131000, 'boom')],
			statuses: [status('wamid.o3', 'read')],
		}),
	);

describe('admitEvents', () => {
	it('routes each kind to its output', () => {
		const { admit } = setup();
		const result = admit({
			...mixed(),
			entry: [
				...(mixed().entry as unknown[]),
				...(templateStatusUpdate('t1', 'APPROVED').entry as unknown[]),
			],
		});
		expect(result.outputs.map((items) => items.map((i) => i.dedupeKey))).toEqual([
			['message:wamid.m1'],
			['message:wamid.f1'],
			['status:wamid.o1:delivered', 'status:wamid.o3:read'],
			['status:wamid.o2:failed', expect.stringMatching(/^error:/)],
			[expect.stringMatching(/^field:message_template_status_update/)],
		]);
		expect(result).toMatchObject({
			received: 7,
			filtered: 0,
			duplicates: 0,
			hasNewEvents: true,
			answer: 'execute',
		});
	});

	it('drops redelivered events and starts nothing when all are duplicates', () => {
		const { admit, settle } = setup();
		settle(admit(mixed()).outputs);
		const again = admit(mixed(), ALL, 2);
		expect(again).toMatchObject({ duplicates: 6, hasNewEvents: false, answer: 'acknowledge' });
		expect(again.outputs.flat()).toHaveLength(0);
	});

	it('asks Meta to retry a body whose events are claimed but not yet confirmed, and releases its own claims', () => {
		const { admit, store } = setup();
		admit(body(change(PHONE_A, { messages: [textMessage('wamid.m1', 'hi')] })));
		const again = admit(mixed(), ALL, 1);
		expect(again).toMatchObject({ inFlight: 1, hasNewEvents: false, answer: 'retryLater' });
		expect(again.outputs.flat()).toHaveLength(0);
		expect(store.has('status:wamid.o1:delivered', 2)).toBe(false);
		expect(store.stateOf('message:wamid.m1', 2)).toBe('claimed');
	});

	it('emits duplicates flagged when asked, starting an execution for them alone', () => {
		const { admit, settle } = setup();
		settle(admit(mixed()).outputs);
		const again = admit(mixed(), ALL, 2, true);
		expect(again.outputs.flat().map((i) => i.duplicate)).toEqual(new Array(6).fill(true));
		expect(again).toMatchObject({ hasNewEvents: false, answer: 'execute' });
	});

	it('drops statuses the ledger already knows to be stale, before claiming anything', () => {
		const { admit, settle, store } = setup();
		settle(admit(body(change(PHONE_A, { statuses: [status('wamid.o', 'read')] }))).outputs);
		const late = admit(
			body(change(PHONE_A, { statuses: [status('wamid.o', 'delivered')] })),
			ALL,
			2,
		);
		expect(late).toMatchObject({ stale: 1, answer: 'acknowledge' });
		expect(store.has('status:wamid.o:delivered', 3)).toBe(false);
	});

	it('filters by phone number id and kind before recording, so another filter still sees the events', () => {
		const { admit } = setup();
		const onlyB = admit(mixed(), { kinds: [], phoneNumberIds: [PHONE_B.phone_number_id] });
		expect(onlyB.outputs.flat().map((i) => i.phoneNumberId)).toEqual([
			PHONE_B.phone_number_id,
			PHONE_B.phone_number_id,
		]);
		expect(onlyB.filtered).toBe(4);
		const onlyMessages = admit(mixed(), { kinds: ['message'], phoneNumberIds: [] });
		expect(onlyMessages.outputs.flat().map((i) => i.dedupeKey)).toEqual(['message:wamid.m1']);
	});

	it('lets account updates (no phone number) through a phone number filter', () => {
		const { admit } = setup();
		const result = admit(templateStatusUpdate('t1', 'APPROVED'), {
			kinds: [],
			phoneNumberIds: ['nope'],
		});
		expect(result.outputs[4]).toHaveLength(1);
	});

	it('re-admits an event whose claim was never confirmed once the claim expires', () => {
		const { admit } = setup();
		admit(body(change(PHONE_A, { messages: [textMessage('wamid.lost', 'x')] })), ALL, 0);
		expect(
			admit(body(change(PHONE_A, { messages: [textMessage('wamid.lost', 'x')] })), ALL, 9_999)
				.hasNewEvents,
		).toBe(false);
		expect(
			admit(body(change(PHONE_A, { messages: [textMessage('wamid.lost', 'x')] })), ALL, 10_000)
				.hasNewEvents,
		).toBe(true);
	});
});

describe('statuses judged at admission', () => {
	it('judges in arrival order, so executions that run in another order keep their statuses', () => {
		const { admit, settle } = setup();
		const delivered = admit(body(change(PHONE_A, { statuses: [status('wamid.o', 'delivered')] })));
		const read = admit(body(change(PHONE_A, { statuses: [status('wamid.o', 'read')] })));
		expect(settle(read.outputs)[2].map((i) => i.ledger?.verdict)).toEqual(['advanced']);
		expect(settle(delivered.outputs)[2].map((i) => i.ledger?.verdict)).toEqual(['advanced']);
		const late = admit(
			body(change(PHONE_A, { statuses: [status('wamid.o', 'delivered')] })),
			ALL,
			2,
		);
		expect(late).toMatchObject({ answer: 'acknowledge', duplicates: 1 });
	});

	it('re-admits a status whose execution never ran, while it is still the latest', () => {
		const { admit, settle } = setup();
		admit(body(change(PHONE_A, { statuses: [status('wamid.lost', 'read')] })), ALL, 0);
		const retried = admit(
			body(change(PHONE_A, { statuses: [status('wamid.lost', 'read')] })),
			ALL,
			10_000, // the claim expired: its execution never confirmed it
		);
		expect(retried.answer).toBe('execute');
		expect(settle(retried.outputs, 10_001)[2]).toEqual([
			expect.objectContaining({
				stale: false,
				ledger: expect.objectContaining({ verdict: 'advanced' }),
			}),
		]);
	});

	it('changes nothing when it asks Meta to retry', () => {
		const { admit, ledger } = setup();
		admit(body(change(PHONE_A, { messages: [textMessage('wamid.busy', 'x')] })));
		const both = admit(
			body(
				change(PHONE_A, {
					messages: [textMessage('wamid.busy', 'x')],
					statuses: [status('wamid.untouched', 'read')],
				}),
			),
			ALL,
			1,
		);
		expect(both.answer).toBe('retryLater');
		expect(ledger.current('wamid.untouched')).toBeNull();
	});
});

describe('settleEvents', () => {
	it('confirms claims so they last the full window', () => {
		const { admit, settle, store } = setup();
		settle(admit(body(change(PHONE_A, { messages: [textMessage('wamid.k', 'x')] }))).outputs);
		expect(store.has('message:wamid.k', 86400_000)).toBe(true);
	});

	it('lets only the first of two racing executions of a re-admitted event keep it', () => {
		const { admit, settle } = setup();
		const input = body(change(PHONE_A, { messages: [textMessage('wamid.race', 'x')] }));
		const original = admit(input, ALL, 0);
		const readmitted = admit(input, ALL, 20_000);
		expect(settle(readmitted.outputs, 20_001)[0]).toHaveLength(1);
		expect(settle(original.outputs, 20_002)[0]).toHaveLength(0);
	});

	it('drops stale statuses, or flags them when asked', () => {
		const { admit, settle } = setup();
		settle(admit(body(change(PHONE_A, { statuses: [status('wamid.o', 'read')] }))).outputs);
		const late = admit(body(change(PHONE_A, { statuses: [status('wamid.o', 'delivered')] })));
		expect(settle(late.outputs)[2]).toHaveLength(0);
		const later = admit(
			body(change(PHONE_A, { statuses: [status('wamid.o', 'sent')] })),
			ALL,
			2,
			false,
			true,
		);
		expect(settle(later.outputs, 2)[2]).toEqual([
			expect.objectContaining({
				stale: true,
				ledger: { verdict: 'stale', previous: 'read', current: 'read' },
			}),
		]);
	});

	it('drops a failure that follows a delivery, keeps one that precedes it', () => {
		const { admit, settle } = setup();
		const first = settle(
			admit(
				body(
					change(PHONE_A, {
						statuses: [status('wamid.x', 'failed'), status('wamid.y', 'delivered')],
					}),
				),
			).outputs,
		);
		expect(first[3].map((i) => i.messageId)).toEqual(['wamid.x']);
		const second = settle(
			admit(body(change(PHONE_A, { statuses: [status('wamid.y', 'failed')] }))).outputs,
		);
		expect(second[3]).toHaveLength(0);
	});
});
