import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { recordThreadOwner } from '../../core/lease';
import { AI_AGENT_TARGET } from '../../core/threadControl';
import { forEachItem } from '../helpers/forEachItem';
import { openCase, text } from '../helpers/openCase';
import { resolveConversation } from '../helpers/resolveConversation';
import { callThreadControl } from '../helpers/threadControl';
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
		displayName: 'Pass Thread Control To',
		name: 'passThreadControlTo',
		type: 'string',
		default: '',
		placeholder: 'e.g. 263902037430900',
		description:
			"Only for numbers that use Meta's conversation routing: the app ID of the human inbox (Meta's inbox or a helpdesk app) to pass the customer's thread to, or ai_agent for Meta's business agent. Needs a WhatsApp Cloud API credential. Empty: the thread is not passed.",
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
		const output = casePackage.created ? ESCALATE_OUTPUTS.newCase : ESCALATE_OUTPUTS.existingCase;
		const caseJson = casePackage as unknown as IDataObject;
		const passTo = text(this.getNodeParameter('passThreadControlTo', itemIndex, ''));
		if (!passTo) return { output, json: caseJson };

		const ownerAppId = passTo === AI_AGENT_TARGET ? null : passTo;
		const owner = conversation.data.threadOwner;
		// A re-run on an open case whose thread was already passed there: Meta would refuse a second
		// pass (this app no longer owns the thread), so it is not asked again.
		if (!casePackage.created && owner?.owner === 'other' && owner.appId === ownerAppId)
			return {
				output,
				json: {
					...caseJson,
					threadControl: {
						action: 'pass',
						ok: true,
						targetAppId: passTo,
						skipped: 'already passed for this case',
					},
				},
			};
		const { phoneNumberId, customerId } = conversation.data;
		const request = {
			action: 'pass' as const,
			option: 'Pass Thread Control To',
			phoneNumberId,
			customerId,
			targetAppId: passTo,
			metadata: casePackage.caseId,
		};
		return {
			output,
			json: caseJson,
			// The case is stored first, so the bot is quiet whatever Meta answers; a failed pass fails the
			// item with the case in it (the case stays open: a re-run passes again), so no human is left
			// believing they hold a thread Meta still routes here.
			after: async (update) => {
				const threadControl = await callThreadControl(this, itemIndex, request, {
					caseId: casePackage.caseId,
					caseCreated: casePackage.created,
					conversationKey: conversation.key,
				});
				const at = Date.now();
				await update((book) => {
					const stored = book.get(phoneNumberId, customerId);
					if (stored) recordThreadOwner(stored, 'other', at, ownerAppId, 'thread_control_pass');
				});
				return { ...caseJson, threadControl: threadControl as unknown as IDataObject };
			},
		};
	});
}
