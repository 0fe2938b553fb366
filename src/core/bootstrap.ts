import type { ApiKeyService } from './api-keys.js';
import { conflict } from './errors.js';
import { newId } from './ids.js';
import type { Account, Millis, Profile } from './model.js';
import { normaliseEmail, type PeopleService } from './people.js';
import type { Store } from './ports.js';
import type { WorkspaceService } from './workspaces.js';

export interface InitResult {
  accountId: string;
  /** False when the workspace was added to the deployment's existing account. */
  createdAccount: boolean;
  workspaceId: string;
  profileId: string;
  key: { id: string; plaintext: string };
  /** A single-use link (15 minutes) that signs the person in to the dashboard. */
  signInUrl: string;
}

export interface InitInput {
  workspaceName: string;
  email?: string;
  keyName?: string;
  /** Make a separate account even when the deployment has one already. */
  newAccount?: boolean;
}

/**
 * `cadreen init`: a workspace owned by a person (USER profile), its first key
 * created by that person, and a sign-in link for them. On an empty store (or
 * with `newAccount`) the account comes first, with its system profile; on a
 * store that has one account, all of this is added to it, the person reused
 * when their email is known there. A deployment with several accounts needs
 * `newAccount` (the admin API adds workspaces to a chosen account).
 */
export async function initAccount(
  deps: { store: Store; workspaces: WorkspaceService; apiKeys: ApiKeyService; people: PeopleService },
  input: InitInput,
  now: Millis = Date.now(),
): Promise<InitResult> {
  const existing = input.newAccount ? [] : await deps.store.listAccounts(2);
  if (existing.length > 1) {
    throw conflict('this deployment has several accounts: pass --new-account for another one, or add the workspace with the admin API naming its account_id');
  }
  const email = input.email ? normaliseEmail(input.email) : null;
  const account = existing[0] ?? (await newAccount(deps.store, input.workspaceName, now));
  const known = email ? (await deps.store.findUsersByEmail(email)).find((profile) => profile.accountId === account.id) : undefined;
  const person: Profile = known ?? {
    id: newId('prof', now),
    accountId: account.id,
    type: 'PROFILE_TYPE_USER',
    name: input.email ? input.email.trim().split('@')[0]! : 'owner',
    email,
    createdBy: account.systemProfileId,
    createdAt: now,
  };
  const workspace = await deps.workspaces.create({ name: input.workspaceName, accountId: account.id });
  const added = await deps.store.addMember(
    { workspaceId: workspace.id, profileId: person.id, role: 'owner', createdAt: now },
    {
      id: newId('evt', now),
      workspaceId: workspace.id,
      type: 'member.added',
      actorProfileId: account.systemProfileId,
      keyId: null,
      subjectProfileId: person.id,
      code: 'owner',
      ip: null,
      createdAt: now,
    },
    known ? undefined : person,
  );
  if (added !== 'added') throw new Error('a new workspace already had a member');
  const issued = await deps.apiKeys.create({ workspace, actorProfileId: person.id, ip: null, access: 'owner' }, { name: input.keyName ?? 'default' });
  return {
    accountId: account.id,
    createdAccount: existing.length === 0,
    workspaceId: workspace.id,
    profileId: person.id,
    key: { id: issued.key.id, plaintext: issued.plaintext },
    signInUrl: await deps.people.issueSignInLink(person.id),
  };
}

/** A new account with its system profile (what the admin token acts as inside it). */
async function newAccount(store: Store, name: string, now: Millis): Promise<Account> {
  const id = newId('acct', now);
  const system: Profile = { id: newId('prof', now), accountId: id, type: 'PROFILE_TYPE_SYSTEM', name: 'Cadreen', email: null, createdBy: null, createdAt: now };
  const account: Account = { id, name, systemProfileId: system.id, createdAt: now };
  await store.insertAccount(account, [system]);
  return account;
}
