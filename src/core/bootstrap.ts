import type { Store } from './ports.js';
import { newId } from './ids.js';
import type { ApiKeyService } from './api-keys.js';
import type { Account, Profile } from './model.js';
import type { WorkspaceService } from './workspaces.js';

export interface InitResult {
  accountId: string;
  workspaceId: string;
  profileId: string;
  key: { id: string; plaintext: string };
}

/**
 * `cadreen init`: a new account with its system profile, a user profile, a
 * workspace, and that workspace's first key, created by the user.
 */
export async function initAccount(
  deps: { store: Store; workspaces: WorkspaceService; apiKeys: ApiKeyService },
  input: { workspaceName: string; email?: string; keyName?: string },
  now: number = Date.now(),
): Promise<InitResult> {
  const accountId = newId('acct', now);
  const system: Profile = {
    id: newId('prof', now),
    accountId,
    type: 'PROFILE_TYPE_SYSTEM',
    name: 'Cadreen',
    email: null,
    createdBy: null,
    createdAt: now,
  };
  const user: Profile = {
    id: newId('prof', now),
    accountId,
    type: 'PROFILE_TYPE_USER',
    name: input.email ? input.email.split('@')[0]! : 'owner',
    email: input.email ?? null,
    createdBy: system.id,
    createdAt: now,
  };
  const account: Account = { id: accountId, name: input.workspaceName, systemProfileId: system.id, createdAt: now };
  await deps.store.insertAccount(account, [system, user]);
  const workspace = await deps.workspaces.create({ name: input.workspaceName, accountId });
  const issued = await deps.apiKeys.create(
    { workspace, actorProfileId: user.id, ip: null },
    { name: input.keyName ?? 'default' },
  );
  return {
    accountId,
    workspaceId: workspace.id,
    profileId: user.id,
    key: { id: issued.key.id, plaintext: issued.plaintext },
  };
}
