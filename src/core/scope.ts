import type { Store } from './ports.js';
import type { Authenticator, Principal } from './auth.js';
import { CadreenError, invalidRequest, notFound } from './errors.js';
import type { Workspace } from './model.js';

/** The workspace an operation acts on and who is acting, resolved from the caller. */
export interface Scope {
  workspace: Workspace;
  actorProfileId: string;
  ip: string | null;
}

/**
 * Decides which workspace a caller may act on. A key acts on its own
 * workspace only; naming another is `auth_forbidden` whether or not that
 * workspace exists. The admin token acts on any workspace, as the account's
 * system profile.
 */
export class ScopeResolver {
  private readonly systemProfiles = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly auth: Authenticator,
  ) {}

  async resolve(principal: Principal, workspaceId: string | undefined, ip?: string): Promise<Scope> {
    if (principal.kind === 'key') {
      if (workspaceId !== undefined && workspaceId !== principal.workspaceId) {
        this.auth.forbidden(principal, ip);
        throw new CadreenError('auth_forbidden', 'API key does not have access to this workspace resource');
      }
      const workspace = await this.store.findWorkspace(principal.workspaceId);
      if (!workspace) throw notFound('workspace');
      return { workspace, actorProfileId: principal.actorProfileId, ip: ip ?? null };
    }
    if (workspaceId === undefined) {
      throw invalidRequest('the admin token needs a workspace: send the X-Cadreen-Workspace-Id header', [
        { field: 'X-Cadreen-Workspace-Id', message: 'required with the admin token' },
      ]);
    }
    const workspace = await this.store.findWorkspace(workspaceId);
    if (!workspace) throw notFound('workspace');
    return { workspace, actorProfileId: await this.systemProfileOf(workspace.accountId), ip: ip ?? null };
  }

  /** The PROFILE_TYPE_SYSTEM profile the admin token acts as within an account. */
  async systemProfileOf(accountId: string): Promise<string> {
    let id = this.systemProfiles.get(accountId);
    if (id === undefined) {
      const account = await this.store.findAccount(accountId);
      if (!account) throw notFound('account');
      id = account.systemProfileId;
      this.systemProfiles.set(accountId, id);
    }
    return id;
  }
}
