/** The conversation records of a workflow: what the trigger, the send node and the escalation node share. */
export { ConversationBook, DEFAULT_BOOK_CONFIG, type BookConfig } from './book';
export { Conversation, conversationKey } from './conversation';
export type { OutboundRecord } from './entries';
export type { Lease, OwnerKind, Ownership, ReleaseReason, SenderRole } from './types';
export {
	conversationView,
	leaseView,
	transcriptLine,
	type ConversationView,
	type LeaseView,
	type TranscriptLine,
} from './views';
