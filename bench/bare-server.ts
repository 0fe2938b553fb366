import { createServer } from 'node:http';

/**
 * The baseline: a bare `node:http` server answering every request with the
 * same JSON as the authenticated health check. Prints its port.
 */
const body = JSON.stringify({ status: 'ok', workspace_id: 'ws_01HXK0000000000000000000000', key_id: 'key_01HXK0000000000000000000000' });
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  response.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
