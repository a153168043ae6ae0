/** The conversation records of a workflow: what the trigger, the send node and the escalation node share. */
export {
	ConversationBook,
	DEFAULT_BOOK_CONFIG,
	type BookConfig,
	type BookSnapshot,
	type RecordResult,
} from './book';
export { Conversation, conversationKey } from './conversation';
export type { OutboundRecord } from './entries';
export type {
	ConversationData,
	ConversationSnapshot,
	CorrelationState,
	Lease,
	OwnerKind,
	Ownership,
	Profile,
	ReleaseReason,
	TranscriptEntry,
} from './types';
export {
	conversationView,
	leaseView,
	transcriptLine,
	type ConversationView,
	type LeaseView,
	type TranscriptLine,
} from './views';
