import type { RateLimit, WireWorkspace, Workspace } from '@cadreen/sdk';
import type { Command } from 'commander';
import { UsageError, action, clientFor, printJson, printTable, withClientOptions, type ClientOptions } from './client.js';
import { nonEmpty, rateLimit, wholeNumber, type RateLimitSetting } from './parse.js';

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
  const limit = (r: RateLimit) => `${r.limit}/${r.windowSeconds}s${r.source === 'default' ? ' (default)' : ''}`;
  printTable(
    ['NAME', 'ID', 'ACCOUNT', 'RATE LIMIT', 'WORKSPACE LIMIT', 'CREATED'],
    workspaces.map((w) => [w.name, w.id, w.accountId, limit(w.rateLimit), limit(w.workspaceRateLimit), w.createdAt]),
  );
}

/** The limit flags of `create` and `update`: `N/W` (as CADREEN_RATE_LIMIT), or `default` to use the deployment's. */
const RATE_LIMIT_HELP = 'the limit of each key: <requests>/<window>, e.g. 100/60s, 5000/1h, or "default"';
const WORKSPACE_RATE_LIMIT_HELP = 'the budget all keys of the workspace share: <requests>/<window>, e.g. 6000/60s, or "default"';

type LimitOptions = { rateLimit?: RateLimitSetting | 'default'; workspaceRateLimit?: RateLimitSetting | 'default' };

/** The limits to send: a flag left out leaves that limit as it is; `default` clears it (null). */
const limitsOf = (options: LimitOptions) => {
  const setting = (value: RateLimitSetting | 'default') => (value === 'default' ? null : value);
  return {
    ...(options.rateLimit !== undefined ? { rateLimit: setting(options.rateLimit) } : {}),
    ...(options.workspaceRateLimit !== undefined ? { workspaceRateLimit: setting(options.workspaceRateLimit) } : {}),
  };
};

/** `cadreen workspaces …`: workspace administration with the admin token. */
export function workspacesCommand(program: Command): void {
  const workspaces = program.command('workspaces').description('manage workspaces (admin token)');

  withClientOptions(workspaces.command('create').description('Create a workspace'))
    .requiredOption('--name <name>', 'workspace name')
    .option('--account-id <id>', 'account (optional while there is one)')
    .option('--rate-limit <limit>', RATE_LIMIT_HELP, rateLimit('--rate-limit'))
    .option('--workspace-rate-limit <limit>', WORKSPACE_RATE_LIMIT_HELP, rateLimit('--workspace-rate-limit'))
    .action(
      action(async (options: ClientOptions & LimitOptions & { name: string; accountId?: string }) => {
        const workspace = await clientFor(options).workspaces.create({
          name: options.name,
          ...(options.accountId ? { accountId: options.accountId } : {}),
          ...limitsOf(options),
        });
        printWorkspaces([workspace], options.format, ([wire]) => wire);
      }),
    );

  withClientOptions(workspaces.command('get').description('Show a workspace and its limits (admin token, or a key of that workspace)'))
    .argument('<id>', 'workspace id', nonEmpty('<id>'))
    .action(
      action(async (id: string, options: ClientOptions) => {
        printWorkspaces([await clientFor(options).workspaces.get(id)], options.format, ([wire]) => wire);
      }),
    );

  withClientOptions(workspaces.command('update').description("Rename a workspace or set its limits (admin token)"))
    .argument('<id>', 'workspace id', nonEmpty('<id>'))
    .option('--name <name>', 'new name')
    .option('--rate-limit <limit>', RATE_LIMIT_HELP, rateLimit('--rate-limit'))
    .option('--workspace-rate-limit <limit>', WORKSPACE_RATE_LIMIT_HELP, rateLimit('--workspace-rate-limit'))
    .action(
      action(async (id: string, options: ClientOptions & LimitOptions & { name?: string }) => {
        const change = { ...(options.name !== undefined ? { name: options.name } : {}), ...limitsOf(options) };
        if (Object.keys(change).length === 0) throw new UsageError('nothing to change: pass --name, --rate-limit or --workspace-rate-limit');
        printWorkspaces([await clientFor(options).workspaces.update(id, change)], options.format, ([wire]) => wire);
      }),
    );

  withClientOptions(workspaces.command('list').description('List workspaces'))
    .option('--limit <n>', 'page size (1-1000)', wholeNumber('--limit', 1))
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
