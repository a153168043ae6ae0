/**
 * A plain HTTP server on 127.0.0.1 that records every request and answers 200 with `{"ok":true}`: it
 * stands in for the shop and the helpdesk the example workflows call.
 *
 *   const capture = new CaptureServer();
 *   await capture.start();                       // capture.url('/helpdesk/cases')
 *   await capture.waitFor((r) => r.path === '/helpdesk/cases', 1);
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { closeServer, listenOnLoopback } from './loopbackServer';

export interface CapturedRequest {
	method: string;
	/** Path without the query string. */
	path: string;
	query: Record<string, string>;
	headers: http.IncomingHttpHeaders;
	/** Parsed JSON, or the raw text for other bodies. */
	body: unknown;
	at: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export class CaptureServer {
	readonly requests: CapturedRequest[] = [];
	/** Answers by path, instead of 200 `{"ok":true}`. */
	readonly answers = new Map<string, { status: number; body: unknown }>();
	/** How long to hold requests to a path before answering, in ms (a slow shop or helpdesk). */
	readonly delays = new Map<string, number>();
	private server?: http.Server;

	get baseUrl(): string {
		const address = this.server?.address() as AddressInfo | undefined;
		if (!address) throw new Error('CaptureServer not started');
		return `http://127.0.0.1:${address.port}`;
	}

	url(path: string): string {
		return `${this.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
	}

	async start(port = 0): Promise<string> {
		this.server = await listenOnLoopback((req, res) => this.handle(req, res), port);
		return this.baseUrl;
	}

	async stop(): Promise<void> {
		await closeServer(this.server);
		this.server = undefined;
	}

	reset(): void {
		this.requests.length = 0;
		this.answers.clear();
		this.delays.clear();
	}

	/** Requests to a path (exact, or a predicate), oldest first. */
	to(path: string | ((r: CapturedRequest) => boolean)): CapturedRequest[] {
		return this.requests.filter(typeof path === 'string' ? (r) => r.path === path : path);
	}

	/** Bodies of the requests to a path. */
	bodies(path: string): Json[] {
		return this.to(path).map((r) => r.body);
	}

	/** Waits until at least `count` recorded requests match; returns the matching ones. */
	async waitFor(
		match: string | ((r: CapturedRequest) => boolean),
		count = 1,
		timeoutMs = 30_000,
	): Promise<CapturedRequest[]> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const found = this.to(match);
			if (found.length >= count) return found;
			if (Date.now() > deadline) {
				throw new Error(
					`Timed out after ${timeoutMs} ms waiting for ${count} request(s) to ${String(match)}; got ${found.length}. All: ${this.requests.map((r) => `${r.method} ${r.path}`).join(', ')}`,
				);
			}
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const raw = Buffer.concat(chunks).toString('utf8');
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		let body: unknown = raw === '' ? undefined : raw;
		if (raw !== '') {
			try {
				body = JSON.parse(raw);
			} catch {
				// kept as text
			}
		}
		this.requests.push({
			method: req.method ?? 'GET',
			path: url.pathname,
			query: Object.fromEntries(url.searchParams),
			headers: req.headers,
			body,
			at: Date.now(),
		});
		const delayMs = this.delays.get(url.pathname) ?? 0;
		if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
		const answer = this.answers.get(url.pathname) ?? { status: 200, body: { ok: true } };
		const payload = Buffer.from(JSON.stringify(answer.body));
		res.writeHead(answer.status, {
			'content-type': 'application/json',
			'content-length': String(payload.length),
		});
		res.end(payload);
	}
}
