import { ServiceUnavailableError } from './errors.js';
import type { CadreenCaller, Verifier, VerifyRefusalCode } from './verifier.js';

/** A refusal as Cadreen itself answers it (DESIGN §3): status, headers and the error body. */
export interface HttpRefusal {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: VerifyRefusalCode | 'service_unavailable'; message: string; request_id: string } };
}

export type Admission = { ok: true; caller: CadreenCaller } | { ok: false; refusal: HttpRefusal };

const MESSAGES: Record<VerifyRefusalCode | 'service_unavailable', string> = {
  auth_missing: "missing API key: send 'Authorization: Bearer <key>'",
  auth_invalid: 'invalid API key',
  auth_revoked: 'API key has been revoked',
  auth_rotating: 'API key was rotated; use the new key',
  rate_limited: 'too many requests for this API key; retry after the Retry-After header',
  service_unavailable: 'API keys cannot be verified right now; retry after the Retry-After header',
};

const requestId = () => `req_${globalThis.crypto.randomUUID().replace(/-/g, '')}`;

function refusal(code: VerifyRefusalCode | 'service_unavailable', retryAfter?: number): HttpRefusal {
  const status = code === 'rate_limited' ? 429 : code === 'service_unavailable' ? 503 : 401;
  const id = requestId();
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'request-id': id,
      ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
      ...(status !== 401 ? { 'retry-after': String(retryAfter ?? 1) } : {}),
    },
    body: { error: { code, message: MESSAGES[code], request_id: id } },
  };
}

/**
 * What a middleware does with a request's Authorization header: the caller, or the answer to send.
 * Cadreen out of reach is a 503 refusal; any other error (the verifier's own token refused) is thrown
 * for the framework to handle.
 */
export async function admit(verifier: Verifier, authorization: string | string[] | undefined): Promise<Admission> {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  try {
    const result = await verifier.verify(header);
    if (result.valid) return { ok: true, caller: { workspaceId: result.workspaceId, keyId: result.keyId, status: result.status } };
    return { ok: false, refusal: refusal(result.code, result.retryAfter) };
  } catch (error) {
    if (error instanceof ServiceUnavailableError) return { ok: false, refusal: refusal('service_unavailable', error.retryAfter) };
    throw error;
  }
}
