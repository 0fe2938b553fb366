import type { Store } from './ports.js';
import { CursorCodec, pageOf } from './cursor.js';
import type { AuditEvent, AuditEventType, Profile } from './model.js';
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
  ): Promise<{ events: AuditEvent[]; profiles: Map<string, Profile>; nextCursor: string | null }> {
    const cursorScope = JSON.stringify(['events', scope.workspace.id, query.type ?? '']);
    const after = query.cursor ? this.cursors.decode(cursorScope, query.cursor) : null;
    const filter = { workspaceId: scope.workspace.id, ...(query.type ? { type: query.type } : {}) };
    const rows = await this.store.listAuditEvents(filter, { order: 'desc', after, limit: query.limit + 1 });
    const page = pageOf(rows, query.limit, this.cursors, cursorScope);
    // Who acted and whom member events are about, read in one query.
    const ids = new Set<string>();
    for (const event of page.items) {
      if (event.actorProfileId) ids.add(event.actorProfileId);
      if (event.subjectProfileId) ids.add(event.subjectProfileId);
    }
    const profiles = await this.store.findProfiles([...ids]);
    return { events: page.items, profiles: new Map(profiles.map((profile) => [profile.id, profile])), nextCursor: page.nextCursor };
  }
}
