import type { Store } from './ports.js';
import { CadreenError, conflict, invalidRequest, notFound } from './errors.js';
import { CursorCodec, pageOf } from './cursor.js';
import { newId } from './ids.js';
import type { KeyCache } from './key-cache.js';
import { createKeyHasher, generateKey } from './key-format.js';
import { viewOf, type ApiKey, type AuditEvent, type AuditEventType, type KeyStatus, type KeyView, type Labels, type Millis, type Profile, type SortOrder } from './model.js';
import type { Scope } from './scope.js';

/** Rate-limit units a key read costs: reading the creating profiles as well costs 2. */
export function keyReadCost(options: { withCreators: boolean }): number {
  return options.withCreators ? 2 : 1;
}

/** The longest grace period a rotation may leave the old key usable: 7 days. */
export const MAX_GRACE_PERIOD_SECONDS = 7 * 24 * 3600;

export interface KeyInput {
  name: string;
  description?: string | null;
  labels?: Labels | null;
  externalId?: string | null;
  expiresAt?: Millis | null;
}

export interface KeyListQuery {
  status?: KeyStatus;
  namePrefix?: string;
  order: SortOrder;
  limit: number;
  cursor?: string;
}

export interface KeyPage {
  keys: KeyView[];
  total: number;
  nextCursor: string | null;
}

/** A key together with its plaintext, which exists only in this one response. */
export interface IssuedKey {
  key: KeyView;
  plaintext: string;
}

/**
 * Create, read, list, update, rotate and revoke the keys of one workspace.
 * Every key it answers with carries its status by the core's clock.
 */
export class ApiKeyService {
  private readonly hash: (plaintext: string) => string;

  constructor(
    private readonly store: Store,
    private readonly cache: KeyCache,
    private readonly cursors: CursorCodec,
    private readonly config: { keyPrefix: string; pepper?: string; maxKeysPerWorkspace: number },
    private readonly clock: () => Millis = Date.now,
  ) {
    this.hash = createKeyHasher(config.pepper);
  }

  async create(scope: Scope, input: KeyInput): Promise<IssuedKey> {
    const now = this.clock();
    this.checkExpiry(input.expiresAt, now);
    const { key, profile, plaintext } = this.newKey(scope, input, now, null);
    const maxKeys = this.config.maxKeysPerWorkspace;
    const outcome = await this.store.insertKey(key, profile, this.event(scope, 'key.created', key.id, now), { maxKeys });
    if (outcome === 'quota_exceeded') {
      throw new CadreenError('quota_exceeded', `this workspace already holds ${maxKeys} keys that are not revoked; revoke one first`);
    }
    return { key: viewOf(key, now), plaintext };
  }

  async get(scope: Scope, id: string): Promise<KeyView> {
    const key = await this.store.findKey(scope.workspace.id, id);
    if (!key) throw notFound('API key');
    return viewOf(key, this.clock());
  }

  async list(scope: Scope, query: KeyListQuery): Promise<KeyPage> {
    const filter = {
      workspaceId: scope.workspace.id,
      now: this.clock(),
      ...(query.status ? { status: query.status } : {}),
      ...(query.namePrefix ? { namePrefix: query.namePrefix } : {}),
    };
    const cursorScope = JSON.stringify(['keys', filter.workspaceId, query.order, query.status ?? '', query.namePrefix ?? '']);
    const after = query.cursor ? this.cursors.decode(cursorScope, query.cursor) : null;
    const [rows, total] = await Promise.all([
      this.store.listKeys(filter, { order: query.order, after, limit: query.limit + 1 }),
      this.store.countKeys(filter),
    ]);
    const page = pageOf(rows, query.limit, this.cursors, cursorScope);
    return { keys: page.items.map((key) => viewOf(key, filter.now)), total, nextCursor: page.nextCursor };
  }

  async update(scope: Scope, id: string, changes: Partial<KeyInput>): Promise<KeyView> {
    const now = this.clock();
    if (changes.expiresAt !== undefined) this.checkExpiry(changes.expiresAt, now);
    const key = await this.store.updateKey(scope.workspace.id, id, changes, this.event(scope, 'key.updated', id, now));
    if (!key) throw notFound('API key');
    this.cache.invalidate(key.hash);
    return viewOf(key, now);
  }

  /**
   * Replaces an active key by a new one with the same name, description,
   * labels and external id. The old key turns `rotating`: refused at once, or
   * after `gracePeriodSeconds` during which it still authenticates — but
   * never past its own expiry. Rotation is not held to the key quota: it
   * replaces a key.
   */
  async rotate(scope: Scope, id: string, options: { gracePeriodSeconds?: number }): Promise<IssuedKey & { oldKey: KeyView }> {
    const grace = options.gracePeriodSeconds ?? 0;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_PERIOD_SECONDS) {
      throw invalidRequest('grace period must be a whole number of seconds between 0 and 604800', [
        { field: 'gracePeriodSeconds', message: 'between 0 and 604800' },
      ]);
    }
    const now = this.clock();
    const old = await this.get(scope, id);
    const { key, profile, plaintext } = this.newKey(
      scope,
      { name: old.name, description: old.description, labels: old.labels, externalId: old.externalId },
      now,
      old.id,
    );
    const graceUntil = grace > 0 ? Math.min(now + grace * 1000, old.expiresAt ?? Number.POSITIVE_INFINITY) : null;
    const result = await this.store.rotateKey({
      workspaceId: scope.workspace.id,
      oldKeyId: id,
      newKey: key,
      newProfile: profile,
      graceUntil,
      event: this.event(scope, 'key.rotated', id, now),
    });
    switch (result.outcome) {
      case 'not_found':
        throw notFound('API key');
      case 'not_active':
        throw conflict(`only an active key can be rotated; this key is ${result.oldKey.state === 'active' ? 'expired' : result.oldKey.state}`);
      case 'rotated':
        this.cache.invalidate(result.oldKey.hash);
        return {
          key: viewOf(key, now),
          plaintext,
          oldKey: viewOf({ ...result.oldKey, state: 'rotating', rotatedTo: key.id, graceUntil }, now),
        };
    }
  }

  /** Revokes a key; revoking a revoked key changes nothing and succeeds. */
  async revoke(scope: Scope, id: string): Promise<KeyView> {
    const now = this.clock();
    const key = await this.store.revokeKey(scope.workspace.id, id, now, this.event(scope, 'key.revoked', id, now));
    if (!key) throw notFound('API key');
    this.cache.invalidate(key.hash);
    return viewOf(key, now);
  }

  /** The profiles that created `keys`, by id, read in one query (for `includeInfo`). */
  async creatorsOf(keys: readonly ApiKey[]): Promise<Map<string, Profile>> {
    const profiles = await this.store.findProfiles([...new Set(keys.map((key) => key.createdBy))]);
    return new Map(profiles.map((profile) => [profile.id, profile]));
  }

  private checkExpiry(expiresAt: Millis | null | undefined, now: Millis): void {
    if (expiresAt !== undefined && expiresAt !== null && expiresAt <= now) {
      throw invalidRequest('expiry must be in the future', [{ field: 'expiresAt', message: 'must be in the future' }]);
    }
  }

  private newKey(scope: Scope, input: KeyInput, now: Millis, rotatedFrom: string | null) {
    const { plaintext, start } = generateKey(this.config.keyPrefix);
    const id = newId('key', now);
    const accountId = scope.workspace.accountId;
    const profile: Profile = {
      id: newId('prof', now),
      accountId,
      type: 'PROFILE_TYPE_API_KEY',
      name: input.name,
      email: null,
      createdBy: scope.actorProfileId,
      createdAt: now,
    };
    const key: ApiKey = {
      id,
      workspaceId: scope.workspace.id,
      accountId,
      actorProfileId: profile.id,
      createdBy: scope.actorProfileId,
      name: input.name,
      description: input.description ?? null,
      labels: input.labels ?? null,
      externalId: input.externalId ?? null,
      hash: this.hash(plaintext),
      start,
      state: 'active',
      createdAt: now,
      expiresAt: input.expiresAt ?? null,
      lastUsedAt: null,
      rotatedFrom,
      rotatedTo: null,
      graceUntil: null,
      revokedAt: null,
    };
    return { key, profile, plaintext };
  }

  private event(scope: Scope, type: AuditEventType, keyId: string, now: Millis): AuditEvent {
    return {
      id: newId('evt', now),
      workspaceId: scope.workspace.id,
      type,
      actorProfileId: scope.actorProfileId,
      keyId,
      code: null,
      ip: scope.ip,
      createdAt: now,
    };
  }
}
