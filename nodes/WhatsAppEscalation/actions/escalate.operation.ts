import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { forEachItem } from '../helpers/forEachItem';
import { openCase, text } from '../helpers/openCase';
import { resolveConversation } from '../helpers/resolveConversation';
import { conversationProperties } from './conversation.description';
import { PRIORITY_OPTIONS } from './optionLists';

/** Escalate: hands the conversation to a human under a lease, once, and outputs the case package. */

export const ESCALATE_OUTPUTS = { newCase: 0, existingCase: 1 } as const;

const properties: INodeProperties[] = [
	...conversationProperties,
	{
		displayName: 'Reason',
		name: 'reason',
		type: 'string',
		default: '',
		placeholder: 'Refund request',
		description:
			"Why a human should take over. Leave empty to use the reason Route found (the item's routing.reason).",
	},
	{
		displayName: 'Priority',
		name: 'priority',
		type: 'options',
		options: [{ name: 'From Route (Default Normal)', value: 'fromRoute' }, ...PRIORITY_OPTIONS],
		default: 'fromRoute',
	},
	{
		displayName: 'Assignee',
		name: 'assignee',
		type: 'string',
		default: '',
		placeholder: 'support-team',
		description: 'A person or queue, passed on in the case',
	},
	{
		displayName: 'Lease (Minutes)',
		name: 'leaseMinutes',
		type: 'number',
		typeOptions: { minValue: 0, numberPrecision: 2 },
		default: 240,
		description:
			'After this long without a Release the conversation returns to the bot by itself. 0: only Release ends it.',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Media Link Template',
				name: 'mediaLinkTemplate',
				type: 'string',
				default: '',
				placeholder: 'https://n8n.example.com/webhook/whatsapp-media?media={ID}',
				description:
					'A link per media in the case, {ID} being the media ID: point it at a workflow that downloads the media (WhatsApp Reliable → Media → Download), so agents open it without a token. Empty: the media ID only.',
			},
			{
				displayName: 'Transcript Lines',
				name: 'transcriptLimit',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				description: 'Newest transcript lines in the case. 0: all that are kept.',
			},
		],
	},
];

const displayOptions = { show: { operation: ['escalate'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await forEachItem(this, 2, (book, itemIndex, json, now) => {
		const conversation = resolveConversation(this, book, itemIndex, json, { create: true, now })!;
		const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
		const casePackage = openCase(
			conversation,
			json,
			{
				reason: text(this.getNodeParameter('reason', itemIndex, '')),
				priority: this.getNodeParameter('priority', itemIndex, 'fromRoute') as string,
				assignee: text(this.getNodeParameter('assignee', itemIndex, '')),
				leaseMinutes: Number(this.getNodeParameter('leaseMinutes', itemIndex, 240)) || 0,
				transcriptLimit: Number(options.transcriptLimit) || undefined,
				mediaLinkTemplate: text(options.mediaLinkTemplate) ?? undefined,
			},
			now,
		);
		return {
			output: casePackage.created ? ESCALATE_OUTPUTS.newCase : ESCALATE_OUTPUTS.existingCase,
			json: casePackage as unknown as IDataObject,
		};
	});
}
