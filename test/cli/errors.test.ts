import { AuthenticationError, ConfigurationError, ConnectionError, InvalidRequestError, PermissionDeniedError, RateLimitError } from '@cadreen/sdk';
import { describe, expect, it } from 'vitest';
import { errorLine, usageMessage } from '../../src/cli/errors.js';

/**
 * How the command line words the failures it cannot easily provoke from a real server (a rate
 * limit's wait, an SDK's configuration message, a newer server's field): flags, not SDK options or
 * HTTP headers, and the documented exit code.
 */
describe('command line error lines', () => {
  it('says how long to wait on rate_limited instead of pointing at a header (exit 4)', () => {
    const error = new RateLimitError({ code: 'rate_limited', message: 'too many requests for this API key; retry after the Retry-After header', status: 429, retryAfter: 12, requestId: 'req_1' });
    expect(errorLine(error)).toEqual({ line: 'error: rate_limited: too many requests for this API key; retry in 12 s (request req_1)', exitCode: 4 });
  });

  it('names --api-key and CADREEN_API_KEY where the server or the SDK speak of headers and options', () => {
    const missing = new AuthenticationError({ code: 'auth_missing', message: "missing API key: send 'Authorization: Bearer <key>'", status: 401 });
    expect(errorLine(missing)).toEqual({ line: 'error: auth_missing: missing API key: pass --api-key or set CADREEN_API_KEY', exitCode: 3 });
    const noKey = new ConfigurationError({ code: 'configuration_error', message: 'no API key: pass { apiKey } or set the CADREEN_API_KEY environment variable' });
    expect(errorLine(noKey)).toEqual({ line: 'error: configuration_error: no API key: pass --api-key or set CADREEN_API_KEY', exitCode: 2 });
    const noWorkspace = new ConfigurationError({ code: 'configuration_error', message: 'no workspace: pass { workspaceId } to the call or to new Cadreen()' });
    expect(errorLine(noWorkspace).line).toBe('error: configuration_error: no workspace: the admin token acts on one workspace; pass --workspace-id');
  });

  it('names --workspace-id for the resource dialect’s header, and exits 2 when the admin token needs it', () => {
    const error = new InvalidRequestError({
      code: 'invalid_request',
      message: 'the admin token acts on one workspace: name the workspace',
      status: 400,
      details: [{ field: 'X-Cadreen-Workspace-Id', message: 'required with the admin token' }],
    });
    const { line, exitCode } = errorLine(error);
    expect(line).toBe('error: invalid_request: the admin token acts on one workspace: pass --workspace-id: --workspace-id required with the admin token');
    expect(exitCode).toBe(2);
  });

  it('keeps one reason per flag, leaves out what a union adds, and falls back to the field name', () => {
    const error = new InvalidRequestError({
      code: 'invalid_request',
      message: 'the request body is invalid',
      status: 400,
      details: [
        { field: 'metadata.name', message: 'must NOT have fewer than 1 characters' },
        { field: 'metadata.name', message: 'must match pattern "\\S"' },
        { field: 'metadata.labels', message: 'must match pattern "^[a-z]$"' },
        { field: 'metadata.labels', message: 'must be null' },
        { field: 'metadata.labels', message: 'must match a schema in anyOf' },
        { field: 'rate_limit.window_seconds', message: 'must be <= 86400' },
        { field: 'spec.somethingNew', message: 'must be integer' },
      ],
    });
    expect(errorLine(error).line).toBe(
      'error: invalid_request: the request body is invalid: --name must not be empty; --label must match ^[a-z]$; ' +
        '--rate-limit window_seconds must be at most 86400; spec.somethingNew must be a whole number',
    );
  });

  it('exits 3 for auth_* refusals and 4 for quota_exceeded, though both are 403s', () => {
    expect(errorLine(new PermissionDeniedError({ code: 'auth_forbidden', message: 'no', status: 403 })).exitCode).toBe(3);
    expect(errorLine(new PermissionDeniedError({ code: 'quota_exceeded', message: 'full', status: 403 })).exitCode).toBe(4);
  });

  it('exits 5 when no answer came, and 1 with the first line of anything unexpected', () => {
    expect(errorLine(new ConnectionError({ code: 'timeout', message: 'no answer within 30000 ms' })).exitCode).toBe(5);
    expect(errorLine(new TypeError('boom\n    at somewhere (file.js:1:1)'))).toEqual({ line: 'error: unexpected: boom', exitCode: 1 });
  });

  it('rewords commander’s parse failures to start with the flag or argument', () => {
    expect(usageMessage("error: option '--limit <n>' argument '0' is invalid. --limit must be at least 1\n")).toBe('--limit must be at least 1 (got "0")');
    expect(usageMessage("error: option '--format <format>' argument 'xml' is invalid. Allowed choices are json, table.\n")).toBe(
      '--format must be one of json, table (got "xml")',
    );
    expect(usageMessage("error: command-argument value '' is invalid for argument 'id'. <id> must not be empty\n")).toBe('<id> must not be empty (got "")');
    expect(usageMessage("error: unknown option '--nope'\n")).toBe("unknown option '--nope'");
  });
});
