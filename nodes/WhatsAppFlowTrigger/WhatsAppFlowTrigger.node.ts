import {
	NodeConnectionTypes,
	sleep,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IHookFunctions,
	type INodeCredentialTestResult,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { testFlowEndpointCredential } from './credentialTest';
import {
	DEFAULT_RESPONSE_TIMEOUT_MS,
	DEFAULT_TIMEOUT_MESSAGE,
	handleFlowWebhook,
	type FlowEndpointCredentials,
	type FlowHttpResponse,
	type FlowTriggerOptions,
} from './flowWebhook';

export class WhatsAppFlowTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Flow Trigger',
		name: 'whatsAppFlowTrigger',
		icon: { light: 'file:whatsapp.svg', dark: 'file:whatsapp.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: 'Flow data endpoint',
		description:
			'Serves a WhatsApp Flows data endpoint: checks the signature, decrypts, answers health checks and hands INIT, data_exchange and BACK requests to the workflow',
		defaults: { name: 'WhatsApp Flow Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Request', 'Error Notification'],
		credentials: [
			{ name: 'whatsAppFlowEndpointApi', required: true, testedBy: 'whatsAppFlowEndpointKeyTest' },
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				// Rejections, pings and error notifications are answered by webhook() itself
				// (noWebhookResponse). An exchange is answered by the WhatsApp Flow Respond node through
				// n8n's response path, which n8n carries from a queue worker to the process holding the
				// request.
				responseMode: 'responseNode',
				path: '={{$parameter["path"]}}',
			},
		],
		properties: [
			{
				displayName:
					'Every path from the Request output must reach a WhatsApp Flow Respond node with the same credential. If the execution fails or ends without one, the endpoint answers with the timeout message. Health checks and error notifications are answered here and start no execution (unless error notifications are emitted).',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: 'whatsapp-flow',
				required: true,
				description: "The last part of the endpoint URL to enter in the Flow's endpoint settings",
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Emit Error Notifications',
						name: 'emitErrorNotifications',
						type: 'boolean',
						default: false,
						description:
							'Whether to start an execution for each error notification (the client reporting that an answer was unusable), on the Error Notification output. They are always acknowledged and logged.',
					},
					{
						displayName: 'On Timeout or Failure',
						name: 'onTimeout',
						type: 'options',
						default: 'errorMessage',
						options: [
							{
								name: 'Show Error Message on the Current Screen',
								value: 'errorMessage',
								description:
									'Screen requests: the user stays on the screen and sees the message. INIT: HTTP 500, the client shows a generic error and the Flow can be opened again.',
							},
							{
								name: 'Invalidate the Flow Token (HTTP 427)',
								value: 'invalidToken',
								description: 'The client shows the message and disables the Flow for this token',
							},
						],
						description:
							'How the endpoint answers when the workflow fails or does not answer within the response timeout',
					},
					{
						displayName: 'Response Timeout (Ms)',
						name: 'responseTimeoutMs',
						type: 'number',
						typeOptions: { minValue: 100, maxValue: 30000 },
						default: DEFAULT_RESPONSE_TIMEOUT_MS,
						description:
							'If no WhatsApp Flow Respond node has answered by then, the endpoint answers with the timeout message. Meta waits 10 s; the default leaves 3 s for the network and n8n under load.',
					},
					{
						displayName: 'Timeout Message',
						name: 'timeoutMessage',
						type: 'string',
						default: DEFAULT_TIMEOUT_MESSAGE,
						description: 'The message the user sees when the workflow fails or is too slow',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: {
			async whatsAppFlowEndpointKeyTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				return testFlowEndpointCredential(credential.data as FlowEndpointCredentials);
			},
		},
	};

	// Nothing is registered with Meta: the endpoint URL is entered in the Flow's settings by hand.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject();
		const credentials = (await this.getCredentials(
			'whatsAppFlowEndpointApi',
		)) as FlowEndpointCredentials;
		const options = this.getNodeParameter('options', {}) as FlowTriggerOptions;
		const result = handleFlowWebhook({
			rawBody: (req as { rawBody?: Buffer }).rawBody,
			signatureHeader: req.headers['x-hub-signature-256'],
			credentials,
			options,
			response: this.getResponseObject() as unknown as FlowHttpResponse,
			wait: sleep,
			log: this.logger,
		});
		if (!result.answered) return { workflowData: result.workflowData };
		return result.workflowData
			? { noWebhookResponse: true, workflowData: result.workflowData }
			: { noWebhookResponse: true };
	}
}
