/**
 * A small OpenAI-compatible chat endpoint on 127.0.0.1 for an AI agent under test: `POST
 * /v1/chat/completions` answers a conversation without a tool result with a call of the tool the
 * request offers whose name matches `toolPattern` (every argument set to `reply`), and a conversation
 * that holds a tool result with `finalAnswer`. Streaming requests get the same as server-sent events.
 * `GET /v1/models` lists one model. Every request is recorded.
 *
 *   const chat = new FakeChatModel({ toolPattern: /send/i, reply: 'We ship in 2 days' });
 *   await chat.start();          // credential url: chat.baseUrl + '/v1'
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { closeServer, listenOnLoopback } from './loopbackServer';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface FakeChatOptions {
	/** Which offered tool to call (its name); the first offered tool when none matches. */
	toolPattern?: RegExp;
	/** The text put into every argument of the tool call. */
	reply?: string;
	/** The answer once the tool has run. */
	finalAnswer?: string;
}

export class FakeChatModel {
	readonly requests: Json[] = [];
	reply: string;
	finalAnswer: string;
	private readonly toolPattern: RegExp;
	private server?: http.Server;
	private calls = 0;

	constructor(options: FakeChatOptions = {}) {
		this.toolPattern = options.toolPattern ?? /.*/;
		this.reply = options.reply ?? 'Hello from the fake model';
		this.finalAnswer = options.finalAnswer ?? 'Done: I answered the customer on WhatsApp.';
	}

	get baseUrl(): string {
		const address = this.server?.address() as AddressInfo | undefined;
		if (!address) throw new Error('FakeChatModel not started');
		return `http://127.0.0.1:${address.port}`;
	}

	async start(): Promise<void> {
		this.server = await listenOnLoopback(async (req, res) => await this.handle(req, res));
	}

	async stop(): Promise<void> {
		await closeServer(this.server);
	}

	reset(): void {
		this.requests.length = 0;
	}

	/** The completion requests (model calls) received. */
	completions(): Json[] {
		return this.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body);
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const text = Buffer.concat(chunks).toString('utf8');
		const path = (req.url ?? '/').split('?')[0];
		let body: Json = text;
		try {
			body = text ? JSON.parse(text) : undefined;
		} catch {
			// kept as text
		}
		this.requests.push({ method: req.method, path, headers: req.headers, body });
		const json = (status: number, value: unknown) => {
			res.writeHead(status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(value));
		};
		if (req.method === 'GET' && path.endsWith('/models')) {
			return json(200, {
				object: 'list',
				data: [{ id: 'fake-chat', object: 'model', created: 0, owned_by: 'test' }],
			});
		}
		if (req.method !== 'POST' || !path.endsWith('/chat/completions'))
			return json(404, { error: { message: `no route ${req.method} ${path}` } });
		const message = this.answer(body);
		const id = `chatcmpl-${++this.calls}`;
		const finish = message.tool_calls ? 'tool_calls' : 'stop';
		const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
		if (!body?.stream) {
			return json(200, {
				id,
				object: 'chat.completion',
				created: Math.floor(Date.now() / 1000),
				model: body?.model ?? 'fake-chat',
				choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
				usage,
			});
		}
		res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
		const event = (delta: Json, finishReason: string | null, extra: Json = {}) =>
			res.write(
				`data: ${JSON.stringify({
					id,
					object: 'chat.completion.chunk',
					created: Math.floor(Date.now() / 1000),
					model: body?.model ?? 'fake-chat',
					choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
					...extra,
				})}\n\n`,
			);
		const delta = message.tool_calls
			? {
					role: 'assistant',
					content: null,
					tool_calls: message.tool_calls.map((call: Json, index: number) => ({ index, ...call })),
				}
			: { role: 'assistant', content: message.content };
		event(delta, null);
		event({}, finish, { usage });
		res.end('data: [DONE]\n\n');
	}

	/** A tool call while no tool has answered yet; the final answer after. */
	private answer(body: Json): Json {
		const messages: Json[] = body?.messages ?? [];
		const tools: Json[] = body?.tools ?? [];
		if (messages.some((m) => m.role === 'tool') || tools.length === 0)
			return { role: 'assistant', content: this.finalAnswer };
		const tool =
			tools.find((t) => this.toolPattern.test(t.function?.name ?? '')) ?? (tools[0] as Json);
		const properties = Object.keys(tool.function?.parameters?.properties ?? {});
		const args = Object.fromEntries(properties.map((name) => [name, this.reply]));
		return {
			role: 'assistant',
			content: null,
			tool_calls: [
				{
					id: `call_${this.calls + 1}`,
					type: 'function',
					function: { name: tool.function.name, arguments: JSON.stringify(args) },
				},
			],
		};
	}
}
