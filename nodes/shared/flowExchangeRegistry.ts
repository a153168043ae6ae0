import { BoundedMap } from '../core/boundedMap';
import { encryptReply, type FlowHttpAnswer, type FlowReply } from '../core/flowEndpoint';

/**
 * Flow requests waiting for their answer, shared by the WhatsApp Flow Trigger (which opens them and
 * arms a timeout) and the WhatsApp Flow Respond node (which answers them). Both node files import
 * this module, and n8n loads both from the same package in the same process, so they share one
 * instance; that is also why this works only where the execution runs in the process that received
 * the request (n8n's regular mode, not queue mode with separate workers).
 *
 * The AES key and IV live here, in memory only, for as long as the request is open. Items carry the
 * random request id, never the key.
 */

export type FlowAnsweredBy = 'workflow' | 'timeout' | 'failure';

export interface PendingFlowExchange {
	requestId: string;
	action: string;
	screen?: string;
	flowToken?: string;
	aesKey: Buffer;
	iv: Buffer;
	openedAt: number;
	timeoutMs: number;
	/** Precomputed answer for a workflow that fails or does not answer in time. */
	fallback: FlowReply;
	/** Writes the HTTP answer; false if the connection had already been answered or closed. */
	write: (answer: FlowHttpAnswer) => boolean;
}

export interface FlowSettlement {
	by: FlowAnsweredBy;
	status: number;
	at: number;
	written: boolean;
}

export type FlowAnswerResult =
	| { answered: true; status: number; written: boolean; elapsedMs: number }
	| { answered: false; reason: 'unknown'; message: string }
	| { answered: false; reason: 'already_answered'; message: string; settlement: FlowSettlement };

const SETTLED_MEMORY = 1000;

export class FlowExchangeRegistry {
	private readonly pending = new Map<string, PendingFlowExchange>();

	private readonly executionToRequest = new Map<string, string>();

	private readonly requestToExecution = new Map<string, string>();

	// A short memory of answered ids, so a late respond node can say "already answered by the timeout"
	// instead of "unknown request". Bounded; oldest first out.
	private readonly settled = new BoundedMap<string, FlowSettlement>(SETTLED_MEMORY);

	constructor(private readonly now: () => number = Date.now) {}

	open(exchange: PendingFlowExchange): void {
		this.pending.set(exchange.requestId, exchange);
	}

	/** Called from inside the execution the request started, so the respond node can find it by execution id. */
	bindExecution(requestId: string, executionId: string): void {
		if (!this.pending.has(requestId)) return;
		this.executionToRequest.set(executionId, requestId);
		this.requestToExecution.set(requestId, executionId);
	}

	requestIdForExecution(executionId: string): string | undefined {
		return this.executionToRequest.get(executionId);
	}

	peek(requestId: string): PendingFlowExchange | undefined {
		return this.pending.get(requestId);
	}

	settlement(requestId: string): FlowSettlement | undefined {
		return this.settled.get(requestId);
	}

	get openCount(): number {
		return this.pending.size;
	}

	/**
	 * Removes the exchange and returns it: exactly one caller (the respond node, the timeout, or a
	 * failure path) ever gets it, so a request is answered at most once.
	 */
	claim(requestId: string): PendingFlowExchange | undefined {
		const exchange = this.pending.get(requestId);
		if (!exchange) return undefined;
		this.pending.delete(requestId);
		const executionId = this.requestToExecution.get(requestId);
		if (executionId !== undefined) {
			this.requestToExecution.delete(requestId);
			if (this.executionToRequest.get(executionId) === requestId)
				this.executionToRequest.delete(executionId);
		}
		return exchange;
	}

	/** Why `requestId` is not open: answered already (and how), or never seen by this process. */
	missing(requestId: string): Exclude<FlowAnswerResult, { answered: true }> {
		const settlement = this.settled.get(requestId);
		if (settlement) {
			return {
				answered: false,
				reason: 'already_answered',
				settlement,
				message: `the Flow request was already answered (by the ${settlement.by}, HTTP ${settlement.status})`,
			};
		}
		return {
			answered: false,
			reason: 'unknown',
			message:
				'no open Flow request has this id (n8n restarted, or the request never reached this n8n process)',
		};
	}

	/** Claims the exchange, encrypts `reply` (or its fallback) with its key and writes it. */
	answer(requestId: string, by: FlowAnsweredBy, reply?: FlowReply): FlowAnswerResult {
		const exchange = this.claim(requestId);
		if (!exchange) return this.missing(requestId);
		const chosen = reply ?? exchange.fallback;
		const answer = encryptReply(chosen, exchange.aesKey, exchange.iv);
		let written = false;
		try {
			written = exchange.write(answer);
		} catch {
			written = false;
		}
		const at = this.now();
		this.settled.set(requestId, { by, status: chosen.status, at, written });
		return { answered: true, status: chosen.status, written, elapsedMs: at - exchange.openedAt };
	}
}

/** The process-wide registry both nodes use. */
export const flowExchanges = new FlowExchangeRegistry();
