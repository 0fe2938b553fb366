import type { RateLimit, WireWorkspace, Workspace } from '@cadreen/sdk';
import { InvalidArgumentError, type Command } from 'commander';
import { action, clientFor, printJson, printTable, withClientOptions, type ClientOptions } from './client.js';

const wireLimit = (r: RateLimit) => ({ limit: r.limit, window_seconds: r.windowSeconds, source: r.source });

/** A workspace as the API answers it (snake_case, the API's field order): what `--format json` prints. */
const toWire = (w: Workspace): WireWorkspace => ({
  id: w.id,
  account_id: w.accountId,
  name: w.name,
  created_at: w.createdAt,
  rate_limit: wireLimit(w.rateLimit),
  workspace_rate_limit: wireLimit(w.workspaceRateLimit),
});

/** `--format json` prints the API's JSON for `asJson(workspaces in the API's shape)`; otherwise a table. */
function printWorkspaces(workspaces: Workspace[], format: ClientOptions['format'], asJson: (wire: WireWorkspace[]) => unknown): void {
  if (format === 'json') return printJson(asJson(workspaces.map(toWire)));
  printTable(
    ['NAME', 'ID', 'ACCOUNT', 'RATE LIMIT', 'CREATED'],
    workspaces.map((w) => [w.name, w.id, w.accountId, `${w.rateLimit.limit}/${w.rateLimit.windowSeconds}s`, w.createdAt]),
  );
}

/** `cadreen workspaces …`: workspace administration with the admin token. */
export function workspacesCommand(program: Command): void {
  const workspaces = program.command('workspaces').description('manage workspaces (admin token)');

  withClientOptions(workspaces.command('create').description('Create a workspace'))
    .requiredOption('--name <name>', 'workspace name')
    .option('--account-id <id>', 'account (optional while there is one)')
    .action(
      action(async (options: ClientOptions & { name: string; accountId?: string }) => {
        const workspace = await clientFor(options).workspaces.create({ name: options.name, ...(options.accountId ? { accountId: options.accountId } : {}) });
        printWorkspaces([workspace], options.format, ([wire]) => wire);
      }),
    );

  withClientOptions(workspaces.command('list').description('List workspaces'))
    .option('--limit <n>', 'page size', (v) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError('--limit must be a whole number');
      return Number(v);
    })
    .option('--cursor <cursor>', 'cursor from the previous page')
    .option('--all', 'follow cursors and list every workspace')
    .action(
      action(async (options: ClientOptions & { limit?: number; cursor?: string; all?: boolean }) => {
        const pages = clientFor(options).workspaces.list({
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(options.cursor ? { cursor: options.cursor } : {}),
        });
        if (options.all) {
          const all: Workspace[] = [];
          for await (const workspace of pages) all.push(workspace);
          return printWorkspaces(all, options.format, (wire) => ({ workspaces: wire, count: wire.length, next_cursor: null }));
        }
        const page = await pages;
        printWorkspaces(page.items, options.format, (wire) => ({ workspaces: wire, count: page.total, next_cursor: page.nextCursor ?? null }));
      }),
    );
}
