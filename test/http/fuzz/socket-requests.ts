import fc from 'fast-check';
import { INJECT_METHODS, fuzzRequests, type FuzzRequest } from './requests.js';

/**
 * Requests only a real connection can carry: methods Node's parser does not
 * know, headers past its size limit, and request heads that are malformed
 * before any routing (answered by Node's parser or the framework's client
 * error handler, which must also speak the contract).
 */
export type SocketRequest = FuzzRequest | { raw: string };

/** Methods over the wire: Node's own, lower case, unknown tokens. */
export const SOCKET_METHODS = [...INJECT_METHODS, 'get', 'FOO', 'BREW', 'M-SEARCH', 'QUERY'] as const;

const HOST = 'Host: 127.0.0.1\r\n';
const CLOSE = 'Connection: close\r\n';

/** Request heads (and bodies) that are malformed, ambiguous or past a limit. Written as latin-1. */
export const RAW_REQUESTS = [
  `GET /livez HTTP/1.1\r\n${CLOSE}\r\n`,
  `GET /api/v1/cadreen/health HTTP/1.1\r\n${CLOSE}\r\n`,
  'GET /livez HTTP/1.0\r\n\r\n',
  `GET /livez HTTP/2.0\r\n${HOST}${CLOSE}\r\n`,
  `GET /livez HTTP/1.2\r\n${HOST}${CLOSE}\r\n`,
  `GET /li vez HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  'GET /livez\r\n\r\n',
  `GET livez HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `GET * HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `GET http://127.0.0.1/livez HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `GET /livez HTTP/1.1\r\n${HOST}${CLOSE}Bad Header Line\r\n\r\n`,
  `GET /livez HTTP/1.1\r\n${HOST}${CLOSE}X-Nul: a\u0000b\r\n\r\n`,
  `GET /livez HTTP/1.1\r\n${HOST}${CLOSE}X-Bad\u00ffName: 1\r\n\r\n`,
  `GET /livez HTTP/1.1\n${HOST.replace('\r', '')}${CLOSE.replace('\r', '')}\n`,
  `GET /livez HTTP/1.1\r\n${HOST}${HOST}${CLOSE}\r\n`,
  `GET /api/v1/cadreen/health HTTP/1.1\r\n${HOST}${CLOSE}Authorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n`,
  `GET /v1/api_keys/%ED%A0%80 HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `GET /v1/api_keys/\u00e9\u00ff HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `GET /v1/api_keys/a%00b HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `GET /${'a'.repeat(20_000)} HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `GET /api/v1/maas/workspaces/${'w'.repeat(300)}/api-keys HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `GET /livez HTTP/1.1\r\n${HOST}${CLOSE}X-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
  `HEAD /livez HTTP/1.1\r\n${HOST}${CLOSE}X-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
  `HEAD /li vez HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `HEAD /v1/api_keys/%ED%A0%80 HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `HEAD /api/v1/maas/workspaces/${'w'.repeat(300)}/api-keys HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `HEAD /nowhere HTTP/1.1\r\n${HOST}${CLOSE}\r\n`,
  `GET /v1/api_keys HTTP/1.1\r\n${HOST}${CLOSE}${'X-Many: 1\r\n'.repeat(3_000)}\r\n`,
  `POST /v1/api_keys HTTP/1.1\r\n${HOST}${CLOSE}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  `POST /v1/api_keys HTTP/1.1\r\n${HOST}${CLOSE}Content-Length: abc\r\n\r\n`,
  `POST /v1/api_keys HTTP/1.1\r\n${HOST}${CLOSE}Content-Length: -1\r\n\r\n`,
  `POST /v1/api_keys HTTP/1.1\r\n${HOST}${CLOSE}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
  `POST /v1/api_keys HTTP/1.1\r\n${HOST}${CLOSE}Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n`,
  `POST /v1/api_keys HTTP/1.1\r\n${HOST}${CLOSE}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
  `POST /v1/api_keys HTTP/1.1\r\n${HOST}${CLOSE}Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{}`,
  `POST /api/v1/cadreen/keys/verify HTTP/1.1\r\n${HOST}${CLOSE}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
  `GET /livez HTTP/1.1\r\n${HOST}${CLOSE}Expect: 100-continue\r\n\r\n`,
  `GET /livez HTTP/1.1\r\n${HOST}${CLOSE}Expect: teapot\r\n\r\n`,
  `GET /livez HTTP/1.1\r\n${HOST}Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
  `CONNECT 127.0.0.1:1 HTTP/1.1\r\n${HOST}\r\n`,
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  'garbage\r\n\r\n',
  '\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003\r\n\r\n',
] as const;

/** One extra header line past Node's 16 KiB limit, or a great many lines, added to a generated request. */
const oversize = fc.constantFrom<[string, string][]>([['x-pad', 'a'.repeat(20_000)]], Array.from({ length: 200 }, (_, i): [string, string] => [`x-many-${i}`, 'y'.repeat(100)]));

export function socketRequests(): fc.Arbitrary<SocketRequest> {
  const generated = fuzzRequests(SOCKET_METHODS);
  return fc.oneof(
    { weight: 7, arbitrary: generated },
    { weight: 1, arbitrary: fc.tuple(generated, oversize).map(([request, extra]) => ({ ...request, headers: [...request.headers, ...extra] })) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_REQUESTS).map((raw) => ({ raw })) },
    {
      weight: 1,
      // Not only CR and LF: a server rightly skips empty lines before a request line and waits for one.
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 60 })
        .filter((bytes) => bytes.some((byte) => byte !== 13 && byte !== 10))
        .map((bytes) => ({ raw: `${Buffer.from(bytes).toString('latin1')}\r\n\r\n` })),
    },
  );
}
