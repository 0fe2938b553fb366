import type { Store } from './ports.js';
import { CursorCodec, pageOf } from './cursor.js';
import type { AuditEvent, AuditEventType } from './model.js';
import type { Scope } from './scope.js';

/** Reads a workspace's audit log, newest first. */
export class AuditService {
  constructor(
    private readonly store: Store,
    private readonly cursors: CursorCodec,
  ) {}

  async list(
    scope: Scope,
    query: { type?: AuditEventType; limit: number; cursor?: string },
  ): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
    const cursorScope = JSON.stringify(['events', scope.workspace.id, query.type ?? '']);
    const after = query.cursor ? this.cursors.decode(cursorScope, query.cursor) : null;
    const filter = { workspaceId: scope.workspace.id, ...(query.type ? { type: query.type } : {}) };
    const rows = await this.store.listAuditEvents(filter, { order: 'desc', after, limit: query.limit + 1 });
    const page = pageOf(rows, query.limit, this.cursors, cursorScope);
    return { events: page.items, nextCursor: page.nextCursor };
  }
}
