import { envelope, type OutgoingMessage, type SendCommon } from './envelope';
import { LIMITS } from './limits';
import { fail, optionalText, requireText, requireUrl } from './validation';

/** Every kind of media message: the one list the node's option lists are built from. */
export const MEDIA_KINDS = ['image', 'video', 'audio', 'document', 'sticker'] as const;

export type MediaKind = (typeof MEDIA_KINDS)[number];

/** The kinds that may carry a caption. */
export const CAPTIONED_MEDIA_KINDS = [
	'image',
	'video',
	'document',
] as const satisfies readonly MediaKind[];

/** A media object is named by an uploaded media id or by a public link. */
export type MediaRef = { id: string } | { link: string };

export interface MediaInput {
	media: MediaRef;
	/** image, video and document only. */
	caption?: string;
	/** document only: the file name shown to the user. */
	filename?: string;
}

const CAPTIONED: ReadonlySet<MediaKind> = new Set(CAPTIONED_MEDIA_KINDS);

/** Checks a media reference: exactly one of id or link. */
export function mediaRef(field: string, ref: MediaRef): MediaRef {
	if ('id' in ref) return { id: requireText(`${field} ID`, ref.id).trim() };
	return { link: requireUrl(`${field} URL`, ref.link) };
}

export function buildMedia(
	common: SendCommon,
	kind: MediaKind,
	input: MediaInput,
): OutgoingMessage {
	const body: Record<string, unknown> = { ...mediaRef('Media', input.media) };
	const caption = optionalText('Caption', input.caption, LIMITS.mediaCaption);
	if (caption !== undefined) {
		if (!CAPTIONED.has(kind))
			fail(
				'Caption',
				'only image, video and document messages have a caption',
				`is not allowed on ${kind} messages`,
			);
		body.caption = caption;
	}
	const filename = optionalText('File Name', input.filename, LIMITS.documentFilename);
	if (filename !== undefined) {
		if (kind !== 'document')
			fail(
				'File Name',
				'only document messages have a file name',
				`is not allowed on ${kind} messages`,
			);
		body.filename = filename;
	}
	return envelope(common, kind, body);
}

/** Meta's upload size limit for a kind, checked before uploading an n8n binary. */
export function checkUploadSize(kind: MediaKind, bytes: number, field = 'Binary Property'): void {
	const max = LIMITS.mediaBytes[kind];
	if (bytes > max) {
		fail(
			field,
			`${kind} files up to ${formatBytes(max)}`,
			`is ${formatBytes(bytes)}; WhatsApp accepts ${kind} files up to ${formatBytes(max)}`,
		);
	}
	if (bytes === 0) fail(field, 'a non-empty file', 'is empty');
}

function formatBytes(bytes: number): string {
	if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
	return `${Math.round(bytes / 1024)} KB`;
}
