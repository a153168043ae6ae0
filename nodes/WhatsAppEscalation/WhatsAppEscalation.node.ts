import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	INodeCredentialTestResult,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { storeProperty } from './actions/conversation.description';
import { descriptions, router } from './actions/router';
import { configuredOutputs, OUTPUT_NAMES } from './helpers/configuredOutputs';
import { stateStoreProperty, testRedisConnection } from '../shared/stateStores';

const GATE_NOTICE =
	'Bot gate: put Route right after the WhatsApp Reliable Trigger and connect your bot only to the Bot output. Items of conversations a human owns leave on "Already With Human", so the bot never answers them. Connect the Human output to Escalate.';

/** Routes, escalates and releases WhatsApp conversations between a bot and humans. The shell: descriptions and operations live in actions/, the item loop and conversation lookup in helpers/. */
export class WhatsAppEscalation implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Escalation',
		name: 'whatsAppEscalation',
		icon: { light: 'file:escalation.svg', dark: 'file:escalation.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ {"route": "Route: bot or human", "escalate": "Hand to a human", "release": "Release to the bot", "get": "Get the conversation", "erase": "Erase customer data"}[$parameter["operation"]] }}',
		description:
			'Hands WhatsApp conversations from the bot to a human with the transcript and order context, once, and keeps the bot quiet until release',
		defaults: { name: 'WhatsApp Escalation' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		credentials: [
			// Conversation routing (thread_control): only when Escalate passes or Release takes the thread.
			// One entry (n8n checks the first entry of a credential type): shown for Escalate and Release,
			// hidden while "Pass Thread Control To" is empty or "Take Thread Control" is off (credentials take
			// values, not conditions; the other operation's parameter is absent, so it hides nothing).
			{
				name: 'whatsAppCloudApi',
				required: false,
				displayOptions: {
					show: { operation: ['escalate', 'release'] },
					hide: { passThreadControlTo: [''], takeThreadControl: [false] },
				},
			},
			// When State Store is Redis (queue mode).
			{
				name: 'whatsAppRedisApi',
				required: true,
				testedBy: 'whatsAppRedisConnectionTest',
				displayOptions: { show: { stateStore: ['redis'] } },
			},
		],
		outputs: `={{(${configuredOutputs})($parameter, ${JSON.stringify(OUTPUT_NAMES)})}}`,
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				default: 'route',
				options: [
					{
						name: 'Erase Customer Data',
						value: 'erase',
						action: 'Erase customer data',
						description:
							"Remove a customer's conversations (transcript, profile, orders, case) from this workflow's store",
					},
					{
						name: 'Escalate',
						value: 'escalate',
						action: 'Hand a conversation to a human',
						description:
							'Open a case (once per conversation) with the transcript and order context',
					},
					{
						name: 'Get',
						value: 'get',
						action: 'Get a conversation',
						description: 'Read the conversation record: owner, lease, orders, transcript',
					},
					{
						name: 'Release',
						value: 'release',
						action: 'Return a conversation to the bot',
						description: 'End the human lease; the bot answers again',
					},
					{
						name: 'Route',
						value: 'route',
						action: 'Route an item to human or bot',
						description: 'The bot gate: Human, Bot or Already With Human, by ordered rules',
					},
				],
			},
			{
				displayName: GATE_NOTICE,
				name: 'gateNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['route'] } },
			},
			...descriptions,
			stateStoreProperty,
			storeProperty,
		],
	};

	methods = {
		credentialTest: {
			async whatsAppRedisConnectionTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return await testRedisConnection(credential);
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
