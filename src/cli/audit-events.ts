import type { Command } from 'commander';
import { action, clientFor, printJson, printTable, withClientOptions, type ClientOptions } from './client.js';

/** `cadreen audit-events list`: the workspace's audit log, newest first. */
export function auditEventsCommand(program: Command): void {
  const auditEvents = program.command('audit-events').description("read your workspace's audit log");
  withClientOptions(auditEvents.command('list').description('List audit events, newest first'))
    .option('--type <type>', 'only events of this type, e.g. key.revoked or auth.refused')
    .option('--limit <n>', 'page size', Number)
    .option('--cursor <cursor>', 'cursor from the previous page')
    .action(
      action(async (options: ClientOptions & { type?: string; limit?: number; cursor?: string }) => {
        const page = await clientFor(options).auditEvents.list({
          ...(options.type ? { type: options.type as never } : {}),
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(options.cursor ? { cursor: options.cursor } : {}),
        });
        if (options.format === 'json') {
          return printJson({ items: page.items, pagination: page.nextCursor ? { nextCursor: page.nextCursor } : {} });
        }
        printTable(
          ['TIME', 'TYPE', 'KEY', 'CODE', 'ACTOR'],
          page.items.map((e) => [e.createdAt, e.type, e.keyId ?? '-', e.code ?? '-', e.actorProfileId ?? '-']),
        );
      }),
    );
}
