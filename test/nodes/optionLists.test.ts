import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { PRIORITIES } from '../../nodes/core/escalationRules';
import { GRAPH_ERROR_CLASSES } from '../../nodes/core/graphErrors';
import { MEDIA_KINDS } from '../../nodes/core/messages';
import { WhatsAppEscalation } from '../../nodes/WhatsAppEscalation/WhatsAppEscalation.node';
import { MESSAGE_TYPES } from '../../nodes/WhatsAppReliable/helpers/readMessage';
import { WhatsAppReliable } from '../../nodes/WhatsAppReliable/WhatsAppReliable.node';

/** The option lists of both nodes come from the core's typed lists: nothing missing, nothing extra. */

function findProperty(
	properties: INodeProperties[],
	name: string,
	show: Record<string, string>,
): INodeProperties {
	const found = properties.find(
		(p) =>
			p.name === name &&
			Object.entries(show).every(([key, value]) => p.displayOptions?.show?.[key]?.includes(value)),
	);
	if (!found) throw new Error(`no property ${name} for ${JSON.stringify(show)}`);
	return found;
}

const values = (options: unknown) => (options as INodePropertyOptions[]).map((o) => o.value);
const names = (options: unknown) => (options as INodePropertyOptions[]).map((o) => o.name);
const sorted = (list: string[]) => [...list].sort((a, b) => a.localeCompare(b));

describe('WhatsApp Reliable option lists', () => {
	const properties = new WhatsAppReliable().description.properties;

	it('Send offers every media kind among its message types, sorted by name', () => {
		const messageType = findProperty(properties, 'messageType', {
			resource: 'message',
			operation: 'send',
		});
		expect(values(messageType.options)).toEqual(expect.arrayContaining([...MEDIA_KINDS]));
		// Every type offered has a reader, and every reader is offered.
		expect(sorted(values(messageType.options) as string[])).toEqual(sorted([...MESSAGE_TYPES]));
		expect(names(messageType.options)).toEqual(sorted(names(messageType.options)));
	});

	it('Upload offers automatic and exactly the media kinds', () => {
		const mediaKind = findProperty(properties, 'mediaKind', {
			resource: 'media',
			operation: 'upload',
		});
		expect(values(mediaKind.options)).toEqual(['auto', ...sorted([...MEDIA_KINDS])]);
	});
});

describe('WhatsApp Escalation option lists', () => {
	const properties = new WhatsAppEscalation().description.properties;
	const ruleValues = (
		findProperty(properties, 'rules', { operation: 'route' }).options as Array<{
			values: INodeProperties[];
		}>
	)[0].values;

	it('the Failed Status rule offers exactly the Graph error classes, sorted by name', () => {
		const errorClasses = ruleValues.find((p) => p.name === 'errorClasses')!;
		expect(sorted(values(errorClasses.options) as string[])).toEqual(
			sorted([...GRAPH_ERROR_CLASSES]),
		);
		expect(names(errorClasses.options)).toEqual(sorted(names(errorClasses.options)));
	});

	it('rules and Escalate offer the priorities from lowest to highest', () => {
		const rulePriority = ruleValues.find((p) => p.name === 'priority')!;
		expect(values(rulePriority.options)).toEqual([...PRIORITIES]);
		const escalatePriority = findProperty(properties, 'priority', { operation: 'escalate' });
		expect(values(escalatePriority.options)).toEqual(['fromRoute', ...PRIORITIES]);
	});
});
