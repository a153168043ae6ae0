import { envelope, type OutgoingMessage, type SendCommon } from './envelope';
import { LIMITS } from './limits';
import { requireText } from './validation';

export interface TextInput {
	body: string;
	/** Render a preview of the first URL in the body. */
	previewUrl?: boolean;
}

export function buildText(common: SendCommon, input: TextInput): OutgoingMessage {
	const body = requireText('Text', input.body, LIMITS.textBody);
	return envelope(common, 'text', input.previewUrl ? { preview_url: true, body } : { body });
}
