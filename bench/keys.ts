import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { monotonicFactory } from 'ulid';
import { crc32Ascii, createKeyHasher, DEFAULT_KEY_PREFIX, hasValidKeyFormat } from '../src/core/key-format.js';

/** Keys made the way the service makes them (prefix, base62 body, CRC-32 checksum), with the same hash. */

/** The key prefix and hash the bench's servers use (they inherit this environment). */
const PREFIX = process.env.CADREEN_KEY_PREFIX || DEFAULT_KEY_PREFIX;
export const hashKey = createKeyHasher(process.env.CADREEN_KEY_PEPPER || undefined);

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A new key as `generateKey` makes it — 30 uniformly random base62
 * characters, then 6 base62 characters of the CRC-32 of prefix and body —
 * but from a pooled random buffer: asking the OS for every key would cost
 * more than storing it when a million are made.
 */
function keyMaker(): () => { plaintext: string; start: string } {
  let pool = randomBytes(65_536);
  let offset = 0;
  const make = () => {
    let body = '';
    while (body.length < 30) {
      if (offset === pool.length) {
        pool = randomBytes(65_536);
        offset = 0;
      }
      const byte = pool[offset++]!;
      if (byte < 248) body += BASE62[byte % 62];
    }
    let checksum = crc32Ascii(PREFIX + body);
    let suffix = '';
    for (let i = 0; i < 6; i++) {
      suffix = BASE62[checksum % 62] + suffix;
      checksum = Math.floor(checksum / 62);
    }
    return { plaintext: `${PREFIX}${body}${suffix}`, start: PREFIX + body.slice(0, 4) };
  };
  const sample = make().plaintext;
  if (!hasValidKeyFormat(sample, PREFIX)) throw new Error('the bench makes keys the service would not accept');
  return make;
}

/** `count` distinct well-formed keys (right prefix, length and checksum) that no store knows. */
export function unknownKeys(count: number): string[] {
  const make = keyMaker();
  const keys = new Set<string>();
  while (keys.size < count) keys.add(make().plaintext);
  return [...keys];
}

/**
 * Uniform numbers in [0, 1) from a pooled random buffer: ulid's default asks
 * the OS for every character, which costs more than the whole insert here.
 */
function pooledRandom(): () => number {
  let pool = randomBytes(65_536);
  let offset = pool.length;
  return () => {
    if (offset === pool.length) {
      pool = randomBytes(65_536);
      offset = 0;
    }
    const value = pool.readUInt32LE(offset) / 2 ** 32;
    offset += 4;
    return value;
  };
}

/** One row to insert: its hash and display start. */
interface SeedKey {
  hash: string;
  start: string;
}

/**
 * Adds `count` active keys to the workspace, straight into the SQLite file
 * of a store made by `cadreen init`, in one transaction, keeping the
 * workspace's counters true. `keyAt(i)` gives the i-th key's hash and start.
 */
export function bulkInsertKeys(path: string, workspaceId: string, count: number, keyAt: (i: number) => SeedKey): void {
  const db = new BetterSqlite3(path);
  // Seeding only: the whole transaction in memory (random hashes touch every page of their index), no fsync.
  db.pragma('cache_size = -2000000');
  db.pragma('synchronous = OFF');
  try {
    const template = db.prepare('select * from api_keys where workspace_id = ? limit 1').get(workspaceId) as Record<string, unknown>;
    const insert = db.prepare(
      `insert into api_keys (id, workspace_id, account_id, actor_profile_id, created_by, name, hash, start, state, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
    );
    const ulid = monotonicFactory(pooledRandom());
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const id = `key_${ulid(now - count + i)}`;
        const { hash, start } = keyAt(i);
        insert.run(id, workspaceId, template.account_id, template.actor_profile_id, template.created_by, `bulk-${i}`, hash, start, now - count + i);
      }
      db.prepare('update workspaces set keys_active = keys_active + ? where id = ?').run(count, workspaceId);
    })();
  } finally {
    db.close();
  }
}

/** Placeholder rows for the list benchmark: never presented, so their hashes need not be real. */
export const placeholderKey = (i: number): SeedKey => ({ hash: `bench-${i}`, start: `${PREFIX}bnch` });

/**
 * Real keys for the sustained run: the first `hot` plaintexts are kept in
 * `hotKeys` (in memory only), the rest are hashed and forgotten.
 */
export function realKeys(hot: number, hotKeys: string[]): (i: number) => SeedKey {
  const make = keyMaker();
  return (i) => {
    const { plaintext, start } = make();
    if (i < hot) hotKeys.push(plaintext);
    return { hash: hashKey(plaintext), start };
  };
}
