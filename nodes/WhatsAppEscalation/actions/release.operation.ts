import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { unansweredInbound } from '../../core/casePackage';
import { recordThreadOwner, release } from '../../core/lease';
import { forEachItem } from '../helpers/forEachItem';
import { resolveConversation } from '../helpers/resolveConversation';
import { callThreadControl } from '../helpers/threadControl';
import { conversationProperties } from './conversation.description';

/** Release: the human is done; the conversation goes back to the bot (or is closed until the customer writes). */

const properties: INodeProperties[] = [
	...conversationProperties,
	{
		displayName: 'Return To',
		name: 'releaseTo',
		type: 'options',
		default: 'bot',
		options: [
			{ name: 'Bot', value: 'bot', description: 'The bot answers the next message' },
			{
				name: 'Closed',
				value: 'closed',
				description: 'Nobody owns it; the next customer message opens it again with the bot',
			},
		],
	},
	{
		displayName: 'Take Thread Control',
		name: 'takeThreadControl',
		type: 'boolean',
		default: false,
		description:
			"Whether to take the customer's thread back from the other app (e.g. the human inbox) under Meta's conversation routing, so the bot may answer again. Needs a WhatsApp Cloud API credential. Only for numbers that use conversation routing.",
	},
];

const displayOptions = { show: { operation: ['release'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await forEachItem(this, 1, (book, itemIndex, json, now) => {
		const conversation = resolveConversation(this, book, itemIndex, json, { create: true, now })!;
		const to = this.getNodeParameter('releaseTo', itemIndex, 'bot') === 'closed' ? 'closed' : 'bot';
		const result = release(conversation, to, now);
		const output: IDataObject = {
			released: result.released,
			caseId: result.caseId,
			previousOwner: result.previousOwner,
			owner: conversation.data.ownership.owner,
			releasedAt: new Date(now).toISOString(),
			conversationKey: conversation.key,
			phoneNumberId: conversation.data.phoneNumberId,
			customer: { id: conversation.data.customerId, profileName: conversation.data.profile.name },
			// What the customer wrote that nobody answered yet: the bot can pick it up from here.
			unansweredInbound: unansweredInbound(conversation) as unknown as IDataObject[],
		};
		if (this.getNodeParameter('takeThreadControl', itemIndex, false) !== true)
			return { output: 0, json: output };

		const { phoneNumberId, customerId } = conversation.data;
		const request = {
			action: 'take' as const,
			option: 'Take Thread Control',
			phoneNumberId,
			customerId,
			targetAppId: null,
		};
		return {
			output: 0,
			json: output,
			// The release is stored first. If the take fails, the thread owner stays as recorded: while
			// another app owns the thread, Route keeps the customer's items on Already With Human.
			after: async (update) => {
				const threadControl = await callThreadControl(this, itemIndex, request, {
					released: result.released,
					caseId: result.caseId,
					conversationKey: conversation.key,
				});
				const at = Date.now();
				await update((book) => {
					const stored = book.get(phoneNumberId, customerId);
					if (stored) recordThreadOwner(stored, 'this_app', at, null, 'thread_control_take');
				});
				return { ...output, threadControl: threadControl as unknown as IDataObject };
			},
		};
	});
}
