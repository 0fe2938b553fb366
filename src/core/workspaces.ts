import type { Store } from './ports.js';
import { CursorCodec, pageOf } from './cursor.js';
import { invalidRequest, notFound } from './errors.js';
import { newId } from './ids.js';
import type { KeyCache } from './key-cache.js';
import { effectiveLimits, type DefaultLimits, type WorkspaceLimits } from './limits.js';
import type { AuditEvent, AuditEventType, Millis, RateLimitPolicy, Workspace } from './model.js';

export interface WorkspaceChanges {
  name?: string;
  /** A per-key limit of the workspace's own, or null to return to the deployment default. */
  rateLimit?: RateLimitPolicy | null;
  /** A budget for all the workspace's keys together, or null to return to the deployment default. */
  workspaceRateLimit?: RateLimitPolicy | null;
}


/** Workspaces: created and changed with the admin token, read by their own keys too. */
export class WorkspaceService {
  constructor(
    private readonly store: Store,
    private readonly cache: KeyCache,
    private readonly cursors: CursorCodec,
    private readonly systemProfileOf: (accountId: string) => Promise<string>,
    private readonly defaults: DefaultLimits,
    private readonly clock: () => Millis = Date.now,
  ) {}

  /** The limits in force for `workspace`: its own where it sets them, the deployment's otherwise. */
  limitsOf(workspace: Workspace): WorkspaceLimits {
    return effectiveLimits(workspace, this.defaults);
  }

  /**
   * Creates a workspace in `accountId`, or — when left out — in the
   * deployment's only account (an error if there are none or several).
   */
  async create(
    input: { name: string; accountId?: string; rateLimit?: RateLimitPolicy | null; workspaceRateLimit?: RateLimitPolicy | null },
    ip?: string,
  ): Promise<Workspace> {
    const accountId = input.accountId ?? (await this.soleAccountId());
    if (!(await this.store.findAccount(accountId))) {
      throw invalidRequest('no such account', [{ field: 'accountId', message: 'unknown account' }]);
    }
    const now = this.clock();
    const workspace: Workspace = {
      id: newId('ws', now),
      accountId,
      name: input.name,
      rateLimit: input.rateLimit ?? null,
      workspaceRateLimit: input.workspaceRateLimit ?? null,
      createdAt: now,
    };
    await this.store.insertWorkspace(workspace, await this.event(workspace, 'workspace.created', now, ip));
    return workspace;
  }

  async get(id: string): Promise<Workspace> {
    const workspace = await this.store.findWorkspace(id);
    if (!workspace) throw notFound('workspace');
    return workspace;
  }

  async list(query: { limit: number; cursor?: string }): Promise<{ workspaces: Workspace[]; total: number; nextCursor: string | null }> {
    const scope = 'workspaces';
    const after = query.cursor ? this.cursors.decode(scope, query.cursor) : null;
    const [rows, total] = await Promise.all([
      this.store.listWorkspaces({ order: 'asc', after, limit: query.limit + 1 }),
      this.store.countWorkspaces(),
    ]);
    const page = pageOf(rows, query.limit, this.cursors, scope);
    return { workspaces: page.items, total, nextCursor: page.nextCursor };
  }

  async update(id: string, changes: WorkspaceChanges, ip?: string): Promise<Workspace> {
    const existing = await this.get(id);
    const now = this.clock();
    const updated = await this.store.updateWorkspace(id, changes, await this.event(existing, 'workspace.updated', now, ip));
    if (!updated) throw notFound('workspace');
    // Cached keys carry their workspace's limits.
    if (changes.rateLimit !== undefined || changes.workspaceRateLimit !== undefined) this.cache.invalidateWorkspace(id);
    return updated;
  }

  private async soleAccountId(): Promise<string> {
    const accounts = await this.store.listAccounts(2);
    if (accounts.length === 1) return accounts[0]!.id;
    throw invalidRequest(
      accounts.length === 0
        ? 'there is no account yet: run `cadreen init` first'
        : 'this deployment has several accounts: pass account_id',
      [{ field: 'accountId', message: 'required' }],
    );
  }

  private async event(workspace: Workspace, type: AuditEventType, now: Millis, ip?: string): Promise<AuditEvent> {
    return {
      id: newId('evt', now),
      workspaceId: workspace.id,
      type,
      actorProfileId: await this.systemProfileOf(workspace.accountId),
      keyId: null,
      code: null,
      ip: ip ?? null,
      createdAt: now,
    };
  }
}
