import type { Store } from './ports.js';
import { newId } from './ids.js';
import type { ApiKeyService } from './api-keys.js';
import type { Account, Profile } from './model.js';
import { normaliseEmail, type PeopleService } from './people.js';
import type { WorkspaceService } from './workspaces.js';

export interface InitResult {
  accountId: string;
  workspaceId: string;
  profileId: string;
  key: { id: string; plaintext: string };
  /** A single-use link (15 minutes) that signs the person in to the dashboard. */
  signInUrl: string;
}

/**
 * `cadreen init`: a new account with its system profile, a person (USER
 * profile) who owns its first workspace, that workspace's first key created
 * by the person, and a sign-in link for them.
 */
export async function initAccount(
  deps: { store: Store; workspaces: WorkspaceService; apiKeys: ApiKeyService; people: PeopleService },
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
    email: input.email ? normaliseEmail(input.email) : null,
    createdBy: system.id,
    createdAt: now,
  };
  const account: Account = { id: accountId, name: input.workspaceName, systemProfileId: system.id, createdAt: now };
  await deps.store.insertAccount(account, [system, user]);
  const workspace = await deps.workspaces.create({ name: input.workspaceName, accountId });
  await deps.store.addMember({ workspaceId: workspace.id, profileId: user.id, role: 'owner', createdAt: now }, {
    id: newId('evt', now),
    workspaceId: workspace.id,
    type: 'member.added',
    actorProfileId: system.id,
    keyId: null,
    subjectProfileId: user.id,
    code: 'owner',
    ip: null,
    createdAt: now,
  });
  const issued = await deps.apiKeys.create(
    { workspace, actorProfileId: user.id, ip: null, access: 'owner' },
    { name: input.keyName ?? 'default' },
  );
  return {
    accountId,
    workspaceId: workspace.id,
    profileId: user.id,
    key: { id: issued.key.id, plaintext: issued.plaintext },
    signInUrl: await deps.people.issueSignInLink(user.id),
  };
}
