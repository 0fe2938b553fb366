import type { Principal } from './auth.js';
import { CadreenError, DENIAL_MESSAGES, invalidRequest, notFound } from './errors.js';
import { newId } from './ids.js';
import type { Millis, Role, Workspace } from './model.js';
import type { Store } from './ports.js';
import type { UsageRecorder } from './usage-recorder.js';

/** The workspace an operation acts on and who is acting, resolved from the caller. */
export interface Scope {
  workspace: Workspace;
  actorProfileId: string;
  ip: string | null;
  /** What the actor is in this workspace: the admin token, one of its keys, or a person with a role. */
  access: 'admin' | 'key' | Role;
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
    private readonly usage: UsageRecorder,
    private readonly clock: () => Millis = Date.now,
  ) {}

  async resolve(principal: Principal, workspaceId: string | undefined, ip?: string): Promise<Scope> {
    if (principal.kind === 'verifier') throw new CadreenError('auth_forbidden', 'a verifier token may only verify, lease and follow the event stream');
    if (principal.kind === 'key') {
      if (workspaceId !== undefined && workspaceId !== principal.workspaceId) {
        const now = this.clock();
        this.usage.refused({
          id: newId('evt', now),
          workspaceId: principal.workspaceId,
          type: 'auth.refused',
          actorProfileId: principal.actorProfileId,
          keyId: principal.keyId,
          code: 'auth_forbidden',
          ip: ip ?? null,
          createdAt: now,
        });
        throw new CadreenError('auth_forbidden', DENIAL_MESSAGES.auth_forbidden);
      }
      const workspace = await this.store.findWorkspace(principal.workspaceId);
      if (!workspace) throw notFound('workspace');
      return { workspace, actorProfileId: principal.actorProfileId, ip: ip ?? null, access: 'key' };
    }
    if (principal.kind === 'person') {
      const forbidden = () => new CadreenError('auth_forbidden', 'you are not a member of this workspace');
      if (workspaceId === undefined) {
        throw invalidRequest('a signed-in person acts on one workspace: name the workspace', [
          { field: 'workspaceId', message: 'required when signed in' },
        ]);
      }
      const [workspace, membership] = await Promise.all([this.store.findWorkspace(workspaceId), this.store.findMembership(workspaceId, principal.profileId)]);
      if (!workspace || !membership) throw forbidden();
      return { workspace, actorProfileId: principal.profileId, ip: ip ?? null, access: membership.role };
    }
    if (workspaceId === undefined) {
      throw invalidRequest('the admin token acts on one workspace: name the workspace', [
        { field: 'workspaceId', message: 'required with the admin token' },
      ]);
    }
    const workspace = await this.store.findWorkspace(workspaceId);
    if (!workspace) throw notFound('workspace');
    return { workspace, actorProfileId: await this.systemProfileOf(workspace.accountId), ip: ip ?? null, access: 'admin' };
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
