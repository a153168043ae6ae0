import { randomBytes } from 'node:crypto';
import { NodeOperationError } from 'n8n-workflow';

import { fallbackReply, type FlowHttpAnswer } from '../../nodes/core/flowEndpoint';
import { WhatsAppFlowRespond } from '../../nodes/WhatsAppFlowRespond/WhatsAppFlowRespond.node';
import { FlowExchangeRegistry, flowExchanges } from '../../nodes/shared/flowExchangeRegistry';
import { decryptFlowResponseAsClient } from '../fixtures/flow/flowClient';
import { executeContext } from '../fixtures/flow/n8nMocks';

const respond = new WhatsAppFlowRespond();

/** Opens an exchange in a registry as the trigger would, recording what gets written. */
function openExchange(
	registry: FlowExchangeRegistry,
	fields: { screen?: string; action?: string; flowToken?: string } = {},
) {
	const requestId = randomBytes(16).toString('hex');
	const aesKey = randomBytes(16);
	const iv = randomBytes(16);
	const written: FlowHttpAnswer[] = [];
	registry.open({
		requestId,
		action: fields.action ?? 'data_exchange',
		screen: fields.screen,
		flowToken: fields.flowToken ?? 'tok',
		aesKey,
		iv,
		openedAt: Date.now(),
		timeoutMs: 1000,
		fallback: fallbackReply('errorMessage', fields.screen, 'Fallback'),
		write: (answer) => {
			written.push(answer);
			return written.length === 1;
		},
	});
	const decrypted = () =>
		written.map((answer) => ({
			status: answer.status,
			body: decryptFlowResponseAsClient(answer.body, aesKey, iv),
		}));
	return { requestId, written, decrypted };
}

describe('WhatsApp Flow Respond node', () => {
	it('invalidates the flow token with HTTP 427 and an encrypted error_msg', async () => {
		const exchange = openExchange(flowExchanges, { screen: 'S' });
		await respond.execute.call(
			executeContext({
				items: [{ json: { requestId: exchange.requestId } }],
				parameters: { respondWith: 'invalidToken', errorMessage: 'Booking closed' },
			}),
		);
		expect(exchange.decrypted()).toEqual([{ status: 427, body: { error_msg: 'Booking closed' } }]);
	});

	it('shows an error message on the screen the user submitted', async () => {
		const exchange = openExchange(flowExchanges, { screen: 'DETAILS' });
		await respond.execute.call(
			executeContext({
				items: [{ json: { requestId: exchange.requestId } }],
				parameters: { respondWith: 'errorMessage', errorMessage: 'No slots left' },
			}),
		);
		expect(exchange.decrypted()).toEqual([
			{ status: 200, body: { screen: 'DETAILS', data: { error_message: 'No slots left' } } },
		]);
	});

	it('when its own parameters are unusable, answers the fallback at once and fails the node', async () => {
		const exchange = openExchange(flowExchanges, { screen: 'S' });
		const run = respond.execute.call(
			executeContext({
				items: [{ json: { requestId: exchange.requestId } }],
				parameters: { respondWith: 'nextScreen', screen: 'NEXT', data: '{not json' },
			}),
		);
		await expect(run).rejects.toThrow(NodeOperationError);
		await expect(run).rejects.toThrow('Screen Data is not valid JSON');
		expect(exchange.decrypted()).toEqual([
			{ status: 200, body: { screen: 'S', data: { error_message: 'Fallback' } } },
		]);
	});

	it('refuses an error message on INIT (no current screen) and still answers the fallback', async () => {
		const exchange = openExchange(flowExchanges, { action: 'INIT' });
		await expect(
			respond.execute.call(
				executeContext({
					items: [{ json: { requestId: exchange.requestId } }],
					parameters: { respondWith: 'errorMessage', errorMessage: 'x' },
				}),
			),
		).rejects.toThrow('no current screen');
		expect(exchange.decrypted()).toEqual([{ status: 500, body: { error_msg: 'Fallback' } }]);
	});

	it('prefers the Request ID option, then the execution binding, then the item field', async () => {
		const explicit = openExchange(flowExchanges);
		const bound = openExchange(flowExchanges);
		const fromItem = openExchange(flowExchanges);
		flowExchanges.bindExecution(bound.requestId, 'exec-bound');
		const parameters = { respondWith: 'nextScreen', screen: 'A', data: {} };
		await respond.execute.call(
			executeContext({
				items: [{ json: { requestId: fromItem.requestId } }],
				executionId: 'exec-bound',
				parameters: { ...parameters, options: { requestId: explicit.requestId } },
			}),
		);
		expect(explicit.written).toHaveLength(1);
		await respond.execute.call(
			executeContext({
				items: [{ json: { requestId: fromItem.requestId } }],
				executionId: 'exec-bound',
				parameters,
			}),
		);
		expect(bound.written).toHaveLength(1);
		await respond.execute.call(
			executeContext({
				items: [{ json: { requestId: fromItem.requestId } }],
				executionId: 'exec-other',
				parameters,
			}),
		);
		expect(fromItem.written).toHaveLength(1);
	});

	it('answers once with the first item and passes every item through, binary included', async () => {
		const exchange = openExchange(flowExchanges);
		const items = [
			{ json: { requestId: exchange.requestId, n: 1 } },
			{ json: { n: 2 }, binary: { file: { data: 'AA==', mimeType: 'text/plain' } } },
		];
		const output = await respond.execute.call(
			executeContext({
				items,
				parameters: { respondWith: 'nextScreen', screen: 'A', data: '{"n":1}' },
			}),
		);
		expect(output).toEqual([
			[
				{ ...items[0], pairedItem: { item: 0 } },
				{ ...items[1], pairedItem: { item: 1 } },
			],
		]);
		expect(exchange.decrypted()).toEqual([{ status: 200, body: { screen: 'A', data: { n: 1 } } }]);
	});

	it('says where to look when there is no request, and continues on fail when asked', async () => {
		const run = respond.execute.call(
			executeContext({
				items: [{ json: {} }],
				parameters: { respondWith: 'nextScreen', screen: 'A' },
			}),
		);
		await expect(run).rejects.toThrow('No WhatsApp Flow request to answer');
		await run.catch((error: NodeOperationError) => expect(error.description).toMatch(/queue mode/));
		const unknown = respond.execute.call(
			executeContext({
				items: [{ json: { requestId: 'f'.repeat(32) } }],
				parameters: { respondWith: 'nextScreen', screen: 'A' },
			}),
		);
		await unknown.catch((error: NodeOperationError) =>
			expect(error.description).toMatch(/n8n restarted/),
		);
		const output = await respond.execute.call(
			executeContext({
				items: [{ json: { a: 1 } }],
				continueOnFail: true,
				parameters: { respondWith: 'nextScreen', screen: 'A' },
			}),
		);
		expect(output).toEqual([
			[{ json: { a: 1, error: 'No WhatsApp Flow request to answer' }, pairedItem: { item: 0 } }],
		]);
	});
});

describe('FlowExchangeRegistry', () => {
	it('hands an exchange to exactly one claimant', () => {
		const registry = new FlowExchangeRegistry();
		const exchange = openExchange(registry, { screen: 'S' });
		const results = [
			registry.answer(exchange.requestId, 'workflow', { status: 200, body: { a: 1 } }),
			registry.answer(exchange.requestId, 'timeout'),
		];
		expect(results[0]).toMatchObject({ answered: true, status: 200, written: true });
		expect(results[1]).toMatchObject({
			answered: false,
			reason: 'already_answered',
			settlement: { by: 'workflow', status: 200 },
		});
		expect(exchange.written).toHaveLength(1);
		expect(registry.openCount).toBe(0);
	});

	it('reports an unknown id, forgets execution bindings on claim, and ignores bindings to closed ids', () => {
		const registry = new FlowExchangeRegistry();
		expect(registry.answer('nope', 'workflow')).toMatchObject({
			answered: false,
			reason: 'unknown',
		});
		registry.bindExecution('nope', 'e0');
		expect(registry.requestIdForExecution('e0')).toBeUndefined();
		const exchange = openExchange(registry);
		registry.bindExecution(exchange.requestId, 'e1');
		expect(registry.requestIdForExecution('e1')).toBe(exchange.requestId);
		registry.answer(exchange.requestId, 'timeout');
		expect(registry.requestIdForExecution('e1')).toBeUndefined();
	});

	it('measures the time from open to answer with its clock', () => {
		let now = 1000;
		const registry = new FlowExchangeRegistry(() => now);
		const exchange = openExchange(registry);
		registry.peek(exchange.requestId)!.openedAt = 1000;
		now = 1250;
		expect(
			registry.answer(exchange.requestId, 'workflow', { status: 200, body: {} }),
		).toMatchObject({ elapsedMs: 250 });
	});

	it('bounds the memory of answered ids', () => {
		const registry = new FlowExchangeRegistry();
		const first = openExchange(registry);
		registry.answer(first.requestId, 'workflow', { status: 200, body: {} });
		for (let i = 0; i < 1000; i++)
			registry.answer(openExchange(registry).requestId, 'workflow', { status: 200, body: {} });
		expect(registry.settlement(first.requestId)).toBeUndefined();
		expect(registry.missing(first.requestId).reason).toBe('unknown');
	});
});
