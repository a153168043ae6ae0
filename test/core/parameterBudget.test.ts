import { z } from 'zod';

import { MessageValidationError, parseJsonInput } from '../../nodes/core/messages/validation';
import { deepJson } from '../support/hostile';

/** JSON typed into the send node's parameters goes through the same input budget as webhook bodies. */
describe('parseJsonInput: the input budget', () => {
	const anything = z.unknown();

	it.each([
		['nested 10,000 deep', `{"a":${deepJson(10_000)}}`, 'nested deeper than 64 levels'],
		['a 2 MB string', JSON.stringify({ s: 'x'.repeat(2 * 1024 * 1024) }), 'a string longer than'],
		['100,000 items', JSON.stringify(new Array(100_000).fill(1)), 'more than 10000 items'],
	])('refuses JSON %s with a validation error naming the field', (_name, text, limit) => {
		let error: unknown;
		try {
			parseJsonInput('Screen Data (JSON)', text, anything);
		} catch (e) {
			error = e;
		}
		expect(error).toBeInstanceOf(MessageValidationError);
		expect((error as Error).message).toContain('Screen Data (JSON)');
		expect((error as Error).message).toContain(limit);
	});

	it('still parses JSON within the budget', () => {
		expect(parseJsonInput('Screen Data (JSON)', '{"a":[1,{"b":2}]}', anything)).toEqual({
			a: [1, { b: 2 }],
		});
	});
});
