import { createHash } from 'node:crypto';

import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeApiError, updateDisplayOptions } from 'n8n-workflow';

import { parseBody, requireText } from '../../../core/messages';
import { callGraph } from '../../transport';
import { executeJobs, failedCall } from '../../helpers/itemJobs';
import { optionsProperty } from '../options.description';

const properties: INodeProperties[] = [
	{
		displayName: 'Media ID',
		name: 'mediaId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 1037543291543636',
		description:
			'The ID of an inbound image, audio, video, document or sticker (media URLs expire after a few minutes; the ID is what to keep)',
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
	},
	{
		displayName: 'File Name',
		name: 'fileName',
		type: 'string',
		default: '',
		description: 'Leave empty for the media ID followed by the extension of its MIME type',
	},
	optionsProperty,
];

const displayOptions = { show: { resource: ['media'], operation: ['download'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const EXTENSIONS: Record<string, string> = {
	'image/jpeg': 'jpg',
	'image/png': 'png',
	'image/webp': 'webp',
	'video/mp4': 'mp4',
	'video/3gpp': '3gp',
	'audio/ogg': 'ogg',
	'audio/mpeg': 'mp3',
	'audio/mp4': 'm4a',
	'audio/aac': 'aac',
	'audio/amr': 'amr',
	'application/pdf': 'pdf',
	'text/plain': 'txt',
};

function fileNameFor(mediaId: string, mimeType: string): string {
	const base = mimeType.split(';')[0].trim();
	return `${mediaId}.${EXTENSIONS[base] ?? base.split('/')[1]?.replace(/[^a-z0-9]/gi, '') ?? 'bin'}`;
}

interface MediaInfo {
	url?: string;
	mime_type?: string;
	sha256?: string;
	file_size?: number | string;
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await executeJobs(
		this,
		async (itemIndex, session) => {
			const mediaId = requireText(
				'Media ID',
				this.getNodeParameter('mediaId', itemIndex, ''),
			).trim();
			const property = String(this.getNodeParameter('binaryPropertyName', itemIndex, 'data'));
			const chosenName = String(this.getNodeParameter('fileName', itemIndex, '')).trim();
			return {
				itemIndex,
				lane: `download-${itemIndex}`,
				run: async () => {
					// Two calls: the media's metadata (a short-lived URL), then the bytes with the same token.
					const meta = await callGraph(
						this,
						session.target,
						{ method: 'GET', path: encodeURIComponent(mediaId) },
						session.policy,
					);
					if (!meta.ok) return failedCall(session, itemIndex, meta);
					const info = (parseBody(meta.value.body) ?? {}) as MediaInfo;
					if (typeof info.url !== 'string' || info.url === '') {
						throw new NodeApiError(
							this.getNode(),
							{ message: 'no url' },
							{
								message: `Meta returned no download URL for media ${mediaId}`,
								description: 'The media may have expired or belong to another phone number.',
								itemIndex,
							},
						);
					}
					const file = await callGraph(
						this,
						session.target,
						{ method: 'GET', url: info.url, binary: true },
						session.policy,
					);
					if (!file.ok) return failedCall(session, itemIndex, file);
					const body = file.value.body;
					const data = Buffer.isBuffer(body)
						? body
						: body instanceof ArrayBuffer
							? Buffer.from(body)
							: Buffer.from(String(body ?? ''));
					const mimeType =
						info.mime_type ??
						String(file.value.headers['content-type'] ?? 'application/octet-stream');
					const fileName = chosenName || fileNameFor(mediaId, mimeType);
					const sha256 = createHash('sha256').update(data).digest('hex');
					const binary = await this.helpers.prepareBinaryData(
						data,
						fileName,
						mimeType.split(';')[0],
					);
					return {
						kind: 'ok',
						output: 0,
						json: {
							mediaId,
							mimeType,
							fileName,
							fileSize: data.length,
							sha256,
							// Meta states the file's SHA-256; a mismatch means a truncated or altered download.
							sha256Verified: info.sha256 ? info.sha256 === sha256 : null,
						},
						binary: { [property]: binary },
					};
				},
			};
		},
		{ needsPhoneNumberId: false },
	);
}
