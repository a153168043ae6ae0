import type {
	IBinaryKeyData,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import type { RetryResult } from '../../core/retryPolicy';
import { dispatchByRecipient } from '../../core/recipientLanes';
import { nodeRatePacer } from '../../shared/ratePacers';
import { graphTarget, type CallPolicy, type GraphFailure, type GraphTarget } from '../transport';
import { errorItem } from '../../shared/errorItem';
import { failureFields, graphApiError, itemError } from './nodeErrors';
import { readSettings, type Settings } from './executionSettings';

/**
 * Runs one job per item: per-lane order (a lane is a recipient), bounded concurrency, results in input
 * order with `pairedItem`, failures as items with Continue on Fail or as the node's error otherwise.
 */

export type JobResult =
	| { kind: 'ok'; output: number; json: IDataObject; binary?: IBinaryKeyData }
	| { kind: 'error'; error: NodeApiError | NodeOperationError; json: IDataObject };

export interface Job {
	itemIndex: number;
	/** Jobs of one lane run one after another in input order. */
	lane: string;
	run(): Promise<JobResult>;
}

async function runJobs(
	ctx: IExecuteFunctions,
	itemCount: number,
	jobs: readonly Job[],
	early: ReadonlyMap<number, JobResult>,
	options: { concurrency: number; outputCount: number },
): Promise<INodeExecutionData[][]> {
	const continueOnFail = ctx.continueOnFail();
	const results = new Map<number, JobResult>(early);
	let failed = false;
	await dispatchByRecipient(
		jobs,
		(job) => job.lane,
		options.concurrency,
		async (job) => {
			let result: JobResult;
			try {
				result = await job.run();
			} catch (error) {
				const wrapped =
					error instanceof NodeApiError || error instanceof NodeOperationError
						? error
						: new NodeOperationError(ctx.getNode(), error as Error, { itemIndex: job.itemIndex });
				result = { kind: 'error', error: wrapped, json: {} };
			}
			results.set(job.itemIndex, result);
			// Without Continue on Fail the node fails anyway: start no further sends.
			if (result.kind === 'error' && !continueOnFail) failed = true;
		},
		() => failed,
	);

	const outputs: INodeExecutionData[][] = Array.from({ length: options.outputCount }, () => []);
	const firstError = [...results.entries()]
		.sort((a, b) => a[0] - b[0])
		.find(([, r]) => r.kind === 'error');
	if (firstError && !continueOnFail) {
		const error = (firstError[1] as Extract<JobResult, { kind: 'error' }>).error;
		const done = [...results.values()].filter((r) => r.kind === 'ok').length;
		if (done > 0) {
			error.description =
				`${error.description ?? ''} ${done} other item${done === 1 ? ' was' : 's were'} already processed (sent) in this run; turn on Continue On Fail or use an idempotency key so a re-run does not send them again.`.trim();
		}
		throw error;
	}
	for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
		const result = results.get(itemIndex);
		if (!result) continue;
		if (result.kind === 'error') {
			outputs[0].push(
				errorItem(ctx.getNode(), result.error.message, itemIndex, { fields: result.json }),
			);
		} else {
			const item: INodeExecutionData = { json: result.json, pairedItem: { item: itemIndex } };
			if (result.binary) item.binary = result.binary;
			outputs[Math.min(result.output, outputs.length - 1)].push(item);
		}
	}
	return outputs;
}

/** What a job needs to call the Graph API under the execution's retry and pacing policy. */
export interface GraphSession {
	ctx: IExecuteFunctions;
	target: GraphTarget;
	policy: CallPolicy;
	settings: Settings;
}

/** Sending needs a phone number id: from the credential or the node's option. */
function requirePhoneNumberId(ctx: IExecuteFunctions, target: GraphTarget): void {
	if (!target.phoneNumberId) {
		throw new NodeOperationError(
			ctx.getNode(),
			'No phone number ID: set it in the WhatsApp Cloud API credential or in the option Sender Phone Number ID',
		);
	}
}

/** Reads the settings, prepares one job per item (failures kept per item), and runs them. */
export async function executeJobs(
	ctx: IExecuteFunctions,
	prepare: (itemIndex: number, session: GraphSession) => Promise<Job>,
	options: { needsPhoneNumberId: boolean; outputCount?: number },
): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const settings = readSettings(ctx);
	const target = await graphTarget(ctx, settings.phoneNumberId);
	if (options.needsPhoneNumberId) requirePhoneNumberId(ctx, target);
	const session: GraphSession = {
		ctx,
		target,
		settings,
		policy: { retry: settings.retry, pacer: nodeRatePacer(ctx, settings.maxPerSecond) },
	};
	const early = new Map<number, JobResult>();
	const jobs: Job[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			jobs.push(await prepare(itemIndex, session));
		} catch (error) {
			const failure = itemError(ctx, error, itemIndex);
			if (!ctx.continueOnFail()) throw failure.error;
			early.set(itemIndex, failure);
		}
	}
	return await runJobs(ctx, items.length, jobs, early, {
		concurrency: settings.concurrency,
		outputCount: options.outputCount ?? 1,
	});
}

/** The job's result for a failed Graph call. */
export function failedCall(
	session: GraphSession,
	itemIndex: number,
	result: Extract<RetryResult<unknown, GraphFailure>, { ok: false }>,
): JobResult {
	const context = { attempts: result.attempts, stoppedBecause: result.stoppedBecause };
	return {
		kind: 'error',
		error: graphApiError(session.ctx.getNode(), result.failure, itemIndex, context),
		json: failureFields(result.failure, context),
	};
}
