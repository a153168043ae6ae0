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

import * as media from './actions/media/Media.resource';
import * as message from './actions/message/Message.resource';
import { router } from './actions/router';
import * as setup from './actions/setup/Setup.resource';
import { stateStoreProperty, testRedisConnection } from '../shared/stateStores';
import { configuredOutputs } from './helpers/configuredOutputs';
import { descriptionHints } from './helpers/hints';
import { searchTemplates } from './methods/listSearch';

/** WhatsApp Cloud API actions. The shell: descriptions and operations live in actions/, the engine that sends in helpers/, the Graph call in transport/. */
export class WhatsAppReliable implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Reliable',
		name: 'whatsAppReliable',
		icon: { light: 'file:whatsapp.svg', dark: 'file:whatsapp.dark.svg' },
		group: ['output'],
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle:
			'={{ {"send": "Send a message", "sendTemplate": "Send a template", "markAsRead": "Mark as read", "upload": "Upload media", "download": "Download media", "checkSetup": "Check setup"}[$parameter["operation"]] }}',
		description:
			"Send WhatsApp messages, templates and flows through the Cloud API, with retries that respect Meta's error classes and optional send-once",
		defaults: { name: 'WhatsApp Reliable' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: `={{(${configuredOutputs})($parameter)}}`,
		credentials: [
			{ name: 'whatsAppCloudApi', required: true },
			// When State Store is Redis (queue mode).
			{
				name: 'whatsAppRedisApi',
				required: true,
				testedBy: 'whatsAppRedisConnectionTest',
				displayOptions: { show: { resource: ['message', 'setup'], stateStore: ['redis'] } },
			},
		],
		hints: descriptionHints,
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				default: 'message',
				options: [
					{ name: 'Message', value: 'message' },
					{ name: 'Media', value: 'media' },
					{ name: 'Setup', value: 'setup' },
				],
			},
			...message.description,
			...media.description,
			...setup.description,
			{ ...stateStoreProperty, displayOptions: { show: { resource: ['message', 'setup'] } } },
		],
	};

	methods = {
		listSearch: { searchTemplates },
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
