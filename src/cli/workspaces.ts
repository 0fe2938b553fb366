import type { Workspace } from '@cadreen/sdk';
import { InvalidArgumentError, type Command } from 'commander';
import { action, clientFor, printJson, printTable, withClientOptions, type ClientOptions } from './client.js';

function printWorkspaces(workspaces: Workspace[], format: ClientOptions['format'], asJson: unknown): void {
  if (format === 'json') return printJson(asJson);
  printTable(
    ['NAME', 'ID', 'ACCOUNT', 'RATE LIMIT', 'CREATED'],
    workspaces.map((w) => [w.name, w.id, w.account_id, `${w.rate_limit.limit}/${w.rate_limit.window_seconds}s`, w.created_at]),
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
        const workspace = await clientFor(options).workspaces.create({ name: options.name, ...(options.accountId ? { account_id: options.accountId } : {}) });
        printWorkspaces([workspace], options.format, workspace);
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
          return printWorkspaces(all, options.format, { workspaces: all, count: all.length, next_cursor: null });
        }
        const page = await pages;
        printWorkspaces(page.items, options.format, { workspaces: page.items, count: page.total, next_cursor: page.nextCursor ?? null });
      }),
    );
}
