import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import * as media from './media/Media.resource';
import * as message from './message/Message.resource';
import * as setup from './setup/Setup.resource';

type Operation = (this: IExecuteFunctions) => Promise<INodeExecutionData[][]>;

const OPERATIONS: Record<string, Record<string, Operation>> = {
	message: {
		send: message.send.execute,
		sendTemplate: message.sendTemplate.execute,
		markAsRead: message.markAsRead.execute,
	},
	media: { upload: media.upload.execute, download: media.download.execute },
	setup: { checkSetup: setup.checkSetup.execute },
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = OPERATIONS[resource]?.[operation];
	if (!run)
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operation}" of resource "${resource}" is not supported`,
		);
	return await run.call(this);
}
