/**
 * Building workflows for the e2e tests and reading what their nodes emitted, in one place.
 */
import { PACKAGE_NAME, type Execution } from './n8n';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A node of a workflow to import: its id is derived from its name. */
export const workflowNode = (
	name: string,
	type: string,
	parameters: Json,
	extra: Json = {},
): Json => ({
	id: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
	name,
	type,
	typeVersion: 1,
	position: [0, 0],
	parameters,
	...extra,
});

/** Connections from `[source, output index, target]` triples. */
export function connect(...pairs: Array<[string, number, string]>): Json {
	const connections: Json = {};
	for (const [from, output, to] of pairs) {
		connections[from] ??= { main: [] };
		while (connections[from].main.length <= output) connections[from].main.push([]);
		connections[from].main[output].push({ node: to, type: 'main', index: 0 });
	}
	return connections;
}

/** The items (json) on each output of a node in one execution (its first run). */
export function nodeOutputs(execution: Execution, nodeName: string): Json[][] {
	const main = execution.data.resultData.runData[nodeName][0].data.main as Array<Json[] | null>;
	return main.map((items) => (items ?? []).map((item) => item.json));
}

/** A workflow holding only the WhatsApp Reliable Trigger, named `WhatsApp Reliable Trigger` unless given. */
export function triggerOnlyWorkflow(options: {
	id: string;
	name: string;
	webhookId: string;
	credentialId: string;
	parameters?: Json;
	nodeName?: string;
}): Json {
	return {
		id: options.id,
		name: options.name,
		nodes: [
			workflowNode(
				options.nodeName ?? 'WhatsApp Reliable Trigger',
				'n8n-nodes-whatsapp-reliable.whatsAppReliableTrigger',
				options.parameters ?? {},
				{
					webhookId: options.webhookId,
					credentials: { whatsAppWebhookApi: { id: options.credentialId, name: 'webhook' } },
				},
			),
		],
		connections: {},
		settings: { executionOrder: 'v1' },
	};
}

/** Polls `check` until it returns something other than undefined or false; returns that. */
export async function until<T>(
	what: string,
	check: () => T | undefined | false,
	timeoutMs = 30_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = check();
		if (value !== undefined && value !== false) return value;
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
}

/**
 * The workflow with the Flow endpoint credential on its WhatsApp Flow Trigger and Flow Respond nodes: the
 * trigger decrypts the request, the respond node unwraps the request's key to encrypt its answer.
 */
export function withFlowCredential<T extends { nodes: Array<Record<string, unknown>> }>(
	workflow: T,
	credentialId: string,
): T {
	const flowNodes = [`${PACKAGE_NAME}.whatsAppFlowTrigger`, `${PACKAGE_NAME}.whatsAppFlowRespond`];
	return {
		...workflow,
		nodes: workflow.nodes.map((node) =>
			flowNodes.includes(node.type as string)
				? {
						...node,
						credentials: {
							whatsAppFlowEndpointApi: { id: credentialId, name: 'WhatsApp Flow Endpoint' },
						},
					}
				: node,
		),
	};
}
