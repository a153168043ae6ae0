import type { INodeProperties } from 'n8n-workflow';

import * as download from './download.operation';
import * as upload from './upload.operation';

export { download, upload };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['media'] } },
		default: 'upload',
		options: [
			{
				name: 'Download',
				value: 'download',
				action: 'Download a media file',
				description: 'Download an inbound media file as an n8n binary',
			},
			{
				name: 'Upload',
				value: 'upload',
				action: 'Upload a media file',
				description: 'Upload an n8n binary and get a media ID to send',
			},
		],
	},
	...upload.description,
	...download.description,
];
