import {
	NodeConnectionTypes,
	NodeOperationError,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IExecuteFunctions,
	type INodeCredentialTestResult,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { FlowCryptoError, loadPrivateKey } from '../core/flowCrypto';
import type { FlowHttpAnswer } from '../core/flowEndpoint';
import { errorItem } from '../shared/errorItem';
import { testFlowEndpointCredential } from '../WhatsAppFlowTrigger/credentialTest';
import type { FlowEndpointCredentials } from '../WhatsAppFlowTrigger/flowWebhook';
import {
	ANSWERED_CONTEXT_KEY,
	assertAnswerable,
	buildReply,
	encryptAnswer,
	FlowRespondError,
	readFlowRequest,
	requireFlowRequest,
	type FlowAnswered,
	type FlowRequestToAnswer,
	type RespondParameters,
	type RespondWith,
} from './flowRespond';

const TRIGGER_NAME = 'whatsAppFlowTrigger';

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
		credentials: [
			{ name: 'whatsAppFlowEndpointApi', required: true, testedBy: 'whatsAppFlowEndpointKeyTest' },
		],
		properties: [
			{
				displayName:
					"Answers once, with the parameters of the first item, and passes all items through. Use the trigger's credential: its private key unwraps the request's key. It must run within the trigger's response timeout.",
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

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const passThrough = items.map((item, index) => ({ ...item, pairedItem: { item: index } }));
		if (items.length === 0) return [passThrough];
		const node = this.getNode();
		try {
			const request = requireFlowRequest(triggerRequest(this) ?? readFlowRequest(items[0].json));
			const flow = this.getContext('flow');
			assertAnswerable(request, flow[ANSWERED_CONTEXT_KEY] as FlowAnswered | undefined, Date.now());
			const reply = buildReply(readParameters(this), request);
			const answer = await encryptWithCredential(this, reply, request);
			// n8n hands this to the process holding the HTTP request (in queue mode, from this worker to
			// the webhook process); only the ciphertext travels.
			await this.sendResponse({
				statusCode: answer.status,
				headers: { 'content-type': 'text/plain' },
				body: answer.body,
			});
			const answered: FlowAnswered = {
				requestId: request.requestId ?? null,
				status: answer.status,
				node: node.name,
			};
			flow[ANSWERED_CONTEXT_KEY] = answered;
		} catch (error) {
			const description =
				error instanceof FlowRespondError
					? error.description
					: error instanceof FlowCryptoError
						? `${error.message}. Select the same WhatsApp Flow Endpoint credential as the WhatsApp Flow Trigger. The endpoint answers with the trigger's timeout message.`
						: undefined;
			const nodeError = new NodeOperationError(node, error as Error, { itemIndex: 0, description });
			if (this.continueOnFail()) {
				return [
					passThrough.map((item, index) => ({
						...item,
						...errorItem(node, nodeError.message, index, { input: item.json }),
					})),
				];
			}
			throw nodeError;
		}
		return [passThrough];
	}
}

function readParameters(context: IExecuteFunctions): RespondParameters {
	const respondWith = context.getNodeParameter('respondWith', 0) as RespondWith;
	const parameters: RespondParameters = { respondWith };
	if (respondWith === 'nextScreen') {
		parameters.screen = context.getNodeParameter('screen', 0) as string;
		parameters.data = context.getNodeParameter('data', 0, '{}');
	} else if (respondWith === 'complete') {
		parameters.params = context.getNodeParameter('params', 0, '{}');
	} else {
		parameters.errorMessage = context.getNodeParameter('errorMessage', 0, '') as string;
	}
	return parameters;
}

/**
 * The request of this execution, read from the WhatsApp Flow Trigger's own output, so nodes in
 * between may reshape the items. Undefined if no such trigger ran before this node.
 */
function triggerRequest(context: IExecuteFunctions): FlowRequestToAnswer | undefined {
	const trigger = context
		.getParentNodes(context.getNode().name)
		.find((parent) => parent.type === TRIGGER_NAME || parent.type.endsWith(`.${TRIGGER_NAME}`));
	if (!trigger) return undefined;
	let json: unknown;
	try {
		const proxy = context.getWorkflowDataProxy(0) as unknown as {
			$: (name: string) => { first: () => { json?: unknown } | undefined };
		};
		json = proxy.$(trigger.name).first()?.json;
	} catch {
		json = undefined; // the trigger did not run in this execution
	}
	return readFlowRequest(json);
}

async function encryptWithCredential(
	context: IExecuteFunctions,
	reply: ReturnType<typeof buildReply>,
	request: FlowRequestToAnswer,
): Promise<FlowHttpAnswer> {
	const credentials = (await context.getCredentials(
		'whatsAppFlowEndpointApi',
	)) as FlowEndpointCredentials;
	const privateKey = loadPrivateKey(
		credentials.privateKey ?? '',
		credentials.passphrase || undefined,
	);
	return encryptAnswer(reply, request, privateKey);
}
