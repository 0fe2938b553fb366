import type { APIKey, APIKeyList } from '@cadreen/sdk';
import { Option, type Command } from 'commander';
import { action, clientFor, printJson, printTable, withClientOptions, type ClientOptions } from './client.js';
import { collectLabel, nonEmpty, timestamp, wholeNumber } from './parse.js';

/** The longest grace period a rotation takes, in seconds (7 days). */
const MAX_GRACE_SECONDS = 604_800;

function printKeys(keys: APIKey[], format: ClientOptions['format'], asJson: unknown): void {
  if (format === 'json') return printJson(asJson);
  printTable(
    ['NAME', 'ID', 'STATUS', 'CREATED', 'LAST USED'],
    keys.map((key) => [
      key.metadata.name,
      key.metadata.id,
      key.status.state.toLowerCase(),
      key.metadata.createdAt,
      key.status.lastUsedAt ?? '-',
    ]),
  );
}

const printKey = (key: APIKey, format: ClientOptions['format']) => printKeys([key], format, key);

/** `cadreen api-keys …`: the resource dialect's key commands, over the SDK. */
export function apiKeysCommand(program: Command): void {
  const apiKeys = program.command('api-keys').description('manage the API keys of your workspace');

  withClientOptions(apiKeys.command('list').description('Lists all API keys in the workspace'))
    .option('--cursor <cursor>', 'Pagination cursor from previous response')
    .option('--include-info', 'When set to true you may use more of your alloted API rate-limit')
    .option('--limit <n>', 'Maximum number of results to return', wholeNumber('--limit', 1))
    .option('--prefix <prefix>', 'Filter expression (query param: prefix)')
    .addOption(new Option('--sort-order <order>', 'Sort order for results (asc or desc by creation time)').choices(['asc', 'desc']))
    .option('--all', 'follow cursors and return every key')
    .action(
      action(async (options: ClientOptions & { cursor?: string; includeInfo?: boolean; limit?: number; prefix?: string; sortOrder?: string; all?: boolean }) => {
        const params = {
          ...(options.cursor ? { cursor: options.cursor } : {}),
          ...(options.includeInfo ? { includeInfo: true } : {}),
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(options.prefix ? { prefix: options.prefix } : {}),
          ...(options.sortOrder ? { sortOrder: options.sortOrder as 'asc' | 'desc' } : {}),
        };
        const pages = clientFor(options).apiKeys.list(params);
        if (options.all) {
          const items: APIKey[] = [];
          for await (const key of pages) items.push(key);
          const response: APIKeyList = { items, pagination: { total: items.length } };
          return printKeys(items, options.format, response);
        }
        const page = await pages;
        const response: APIKeyList = {
          items: page.items,
          pagination: { ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}), total: page.total ?? page.items.length },
        };
        printKeys(page.items, options.format, response);
      }),
    );

  withClientOptions(apiKeys.command('create').description('Create an API key; its token is printed once'))
    .requiredOption('--name <name>', 'human-readable name')
    .option('--description <text>', 'what the key is for')
    .option('--external-id <id>', 'an id from your own system')
    .option('--label <key=value>', 'a label (repeatable)', collectLabel)
    .option('--expires-at <time>', 'RFC 3339 expiry, e.g. 2027-01-01T00:00:00Z', timestamp('--expires-at'))
    .action(
      action(async (options: ClientOptions & { name: string; description?: string; externalId?: string; label?: Record<string, string>; expiresAt?: string }) => {
        const key = await clientFor(options).apiKeys.create({
          metadata: {
            name: options.name,
            ...(options.externalId ? { externalId: options.externalId } : {}),
            ...(options.label ? { labels: options.label } : {}),
          },
          spec: {
            ...(options.description ? { description: options.description } : {}),
            ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
          },
        });
        printKey(key, options.format);
        if (options.format === 'table') process.stdout.write(`\ntoken (shown once): ${key.spec.token}\n`);
      }),
    );

  withClientOptions(apiKeys.command('get').description('Show one API key').argument('<id>', 'key id', nonEmpty('<id>')))
    .option('--include-info', 'include the creating profile (costs 2 rate-limit units)')
    .action(
      action(async (id: string, options: ClientOptions & { includeInfo?: boolean }) => {
        printKey(await clientFor(options).apiKeys.get(id, options.includeInfo ? { includeInfo: true } : {}), options.format);
      }),
    );

  withClientOptions(apiKeys.command('update').description('Change an API key').argument('<id>', 'key id', nonEmpty('<id>')))
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .option('--external-id <id>', 'new external id')
    .option('--label <key=value>', 'replace the labels with these (repeatable)', collectLabel)
    .option('--expires-at <time>', 'new RFC 3339 expiry', timestamp('--expires-at'))
    .action(
      action(async (id: string, options: ClientOptions & { name?: string; description?: string; externalId?: string; label?: Record<string, string>; expiresAt?: string }) => {
        const metadata = {
          ...(options.name ? { name: options.name } : {}),
          ...(options.externalId ? { externalId: options.externalId } : {}),
          ...(options.label ? { labels: options.label } : {}),
        };
        const spec = {
          ...(options.description ? { description: options.description } : {}),
          ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
        };
        printKey(await clientFor(options).apiKeys.update(id, { metadata, spec }), options.format);
      }),
    );

  withClientOptions(apiKeys.command('rotate').description('Rotate an API key; the new token is printed once').argument('<id>', 'key id', nonEmpty('<id>')))
    .option('--grace-period <seconds>', `keep the old key working this long (0-${MAX_GRACE_SECONDS})`, wholeNumber('--grace-period', 0, MAX_GRACE_SECONDS))
    .action(
      action(async (id: string, options: ClientOptions & { gracePeriod?: number }) => {
        const key = await clientFor(options).apiKeys.rotate(id, options.gracePeriod !== undefined ? { gracePeriodSeconds: options.gracePeriod } : {});
        printKey(key, options.format);
        if (options.format === 'table') process.stdout.write(`\ntoken (shown once): ${key.spec.token}\n`);
      }),
    );

  withClientOptions(apiKeys.command('revoke').description('Revoke an API key (idempotent)').argument('<id>', 'key id', nonEmpty('<id>'))).action(
    action(async (id: string, options: ClientOptions) => {
      printKey(await clientFor(options).apiKeys.revoke(id), options.format);
    }),
  );
}
