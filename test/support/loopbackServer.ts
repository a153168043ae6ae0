import * as http from 'node:http';

/** Test servers listen on 127.0.0.1 only; port 0 picks a free one. */
export async function listenOnLoopback(
	handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
	port = 0,
): Promise<http.Server> {
	const server = http.createServer((req, res) => void handler(req, res));
	server.keepAliveTimeout = 5_000;
	await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
	return server;
}

/** Closes the server, cutting kept-alive connections so the close does not wait for them. */
export async function closeServer(server: http.Server | undefined): Promise<void> {
	if (!server) return;
	server.closeAllConnections();
	await new Promise<void>((resolve) => server.close(() => resolve()));
}
