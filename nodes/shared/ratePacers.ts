import type { INode, IWorkflowMetadata } from 'n8n-workflow';

import { RatePacer, RatePacers } from '../core/ratePacer';

/**
 * One messages-per-second ceiling per send node in this n8n process, shared by all its concurrent
 * executions: keyed by workflow and node id (the node's name when it has no id), like the workflow
 * state. A restart starts with a full bucket of one token, which is all a bucket ever holds.
 */
const pacers = new RatePacers();

export function nodeRatePacer(
	ctx: { getWorkflow(): IWorkflowMetadata; getNode(): INode },
	perSecond: number,
): RatePacer {
	const node = ctx.getNode();
	return pacers.get(`${ctx.getWorkflow().id ?? 'unsaved'}:${node.id ?? node.name}`, perSecond);
}
