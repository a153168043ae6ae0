import { z } from 'zod';

import { envelope, type OutgoingMessage, type SendCommon } from './envelope';
import { LIMITS } from './limits';
import { mediaRef, type MediaRef } from './media';
import {
	fail,
	maxChars,
	maxCount,
	optionalText,
	parseJsonInput,
	requireText,
	requireUrl,
} from './validation';

export type HeaderInput =
	| { type: 'none' }
	| { type: 'text'; text: string }
	| { type: 'image' | 'video' | 'document'; media: MediaRef };

export interface InteractiveCommon {
	header?: HeaderInput;
	body: string;
	footer?: string;
}

type HeaderKind = Exclude<HeaderInput['type'], 'none'>;

function header(
	input: HeaderInput | undefined,
	allowed: readonly HeaderKind[],
): Record<string, unknown> | undefined {
	if (!input || input.type === 'none') return undefined;
	if (!allowed.includes(input.type))
		fail(
			'Header Type',
			`one of: ${allowed.join(', ')}`,
			`"${input.type}" is not allowed for this message`,
		);
	if (input.type === 'text')
		return {
			type: 'text',
			text: requireText('Header Text', input.text, LIMITS.interactiveHeaderText),
		};
	return { type: input.type, [input.type]: mediaRef('Header Media', input.media) };
}

/** Wraps an action in an interactive message with its header, body and footer. Shared with flow.ts. */
export function buildInteractive(
	common: SendCommon,
	type: string,
	parts: InteractiveCommon,
	action: Record<string, unknown>,
	headers: readonly HeaderKind[],
): OutgoingMessage {
	const body: Record<string, unknown> = { type };
	const head = header(parts.header, headers);
	if (head) body.header = head;
	body.body = { text: requireText('Body Text', parts.body, LIMITS.interactiveBody) };
	const footer = optionalText('Footer Text', parts.footer, LIMITS.interactiveFooter);
	if (footer !== undefined) body.footer = { text: footer };
	body.action = action;
	return envelope(common, 'interactive', body);
}

export interface ReplyButton {
	id: string;
	title: string;
}

export function buildReplyButtons(
	common: SendCommon,
	parts: InteractiveCommon,
	buttons: readonly ReplyButton[],
): OutgoingMessage {
	if (buttons.length === 0)
		fail('Buttons', `1 to ${LIMITS.replyButtons} buttons`, 'needs at least one button');
	maxCount('Buttons', buttons.length, LIMITS.replyButtons, 'buttons');
	const seenIds = new Set<string>();
	const seenTitles = new Set<string>();
	const list = buttons.map((button, index) => {
		const n = index + 1;
		const id = requireText(`Button ${n} ID`, button.id, LIMITS.replyButtonId);
		if (/^\s|\s$/.test(id))
			fail(`Button ${n} ID`, 'no leading or trailing spaces', 'has leading or trailing spaces');
		const title = requireText(`Button ${n} Title`, button.title, LIMITS.replyButtonTitle);
		if (seenIds.has(id)) fail(`Button ${n} ID`, 'unique button IDs', `"${id}" is used twice`);
		if (seenTitles.has(title))
			fail(`Button ${n} Title`, 'unique button titles', `"${title}" is used twice`);
		seenIds.add(id);
		seenTitles.add(title);
		return { type: 'reply', reply: { id, title } };
	});
	return buildInteractive(common, 'button', parts, { buttons: list }, [
		'text',
		'image',
		'video',
		'document',
	]);
}

const rowSchema = z
	.object({
		id: z.string().min(1, 'row id is required'),
		title: z.string().min(1, 'row title is required'),
		description: z.string().optional(),
	})
	.strict();
const sectionSchema = z
	.object({
		title: z.string().optional(),
		rows: z.array(rowSchema).min(1, 'a section needs at least one row'),
	})
	.strict();
/** List sections as the operator types them: Meta's own `sections` shape. */
const listSectionsSchema = z.array(sectionSchema).min(1, 'at least one section is required');
export type ListSection = z.infer<typeof sectionSchema>;

export function buildList(
	common: SendCommon,
	parts: InteractiveCommon,
	buttonText: string,
	sectionsInput: unknown,
): OutgoingMessage {
	const field = 'Sections (JSON)';
	const button = requireText('List Button Text', buttonText, LIMITS.listButtonText);
	const sections = parseJsonInput(field, sectionsInput, listSectionsSchema);
	maxCount(field, sections.length, LIMITS.listSections, 'sections');
	const rows = sections.reduce((sum, s) => sum + s.rows.length, 0);
	maxCount(field, rows, LIMITS.listRowsTotal, 'rows in all sections together');
	const ids = new Set<string>();
	sections.forEach((section, s) => {
		const at = `${field}[${s}]`;
		if (sections.length > 1 && !section.title)
			fail(`${at}.title`, 'a title on every section when there are several', 'is missing');
		if (section.title) maxChars(`${at}.title`, section.title, LIMITS.listSectionTitle);
		section.rows.forEach((row, r) => {
			maxChars(`${at}.rows[${r}].id`, row.id, LIMITS.listRowId);
			maxChars(`${at}.rows[${r}].title`, row.title, LIMITS.listRowTitle);
			if (row.description !== undefined)
				maxChars(`${at}.rows[${r}].description`, row.description, LIMITS.listRowDescription);
			if (ids.has(row.id))
				fail(`${at}.rows[${r}].id`, 'unique row IDs', `"${row.id}" is used twice`);
			ids.add(row.id);
		});
	});
	return buildInteractive(common, 'list', parts, { button, sections }, ['text']);
}

export function buildCtaUrl(
	common: SendCommon,
	parts: InteractiveCommon,
	displayText: string,
	url: string,
): OutgoingMessage {
	const action = {
		name: 'cta_url',
		parameters: {
			display_text: requireText('Button Text', displayText, LIMITS.ctaDisplayText),
			url: requireUrl('Button URL', url),
		},
	};
	return buildInteractive(common, 'cta_url', parts, action, ['text', 'image', 'video', 'document']);
}
