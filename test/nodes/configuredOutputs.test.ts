import type { INodeParameters } from 'n8n-workflow';

import { ESCALATE_OUTPUTS } from '../../nodes/WhatsAppEscalation/actions/escalate.operation';
import { ROUTE_OUTPUTS } from '../../nodes/WhatsAppEscalation/actions/route.operation';
import {
	configuredOutputs as escalationOutputs,
	OUTPUT_NAMES,
} from '../../nodes/WhatsAppEscalation/helpers/configuredOutputs';
import { WhatsAppEscalation } from '../../nodes/WhatsAppEscalation/WhatsAppEscalation.node';
import { configuredOutputs as reliableOutputs } from '../../nodes/WhatsAppReliable/helpers/configuredOutputs';
import { WhatsAppReliable } from '../../nodes/WhatsAppReliable/WhatsAppReliable.node';

/** Evaluates an `={{ … }}` outputs expression as n8n does: the body alone, with `$parameter` bound. */
function evaluateOutputs(expression: unknown, parameters: INodeParameters): unknown {
	const source = String(expression);
	expect(source.startsWith('={{') && source.endsWith('}}')).toBe(true);
	const body = source.slice(3, -2);
	// n8n ends the expression at the first "}}"; the body must not contain one.
	expect(body).not.toContain('}}');
	return new Function('$parameter', `return ${body};`)(parameters);
}

describe('WhatsApp Reliable outputs', () => {
	const send = { resource: 'message', operation: 'send' };

	it('Send that routes closed-window items has Sent and Window Closed', () => {
		expect(reliableOutputs({ ...send, onWindowClosed: 'route' })).toEqual([
			{ type: 'main', displayName: 'Sent' },
			{ type: 'main', displayName: 'Window Closed' },
		]);
	});

	it.each([
		{ ...send, onWindowClosed: 'fail' },
		{ ...send, onWindowClosed: 'fallbackTemplate' },
		{ resource: 'message', operation: 'sendTemplate', onWindowClosed: 'route' },
		{ resource: 'media', operation: 'upload', onWindowClosed: 'route' },
	])('everything else has one output: %j', (parameters) => {
		expect(reliableOutputs(parameters)).toEqual([{ type: 'main' }]);
	});

	it.each([
		[{ ...send }, ['Sent', 'Blocked (Human Owns)']],
		[{ ...send, onWindowClosed: 'route' }, ['Sent', 'Window Closed', 'Blocked (Human Owns)']],
		[{ resource: 'message', operation: 'sendTemplate' }, ['Sent', 'Blocked (Human Owns)']],
	])('Only If Bot Owns Conversation adds Blocked (Human Owns), last: %j', (parameters, names) => {
		expect(reliableOutputs({ ...parameters, additionalFields: { onlyIfBotOwns: true } })).toEqual(
			names.map((displayName) => ({ type: 'main', displayName })),
		);
	});

	it('the description expression evaluates to the same outputs, with nothing from outside', () => {
		const outputs = new WhatsAppReliable().description.outputs;
		for (const parameters of [
			{ ...send, onWindowClosed: 'route' },
			send,
			{ ...send, onWindowClosed: 'route', additionalFields: { onlyIfBotOwns: true } },
			{ ...send, additionalFields: {} },
		])
			expect(evaluateOutputs(outputs, parameters)).toEqual(reliableOutputs(parameters));
	});
});

describe('WhatsApp Escalation outputs', () => {
	it.each([
		['route', ['Human', 'Bot', 'Already With Human']],
		['escalate', ['New Case', 'Existing Case']],
	])('%s has the outputs %j', (operation, names) => {
		expect(escalationOutputs({ operation }, OUTPUT_NAMES)).toEqual(
			names.map((displayName) => ({ type: 'main', displayName })),
		);
	});

	it.each(['release', 'get'])('%s has one output', (operation) => {
		expect(escalationOutputs({ operation }, OUTPUT_NAMES)).toEqual([{ type: 'main' }]);
	});

	it('names the outputs in the order the operations fill them', () => {
		expect(OUTPUT_NAMES.route[ROUTE_OUTPUTS.human]).toBe('Human');
		expect(OUTPUT_NAMES.route[ROUTE_OUTPUTS.bot]).toBe('Bot');
		expect(OUTPUT_NAMES.route[ROUTE_OUTPUTS.alreadyWithHuman]).toBe('Already With Human');
		expect(OUTPUT_NAMES.escalate[ESCALATE_OUTPUTS.newCase]).toBe('New Case');
		expect(OUTPUT_NAMES.escalate[ESCALATE_OUTPUTS.existingCase]).toBe('Existing Case');
	});

	it('the description expression evaluates to the same outputs, with nothing from outside', () => {
		const outputs = new WhatsAppEscalation().description.outputs;
		for (const operation of ['route', 'escalate', 'release', 'get'])
			expect(evaluateOutputs(outputs, { operation })).toEqual(
				escalationOutputs({ operation }, OUTPUT_NAMES),
			);
	});
});
