import type { IncomingMessage, ServerResponse } from 'node:http';
import { admit } from './verifier-http.js';
import type { CadreenCaller, Verifier } from './verifier.js';

declare global {
  // Express's own request type gains `req.cadreen` when @types/express is installed.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified caller, set by `cadreenMiddleware` on every route behind it. */
      cadreen: CadreenCaller;
    }
  }
}

export interface CadreenMiddlewareOptions {
  verifier: Verifier;
}

/**
 * Express/connect middleware: verifies `Authorization: Bearer <key>` with a {@link Verifier} and sets
 * `req.cadreen = { workspaceId, keyId, status }`; a refused key gets Cadreen's own answer (401
 * `auth_*`, 429 `rate_limited` or 503 `service_unavailable`, with `Retry-After`).
 *
 * ```ts
 * app.use(cadreenMiddleware({ verifier }));
 * app.get('/v1/things', (req, res) => res.json({ workspace: req.cadreen.workspaceId }));
 * ```
 */
export function cadreenMiddleware(options: CadreenMiddlewareOptions) {
  const { verifier } = options;
  if (!verifier) throw new TypeError('cadreenMiddleware needs { verifier }');
  return function cadreen(
    req: IncomingMessage & { cadreen?: CadreenCaller },
    res: ServerResponse,
    next: (error?: unknown) => void,
  ): void {
    admit(verifier, req.headers.authorization).then((admission) => {
      if (admission.ok) {
        req.cadreen = admission.caller;
        return next();
      }
      const { status, headers, body } = admission.refusal;
      res.writeHead(status, headers).end(JSON.stringify(body));
    }, next);
  };
}
