import type { KeyState } from '../../../nodes/core/dedupeStore';
import { splitEvents, type WhatsAppEvent } from '../../../nodes/core/events';
import type { TriggerStore } from '../../../nodes/core/stateStore/types';
import {
	admitEvents,
	settleEvents,
	type TriggerFilters,
	type TriggerItem,
} from '../../../nodes/core/triggerPipeline';
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
} from '../payloads';

const ALL: TriggerFilters = { kinds: [], phoneNumberIds: [] };

function split(input: unknown): WhatsAppEvent[] {
	const result = splitEvents(input);
	if (!result.ok) throw new Error(result.reason);
	return result.events;
}

/** A fresh, empty store of one backend, and how to look inside it. */
export interface TriggerStoreUnderTest {
	store: TriggerStore;
	stateOf(key: string, now: number): Promise<KeyState | undefined>;
	currentStatus(messageId: string): Promise<string | null>;
}

export interface TriggerBackend {
	name: string;
	create(): Promise<TriggerStoreUnderTest>;
	/** True when the store follows the `now` a test passes (in-process); false when it keeps real time (Redis). */
	virtualTime: boolean;
}

/** The trigger's admission and settlement, the same for every backend of the trigger's state. */
export function describeTriggerPipeline(backend: TriggerBackend): void {
	const withVirtualTime = backend.virtualTime ? it : it.skip;

	async function setup() {
		const { store, stateOf, currentStatus } = await backend.create();
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
				claimTtlMs: 10_000,
				emitDuplicates,
				emitStale,
				now,
			});
		const settle = async (outputs: TriggerItem[][], now = 1) =>
			(await settleEvents(outputs, { store, now })).map((items) => items.map(({ item }) => item));
		return { stateOf, currentStatus, admit, settle };
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
		it('routes each kind to its output', async () => {
			const { admit } = await setup();
			const result = await admit({
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

		it('drops redelivered events and starts nothing when all are duplicates', async () => {
			const { admit, settle } = await setup();
			await settle((await admit(mixed())).outputs);
			const again = await admit(mixed(), ALL, 2);
			expect(again).toMatchObject({ duplicates: 6, hasNewEvents: false, answer: 'acknowledge' });
			expect(again.outputs.flat()).toHaveLength(0);
		});

		it('asks Meta to retry a body whose events are claimed but not yet confirmed, and releases its own claims', async () => {
			const { admit, stateOf } = await setup();
			await admit(body(change(PHONE_A, { messages: [textMessage('wamid.m1', 'hi')] })));
			const again = await admit(mixed(), ALL, 1);
			expect(again).toMatchObject({ inFlight: 1, hasNewEvents: false, answer: 'retryLater' });
			expect(again.outputs.flat()).toHaveLength(0);
			expect(await stateOf('status:wamid.o1:delivered', 2)).toBeUndefined();
			expect(await stateOf('message:wamid.m1', 2)).toBe('claimed');
		});

		it('emits duplicates flagged when asked, starting an execution for them alone', async () => {
			const { admit, settle } = await setup();
			await settle((await admit(mixed())).outputs);
			const again = await admit(mixed(), ALL, 2, true);
			expect(again.outputs.flat().map((i) => i.duplicate)).toEqual(new Array(6).fill(true));
			expect(again).toMatchObject({ hasNewEvents: false, answer: 'execute' });
		});

		it('drops statuses the ledger already knows to be stale, before claiming anything', async () => {
			const { admit, settle, stateOf } = await setup();
			await settle(
				(await admit(body(change(PHONE_A, { statuses: [status('wamid.o', 'read')] })))).outputs,
			);
			const late = await admit(
				body(change(PHONE_A, { statuses: [status('wamid.o', 'delivered')] })),
				ALL,
				2,
			);
			expect(late).toMatchObject({ stale: 1, answer: 'acknowledge' });
			expect(await stateOf('status:wamid.o:delivered', 3)).toBeUndefined();
		});

		it('filters by phone number id and kind before recording, so another filter still sees the events', async () => {
			const { admit } = await setup();
			const onlyB = await admit(mixed(), { kinds: [], phoneNumberIds: [PHONE_B.phone_number_id] });
			expect(onlyB.outputs.flat().map((i) => i.phoneNumberId)).toEqual([
				PHONE_B.phone_number_id,
				PHONE_B.phone_number_id,
			]);
			expect(onlyB.filtered).toBe(4);
			const onlyMessages = await admit(mixed(), { kinds: ['message'], phoneNumberIds: [] });
			expect(onlyMessages.outputs.flat().map((i) => i.dedupeKey)).toEqual(['message:wamid.m1']);
		});

		it('lets account updates (no phone number) through a phone number filter', async () => {
			const { admit } = await setup();
			const result = await admit(templateStatusUpdate('t1', 'APPROVED'), {
				kinds: [],
				phoneNumberIds: ['nope'],
			});
			expect(result.outputs[4]).toHaveLength(1);
		});

		withVirtualTime(
			're-admits an event whose claim was never confirmed once the claim expires',
			async () => {
				const { admit } = await setup();
				await admit(body(change(PHONE_A, { messages: [textMessage('wamid.lost', 'x')] })), ALL, 0);
				const lost = () => body(change(PHONE_A, { messages: [textMessage('wamid.lost', 'x')] }));
				expect((await admit(lost(), ALL, 9_999)).hasNewEvents).toBe(false);
				expect((await admit(lost(), ALL, 10_000)).hasNewEvents).toBe(true);
			},
		);
	});

	describe('statuses judged at admission', () => {
		it('judges in arrival order, so executions that run in another order keep their statuses', async () => {
			const { admit, settle } = await setup();
			const delivered = await admit(
				body(change(PHONE_A, { statuses: [status('wamid.o', 'delivered')] })),
			);
			const read = await admit(body(change(PHONE_A, { statuses: [status('wamid.o', 'read')] })));
			expect((await settle(read.outputs))[2].map((i) => i.ledger?.verdict)).toEqual(['advanced']);
			expect((await settle(delivered.outputs))[2].map((i) => i.ledger?.verdict)).toEqual([
				'advanced',
			]);
			const late = await admit(
				body(change(PHONE_A, { statuses: [status('wamid.o', 'delivered')] })),
				ALL,
				2,
			);
			expect(late).toMatchObject({ answer: 'acknowledge', duplicates: 1 });
		});

		withVirtualTime(
			're-admits a status whose execution never ran, while it is still the latest',
			async () => {
				const { admit, settle } = await setup();
				await admit(body(change(PHONE_A, { statuses: [status('wamid.lost', 'read')] })), ALL, 0);
				const retried = await admit(
					body(change(PHONE_A, { statuses: [status('wamid.lost', 'read')] })),
					ALL,
					10_000, // the claim expired: its execution never confirmed it
				);
				expect(retried.answer).toBe('execute');
				expect((await settle(retried.outputs, 10_001))[2]).toEqual([
					expect.objectContaining({
						stale: false,
						ledger: expect.objectContaining({ verdict: 'advanced' }),
					}),
				]);
			},
		);

		it('changes nothing when it asks Meta to retry', async () => {
			const { admit, currentStatus } = await setup();
			await admit(body(change(PHONE_A, { messages: [textMessage('wamid.busy', 'x')] })));
			const both = await admit(
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
			expect(await currentStatus('wamid.untouched')).toBeNull();
		});
	});

	describe('settleEvents', () => {
		it('confirms claims so they last the full window', async () => {
			const { admit, settle, stateOf } = await setup();
			await settle(
				(await admit(body(change(PHONE_A, { messages: [textMessage('wamid.k', 'x')] })))).outputs,
			);
			expect(await stateOf('message:wamid.k', 86400_000)).toBe('confirmed');
		});

		withVirtualTime(
			'lets only the first of two racing executions of a re-admitted event keep it',
			async () => {
				const { admit, settle } = await setup();
				const input = body(change(PHONE_A, { messages: [textMessage('wamid.race', 'x')] }));
				const original = await admit(input, ALL, 0);
				const readmitted = await admit(input, ALL, 20_000);
				expect((await settle(readmitted.outputs, 20_001))[0]).toHaveLength(1);
				expect((await settle(original.outputs, 20_002))[0]).toHaveLength(0);
			},
		);

		it('drops stale statuses, or flags them when asked', async () => {
			const { admit, settle } = await setup();
			await settle(
				(await admit(body(change(PHONE_A, { statuses: [status('wamid.o', 'read')] })))).outputs,
			);
			const late = await admit(
				body(change(PHONE_A, { statuses: [status('wamid.o', 'delivered')] })),
			);
			expect((await settle(late.outputs))[2]).toHaveLength(0);
			const later = await admit(
				body(change(PHONE_A, { statuses: [status('wamid.o', 'sent')] })),
				ALL,
				2,
				false,
				true,
			);
			expect((await settle(later.outputs, 2))[2]).toEqual([
				expect.objectContaining({
					stale: true,
					ledger: { verdict: 'stale', previous: 'read', current: 'read' },
				}),
			]);
		});

		it('drops a failure that follows a delivery, keeps one that precedes it', async () => {
			const { admit, settle } = await setup();
			const first = await settle(
				(
					await admit(
						body(
							change(PHONE_A, {
								statuses: [status('wamid.x', 'failed'), status('wamid.y', 'delivered')],
							}),
						),
					)
				).outputs,
			);
			expect(first[3].map((i) => i.messageId)).toEqual(['wamid.x']);
			const second = await settle(
				(await admit(body(change(PHONE_A, { statuses: [status('wamid.y', 'failed')] })))).outputs,
			);
			expect(second[3]).toHaveLength(0);
		});
	});
}
