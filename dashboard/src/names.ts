import type { Actor, Api, Key } from './api.js';
import { h } from './dom.js';

/**
 * Names for ids, per workspace: keys by id (learnt from every list of keys shown, or read once)
 * and key creators by profile id (read once from one of their keys). Shared by the views of a
 * workspace, so the audit log names keys the keys list has already shown without asking again.
 */
export class WorkspaceNames {
  private readonly keys = new Map<string, Promise<string | null>>();
  private readonly creators = new Map<string, Promise<Actor | null>>();

  constructor(
    readonly api: Api,
    private readonly workspaceId: string,
  ) {}

  /** Remembers the names of keys just listed. */
  learnKeys(keys: readonly Key[]): void {
    for (const key of keys) this.keys.set(key.id, Promise.resolve(key.name));
  }

  /** A key's name, or null when it cannot be read (then its id is shown). */
  keyName(keyId: string): Promise<string | null> {
    let name = this.keys.get(keyId);
    if (!name) {
      name = this.api.getKey(this.workspaceId, keyId).then((key) => key.name, () => null);
      this.keys.set(keyId, name);
    }
    return name;
  }

  /** Who created `key`: read once per creator, from the first of their keys asked about. */
  creatorOf(key: Key): Promise<Actor | null> {
    let creator = this.creators.get(key.created_by);
    if (!creator) {
      creator = this.api.keyCreator(this.workspaceId, key.id).catch(() => null);
      this.creators.set(key.created_by, creator);
    }
    return creator;
  }
}

const byWorkspace = new Map<string, WorkspaceNames>();

/** The names known for a workspace (one set per workspace and client, kept while the page lives). */
export function namesOf(api: Api, workspaceId: string): WorkspaceNames {
  let names = byWorkspace.get(workspaceId);
  if (!names || names.api !== api) {
    names = new WorkspaceNames(api, workspaceId);
    byWorkspace.set(workspaceId, names);
  }
  return names;
}

/**
 * Who a profile is, for people: a person by name with their email, a key by its name, the
 * deployment's own profile as the operator. `fallbackId` is shown when nothing else is known.
 */
export function describeActor(actor: Actor | null | undefined, fallbackId?: string | null): HTMLElement | string {
  if (!actor) return fallbackId ? h('code', {}, fallbackId) : '—';
  const name = actor.name?.trim() || null;
  const email = actor.email?.trim() || null;
  switch (actor.type) {
    case 'PROFILE_TYPE_USER':
      if (name && email && name !== email) return h('span', { class: 'person' }, name, h('span', { class: 'email' }, email));
      return h('span', { class: 'person' }, email ?? name ?? actor.profile_id ?? fallbackId ?? '—');
    case 'PROFILE_TYPE_API_KEY':
      return h('span', { class: 'key-actor' }, 'key ', h('strong', {}, name ?? actor.profile_id ?? '?'));
    case 'PROFILE_TYPE_SYSTEM':
      return h('span', { class: 'operator' }, 'Operator', h('span', { class: 'email' }, 'admin token or command line'));
    default:
      return name ?? email ?? (fallbackId ? h('code', {}, fallbackId) : '—');
  }
}
