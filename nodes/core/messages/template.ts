import { z } from 'zod';

import { envelope, type OutgoingMessage, type SendCommon } from './envelope';
import { LIMITS } from './limits';
import { locationBody, type LocationInput } from './location';
import { mediaRef, type MediaRef } from './media';
import { fail, inRange, maxChars, optionalText, parseJsonInput, requireText } from './validation';

export type TemplateHeader =
	| { type: 'none' }
	| { type: 'text'; text: string; parameterName?: string }
	| { type: 'image' | 'video'; media: MediaRef }
	| { type: 'document'; media: MediaRef; filename?: string }
	| { type: 'location'; location: LocationInput };

export type TemplateParam =
	| { type: 'text'; text: string; name?: string }
	| { type: 'currency'; code: string; amount1000: number | string; fallback: string; name?: string }
	| { type: 'date_time'; fallback: string; name?: string };

export type TemplateButton =
	| { subType: 'quick_reply'; index: number | string; payload: string }
	| { subType: 'url'; index: number | string; text: string }
	| { subType: 'copy_code'; index: number | string; couponCode: string }
	| { subType: 'flow'; index: number | string; flowToken?: string; flowActionData?: unknown };

export interface TemplateInput {
	name: string;
	/** Language code of the approved translation, e.g. en_US. */
	language: string;
	header?: TemplateHeader;
	/** Positional ({{1}}, {{2}}) or named ({{first_name}}) body variables. */
	parameterFormat?: 'positional' | 'named';
	body?: readonly TemplateParam[];
	buttons?: readonly TemplateButton[];
	/** Further components in Meta's shape (e.g. carousel, limited-time offer), appended as given. */
	extraComponents?: unknown;
}

const NAME_PATTERN = /^[a-z0-9_]+$/;
const componentsSchema = z.array(z.object({ type: z.string().min(1) }).passthrough());
const flowActionDataSchema = z.record(z.string(), z.unknown());

function parameterName(
	field: string,
	format: 'positional' | 'named',
	name: string | undefined,
): string | undefined {
	if (format === 'positional') return undefined;
	const value = requireText(field, name).trim();
	if (!NAME_PATTERN.test(value))
		fail(
			field,
			'lowercase letters, digits and underscores',
			`"${value}" may contain only lowercase letters, digits and underscores`,
		);
	return value;
}

function headerComponent(
	header: TemplateHeader | undefined,
	format: 'positional' | 'named',
): Record<string, unknown> | undefined {
	if (!header || header.type === 'none') return undefined;
	let parameter: Record<string, unknown>;
	switch (header.type) {
		case 'text': {
			parameter = {
				type: 'text',
				text: requireText('Header Text', header.text, LIMITS.templateHeaderText),
			};
			const name = parameterName('Header Parameter Name', format, header.parameterName);
			if (name) parameter.parameter_name = name;
			break;
		}
		case 'image':
		case 'video':
			parameter = { type: header.type, [header.type]: mediaRef('Header Media', header.media) };
			break;
		case 'document': {
			const document: Record<string, unknown> = { ...mediaRef('Header Media', header.media) };
			const filename = optionalText('Header File Name', header.filename, LIMITS.documentFilename);
			if (filename !== undefined) document.filename = filename;
			parameter = { type: 'document', document };
			break;
		}
		case 'location': {
			const location = locationBody(header.location, 'Header ');
			// whatsapp-api-js HeaderParameter: "Header location must have a name and address".
			if (!location.name)
				fail(
					'Header Location Name',
					'required for a location header',
					'is required for a location header',
				);
			if (!location.address)
				fail(
					'Header Address',
					'required for a location header',
					'is required for a location header',
				);
			parameter = { type: 'location', location };
			break;
		}
		default:
			return fail('Header Type', 'none, text, image, video, document or location');
	}
	return { type: 'header', parameters: [parameter] };
}

function bodyParameter(
	param: TemplateParam,
	n: number,
	format: 'positional' | 'named',
	maxText: number,
): Record<string, unknown> {
	const field = `Body Parameter ${n}`;
	let out: Record<string, unknown>;
	switch (param.type) {
		case 'text':
			// An empty string is a valid variable value; only the type and length are checked.
			if (typeof param.text !== 'string') fail(`${field} Text`, 'text');
			maxChars(`${field} Text`, param.text, maxText);
			out = { type: 'text', text: param.text };
			break;
		case 'currency': {
			const code = requireText(`${field} Currency Code`, param.code).trim().toUpperCase();
			if (!/^[A-Z]{3}$/.test(code))
				fail(
					`${field} Currency Code`,
					'an ISO 4217 code such as USD',
					`"${param.code}" is not a currency code`,
				);
			const amount = inRange(
				`${field} Amount × 1000`,
				param.amount1000,
				1,
				Number.MAX_SAFE_INTEGER,
			);
			if (!Number.isInteger(amount))
				fail(
					`${field} Amount × 1000`,
					'a whole number greater than 0 (amount times 1000)',
					`is ${amount}`,
				);
			out = {
				type: 'currency',
				currency: {
					fallback_value: requireText(`${field} Fallback Value`, param.fallback),
					code,
					amount_1000: amount,
				},
			};
			break;
		}
		case 'date_time':
			// The Cloud API always renders fallback_value (docs/whatsapp-facts.md §3).
			out = {
				type: 'date_time',
				date_time: { fallback_value: requireText(`${field} Fallback Value`, param.fallback) },
			};
			break;
		default:
			return fail(`${field} Type`, 'text, currency or date_time');
	}
	const name = parameterName(`${field} Name`, format, param.name);
	if (name) out.parameter_name = name;
	return out;
}

function buttonComponent(button: TemplateButton, n: number): Record<string, unknown> {
	const field = `Button ${n}`;
	const index = inRange(`${field} Index`, button.index, 0, LIMITS.templateButtonIndexMax);
	if (!Number.isInteger(index))
		fail(`${field} Index`, `a whole number from 0 to ${LIMITS.templateButtonIndexMax}`);
	let parameter: Record<string, unknown>;
	switch (button.subType) {
		case 'quick_reply':
			parameter = { type: 'payload', payload: requireText(`${field} Payload`, button.payload) };
			break;
		case 'url':
			parameter = { type: 'text', text: requireText(`${field} URL Suffix`, button.text) };
			break;
		case 'copy_code':
			parameter = {
				type: 'coupon_code',
				coupon_code: requireText(`${field} Coupon Code`, button.couponCode, LIMITS.couponCode),
			};
			break;
		case 'flow': {
			const action: Record<string, unknown> = {};
			const token = optionalText(`${field} Flow Token`, button.flowToken);
			if (token !== undefined) action.flow_token = token;
			const data = button.flowActionData;
			if (
				data !== undefined &&
				data !== '' &&
				!(typeof data === 'object' && data !== null && Object.keys(data).length === 0)
			) {
				action.flow_action_data = parseJsonInput(
					`${field} Flow Action Data (JSON)`,
					data,
					flowActionDataSchema,
				);
			}
			parameter = { type: 'action', action };
			break;
		}
		default:
			return fail(`${field} Type`, 'quick_reply, url, copy_code or flow');
	}
	return {
		type: 'button',
		sub_type: button.subType,
		index: String(index),
		parameters: [parameter],
	};
}

/** The `template` object of a template message (also used for the window-closed fallback). */
function templateBody(input: TemplateInput): Record<string, unknown> {
	const name = requireText('Template', input.name).trim();
	const language = requireText('Language Code', input.language).trim();
	const format = input.parameterFormat ?? 'positional';
	const components: Array<Record<string, unknown>> = [];
	const head = headerComponent(input.header, format);
	if (head) components.push(head);
	const buttons = input.buttons ?? [];
	const extra =
		input.extraComponents === undefined || input.extraComponents === ''
			? []
			: parseJsonInput('Extra Components (JSON)', input.extraComponents, componentsSchema);
	const body = input.body ?? [];
	if (body.length) {
		const alone = !head && buttons.length === 0 && extra.length === 0;
		const max = alone ? LIMITS.templateBodyTextAlone : LIMITS.templateBodyText;
		components.push({
			type: 'body',
			parameters: body.map((p, i) => bodyParameter(p, i + 1, format, max)),
		});
	}
	const indexes = new Set<string>();
	buttons.forEach((button, i) => {
		const component = buttonComponent(button, i + 1);
		if (indexes.has(component.index as string))
			fail(
				`Button ${i + 1} Index`,
				'a different index per button',
				`index ${component.index} is used twice`,
			);
		indexes.add(component.index as string);
		components.push(component);
	});
	components.push(...extra);
	const template: Record<string, unknown> = {
		name,
		language: { policy: 'deterministic', code: language },
	};
	if (components.length) template.components = components;
	return template;
}

export function buildTemplate(common: SendCommon, input: TemplateInput): OutgoingMessage {
	return envelope(common, 'template', templateBody(input));
}
