import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import * as erase from './erase.operation';
import * as escalate from './escalate.operation';
import * as get from './get.operation';
import * as release from './release.operation';
import * as route from './route.operation';

type Operation = (this: IExecuteFunctions) => Promise<INodeExecutionData[][]>;

const OPERATIONS: Record<string, Operation> = {
	route: route.execute,
	escalate: escalate.execute,
	release: release.execute,
	get: get.execute,
	erase: erase.execute,
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = OPERATIONS[operation];
	if (!run)
		throw new NodeOperationError(this.getNode(), `Operation: "${operation}" is not supported`);
	return await run.call(this);
}

export const descriptions = [
	...route.description,
	...escalate.description,
	...release.description,
	...get.description,
	...erase.description,
];
