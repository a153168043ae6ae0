import {
	buildContacts,
	buildCtaUrl,
	buildFlow,
	buildList,
	buildLocation,
	buildMedia,
	buildReaction,
	buildReplyButtons,
	buildText,
	CAPTIONED_MEDIA_KINDS,
	checkUploadSize,
	MEDIA_KINDS,
	type HeaderInput,
	type InteractiveCommon,
	type MediaKind,
	type MediaRef,
	type SendCommon,
} from '../../core/messages';
import type { ItemParameters } from './itemParameters';
import type { MessageDraft } from './prepareSend';

/** Send's message types, one reader each: what the item's parameters say, as a message builder. */

type MessageReader = (
	item: ItemParameters,
	common: SendCommon,
) => Promise<Omit<MessageDraft, 'onWindowClosed'>>;

const NON_MEDIA_TYPES = [
	'text',
	'location',
	'contacts',
	'reaction',
	'buttons',
	'list',
	'ctaUrl',
	'flow',
] as const;

export const MESSAGE_TYPES = [...MEDIA_KINDS, ...NON_MEDIA_TYPES] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const isMessageType = (value: unknown): value is MessageType =>
	(MESSAGE_TYPES as readonly unknown[]).includes(value);

function mediaReader(kind: MediaKind): MessageReader {
	return async ({ ctx, itemIndex, param }, common) => {
		const source = param('mediaSource', 'id');
		const caption = (CAPTIONED_MEDIA_KINDS as readonly MediaKind[]).includes(kind)
			? String(param('caption', ''))
			: undefined;
		const filename = kind === 'document' ? String(param('filename', '')) : undefined;
		let upload: MessageDraft['upload'];
		let ref: MediaRef;
		if (source === 'binary') {
			const property = String(param('binaryPropertyName', 'data'));
			const binary = ctx.helpers.assertBinaryData(itemIndex, property);
			const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
			checkUploadSize(kind, data.length, `Input Binary Field "${property}"`);
			upload = {
				data,
				fileName: binary.fileName ?? `file.${binary.fileExtension ?? 'bin'}`,
				mimeType: binary.mimeType,
			};
			ref = { id: 'pending-upload' };
		} else {
			ref =
				source === 'link'
					? { link: String(param('mediaLink', '')) }
					: { id: String(param('mediaId', '')) };
		}
		const docName = kind === 'document' && !filename && upload ? upload.fileName : filename;
		return {
			upload,
			build: (mediaId) =>
				buildMedia(common, kind, {
					media: mediaId ? { id: mediaId } : ref,
					caption,
					filename: docName,
				}),
		};
	};
}

/** Header, body and footer of the interactive types. */
function interactiveParts({ param }: ItemParameters): InteractiveCommon {
	const type = param('headerType', 'none') as HeaderInput['type'];
	let header: HeaderInput;
	if (type === 'none') header = { type };
	else if (type === 'text') header = { type, text: String(param('headerText', '')) };
	else
		header = {
			type,
			media:
				param('headerMediaSource', 'link') === 'id'
					? { id: String(param('headerMediaId', '')) }
					: { link: String(param('headerMediaLink', '')) },
		};
	return {
		header,
		body: String(param('bodyText', '')),
		footer: String(param('footerText', '')),
	};
}

const MEDIA_READERS = Object.fromEntries(
	MEDIA_KINDS.map((kind) => [kind, mediaReader(kind)]),
) as Record<MediaKind, MessageReader>;

export const MESSAGE_READERS: Record<MessageType, MessageReader> = {
	...MEDIA_READERS,
	text: async ({ param }, common) => {
		const input = {
			body: String(param('text', '')),
			previewUrl: Boolean(param('previewUrl', false)),
		};
		return { build: () => buildText(common, input) };
	},
	location: async ({ param }, common) => {
		const input = {
			latitude: param('latitude') as number,
			longitude: param('longitude') as number,
			name: String(param('locationName', '')),
			address: String(param('address', '')),
		};
		return { build: () => buildLocation(common, input) };
	},
	contacts: async ({ param }, common) => {
		const contacts = param('contacts');
		return { build: () => buildContacts(common, contacts) };
	},
	reaction: async ({ param }, common) => {
		const input = {
			messageId: String(param('reactionMessageId', '')),
			emoji: String(param('emoji', '')),
			remove: Boolean(param('removeReaction', false)),
		};
		return { build: () => buildReaction(common, input) };
	},
	buttons: async (item, common) => {
		const parts = interactiveParts(item);
		const buttons = item
			.rows<{ id?: string; title?: string }>('buttons', 'button')
			.map((b) => ({ id: String(b.id ?? ''), title: String(b.title ?? '') }));
		return { build: () => buildReplyButtons(common, parts, buttons) };
	},
	list: async (item, common) => {
		const parts = interactiveParts(item);
		const button = String(item.param('listButtonText', ''));
		const sections = item.param('listSections');
		return { build: () => buildList(common, parts, button, sections) };
	},
	ctaUrl: async (item, common) => {
		const parts = interactiveParts(item);
		const text = String(item.param('ctaDisplayText', ''));
		const url = String(item.param('ctaUrl', ''));
		return { build: () => buildCtaUrl(common, parts, text, url) };
	},
	flow: async (item, common) => {
		const { param } = item;
		const action = param('flowAction', 'navigate') as 'navigate' | 'data_exchange';
		const input = {
			...interactiveParts(item),
			flow:
				param('flowBy', 'id') === 'name'
					? { name: String(param('flowName', '')) }
					: { id: String(param('flowId', '')) },
			flowToken: String(param('flowToken', '')),
			cta: String(param('flowCta', '')),
			mode: param('flowMode', 'published') as 'published' | 'draft',
			action,
			screen: action === 'navigate' ? String(param('flowScreen', '')) : undefined,
			data: action === 'navigate' ? param('flowData', '{}') : undefined,
		};
		return { build: () => buildFlow(common, input) };
	},
};
