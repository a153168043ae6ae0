import type { INodePropertyOptions } from 'n8n-workflow';

import { PRIORITIES, type Priority } from '../../core/escalationRules';
import { GRAPH_ERROR_CLASSES, type GraphErrorClass } from '../../core/graphErrors';

/** Option lists that more than one operation's description shows, built from the core's typed lists. */

const PRIORITY_NAMES: Record<Priority, string> = {
	low: 'Low',
	normal: 'Normal',
	high: 'High',
	urgent: 'Urgent',
};

/** Lowest to highest, the order an operator reads priorities in. */
export const PRIORITY_OPTIONS: INodePropertyOptions[] = PRIORITIES.map((priority) => ({
	name: PRIORITY_NAMES[priority],
	value: priority,
}));

const ERROR_CLASS_NAMES: Record<GraphErrorClass, string> = {
	auth: 'Authorization',
	invalid_request: 'Invalid Request',
	policy: 'Policy',
	rate_limited: 'Rate Limited',
	template: 'Template',
	transient: 'Temporary (Transient)',
	undeliverable: 'Undeliverable',
	unknown: 'Unknown',
	window_closed: 'Window Closed (24 Hours)',
};

/** Error classes of the Graph error table, as a failed status or send carries them; sorted by name. */
export const ERROR_CLASS_OPTIONS: INodePropertyOptions[] = GRAPH_ERROR_CLASSES.map(
	(errorClass) => ({ name: ERROR_CLASS_NAMES[errorClass], value: errorClass }),
).sort((a, b) => a.name.localeCompare(b.name));
