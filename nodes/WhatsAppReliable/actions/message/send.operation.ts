import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import {
	buildTemplate,
	CAPTIONED_MEDIA_KINDS,
	fail,
	MEDIA_KINDS,
	type OutgoingMessage,
} from '../../../core/messages';
import {
	executeSends,
	type PreparedMessage,
	type WindowClosedAction,
} from '../../helpers/messageSender';
import { prepareSend, type MessageDraft } from '../../helpers/prepareSend';
import { isMessageType, MESSAGE_READERS } from '../../helpers/readMessage';
import { MEDIA_KIND_OPTIONS, sortedByName } from '../optionLists';
import { optionsProperty } from '../options.description';
import {
	correlationIdProperty,
	idempotencyKeyProperty,
	recipientProperty,
	sendFieldsProperty,
} from './sendFields.description';

const MEDIA_TYPES: string[] = [...MEDIA_KINDS];
const INTERACTIVE = ['buttons', 'list', 'ctaUrl', 'flow'];
/** Interactive kinds whose header may be an image, video or document; the others take text only. */
const MEDIA_HEADER_TYPES = ['buttons', 'ctaUrl'];
const TEXT_HEADER_TYPES = ['list', 'flow'];
const when = (messageType: string[], extra: Record<string, Array<string | boolean>> = {}) => ({
	show: { messageType, ...extra },
});

const properties: INodeProperties[] = [
	recipientProperty,
	{
		displayName: 'Message Type',
		name: 'messageType',
		type: 'options',
		noDataExpression: true,
		default: 'text',
		options: sortedByName([
			...MEDIA_KIND_OPTIONS,
			{ name: 'Contacts', value: 'contacts' },
			{
				name: 'CTA URL Button',
				value: 'ctaUrl',
				description: 'A text with one button that opens a URL',
			},
			{ name: 'Flow', value: 'flow', description: 'Opens a WhatsApp Flow' },
			{ name: 'List', value: 'list', description: 'A menu with sections and rows' },
			{ name: 'Location', value: 'location' },
			{
				name: 'Reaction',
				value: 'reaction',
				description: 'React to a message with an emoji, or remove a reaction',
			},
			{ name: 'Reply Buttons', value: 'buttons', description: 'Up to 3 quick reply buttons' },
			{ name: 'Text', value: 'text' },
		]),
	},
	// Text
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		description: 'Up to 4096 characters',
		displayOptions: when(['text']),
	},
	{
		displayName: 'Preview URL',
		name: 'previewUrl',
		type: 'boolean',
		default: false,
		description: 'Whether to show a preview of the first URL in the text',
		displayOptions: when(['text']),
	},
	// Media
	{
		displayName: 'Media Source',
		name: 'mediaSource',
		type: 'options',
		default: 'id',
		options: [
			{ name: 'Media ID', value: 'id', description: 'A media uploaded before (Media → Upload)' },
			{ name: 'Link', value: 'link', description: 'A public http(s) URL' },
			{
				name: 'Binary File',
				value: 'binary',
				description: 'Upload an n8n binary from the input item first',
			},
		],
		displayOptions: when(MEDIA_TYPES),
	},
	{
		displayName: 'Media ID',
		name: 'mediaId',
		type: 'string',
		default: '',
		required: true,
		displayOptions: when(MEDIA_TYPES, { mediaSource: ['id'] }),
	},
	{
		displayName: 'Media URL',
		name: 'mediaLink',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/invoice.pdf',
		displayOptions: when(MEDIA_TYPES, { mediaSource: ['link'] }),
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		displayOptions: when(MEDIA_TYPES, { mediaSource: ['binary'] }),
	},
	{
		displayName: 'Caption',
		name: 'caption',
		type: 'string',
		default: '',
		description: 'Up to 1024 characters',
		displayOptions: when([...CAPTIONED_MEDIA_KINDS]),
	},
	{
		displayName: 'File Name',
		name: 'filename',
		type: 'string',
		default: '',
		description: 'The file name shown to the recipient',
		displayOptions: when(['document']),
	},
	// Location
	{
		displayName: 'Latitude',
		name: 'latitude',
		type: 'number',
		typeOptions: { numberPrecision: 7 },
		default: 0,
		required: true,
		displayOptions: when(['location']),
	},
	{
		displayName: 'Longitude',
		name: 'longitude',
		type: 'number',
		typeOptions: { numberPrecision: 7 },
		default: 0,
		required: true,
		displayOptions: when(['location']),
	},
	{
		displayName: 'Location Name',
		name: 'locationName',
		type: 'string',
		default: '',
		displayOptions: when(['location']),
	},
	{
		displayName: 'Address',
		name: 'address',
		type: 'string',
		default: '',
		displayOptions: when(['location']),
	},
	// Contacts
	{
		displayName: 'Contacts (JSON)',
		name: 'contacts',
		type: 'json',
		default:
			'[\n  {\n    "name": { "formatted_name": "Jane Doe", "first_name": "Jane", "last_name": "Doe" },\n    "phones": [{ "phone": "+15551234567", "type": "WORK" }]\n  }\n]',
		description: "One contact card or a list of them, in Meta's contacts shape",
		displayOptions: when(['contacts']),
	},
	// Reaction
	{
		displayName: 'Message ID',
		name: 'reactionMessageId',
		type: 'string',
		default: '',
		required: true,
		description: 'The wamid of the message to react to',
		displayOptions: when(['reaction']),
	},
	{
		displayName: 'Remove Reaction',
		name: 'removeReaction',
		type: 'boolean',
		default: false,
		description: 'Whether to remove an earlier reaction instead of reacting',
		displayOptions: when(['reaction']),
	},
	{
		displayName: 'Emoji',
		name: 'emoji',
		type: 'string',
		default: '',
		required: true,
		placeholder: '👍',
		displayOptions: when(['reaction'], { removeReaction: [false] }),
	},
	// Interactive: header, body, footer
	// Two lists under one name: List and Flow messages take only a text header, so they never offer media.
	{
		displayName: 'Header Type',
		name: 'headerType',
		type: 'options',
		default: 'none',
		options: [
			{ name: 'Document', value: 'document' },
			{ name: 'Image', value: 'image' },
			{ name: 'None', value: 'none' },
			{ name: 'Text', value: 'text' },
			{ name: 'Video', value: 'video' },
		],
		displayOptions: when(MEDIA_HEADER_TYPES),
	},
	{
		displayName: 'Header Type',
		name: 'headerType',
		type: 'options',
		default: 'none',
		options: [
			{ name: 'None', value: 'none' },
			{ name: 'Text', value: 'text' },
		],
		description: 'List and Flow messages allow only a text header',
		displayOptions: when(TEXT_HEADER_TYPES),
	},
	{
		displayName: 'Header Text',
		name: 'headerText',
		type: 'string',
		default: '',
		description: 'Up to 60 characters',
		displayOptions: when(INTERACTIVE, { headerType: ['text'] }),
	},
	{
		displayName: 'Header Media Source',
		name: 'headerMediaSource',
		type: 'options',
		default: 'link',
		options: [
			{ name: 'Media ID', value: 'id' },
			{ name: 'Link', value: 'link' },
		],
		displayOptions: when(MEDIA_HEADER_TYPES, { headerType: ['image', 'video', 'document'] }),
	},
	{
		displayName: 'Header Media ID',
		name: 'headerMediaId',
		type: 'string',
		default: '',
		displayOptions: when(MEDIA_HEADER_TYPES, {
			headerType: ['image', 'video', 'document'],
			headerMediaSource: ['id'],
		}),
	},
	{
		displayName: 'Header Media URL',
		name: 'headerMediaLink',
		type: 'string',
		default: '',
		displayOptions: when(MEDIA_HEADER_TYPES, {
			headerType: ['image', 'video', 'document'],
			headerMediaSource: ['link'],
		}),
	},
	{
		displayName: 'Body Text',
		name: 'bodyText',
		type: 'string',
		typeOptions: { rows: 3 },
		default: '',
		required: true,
		description: 'Up to 1024 characters',
		displayOptions: when(INTERACTIVE),
	},
	{
		displayName: 'Footer Text',
		name: 'footerText',
		type: 'string',
		default: '',
		description: 'Up to 60 characters',
		displayOptions: when(INTERACTIVE),
	},
	// Reply buttons
	{
		displayName: 'Buttons',
		name: 'buttons',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, maxAllowed: 3 },
		default: {},
		placeholder: 'Add Button',
		description: 'Up to 3 buttons; the ID comes back in the reply webhook',
		displayOptions: when(['buttons']),
		options: [
			{
				displayName: 'Button',
				name: 'button',
				values: [
					{
						displayName: 'ID',
						name: 'id',
						type: 'string',
						default: '',
						description: 'Up to 256 characters, unique',
					},
					{
						displayName: 'Title',
						name: 'title',
						type: 'string',
						default: '',
						description: 'Up to 20 characters, unique',
					},
				],
			},
		],
	},
	// List
	{
		displayName: 'List Button Text',
		name: 'listButtonText',
		type: 'string',
		default: 'Choose',
		required: true,
		description: 'Up to 20 characters',
		displayOptions: when(['list']),
	},
	{
		displayName: 'Sections (JSON)',
		name: 'listSections',
		type: 'json',
		default:
			'[\n  {\n    "title": "Options",\n    "rows": [\n      { "id": "opt-1", "title": "First", "description": "The first option" }\n    ]\n  }\n]',
		description:
			'Up to 10 sections and 10 rows in all; row titles up to 24 characters, descriptions up to 72',
		displayOptions: when(['list']),
	},
	// CTA URL
	{
		displayName: 'Button Text',
		name: 'ctaDisplayText',
		type: 'string',
		default: '',
		required: true,
		description: 'Up to 20 characters',
		displayOptions: when(['ctaUrl']),
	},
	{
		displayName: 'Button URL',
		name: 'ctaUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.com/track/123',
		displayOptions: when(['ctaUrl']),
	},
	// Flow
	{
		displayName: 'Flow By',
		name: 'flowBy',
		type: 'options',
		default: 'id',
		options: [
			{ name: 'ID', value: 'id' },
			{ name: 'Name', value: 'name' },
		],
		displayOptions: when(['flow']),
	},
	{
		displayName: 'Flow ID',
		name: 'flowId',
		type: 'string',
		default: '',
		required: true,
		displayOptions: when(['flow'], { flowBy: ['id'] }),
	},
	{
		displayName: 'Flow Name',
		name: 'flowName',
		type: 'string',
		default: '',
		required: true,
		displayOptions: when(['flow'], { flowBy: ['name'] }),
	},
	{
		displayName: 'Flow CTA',
		name: 'flowCta',
		type: 'string',
		default: '',
		required: true,
		description: 'Button text, up to 20 characters, no emoji',
		displayOptions: when(['flow']),
	},
	{
		displayName: 'Flow Token',
		name: 'flowToken',
		type: 'string',
		// Not a secret, but n8n's package scan wants every parameter named *token* masked.
		typeOptions: { password: true },
		default: '',
		description:
			'Identifies this flow session; it comes back with the flow response, so use something that finds your record (e.g. an order ID)',
		displayOptions: when(['flow']),
	},
	{
		displayName: 'Mode',
		name: 'flowMode',
		type: 'options',
		default: 'published',
		options: [
			{ name: 'Published', value: 'published' },
			{ name: 'Draft', value: 'draft', description: 'Test a flow that is not published yet' },
		],
		displayOptions: when(['flow']),
	},
	{
		displayName: 'Flow Action',
		name: 'flowAction',
		type: 'options',
		default: 'navigate',
		options: [
			{
				name: 'Navigate',
				value: 'navigate',
				description: 'Open a given first screen with the given data',
			},
			{
				name: 'Data Exchange',
				value: 'data_exchange',
				description: 'Ask the flow endpoint for the first screen',
			},
		],
		displayOptions: when(['flow']),
	},
	{
		displayName: 'First Screen',
		name: 'flowScreen',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'WELCOME',
		displayOptions: when(['flow'], { flowAction: ['navigate'] }),
	},
	{
		displayName: 'Screen Data (JSON)',
		name: 'flowData',
		type: 'json',
		default: '{}',
		displayOptions: when(['flow'], { flowAction: ['navigate'] }),
	},
	// 24-hour window
	{
		displayName: 'On Window Closed (131047)',
		name: 'onWindowClosed',
		type: 'options',
		default: 'fail',
		options: [
			{
				name: 'Fail',
				value: 'fail',
				description: 'Fail the item (or output it as failed with Continue On Fail)',
			},
			{
				name: 'Send Fallback Template',
				value: 'fallbackTemplate',
				description: 'Send an approved template instead',
			},
			{
				name: 'Route to Window Closed Output',
				value: 'route',
				description: 'Send the item to a second output',
			},
		],
		description:
			'What to do when more than 24 hours have passed since the recipient last wrote, so only templates may be sent',
	},
	{
		displayName: 'Fallback Template Name',
		name: 'fallbackTemplateName',
		type: 'string',
		default: '',
		required: true,
		displayOptions: { show: { onWindowClosed: ['fallbackTemplate'] } },
	},
	{
		displayName: 'Fallback Template Language',
		name: 'fallbackTemplateLanguage',
		type: 'string',
		default: 'en_US',
		required: true,
		displayOptions: { show: { onWindowClosed: ['fallbackTemplate'] } },
	},
	{
		displayName: 'Fallback Body Parameters',
		name: 'fallbackTemplateParameters',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Parameter',
		description: 'Positional body variables {{1}}, {{2}}, … of the fallback template',
		displayOptions: { show: { onWindowClosed: ['fallbackTemplate'] } },
		options: [
			{
				displayName: 'Parameter',
				name: 'parameter',
				values: [{ displayName: 'Text', name: 'text', type: 'string', default: '' }],
			},
		],
	},
	idempotencyKeyProperty,
	correlationIdProperty,
	sendFieldsProperty,
	optionsProperty,
];

const displayOptions = { show: { resource: ['message'], operation: ['send'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Reads one item: its message, and what to do when the 24-hour window is closed. */
async function prepare(ctx: IExecuteFunctions, itemIndex: number): Promise<PreparedMessage> {
	return await prepareSend(ctx, itemIndex, async (item, common): Promise<MessageDraft> => {
		const type = item.param('messageType');
		if (!isMessageType(type))
			return fail('Message Type', 'one of the listed message types', `"${type}" is not supported`);
		const message = await MESSAGE_READERS[type](item, common);
		// Validate now, before anything of any item is sent.
		message.build();

		const onWindowClosed = item.param('onWindowClosed', 'fail') as WindowClosedAction;
		let fallback: OutgoingMessage | undefined;
		if (onWindowClosed === 'fallbackTemplate') {
			const parameters = item.rows<{ text?: string }>('fallbackTemplateParameters', 'parameter');
			fallback = buildTemplate(
				{ ...common, replyToMessageId: undefined },
				{
					name: String(item.param('fallbackTemplateName', '')),
					language: String(item.param('fallbackTemplateLanguage', '')),
					body: parameters.map((p) => ({ type: 'text' as const, text: String(p.text ?? '') })),
				},
			);
		}
		return { ...message, onWindowClosed, fallback };
	});
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await executeSends(this, async (itemIndex) => await prepare(this, itemIndex));
}
