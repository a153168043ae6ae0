import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { errorItem } from '../shared/errorItem';
import { flowExchanges } from '../shared/flowExchangeRegistry';
import {
	FlowRespondError,
	resolveRequestId,
	respondToFlow,
	type RespondParameters,
	type RespondWith,
} from './flowRespond';

// Answering a Flow request only makes sense inside the execution a WhatsApp Flow Trigger started;
// as an AI tool it would have no request to answer.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool
export class WhatsAppFlowRespond implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WhatsApp Flow Respond',
		name: 'whatsAppFlowRespond',
		icon: { light: 'file:whatsapp.svg', dark: 'file:whatsapp.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ {"nextScreen": "Next screen", "complete": "Complete the Flow", "errorMessage": "Error on screen", "invalidToken": "Invalid flow token"}[$parameter["respondWith"]] }}',
		description:
			'Answers the WhatsApp Flow request that started this execution, encrypted with its key',
		defaults: { name: 'WhatsApp Flow Respond' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{
				displayName:
					"Answers once, with the parameters of the first item, and passes all items through. It must run within the trigger's response timeout.",
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Respond With',
				name: 'respondWith',
				type: 'options',
				noDataExpression: true,
				default: 'nextScreen',
				options: [
					{
						name: 'Next Screen',
						value: 'nextScreen',
						description: 'Show a screen with data (the answer to INIT, data_exchange and BACK)',
					},
					{
						name: 'Complete the Flow',
						value: 'complete',
						description:
							'Close the Flow; the params (with the flow token) come back in the nfm_reply message webhook',
					},
					{
						name: 'Error Message on Current Screen',
						value: 'errorMessage',
						description: 'Keep the user on the screen they submitted and show a message',
					},
					{
						name: 'Invalid Flow Token (HTTP 427)',
						value: 'invalidToken',
						description: 'The session is over: the client shows the message and disables the Flow',
					},
				],
			},
			{
				displayName: 'Screen',
				name: 'screen',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'APPOINTMENT',
				description: 'The ID of the screen to show, as in the Flow JSON',
				displayOptions: { show: { respondWith: ['nextScreen'] } },
			},
			{
				displayName: 'Screen Data',
				name: 'data',
				type: 'json',
				default: '{}',
				description: 'The data the screen declares, as a JSON object',
				displayOptions: { show: { respondWith: ['nextScreen'] } },
			},
			{
				displayName: 'Response Params',
				name: 'params',
				type: 'json',
				default: '{}',
				description:
					'Extra fields for extension_message_response.params, as a JSON object. The flow token is added.',
				displayOptions: { show: { respondWith: ['complete'] } },
			},
			{
				displayName: 'Error Message',
				name: 'errorMessage',
				type: 'string',
				default: '',
				required: true,
				description: 'The text the user sees',
				displayOptions: { show: { respondWith: ['errorMessage', 'invalidToken'] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Request ID',
						name: 'requestId',
						type: 'string',
						default: '',
						description:
							'The requestId of the trigger item to answer. Leave empty to answer the request that started this execution.',
					},
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const passThrough = items.map((item, index) => ({ ...item, pairedItem: { item: index } }));
		if (items.length === 0) return [passThrough];
		const options = this.getNodeParameter('options', 0, {}) as { requestId?: string };
		const requestId = resolveRequestId(
			flowExchanges,
			options.requestId,
			this.getExecutionId(),
			items[0].json.requestId,
		);
		try {
			const result = respondToFlow(flowExchanges, requestId, () => {
				const respondWith = this.getNodeParameter('respondWith', 0) as RespondWith;
				const parameters: RespondParameters = { respondWith };
				if (respondWith === 'nextScreen') {
					parameters.screen = this.getNodeParameter('screen', 0) as string;
					parameters.data = this.getNodeParameter('data', 0, '{}');
				} else if (respondWith === 'complete') {
					parameters.params = this.getNodeParameter('params', 0, '{}');
				} else {
					parameters.errorMessage = this.getNodeParameter('errorMessage', 0, '') as string;
				}
				return parameters;
			});
			if (result.answered && !result.written) {
				this.logger.warn(
					`WhatsApp Flow request ${requestId} was answered after its connection had closed`,
				);
			}
		} catch (error) {
			const description = error instanceof FlowRespondError ? error.description : undefined;
			const nodeError = new NodeOperationError(this.getNode(), error as Error, {
				itemIndex: 0,
				description,
			});
			if (this.continueOnFail()) {
				return [
					passThrough.map((item, index) => ({
						...item,
						...errorItem(this.getNode(), nodeError.message, index, { input: item.json }),
					})),
				];
			}
			throw nodeError;
		}
		return [passThrough];
	}
}
