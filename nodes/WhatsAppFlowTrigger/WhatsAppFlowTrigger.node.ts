import {
	NodeConnectionTypes,
	sleep,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IExecuteFunctions,
	type IHookFunctions,
	type INodeCredentialTestResult,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { asString } from '../core/coerce';
import { testFlowEndpointCredential } from './credentialTest';
import { flowExchanges } from '../shared/flowExchangeRegistry';
import {
	DEFAULT_RESPONSE_TIMEOUT_MS,
	DEFAULT_TIMEOUT_MESSAGE,
	handleFlowWebhook,
	type FlowEndpointCredentials,
	type FlowTriggerOptions,
} from './flowWebhook';
import { triggerInput } from '../shared/triggerInput';

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
				// The node writes every HTTP answer itself (noWebhookResponse), encrypted where Meta expects it.
				responseMode: 'onReceived',
				path: '={{$parameter["path"]}}',
			},
		],
		properties: [
			{
				displayName:
					'Answer every request on the Request output with a WhatsApp Flow Respond node. Health checks and error notifications are answered here and start no execution (unless error notifications are emitted).',
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
		const res = this.getResponseObject();
		const credentials = (await this.getCredentials(
			'whatsAppFlowEndpointApi',
		)) as FlowEndpointCredentials;
		const options = this.getNodeParameter('options', {}) as FlowTriggerOptions;
		const result = handleFlowWebhook({
			rawBody: (req as { rawBody?: Buffer }).rawBody,
			signatureHeader: req.headers['x-hub-signature-256'],
			credentials,
			options,
			registry: flowExchanges,
			write: (answer) => {
				if (res.headersSent || res.writableEnded) return false;
				res.status(answer.status).type('text/plain').send(answer.body);
				return true;
			},
			wait: sleep,
			log: this.logger,
		});
		return result.workflowData
			? { noWebhookResponse: true, workflowData: result.workflowData }
			: { noWebhookResponse: true };
	}

	/**
	 * Runs inside the execution the webhook started: ties the open request to this execution's id, so
	 * the respond node finds it even when the nodes in between reshape the item.
	 */
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const requests = triggerInput(this, 0);
		const notifications = triggerInput(this, 1);
		const executionId = this.getExecutionId();
		for (const item of requests) {
			const requestId = asString(item.json.requestId);
			if (requestId !== null && executionId) flowExchanges.bindExecution(requestId, executionId);
		}
		return [requests, notifications];
	}
}
