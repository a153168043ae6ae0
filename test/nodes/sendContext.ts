/**
 * A hand-made IExecuteFunctions for the WhatsApp Reliable node: parameters per item, credentials
 * pointing at the fake Graph API, binary helpers, static data, and an httpRequestWithAuthentication
 * that behaves like n8n's (bearer token, returnFullResponse, ignoreHttpStatusErrors, arraybuffer).
 */
import type {
	IBinaryData,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	INode,
	INodeExecutionData,
	NodeExecutionHint,
	NodeTypeAndVersion,
} from 'n8n-workflow';

import { FakeWorkflowDatabase } from '../support/n8nStaticData';

export type Params = Record<string, unknown>;

export interface MockOptions {
	/** Parameters for all items, or per item. */
	params: Params | ((itemIndex: number) => Params);
	items?: INodeExecutionData[];
	credentials: IDataObject;
	continueOnFail?: boolean;
	/** The workflow's stored static data, shared between contexts to simulate executions of one workflow. */
	database?: FakeWorkflowDatabase;
	workflowId?: string;
	nodeId?: string;
	/** The node setting On Error (continueOnFail() is true for both Continue settings). */
	onError?: INode['onError'];
	/** The node's parents in the workflow (getParentNodes), e.g. a Webhook trigger. */
	parents?: NodeTypeAndVersion[];
}

export interface MockContext extends IExecuteFunctions {
	/** The end of the execution: n8n saves the static data it loaded at its start, if anything was written. */
	finish(): void;
	readonly warnings: string[];
	readonly httpCalls: IHttpRequestOptions[];
	/** What the node passed to addExecutionHints. */
	readonly hints: NodeExecutionHint[];
}

export async function n8nLikeRequest(
	credentials: IDataObject,
	options: IHttpRequestOptions,
): Promise<unknown> {
	const url = new URL(options.url, options.baseURL);
	for (const [key, value] of Object.entries(options.qs ?? {}))
		if (value !== undefined) url.searchParams.set(key, String(value));
	const headers: Record<string, string> = {};
	for (const [key, value] of Object.entries(options.headers ?? {})) headers[key] = String(value);
	headers.Authorization = `Bearer ${String(credentials.accessToken)}`;
	let body: string | Buffer | undefined;
	if (Buffer.isBuffer(options.body)) body = options.body;
	else if (options.body !== undefined) {
		body = JSON.stringify(options.body);
		headers['Content-Type'] ??= 'application/json';
	}
	const response = await fetch(url, {
		method: options.method ?? 'GET',
		headers,
		body,
		signal: AbortSignal.timeout(options.timeout ?? 30_000),
	});
	const buffer = Buffer.from(await response.arrayBuffer());
	let parsed: unknown = buffer;
	if (options.encoding !== 'arraybuffer') {
		const text = buffer.toString('utf8');
		parsed =
			(response.headers.get('content-type') ?? '').includes('json') && text
				? JSON.parse(text)
				: text;
	}
	if (!options.ignoreHttpStatusErrors && response.status >= 400)
		throw Object.assign(new Error(`Request failed with status code ${response.status}`), {
			httpCode: String(response.status),
		});
	if (!options.returnFullResponse) return parsed;
	return {
		statusCode: response.status,
		statusMessage: response.statusText,
		headers: Object.fromEntries(response.headers.entries()),
		body: parsed,
	};
}

export function mockContext(options: MockOptions): MockContext {
	const items: INodeExecutionData[] = options.items ?? [{ json: {} }];
	const staticData = (options.database ?? new FakeWorkflowDatabase()).begin();
	const warnings: string[] = [];
	const httpCalls: IHttpRequestOptions[] = [];
	const hints: NodeExecutionHint[] = [];
	const node: INode = {
		id: options.nodeId ?? 'node-1',
		name: 'WhatsApp Reliable',
		type: 'n8n-nodes-whatsapp-reliable.whatsAppReliable',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		...(options.onError ? { onError: options.onError } : {}),
	};
	const paramsFor = (itemIndex: number): Params =>
		typeof options.params === 'function' ? options.params(itemIndex) : options.params;
	const binaryOf = (itemIndex: number, property: string): IBinaryData => {
		const binary = items[itemIndex]?.binary?.[property];
		if (!binary)
			throw new Error(
				`This operation expects the node's input data to contain a binary file '${property}', but none was found [item ${itemIndex}]`,
			);
		return binary;
	};

	const ctx = {
		finish: () => staticData.finishAndLand(),
		warnings,
		httpCalls,
		hints,
		addExecutionHints: (...added: NodeExecutionHint[]) => void hints.push(...added),
		getParentNodes: () => options.parents ?? [],
		getInputData: () => items,
		getNode: () => node,
		getWorkflow: () => ({ id: options.workflowId ?? 'wf-1', name: 'test', active: true }),
		getWorkflowStaticData: (type: string) => staticData.forNode(type, node.name),
		continueOnFail: () =>
			options.continueOnFail ?? options.onError?.startsWith('continue') ?? false,
		getCredentials: async () => options.credentials,
		getNodeParameter: (
			name: string,
			itemIndex: number,
			fallback?: unknown,
			extra?: { extractValue?: boolean },
		) => {
			const params = paramsFor(itemIndex);
			let value = name in params ? params[name] : fallback;
			if (value === undefined) throw new Error(`Could not get parameter "${name}"`);
			if (extra?.extractValue && value && typeof value === 'object' && 'value' in (value as object))
				value = (value as { value: unknown }).value;
			return value;
		},
		logger: {
			warn: (message: string) => warnings.push(message),
			info: () => undefined,
			debug: () => undefined,
			error: () => undefined,
			verbose: () => undefined,
		},
		helpers: {
			httpRequestWithAuthentication: async (_type: string, request: IHttpRequestOptions) => {
				httpCalls.push(request);
				return await n8nLikeRequest(options.credentials, request);
			},
			assertBinaryData: (itemIndex: number, property: string) => binaryOf(itemIndex, property),
			getBinaryDataBuffer: async (itemIndex: number, property: string) =>
				Buffer.from(binaryOf(itemIndex, property).data, 'base64'),
			prepareBinaryData: async (
				data: Buffer,
				fileName?: string,
				mimeType?: string,
			): Promise<IBinaryData> => ({
				data: data.toString('base64'),
				fileName,
				mimeType: mimeType ?? 'application/octet-stream',
				fileSize: String(data.length),
			}),
		},
	};
	return ctx as unknown as MockContext;
}

/** An input item with a binary file. */
export function binaryItem(
	data: Buffer,
	mimeType: string,
	fileName: string,
	property = 'data',
): INodeExecutionData {
	return {
		json: {},
		binary: {
			[property]: {
				data: data.toString('base64'),
				mimeType,
				fileName,
				fileSize: String(data.length),
			},
		},
	};
}

/** Replaces the node's sleep, clock and random with instant, recorded ones; returns the recorded waits. */
export function instantRuntime(
	runtime: { sleep: (ms: number) => Promise<void>; now: () => number; random: () => number },
	random = () => 0.5,
) {
	const original = { ...runtime };
	const sleeps: number[] = [];
	// Starts at the real time: the store snapshots with Date.now().
	let clock = Date.now();
	runtime.now = () => clock;
	runtime.sleep = async (ms: number) => {
		sleeps.push(ms);
		clock += ms;
		await Promise.resolve();
	};
	runtime.random = random;
	return {
		sleeps,
		advance: (ms: number) => (clock += ms),
		restore: () => Object.assign(runtime, original),
	};
}
