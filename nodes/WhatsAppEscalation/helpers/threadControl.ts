import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { MessageValidationError } from '../../core/messages';
import { DEFAULT_RETRY_OPTIONS } from '../../core/retryPolicy';
import {
	threadControlBody,
	threadControlDone,
	type ThreadControlAction,
} from '../../core/threadControl';
import { failureFields } from '../../WhatsAppReliable/helpers/nodeErrors';
import { callGraph, graphTarget, type CallPolicy } from '../../WhatsAppReliable/transport';

/**
 * Escalate's "Pass Thread Control To" and Release's "Take Thread Control": one call of Meta's
 * `POST /{PHONE_NUMBER_ID}/thread_control` through the send node's Graph transport (authentication,
 * classification, retries). What is assumed of the body and the answer: core/threadControl.ts.
 */

export const THREAD_CONTROL_CREDENTIAL = 'whatsAppCloudApi';

/** Not a message: a retry cannot reach the customer twice. Short, the item waits for it. */
const POLICY: CallPolicy = {
	retry: { ...DEFAULT_RETRY_OPTIONS, maxAttempts: 3, maxTotalMs: 20_000 },
};

export interface ThreadControlRequest {
	action: ThreadControlAction;
	/** The option's display name, for errors. */
	option: string;
	phoneNumberId: string;
	customerId: string;
	targetAppId?: string | null;
	metadata?: string | null;
}

/** What the item outputs as `threadControl`. */
export interface ThreadControlOutcome {
	action: ThreadControlAction;
	ok: boolean;
	targetAppId: string | null;
	/** Meta's answer, as it came. */
	response?: unknown;
	/** Not called: the conversation's record says it was already done (e.g. a re-run). */
	skipped?: string;
}

/**
 * Calls thread_control; on any failure throws a NodeApiError/NodeOperationError naming the option,
 * carrying `done` (what the item did before the call) and the failed `threadControl` as the error
 * item's fields (forEachItem: `context.itemFields`).
 */
export async function callThreadControl(
	ctx: IExecuteFunctions,
	itemIndex: number,
	request: ThreadControlRequest,
	done: IDataObject,
): Promise<ThreadControlOutcome> {
	const node = ctx.getNode();
	const targetAppId = request.targetAppId ?? null;
	const withFields = <E extends NodeApiError | NodeOperationError>(error: E): E => {
		error.context.itemFields = { ...done, threadControl: failedOutcome(request, error) };
		return error;
	};
	let body;
	try {
		body = threadControlBody(request.action, request.customerId, {
			targetAppId,
			metadata: request.metadata,
		});
	} catch (error) {
		throw withFields(
			error instanceof MessageValidationError
				? new NodeOperationError(node, `${request.option}: invalid ${error.message}`, {
						itemIndex,
						description: `Meta addresses the customer by phone number or business-scoped user id; "${request.customerId}" is neither.`,
					})
				: new NodeOperationError(node, error as Error, { itemIndex }),
		);
	}
	let target;
	try {
		target = await graphTarget(ctx, request.phoneNumberId);
	} catch (error) {
		throw withFields(
			new NodeOperationError(
				node,
				`${request.option}: no WhatsApp Cloud API credential on this node`,
				{
					itemIndex,
					description: `Conversation routing calls Meta's Graph API: select a WhatsApp Cloud API credential on this node, or clear "${request.option}". (${(error as Error).message})`,
				},
			),
		);
	}
	const result = await callGraph(
		ctx,
		target,
		{ method: 'POST', path: `${target.phoneNumberId}/thread_control`, body: { ...body } },
		POLICY,
	);
	if (!result.ok) {
		const { failure } = result;
		const { error, info } = failure;
		const code = error.code !== undefined ? ` (#${error.code})` : '';
		const apiError = new NodeApiError(
			node,
			(error.raw && typeof error.raw === 'object'
				? error.raw
				: { message: error.message }) as JsonObject,
			{
				message: `${request.option}: Meta refused to ${request.action} thread control${code}: ${error.message}`,
				description: [
					info.guidance,
					error.details ? `Details: ${error.details}` : undefined,
					`Customer ${request.customerId} on phone number ${target.phoneNumberId}; ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}.`,
				]
					.filter(Boolean)
					.join(' '),
				httpCode: error.httpStatus ? String(error.httpStatus) : undefined,
				itemIndex,
			},
		);
		apiError.context.whatsapp = failureFields(failure, {
			attempts: result.attempts,
			stoppedBecause: result.stoppedBecause,
		});
		throw withFields(apiError);
	}
	const response = result.value.body;
	if (!threadControlDone(response))
		throw withFields(
			new NodeOperationError(
				node,
				`${request.option}: Meta answered that thread control was not ${request.action === 'pass' ? 'passed' : request.action === 'take' ? 'taken' : 'released'}`,
				{ itemIndex, description: `Meta's answer: ${JSON.stringify(response)}` },
			),
		);
	return { action: request.action, ok: true, targetAppId, response };
}

/** The `threadControl` field of an item whose call failed (Continue On Fail). */
export function failedOutcome(
	request: Pick<ThreadControlRequest, 'action' | 'targetAppId'>,
	error: Error,
): IDataObject {
	return {
		action: request.action,
		ok: false,
		targetAppId: request.targetAppId ?? null,
		error: error.message,
	};
}
