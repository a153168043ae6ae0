import { envelope, type OutgoingMessage, type SendCommon } from './envelope';
import { fail, requireText } from './validation';

export interface ReactionInput {
	/** The wamid of the message to react to. */
	messageId: string;
	/** One emoji; empty (or `remove`) removes an earlier reaction. */
	emoji?: string;
	remove?: boolean;
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function buildReaction(common: SendCommon, input: ReactionInput): OutgoingMessage {
	const messageId = requireText('Message ID', input.messageId).trim();
	const emoji = input.remove ? '' : (input.emoji ?? '').trim();
	if (!input.remove) {
		if (emoji === '')
			fail(
				'Emoji',
				'one emoji (or turn on Remove Reaction)',
				'is required unless the reaction is removed',
			);
		const graphemes = [...segmenter.segment(emoji)].length;
		if (
			graphemes !== 1 ||
			!/\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(emoji)
		) {
			fail('Emoji', 'exactly one emoji', `"${emoji}" is not a single emoji`);
		}
	}
	// Meta: an empty emoji removes the reaction (docs/whatsapp-facts.md §3).
	return envelope(common, 'reaction', { message_id: messageId, emoji });
}
