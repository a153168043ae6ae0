import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { leaseView, type SenderRole } from '../../core/conversationRecord';
import { classifyGraphError } from '../../core/graphErrors';
import {
	parseBody,
	parseSendResult,
	type OutgoingMessage,
	type SendResult,
} from '../../core/messages';
import type { RatePacer } from '../../core/ratePacer';
import { sendOnceClaimTtlMs, type StopReason } from '../../core/retryPolicy';
import { sendOnce, type ClaimedSend } from '../../core/sendOnce';
import type { SendOnceStore } from '../../core/stateStore/types';
import { nodeRatePacer } from '../../shared/ratePacers';
import { checkBotOwnership, recordOutbound, type OwnershipCheck } from '../../shared/conversations';
import { asNodeError, openSendOnceStore } from '../../shared/stateStores';
import { failureFields, graphApiError } from './nodeErrors';
import {
	BLOCKED_OUTPUT,
	configuredOutputs,
	outputIndex,
	WINDOW_CLOSED_OUTPUT,
} from './configuredOutputs';
import { sendHints } from './hints';
import { executeJobs, type Job, type JobResult } from './itemJobs';
import { readSettings, SEND_ONCE_CAPACITY, type Settings } from './executionSettings';
import {
	callGraph,
	REQUEST_TIMEOUT_MS,
	runtime,
	UNCERTAIN_SEND_GUIDANCE,
	uploadMedia,
	type CallPolicy,
	type GraphFailure,
	type GraphTarget,
} from '../transport';

/** Sending prepared messages: uploads, retries, the 24-hour window, send-once. Shared by Send and Send Template. */

const WINDOW_CLOSED_CODE = 131047;

export type WindowClosedAction = 'fail' | 'fallbackTemplate' | 'route';

export interface PreparedMessage {
	itemIndex: number;
	/** Normalised recipient (phone digits or business-scoped user id): the lane that keeps order. */
	to: string;
	correlationId?: string;
	idempotencyKey?: string;
	/** Builds the message; `mediaId` is the id of a media uploaded from an n8n binary. */
	build(mediaId?: string): OutgoingMessage;
	upload?: { data: Buffer; fileName: string; mimeType: string };
	onWindowClosed: WindowClosedAction;
	fallback?: OutgoingMessage;
	/** Who the conversation record names as the sender (the option Sent By). */
	sentBy: SenderRole;
}

/** Where items go: the node's outputs for its parameters (configuredOutputs.ts). */
interface OutputLayout {
	count: number;
	windowClosed?: number;
	/** Set when Only If Bot Owns Conversation is on. */
	blocked?: number;
}

interface Sent {
	result: SendResult;
	attempts: number;
	fallbackTemplate: boolean;
	/** The message Meta accepted: with the uploaded media id, or the fallback template. */
	message: OutgoingMessage;
}

type Failed =
	| {
			failure: GraphFailure;
			attempts: number;
			stoppedBecause: StopReason;
			windowClosed: boolean;
			blocked?: undefined;
	  }
	/** Not sent: a human owns the conversation (Only If Bot Owns Conversation). */
	| {
			blocked: Exclude<OwnershipCheck, { allowed: true }>;
			attempts: number;
			message: OutgoingMessage;
	  };

/**
 * What the send-once store remembers about a send: the accepted message, or (`uncertain`) a send that
 * may have been accepted, whose message id is unknown.
 */
interface SentRecord {
	messageId: string | null;
	waId?: string;
	messageStatus: string | null;
	sentAt: string;
	fallbackTemplate?: boolean;
	uncertain?: boolean;
}

function uncertainRecord(fallbackTemplate: boolean): string {
	const record: SentRecord = {
		messageId: null,
		messageStatus: null,
		sentAt: new Date(runtime.now()).toISOString(),
		uncertain: true,
	};
	if (fallbackTemplate) record.fallbackTemplate = true;
	return JSON.stringify(record);
}

function unexpectedReply(body: unknown): GraphFailure {
	return {
		retry: 'no',
		code: undefined,
		retryAfterMs: undefined,
		ambiguous: true,
		info: {
			...classifyGraphError(undefined, 200),
			guidance: `Meta answered 2xx without a message id. ${UNCERTAIN_SEND_GUIDANCE}`,
		},
		error: {
			httpStatus: 200,
			code: undefined,
			subcode: undefined,
			type: undefined,
			message: 'Unexpected success answer without messages[0].id',
			details: undefined,
			fbtraceId: undefined,
			raw: parseBody(body),
		},
	};
}

class MessageSender {
	private readonly pacer: RatePacer;
	private readonly policy: CallPolicy;
	private store: Promise<SendOnceStore> | undefined;

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly target: GraphTarget,
		private readonly settings: Settings,
		private readonly layout: OutputLayout,
	) {
		this.pacer = nodeRatePacer(ctx, settings.maxPerSecond);
		this.policy = {
			retry: settings.retry,
			pacer: this.pacer,
			retryUncertain: settings.retryUncertain,
			onRetry: (failure, attempt, delayMs) =>
				ctx.logger.warn(
					`WhatsApp Reliable: retry ${attempt} after ${failure.info.errorClass} (code ${failure.code ?? 'none'}) in ${delayMs} ms`,
				),
		};
	}

	/** This node's send-once keys, in its State Store; opened once per execution. */
	private async sendOnceStore(): Promise<SendOnceStore> {
		this.store ??= openSendOnceStore(this.ctx, {
			ttlMs: this.settings.sendOnceTtlMs,
			capacity: SEND_ONCE_CAPACITY,
		});
		return await this.store;
	}

	job(prepared: PreparedMessage): Job {
		return {
			itemIndex: prepared.itemIndex,
			lane: prepared.to,
			run: async () => await this.run(prepared),
		};
	}

	private async post(body: OutgoingMessage) {
		return await callGraph(
			this.ctx,
			this.target,
			{
				method: 'POST',
				path: `${this.target.phoneNumberId}/messages`,
				body: body as unknown as IDataObject,
				sendsMessage: true,
			},
			this.policy,
		);
	}

	private async attempt(prepared: PreparedMessage): Promise<ClaimedSend<Sent, Failed>> {
		let attempts = 0;
		let mediaId: string | undefined;
		if (prepared.upload) {
			const uploaded = await uploadMedia(this.ctx, this.target, prepared.upload, this.policy);
			attempts += uploaded.attempts;
			if (!uploaded.ok)
				return {
					ok: false,
					failure: {
						failure: uploaded.failure,
						attempts,
						stoppedBecause: uploaded.stoppedBecause,
						windowClosed: false,
					},
				};
			const data = parseBody(uploaded.value.body) as { id?: unknown } | undefined;
			if (typeof data?.id !== 'string')
				return {
					ok: false,
					failure: {
						failure: unexpectedReply(uploaded.value.body),
						attempts,
						stoppedBecause: 'permanent',
						windowClosed: false,
					},
				};
			mediaId = data.id;
		}
		const message = prepared.build(mediaId);
		if (this.layout.blocked !== undefined) {
			// Checked as late as possible: right before the message leaves, after any upload.
			const owned = await this.checkOwner(prepared);
			if (!owned.allowed) return { ok: false, failure: { blocked: owned, attempts, message } };
		}
		const sent = await this.post(message);
		attempts += sent.attempts;
		let fallbackTemplate = false;
		let reply = sent;
		if (!sent.ok && sent.failure.code === WINDOW_CLOSED_CODE) {
			if (prepared.onWindowClosed === 'fallbackTemplate' && prepared.fallback) {
				fallbackTemplate = true;
				reply = await this.post(prepared.fallback);
				attempts += reply.attempts;
			} else if (prepared.onWindowClosed === 'route') {
				return {
					ok: false,
					failure: {
						failure: sent.failure,
						attempts,
						stoppedBecause: sent.stoppedBecause,
						windowClosed: true,
					},
				};
			}
		}
		if (!reply.ok)
			return {
				ok: false,
				failure: {
					failure: reply.failure,
					attempts,
					stoppedBecause: reply.stoppedBecause,
					windowClosed: false,
				},
				uncertainRecord: reply.failure.ambiguous ? uncertainRecord(fallbackTemplate) : undefined,
			};
		const result = parseSendResult(reply.value.body);
		if (!result)
			return {
				ok: false,
				failure: {
					failure: unexpectedReply(reply.value.body),
					attempts,
					stoppedBecause: 'permanent',
					windowClosed: false,
				},
				uncertainRecord: uncertainRecord(fallbackTemplate),
			};
		const record: SentRecord = {
			messageId: result.messageId,
			waId: result.waId,
			messageStatus: result.messageStatus,
			sentAt: new Date(runtime.now()).toISOString(),
		};
		if (fallbackTemplate) record.fallbackTemplate = true;
		const accepted = fallbackTemplate && prepared.fallback ? prepared.fallback : message;
		return {
			ok: true,
			value: { result, attempts, fallbackTemplate, message: accepted },
			record: JSON.stringify(record),
		};
	}

	/** The owner check of Only If Bot Owns Conversation; a pending mark lasts as long as this send may. */
	private async checkOwner(prepared: PreparedMessage): Promise<OwnershipCheck> {
		try {
			return await checkBotOwnership(
				this.ctx,
				{ phoneNumberId: this.target.phoneNumberId, to: prepared.to },
				sendOnceClaimTtlMs(this.settings.retry, REQUEST_TIMEOUT_MS),
			);
		} catch (error) {
			throw asNodeError(this.ctx, error);
		}
	}

	private async run(prepared: PreparedMessage): Promise<JobResult> {
		const base: IDataObject = { to: prepared.to };
		if (prepared.correlationId !== undefined) base.correlationId = prepared.correlationId;
		if (prepared.idempotencyKey !== undefined) base.idempotencyKey = prepared.idempotencyKey;

		let outcome: Awaited<ReturnType<typeof sendOnce<Sent, Failed>>>;
		if (prepared.idempotencyKey === undefined) {
			const attempt = await this.attempt(prepared);
			outcome = attempt.ok
				? { kind: 'sent', value: attempt.value }
				: { kind: 'failed', failure: attempt.failure };
		} else {
			// A claim outlives the slowest send of this item: upload, message, fallback, each with its retries.
			const claimTtlMs = sendOnceClaimTtlMs(this.settings.retry, REQUEST_TIMEOUT_MS);
			try {
				outcome = await sendOnce(
					await this.sendOnceStore(),
					prepared.idempotencyKey,
					async () => await this.attempt(prepared),
					{ claimTtlMs, pollMs: 250, maxWaitMs: claimTtlMs + 1_000 },
					runtime,
				);
			} catch (error) {
				throw asNodeError(this.ctx, error);
			}
		}

		switch (outcome.kind) {
			case 'sent': {
				const { result, attempts, fallbackTemplate, message } = outcome.value;
				await recordOutbound(this.ctx, prepared.itemIndex, {
					phoneNumberId: this.target.phoneNumberId,
					to: prepared.to,
					waId: result.waId,
					messageId: result.messageId,
					message,
					correlationId: prepared.correlationId,
					messageStatus: result.messageStatus,
					fallbackTemplate,
					sentBy: prepared.sentBy,
				});
				const json: IDataObject = {
					messageId: result.messageId,
					...base,
					waId: result.waId ?? null,
					messageStatus: result.messageStatus,
					skipped: false,
					attempts,
				};
				if (fallbackTemplate) Object.assign(json, { windowClosed: true, fallbackTemplate: true });
				return { kind: 'ok', output: 0, json };
			}
			case 'skipped': {
				const earlier = JSON.parse(outcome.record) as SentRecord;
				const json: IDataObject = {
					messageId: earlier.messageId,
					...base,
					waId: earlier.waId ?? null,
					messageStatus: earlier.messageStatus,
					skipped: true,
					sentAt: earlier.sentAt,
				};
				if (earlier.fallbackTemplate) json.fallbackTemplate = true;
				if (earlier.uncertain) json.mayHaveBeenSent = true;
				return { kind: 'ok', output: 0, json };
			}
			case 'busy':
				return {
					kind: 'error',
					error: new NodeOperationError(
						this.ctx.getNode(),
						`Another execution is still sending with idempotency key "${prepared.idempotencyKey}"`,
						{
							itemIndex: prepared.itemIndex,
							description: `Waited ${Math.round(outcome.waitedMs / 1000)} s for it to finish. Nothing was sent for this item; run it again later.`,
						},
					),
					json: { ...base, errorClass: 'busy' },
				};
			case 'failed': {
				if (outcome.failure.blocked) return this.blocked(base, outcome.failure);
				const { failure, attempts, stoppedBecause, windowClosed } = outcome.failure;
				const fields = failureFields(failure, {
					attempts,
					stoppedBecause,
					to: prepared.to,
					correlationId: prepared.correlationId,
				});
				if (prepared.idempotencyKey !== undefined) fields.idempotencyKey = prepared.idempotencyKey;
				if (windowClosed)
					return {
						kind: 'ok',
						output: this.layout.windowClosed ?? 0,
						json: { ...fields, windowClosed: true },
					};
				return {
					kind: 'error',
					error: graphApiError(this.ctx.getNode(), failure, prepared.itemIndex, {
						attempts,
						stoppedBecause,
						to: prepared.to,
						correlationId: prepared.correlationId,
					}),
					json: fields,
				};
			}
		}
	}

	/**
	 * A send a human's ownership stopped: on the Blocked output with the case, and the message that was
	 * not sent. Its idempotency key was given back (sendOnce forgets the key of a failure that sent
	 * nothing), so a later run with the same key may send once the bot owns the conversation again.
	 */
	private blocked(base: IDataObject, failure: Extract<Failed, { blocked: object }>): JobResult {
		const { conversationKey, owner, lease } = failure.blocked;
		const view = lease ? leaseView(lease) : null;
		return {
			kind: 'ok',
			output: this.layout.blocked ?? 0,
			json: {
				...base,
				blocked: true,
				sent: false,
				owner,
				conversationKey,
				caseId: view?.caseId ?? null,
				assignee: view?.assignee ?? null,
				reason: view?.reason ?? null,
				priority: view?.priority ?? null,
				leaseExpiresAt: view?.expiresAt ?? null,
				lease: view as unknown as IDataObject,
				unsentMessage: failure.message as unknown as IDataObject,
			},
		};
	}
}

/** The outputs of this run, from the node's parameters as the editor shows them. */
function outputLayout(ctx: IExecuteFunctions): OutputLayout {
	const parameters: INodeParameters = {
		resource: ctx.getNodeParameter('resource', 0, 'message') as string,
		operation: ctx.getNodeParameter('operation', 0, 'send') as string,
		onWindowClosed: ctx.getNodeParameter('onWindowClosed', 0, 'fail') as string,
		additionalFields: ctx.getNodeParameter('additionalFields', 0, {}) as INodeParameters,
	};
	return {
		count: configuredOutputs(parameters).length,
		windowClosed: outputIndex(parameters, WINDOW_CLOSED_OUTPUT),
		blocked: outputIndex(parameters, BLOCKED_OUTPUT),
	};
}

/** Hints for the operator (n8n shows them in the output panel); a hint never fails a send. */
function addSendHints(ctx: IExecuteFunctions): void {
	if (typeof ctx.addExecutionHints !== 'function') return;
	try {
		const hints = sendHints(ctx, readSettings(ctx));
		if (hints.length) ctx.addExecutionHints(...hints);
	} catch (error) {
		ctx.logger.debug(`WhatsApp Reliable: no hints (${(error as Error).message})`);
	}
}

/** Prepares every item (validating all before anything is sent), then sends them. */
export async function executeSends(
	ctx: IExecuteFunctions,
	prepare: (itemIndex: number) => Promise<PreparedMessage>,
): Promise<INodeExecutionData[][]> {
	addSendHints(ctx);
	const layout = outputLayout(ctx);
	let sender: MessageSender | undefined;
	return await executeJobs(
		ctx,
		async (itemIndex, session) => {
			sender ??= new MessageSender(ctx, session.target, session.settings, layout);
			return sender.job(await prepare(itemIndex));
		},
		{ needsPhoneNumberId: true, outputCount: layout.count },
	);
}
