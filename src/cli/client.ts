import { Cadreen } from '@cadreen/sdk';
import { Option, type Command } from 'commander';
import { EXIT, UsageError, errorLine } from './errors.js';
import { collectLabel } from './parse.js';

export { EXIT, UsageError, collectLabel };

export interface ClientOptions {
  apiKey?: string;
  baseUrl?: string;
  workspaceId?: string;
  format: 'json' | 'table';
}

/** The format option of commands that print resources: the API's JSON, or a table for people. */
export const formatOption = () => new Option('--format <format>', 'output format').choices(['json', 'table']).default('json');

/** Adds the options every client command shares. */
export function withClientOptions(command: Command): Command {
  return command
    .option('--api-key <key>', 'API key or admin token (env CADREEN_API_KEY)')
    .option('--base-url <url>', 'Cadreen server (env CADREEN_BASE_URL, default http://127.0.0.1:8080)')
    .option('--workspace-id <id>', 'with the admin token: the workspace to act on')
    .addOption(formatOption());
}

const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

/** The server's URL from `--base-url`, else CADREEN_BASE_URL, else the default; anything but http(s) is a usage error. */
function baseUrlOf(flag: string | undefined): string {
  const fromEnv = process.env.CADREEN_BASE_URL || undefined;
  const value = flag ?? fromEnv ?? DEFAULT_BASE_URL;
  const source = flag !== undefined ? '--base-url' : 'CADREEN_BASE_URL';
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new UsageError(
      `${source} is "${value}", which is not an http:// or https:// URL: pass --base-url or set CADREEN_BASE_URL to one such as ${DEFAULT_BASE_URL}`,
      'configuration_error',
    );
  }
  return value;
}

/**
 * The SDK client for a command's options; flags win over the environment. What is missing or
 * malformed (no API key, an empty `--workspace-id`, a base URL that is not http(s)) is a usage
 * error before any request is sent.
 */
export function clientFor(options: Omit<ClientOptions, 'format'>): Cadreen {
  if (options.apiKey !== undefined && options.apiKey.trim() === '') {
    throw new UsageError('--api-key is empty: pass the API key or admin token (or leave the flag out and set CADREEN_API_KEY)', 'configuration_error');
  }
  const apiKey = options.apiKey ?? (process.env.CADREEN_API_KEY || undefined);
  if (!apiKey) throw new UsageError('no API key: pass --api-key or set CADREEN_API_KEY', 'configuration_error');
  if (options.workspaceId !== undefined && options.workspaceId.trim() === '') {
    throw new UsageError('--workspace-id is empty (an unset variable?): pass the id of the workspace, ws_…', 'configuration_error');
  }
  return new Cadreen({
    apiKey,
    baseURL: baseUrlOf(options.baseUrl),
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
 * Runs a client command: a failure is one line on stderr, `error: <code>: <message>` with the
 * API's `details` in flag names, and the process exits with the code of its kind (see EXIT).
 */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      const { line, exitCode } = errorLine(error);
      if (exitCode === EXIT.unexpected) throw error;
      process.stderr.write(`${line}\n`);
      process.exitCode = exitCode;
    }
  };
}
