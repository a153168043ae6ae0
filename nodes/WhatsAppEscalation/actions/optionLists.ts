import type { INodePropertyOptions } from 'n8n-workflow';

/** Option lists that more than one operation's description shows. */

export const PRIORITY_OPTIONS: INodePropertyOptions[] = [
	{ name: 'Low', value: 'low' },
	{ name: 'Normal', value: 'normal' },
	{ name: 'High', value: 'high' },
	{ name: 'Urgent', value: 'urgent' },
];

/** Error classes of the Graph error table (core/graphErrors), as a failed status or send carries them. */
export const ERROR_CLASS_OPTIONS: INodePropertyOptions[] = [
	{ name: 'Authorisation', value: 'auth' },
	{ name: 'Invalid Request', value: 'invalid_request' },
	{ name: 'Policy', value: 'policy' },
	{ name: 'Rate Limited', value: 'rate_limited' },
	{ name: 'Template', value: 'template' },
	{ name: 'Temporary (Transient)', value: 'transient' },
	{ name: 'Undeliverable', value: 'undeliverable' },
	{ name: 'Unknown', value: 'unknown' },
	{ name: 'Window Closed (24 Hours)', value: 'window_closed' },
];
