import { CadreenError, ConfigurationError, ConnectionError, type FieldProblem } from '@cadreen/sdk';

/**
 * Exit codes of the command line, one per kind of failure: 0 success, 1 an unexpected failure,
 * 2 usage or configuration, 3 authentication or permission (`auth_*`), 4 any other API error,
 * 5 the server could not be reached.
 */
export const EXIT = { unexpected: 1, usage: 2, authentication: 3, api: 4, connection: 5 } as const;

/**
 * A mistake in how the command was called, found before anything was sent: `usage` for flags and
 * arguments, `configuration_error` for what the client needs to connect (API key, base URL, workspace).
 */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly code: 'usage' | 'configuration_error' = 'usage',
  ) {
    super(message);
  }
}

/**
 * The flag that sets each field the API names in `details`, in both dialects (the resource
 * dialect's camelCase and paths such as `spec.expiresAt`, the Cadreen dialect's snake_case).
 */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  gracePeriodSeconds: '--grace-period',
  grace_period_seconds: '--grace-period',
  limit: '--limit',
  cursor: '--cursor',
  prefix: '--prefix',
  sortOrder: '--sort-order',
  includeInfo: '--include-info',
  type: '--type',
  name: '--name',
  'metadata.name': '--name',
  'metadata.externalId': '--external-id',
  external_id: '--external-id',
  'metadata.labels': '--label',
  labels: '--label',
  description: '--description',
  'spec.description': '--description',
  'spec.expiresAt': '--expires-at',
  expiresAt: '--expires-at',
  expires_at: '--expires-at',
  account_id: '--account-id',
  accountId: '--account-id',
  rate_limit: '--rate-limit',
  workspace_rate_limit: '--workspace-rate-limit',
  workspace_id: '--workspace-id',
  workspaceId: '--workspace-id',
  'X-Cadreen-Workspace-Id': '--workspace-id',
  profile_id: '--profile-id',
  email: '--email',
  role: '--role',
  id: '<id>',
  key_id: '<id>',
};

/** The flag (or argument) for a field, `--rate-limit window_seconds` for a part of one; else the field itself. */
export function flagOf(field: string): string {
  const exact = FLAG_OF_FIELD[field];
  if (exact) return exact;
  for (let at = field.lastIndexOf('.'); at > 0; at = field.lastIndexOf('.', at - 1)) {
    const flag = FLAG_OF_FIELD[field.slice(0, at)];
    if (flag) return `${flag} ${field.slice(at + 1)}`;
  }
  return field;
}

/** The validator's wording, said plainly. */
const REWORDINGS: [RegExp, (...groups: string[]) => string][] = [
  [/^must be <= (\S+)$/, (n) => `must be at most ${n}`],
  [/^must be >= (\S+)$/, (n) => `must be at least ${n}`],
  [/^must be < (\S+)$/, (n) => `must be less than ${n}`],
  [/^must be > (\S+)$/, (n) => `must be more than ${n}`],
  [/^must NOT have fewer than 1 characters?$/, () => 'must not be empty'],
  [/^must NOT have fewer than (\d+) characters$/, (n) => `must be at least ${n} characters long`],
  [/^must NOT have more than (\d+) characters$/, (n) => `must be at most ${n} characters long`],
  [/^must NOT have more than (\d+) properties$/, (n) => `may be given at most ${n} times`],
  [/^must match format "date-time"$/, () => 'must be an RFC 3339 time such as 2030-01-01T00:00:00Z'],
  [/^must match format "email"$/, () => 'must be an email address'],
  [/^must match pattern "\\S"$/, () => 'must not be blank'],
  [/^must match pattern "(.*)"$/, (p) => `must match ${p}`],
  [/^must be integer$/, () => 'must be a whole number'],
  [/^must have required property '.*'$/, () => 'is required'],
  [/^must be equal to one of the allowed values$/, () => 'is not one of the allowed values'],
];

/** What a union's validator adds after the real problem ("must be null", "must match a schema in anyOf"). */
const NOISE = /^(must be null|must match a schema in anyOf|must match exactly one schema in oneOf|property name must be valid)$/;

const reword = (message: string) => {
  for (const [pattern, say] of REWORDINGS) {
    const match = pattern.exec(message);
    if (match) return say(...match.slice(1));
  }
  return message;
};

/** `details` in the command line's words: one sentence per field, naming its flag, noise left out. */
export function describeDetails(details: FieldProblem[] | undefined): string[] {
  if (!details?.length) return [];
  const meaningful = details.filter((problem) => !NOISE.test(problem.message));
  const seen = new Map<string, string>();
  for (const problem of meaningful.length ? meaningful : details) {
    const flag = flagOf(problem.field);
    // A field's first problem says enough ("must not be empty" before "must not be blank").
    if (!seen.has(flag)) seen.set(flag, `${flag} ${reword(problem.message)}`);
  }
  return [...seen.values()];
}

/**
 * Messages that speak of the SDK's options or HTTP headers, in the command line's words. The
 * server's and the SDK's own texts stay as they are; only what this program prints changes.
 */
const TRANSLATIONS: [RegExp, string | ((error: CadreenError) => string)][] = [
  [/pass \{ apiKey \} or set the CADREEN_API_KEY environment variable/, 'pass --api-key or set CADREEN_API_KEY'],
  [/send 'Authorization: Bearer <key>'/, 'pass --api-key or set CADREEN_API_KEY'],
  [/^no workspace: pass \{ workspaceId \}.*$/, 'no workspace: the admin token acts on one workspace; pass --workspace-id'],
  [/name the workspace$/, 'pass --workspace-id'],
  [/send the X-Cadreen-Workspace-Id header/, 'pass --workspace-id'],
  [/X-Cadreen-Workspace-Id( header)?/, '--workspace-id'],
  [/\{ (apiKey) \}/, '--api-key'],
  [/\{ (workspaceId) \}/, '--workspace-id'],
  [/\{ (baseURL) \}/, '--base-url'],
  [/ to the call or to new Cadreen\(\)/, ''],
  [
    /retry after the Retry-After header$/,
    (error) => (error.retryAfter !== undefined ? `retry in ${error.retryAfter} s` : 'retry shortly'),
  ],
];

/** An error's message as this program says it. */
export function translateMessage(error: CadreenError): string {
  let message = error.message;
  for (const [pattern, replacement] of TRANSLATIONS) {
    message = message.replace(pattern, () => (typeof replacement === 'string' ? replacement : replacement(error)));
  }
  return message;
}

/** The exit code for an error from the SDK. */
export function exitCodeOf(error: CadreenError): number {
  if (error instanceof ConfigurationError) return EXIT.usage;
  // The admin token without --workspace-id where the call needs one: the API refuses it, but the fix is a flag.
  if (error.code === 'invalid_request' && error.details?.some((d) => flagOf(d.field) === '--workspace-id' && d.message.startsWith('required'))) {
    return EXIT.usage;
  }
  if (error instanceof ConnectionError || error.code === 'connection_error' || error.code === 'timeout') return EXIT.connection;
  if (String(error.code).startsWith('auth_') || error.status === 401) return EXIT.authentication;
  return EXIT.api;
}

/**
 * The one line printed on stderr for a failed command: `error: <code>: <message>`, the API's
 * `details` in flag names after a colon, and the request id to quote.
 */
export function errorLine(error: unknown): { line: string; exitCode: number } {
  if (error instanceof UsageError) return { line: `error: ${error.code}: ${error.message}`, exitCode: EXIT.usage };
  if (error instanceof CadreenError) {
    const code = error.code;
    const details = describeDetails(error.details);
    const where = error.requestId ? ` (request ${error.requestId})` : '';
    const message = translateMessage(error);
    return { line: `error: ${code}: ${message}${details.length ? `: ${details.join('; ')}` : ''}${where}`, exitCode: exitCodeOf(error) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: `error: unexpected: ${message.split('\n')[0]}`, exitCode: EXIT.unexpected };
}

/**
 * A parse failure as commander words it, shortened to name the flag or argument first:
 * `option '--limit <n>' argument '0' is invalid. --limit must be at least 1` becomes
 * `--limit must be at least 1 (got "0")`, and a refused choice says which ones are allowed.
 */
export function usageMessage(text: string): string {
  const message = text.replace(/^error: /, '').trimEnd();
  let name: string, value: string, reason: string;
  const option = /^option '(-[^' ,]+)[^']*' argument '([\s\S]*)' is invalid\. ([\s\S]*)$/.exec(message);
  const argument = /^command-argument value '([\s\S]*)' is invalid for argument '([^']+)'\. ([\s\S]*)$/.exec(message);
  if (option) [, name, value, reason] = option as unknown as [string, string, string, string];
  else if (argument) [name, value, reason] = [`<${argument[2]}>`, argument[1]!, argument[3]!];
  else return message;
  const choices = /^Allowed choices are (.*)\.$/.exec(reason);
  const sentence = choices ? `${name} must be one of ${choices[1]}` : reason.startsWith(name) ? reason : `${name}: ${reason}`;
  return `${sentence} (got "${value}")`;
}
