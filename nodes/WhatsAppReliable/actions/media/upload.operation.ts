import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { checkUploadSize, parseBody, type MediaKind } from '../../../core/messages';
import { uploadMedia } from '../../transport';
import { executeJobs, failedCall } from '../../helpers/itemJobs';
import { optionsProperty } from '../options.description';
import { MEDIA_KIND_OPTIONS, sortedByName } from '../optionLists';

const properties: INodeProperties[] = [
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: 'The binary field of the input item that holds the file',
	},
	{
		displayName: 'Media Type',
		name: 'mediaKind',
		type: 'options',
		default: 'auto',
		options: [
			{ name: 'Automatic (From MIME Type)', value: 'auto' },
			...sortedByName(MEDIA_KIND_OPTIONS),
		],
		description:
			"Decides which of Meta's size limits applies (image 5 MB, video and audio 16 MB, document 100 MB, sticker 500 KB)",
	},
	optionsProperty,
];

const displayOptions = { show: { resource: ['media'], operation: ['upload'] } };

export const description = updateDisplayOptions(displayOptions, properties);

function kindOf(mimeType: string): MediaKind {
	if (mimeType === 'image/webp') return 'sticker';
	if (mimeType.startsWith('image/')) return 'image';
	if (mimeType.startsWith('video/')) return 'video';
	if (mimeType.startsWith('audio/')) return 'audio';
	return 'document';
}

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await executeJobs(
		this,
		async (itemIndex, session) => {
			const property = String(this.getNodeParameter('binaryPropertyName', itemIndex, 'data'));
			const binary = this.helpers.assertBinaryData(itemIndex, property);
			const data = await this.helpers.getBinaryDataBuffer(itemIndex, property);
			const chosen = this.getNodeParameter('mediaKind', itemIndex, 'auto') as MediaKind | 'auto';
			const kind = chosen === 'auto' ? kindOf(binary.mimeType) : chosen;
			checkUploadSize(kind, data.length, `Input Binary Field "${property}"`);
			const fileName = binary.fileName ?? `file.${binary.fileExtension ?? 'bin'}`;
			return {
				itemIndex,
				lane: `upload-${itemIndex}`,
				run: async () => {
					const result = await uploadMedia(
						this,
						session.target,
						{ data, fileName, mimeType: binary.mimeType },
						session.policy,
					);
					if (!result.ok) return failedCall(session, itemIndex, result);
					const answer = parseBody(result.value.body) as { id?: string } | undefined;
					return {
						kind: 'ok',
						output: 0,
						json: {
							mediaId: answer?.id ?? null,
							mediaType: kind,
							mimeType: binary.mimeType,
							fileName,
							fileSize: data.length,
							attempts: result.attempts,
						},
					};
				},
			};
		},
		{ needsPhoneNumberId: true },
	);
}
