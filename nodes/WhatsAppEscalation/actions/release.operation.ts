import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { unansweredInbound } from '../../core/casePackage';
import { release } from '../../core/lease';
import { forEachItem } from '../helpers/forEachItem';
import { resolveConversation } from '../helpers/resolveConversation';
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
		return { output: 0, json: output };
	});
}
