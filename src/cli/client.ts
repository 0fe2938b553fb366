import { Cadreen, CadreenError, AuthenticationError, PermissionDeniedError, ConnectionError, ConfigurationError } from '@cadreen/sdk';
import { Option, type Command } from 'commander';

/** Exit codes of the client commands, distinct per kind of failure. */
export const EXIT = { usage: 2, authentication: 3, api: 4, connection: 5 } as const;

export interface ClientOptions {
  apiKey?: string;
  baseUrl?: string;
  workspaceId?: string;
  format: 'json' | 'table';
}

/** Adds the options every client command shares. */
export function withClientOptions(command: Command): Command {
  return command
    .option('--api-key <key>', 'API key or admin token (env CADREEN_API_KEY)')
    .option('--base-url <url>', 'Cadreen server (env CADREEN_BASE_URL, default http://127.0.0.1:8080)')
    .option('--workspace-id <id>', 'with the admin token: the workspace to act on')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('json'));
}

/** The SDK client for a command's options; flags win over the environment. */
export function clientFor(options: ClientOptions): Cadreen {
  return new Cadreen({
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    ...(options.workspaceId ? { workspaceId: options.workspaceId } : {}),
    maxRetries: 2,
  });
}

/** Prints a value as the API's JSON, two-space indented, to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as an aligned text table for people. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}

/**
 * Runs a client command: an error is one line on stderr with its stable code
 * and the process exits with the code of its kind.
 */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      if (!(error instanceof CadreenError)) throw error;
      const where = error.requestId ? ` (request ${error.requestId})` : '';
      process.stderr.write(`error: ${error.code}: ${error.message}${where}\n`);
      process.exitCode =
        error instanceof ConfigurationError
          ? EXIT.usage
          : error instanceof AuthenticationError || error instanceof PermissionDeniedError
            ? EXIT.authentication
            : error instanceof ConnectionError
              ? EXIT.connection
              : EXIT.api;
    }
  };
}

/** Parses repeated `--label key=value` flags. */
export function collectLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new Error(`--label expects key=value, got "${value}"`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}
