import type { INodePropertyOptions } from 'n8n-workflow';

import { MEDIA_KINDS, type MediaKind } from '../../core/messages';

/** Option lists that descriptions of both resources show, built from the core's typed lists. */

const MEDIA_KIND_NAMES: Record<MediaKind, string> = {
	audio: 'Audio',
	document: 'Document',
	image: 'Image',
	sticker: 'Sticker',
	video: 'Video',
};

/** One option per media kind. */
export const MEDIA_KIND_OPTIONS: INodePropertyOptions[] = MEDIA_KINDS.map((kind) => ({
	name: MEDIA_KIND_NAMES[kind],
	value: kind,
}));

/** n8n lists options sorted by name. */
export function sortedByName(options: INodePropertyOptions[]): INodePropertyOptions[] {
	return [...options].sort((a, b) => a.name.localeCompare(b.name));
}
