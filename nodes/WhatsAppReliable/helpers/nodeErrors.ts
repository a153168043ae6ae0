import type { IDataObject, INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { GraphErrorClass } from '../../core/graphErrors';
import { MessageValidationError } from '../../core/messages';
import type { StopReason } from '../../core/retryPolicy';
import type { GraphFailure } from '../transport';

/** How errors look to the operator: the n8n error and, with Continue on Fail, the item's fields. */

const CLASS_LABEL: Record<GraphErrorClass, string> = {
	transient: 'temporary Meta error',
	rate_limited: 'rate limited',
	window_closed: '24-hour window closed',
	undeliverable: 'undeliverable',
	template: 'template error',
	auth: 'authorization error',
	policy: 'policy restriction',
	invalid_request: 'invalid request',
	unknown: 'error',
};

const STOP_TEXT: Record<StopReason, string> = {
	permanent: 'not retried: this error is permanent',
	pause: 'not retried: pause sending and act on the guidance',
	attempts: 'gave up: attempt limit reached',
	time: 'gave up: retry time limit reached',
};

export interface FailureContext {
	attempts: number;
	stoppedBecause: StopReason;
	to?: string;
	correlationId?: string;
}

/** The fields a failed item carries with Continue on Fail (and the error's context). */
export function failureFields(failure: GraphFailure, context: FailureContext): IDataObject {
	const fields: IDataObject = {
		errorClass: failure.info.errorClass,
		code: failure.code ?? null,
		httpStatus: failure.error.httpStatus,
		metaMessage: failure.error.message,
		details: failure.error.details ?? null,
		fbtraceId: failure.error.fbtraceId ?? null,
		guidance: failure.info.guidance,
		retry: failure.info.retry,
		attempts: context.attempts,
		stoppedBecause: context.stoppedBecause,
	};
	if (failure.ambiguous) fields.mayHaveBeenSent = true;
	if (context.to !== undefined) fields.to = context.to;
	if (context.correlationId !== undefined) fields.correlationId = context.correlationId;
	return fields;
}

function n8nFailure(
	failure: GraphFailure,
): NonNullable<ConstructorParameters<typeof NodeApiError>[2]>['failure'] {
	switch (failure.info.errorClass) {
		case 'rate_limited':
			return { cause: 'rate-limited', retryAfterMs: failure.retryAfterMs };
		case 'transient':
			return { cause: 'temporarily-unavailable', retryAfterMs: failure.retryAfterMs };
		case 'auth':
			return { cause: 'credential-invalid' };
		case 'invalid_request':
		case 'template':
			return { cause: 'configuration-invalid' };
		default:
			return undefined;
	}
}

export function graphApiError(
	node: INode,
	failure: GraphFailure,
	itemIndex: number,
	context: FailureContext,
): NodeApiError {
	const { error, info } = failure;
	const code = error.code !== undefined ? ` (#${error.code})` : '';
	const message = `WhatsApp ${CLASS_LABEL[info.errorClass]}${code}: ${error.message}`;
	const description = [
		info.guidance,
		error.details ? `Details: ${error.details}` : undefined,
		`Class: ${info.errorClass}; ${STOP_TEXT[context.stoppedBecause]} after ${context.attempts} attempt${context.attempts === 1 ? '' : 's'}.`,
		error.fbtraceId ? `fbtrace_id: ${error.fbtraceId}` : undefined,
	]
		.filter(Boolean)
		.join(' ');
	const response = (
		error.raw && typeof error.raw === 'object' ? error.raw : { message: error.message }
	) as JsonObject;
	const apiError = new NodeApiError(node, response, {
		message,
		description,
		httpCode: error.httpStatus ? String(error.httpStatus) : undefined,
		itemIndex,
		failure: n8nFailure(failure),
	});
	apiError.context.whatsapp = failureFields(failure, context);
	return apiError;
}

function validationError(
	node: INode,
	error: MessageValidationError,
	itemIndex: number,
): NodeOperationError {
	return new NodeOperationError(node, `Invalid ${error.message}`, {
		itemIndex,
		description: `Field "${error.field}" must be ${error.limit}. Nothing was sent for this item.`,
		failure: { cause: 'configuration-invalid' },
	});
}

function validationFields(error: MessageValidationError): IDataObject {
	return { errorClass: 'validation', field: error.field, limit: error.limit };
}

/** A violation of Meta's limits found by a builder (as opposed to a bug). */
function isValidationError(error: unknown): error is MessageValidationError {
	return error instanceof MessageValidationError;
}

/** An error thrown while reading or validating an item, as the item's result. */
export function itemError(
	ctx: { getNode(): INode },
	error: unknown,
	itemIndex: number,
): { kind: 'error'; error: NodeApiError | NodeOperationError; json: IDataObject } {
	if (isValidationError(error))
		return {
			kind: 'error',
			error: validationError(ctx.getNode(), error, itemIndex),
			json: validationFields(error),
		};
	if (error instanceof NodeApiError || error instanceof NodeOperationError)
		return { kind: 'error', error, json: {} };
	return {
		kind: 'error',
		error: new NodeOperationError(ctx.getNode(), error as Error, { itemIndex }),
		json: {},
	};
}
