import type { AuditEvent, AuditEventType } from '@cadreen/sdk';
import { Option, type Command } from 'commander';
import { AUDIT_EVENT_TYPES } from '../core/model.js';
import { action, clientFor, printJson, printTable, withClientOptions, type ClientOptions } from './client.js';
import { wholeNumber } from './parse.js';

function printEvents(events: AuditEvent[], format: ClientOptions['format'], asJson: unknown): void {
  if (format === 'json') return printJson(asJson);
  printTable(
    ['TIME', 'TYPE', 'KEY', 'CODE', 'ACTOR'],
    events.map((e) => [e.createdAt, e.type, e.keyId ?? '-', e.code ?? '-', e.actor?.email ?? e.actor?.name ?? e.actorProfileId ?? '-']),
  );
}

/** `cadreen audit-events list`: the workspace's audit log, newest first. */
export function auditEventsCommand(program: Command): void {
  const auditEvents = program.command('audit-events').description("read your workspace's audit log");
  withClientOptions(auditEvents.command('list').description('List audit events, newest first'))
    .addOption(new Option('--type <type>', 'only events of this type, e.g. key.revoked or auth.refused').choices(AUDIT_EVENT_TYPES))
    .option('--limit <n>', 'page size (1-500)', wholeNumber('--limit', 1))
    .option('--cursor <cursor>', 'cursor from the previous page')
    .option('--all', 'follow cursors and list every event')
    .action(
      action(async (options: ClientOptions & { type?: AuditEventType; limit?: number; cursor?: string; all?: boolean }) => {
        const pages = clientFor(options).auditEvents.list({
          ...(options.type ? { type: options.type } : {}),
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(options.cursor ? { cursor: options.cursor } : {}),
        });
        if (options.all) {
          const items: AuditEvent[] = [];
          for await (const event of pages) items.push(event);
          return printEvents(items, options.format, { items, pagination: {} });
        }
        const page = await pages;
        printEvents(page.items, options.format, { items: page.items, pagination: page.nextCursor ? { nextCursor: page.nextCursor } : {} });
      }),
    );
}
