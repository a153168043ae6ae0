import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { executeSends } from '../../helpers/messageSender';
import { prepareSend } from '../../helpers/prepareSend';
import { readTemplate } from '../../helpers/readTemplate';
import { optionsProperty } from '../options.description';
import {
	correlationIdProperty,
	idempotencyKeyProperty,
	recipientProperty,
	sendFieldsProperty,
	sentByField,
} from './sendFields.description';

const headerIs = (types: string[], extra: Record<string, string[]> = {}) => ({
	show: { templateHeaderType: types, ...extra },
});

const properties: INodeProperties[] = [
	recipientProperty,
	{
		displayName: 'Template',
		name: 'template',
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'An approved template of the WhatsApp Business Account in the credential',
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				typeOptions: { searchListMethod: 'searchTemplates', searchable: true },
			},
			{ displayName: 'By Name', name: 'name', type: 'string', placeholder: 'order_confirmation' },
		],
	},
	{
		displayName: 'Language Code',
		name: 'templateLanguage',
		type: 'string',
		default: '',
		placeholder: 'en_US',
		description:
			'The language of the template. Leave empty to use the language of the template picked from the list; required when the template is given by name.',
	},
	{
		displayName: 'Parameter Format',
		name: 'parameterFormat',
		type: 'options',
		default: 'positional',
		options: [
			{ name: 'Positional ({{1}}, {{2}})', value: 'positional' },
			{ name: 'Named ({{Name}})', value: 'named' },
		],
		description: 'How the template names its variables',
	},
	{
		displayName: 'Header Type',
		name: 'templateHeaderType',
		type: 'options',
		default: 'none',
		options: [
			{ name: 'Document', value: 'document' },
			{ name: 'Image', value: 'image' },
			{ name: 'Location', value: 'location' },
			{ name: 'None (or Fixed Header)', value: 'none' },
			{ name: 'Text', value: 'text' },
			{ name: 'Video', value: 'video' },
		],
		description: 'Fill this only if the template header has a variable or media',
	},
	{
		displayName: 'Header Text',
		name: 'templateHeaderText',
		type: 'string',
		default: '',
		description: 'The header variable, up to 60 characters',
		displayOptions: headerIs(['text']),
	},
	{
		displayName: 'Header Parameter Name',
		name: 'templateHeaderParameterName',
		type: 'string',
		default: '',
		displayOptions: headerIs(['text'], { parameterFormat: ['named'] }),
	},
	{
		displayName: 'Header Media Source',
		name: 'templateHeaderMediaSource',
		type: 'options',
		default: 'link',
		options: [
			{ name: 'Media ID', value: 'id' },
			{ name: 'Link', value: 'link' },
		],
		displayOptions: headerIs(['image', 'video', 'document']),
	},
	{
		displayName: 'Header Media ID',
		name: 'templateHeaderMediaId',
		type: 'string',
		default: '',
		displayOptions: headerIs(['image', 'video', 'document'], { templateHeaderMediaSource: ['id'] }),
	},
	{
		displayName: 'Header Media URL',
		name: 'templateHeaderMediaLink',
		type: 'string',
		default: '',
		displayOptions: headerIs(['image', 'video', 'document'], {
			templateHeaderMediaSource: ['link'],
		}),
	},
	{
		displayName: 'Header File Name',
		name: 'templateHeaderFilename',
		type: 'string',
		default: '',
		displayOptions: headerIs(['document']),
	},
	{
		displayName: 'Header Latitude',
		name: 'templateHeaderLatitude',
		type: 'number',
		typeOptions: { numberPrecision: 7 },
		default: 0,
		displayOptions: headerIs(['location']),
	},
	{
		displayName: 'Header Longitude',
		name: 'templateHeaderLongitude',
		type: 'number',
		typeOptions: { numberPrecision: 7 },
		default: 0,
		displayOptions: headerIs(['location']),
	},
	{
		displayName: 'Header Location Name',
		name: 'templateHeaderLocationName',
		type: 'string',
		default: '',
		displayOptions: headerIs(['location']),
	},
	{
		displayName: 'Header Address',
		name: 'templateHeaderAddress',
		type: 'string',
		default: '',
		displayOptions: headerIs(['location']),
	},
	{
		displayName: 'Body Parameters',
		name: 'bodyParameters',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		default: {},
		placeholder: 'Add Parameter',
		description: 'The body variables, in order for positional templates',
		options: [
			{
				displayName: 'Parameter',
				name: 'parameter',
				values: [
					{
						displayName: 'Amount × 1000',
						name: 'amount1000',
						type: 'number',
						default: 0,
						description: 'The amount times 1000, e.g. 12990 for 12.99',
						displayOptions: { show: { type: ['currency'] } },
					},
					{
						displayName: 'Currency Code',
						name: 'currencyCode',
						type: 'string',
						default: 'USD',
						displayOptions: { show: { type: ['currency'] } },
					},
					{
						displayName: 'Fallback Value',
						name: 'fallbackValue',
						type: 'string',
						default: '',
						description: 'The text shown (always, for date-time on the Cloud API)',
						displayOptions: { show: { type: ['currency', 'date_time'] } },
					},
					{
						displayName: 'Name',
						name: 'name',
						type: 'string',
						default: '',
						description: 'The variable name (lowercase letters, digits, underscores)',
						// Positional templates take their variables in order: no name to give.
						displayOptions: { show: { '/parameterFormat': ['named'] } },
					},
					{
						displayName: 'Parameter Type',
						name: 'type',
						type: 'options',
						default: 'text',
						options: [
							{ name: 'Text', value: 'text' },
							{ name: 'Currency', value: 'currency' },
							{ name: 'Date Time', value: 'date_time' },
						],
					},
					{
						displayName: 'Text',
						name: 'text',
						type: 'string',
						default: '',
						displayOptions: { show: { type: ['text'] } },
					},
				],
			},
		],
	},
	{
		displayName: 'Buttons',
		name: 'templateButtons',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Button Parameter',
		description: 'Values for the template buttons that take one',
		options: [
			{
				displayName: 'Button',
				name: 'button',
				values: [
					{
						displayName: 'Button Type',
						name: 'subType',
						type: 'options',
						default: 'quick_reply',
						options: [
							{ name: 'Quick Reply', value: 'quick_reply' },
							{ name: 'URL', value: 'url' },
							{ name: 'Copy Code', value: 'copy_code' },
							{ name: 'Flow', value: 'flow' },
						],
					},
					{
						displayName: 'Coupon Code',
						name: 'couponCode',
						type: 'string',
						default: '',
						description: 'Up to 15 characters',
						displayOptions: { show: { subType: ['copy_code'] } },
					},
					{
						displayName: 'Flow Action Data (JSON)',
						name: 'flowActionData',
						type: 'json',
						default: '{}',
						displayOptions: { show: { subType: ['flow'] } },
					},
					{
						displayName: 'Flow Token',
						name: 'flowToken',
						type: 'string',
						// Not a secret, but n8n's package scan wants every parameter named *token* masked.
						typeOptions: { password: true },
						default: '',
						displayOptions: { show: { subType: ['flow'] } },
					},
					{
						displayName: 'Index',
						name: 'index',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 9 },
						default: 0,
						description: "The button's position in the template, from 0",
					},
					{
						displayName: 'Payload',
						name: 'payload',
						type: 'string',
						default: '',
						description: 'Comes back in the webhook when the button is tapped',
						displayOptions: { show: { subType: ['quick_reply'] } },
					},
					{
						displayName: 'URL Suffix',
						name: 'urlSuffix',
						type: 'string',
						default: '',
						description: 'The variable part of the dynamic URL',
						displayOptions: { show: { subType: ['url'] } },
					},
				],
			},
		],
	},
	idempotencyKeyProperty,
	correlationIdProperty,
	{
		...sendFieldsProperty,
		options: [
			...(sendFieldsProperty.options ?? []).map((option) =>
				option.name === 'sentBy' ? sentByField('automation') : option,
			),
			{
				displayName: 'Extra Components (JSON)',
				name: 'extraComponents',
				type: 'json',
				default: '[]',
				description: "Further components in Meta's shape (e.g. carousel), appended as given",
			},
		],
	},
	optionsProperty,
];

const displayOptions = { show: { resource: ['message'], operation: ['sendTemplate'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await executeSends(
		this,
		async (itemIndex) =>
			await prepareSend(
				this,
				itemIndex,
				(item, common) => {
					const message = readTemplate(item, common);
					return { build: () => message, onWindowClosed: 'fail' };
				},
				{ sentBy: 'automation' },
			),
	);
}
