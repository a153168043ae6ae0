import {
	buildTemplate,
	type MediaRef,
	type OutgoingMessage,
	type SendCommon,
	type TemplateButton,
	type TemplateHeader,
	type TemplateParam,
} from '../../core/messages';
import type { ItemParameters } from './itemParameters';

/** Send Template's parameters, read into a template message. */

/** A template picked from the list carries its language: "name|language". */
function parseTemplateValue(value: string): { name: string; language?: string } {
	const [name, language] = value.split('|');
	return { name: name.trim(), language: language?.trim() || undefined };
}

interface BodyRow {
	name?: string;
	type?: string;
	text?: string;
	currencyCode?: string;
	amount1000?: number;
	fallbackValue?: string;
}

interface ButtonRow {
	subType?: string;
	index?: number;
	payload?: string;
	urlSuffix?: string;
	couponCode?: string;
	flowToken?: string;
	flowActionData?: unknown;
}

function templateHeader({ param }: ItemParameters): TemplateHeader {
	const type = param('templateHeaderType', 'none') as TemplateHeader['type'];
	switch (type) {
		case 'text':
			return {
				type,
				text: String(param('templateHeaderText', '')),
				parameterName: String(param('templateHeaderParameterName', '')),
			};
		case 'image':
		case 'video':
		case 'document': {
			const media: MediaRef =
				param('templateHeaderMediaSource', 'link') === 'id'
					? { id: String(param('templateHeaderMediaId', '')) }
					: { link: String(param('templateHeaderMediaLink', '')) };
			return type === 'document'
				? { type, media, filename: String(param('templateHeaderFilename', '')) }
				: { type, media };
		}
		case 'location':
			return {
				type,
				location: {
					latitude: param('templateHeaderLatitude', 0) as number,
					longitude: param('templateHeaderLongitude', 0) as number,
					name: String(param('templateHeaderLocationName', '')),
					address: String(param('templateHeaderAddress', '')),
				},
			};
		default:
			return { type: 'none' };
	}
}

function bodyParam(row: BodyRow): TemplateParam {
	const name = row.name || undefined;
	if (row.type === 'currency')
		return {
			type: 'currency',
			code: String(row.currencyCode ?? ''),
			amount1000: row.amount1000 ?? 0,
			fallback: String(row.fallbackValue ?? ''),
			name,
		};
	if (row.type === 'date_time')
		return { type: 'date_time', fallback: String(row.fallbackValue ?? ''), name };
	return { type: 'text', text: String(row.text ?? ''), name };
}

function button(row: ButtonRow): TemplateButton {
	const index = row.index ?? 0;
	switch (row.subType) {
		case 'url':
			return { subType: 'url', index, text: String(row.urlSuffix ?? '') };
		case 'copy_code':
			return { subType: 'copy_code', index, couponCode: String(row.couponCode ?? '') };
		case 'flow':
			return {
				subType: 'flow',
				index,
				flowToken: String(row.flowToken ?? ''),
				flowActionData: row.flowActionData,
			};
		default:
			return { subType: 'quick_reply', index, payload: String(row.payload ?? '') };
	}
}

/** Builds the item's template message; throws MessageValidationError naming the field and limit. */
export function readTemplate(item: ItemParameters, common: SendCommon): OutgoingMessage {
	const { ctx, itemIndex, param } = item;
	const picked = parseTemplateValue(
		String(ctx.getNodeParameter('template', itemIndex, '', { extractValue: true }) ?? ''),
	);
	const language = String(param('templateLanguage', '')).trim() || picked.language || '';
	const fields = param('additionalFields', {}) as { extraComponents?: unknown };
	return buildTemplate(common, {
		name: picked.name,
		language,
		parameterFormat: param('parameterFormat', 'positional') as 'positional' | 'named',
		header: templateHeader(item),
		body: item.rows<BodyRow>('bodyParameters', 'parameter').map(bodyParam),
		buttons: item.rows<ButtonRow>('templateButtons', 'button').map(button),
		extraComponents: fields.extraComponents === '[]' ? undefined : fields.extraComponents,
	});
}
