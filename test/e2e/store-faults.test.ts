import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { runCli, startServer } from './process.js';
import { callJson } from '../support/json-api.js';

const ADMIN = 'store-faults-admin-token-0123456789';

/**
 * The SQLite store under faults, against the real `cadreen serve` process: a
 * full disk (a 2 MiB tmpfs the test fills), a write lock held by another
 * connection, and the modes of the files it creates.
 */

/** An account made by `cadreen init` and a server over it. */
async function serve(databasePath: string) {
  const env = {
    CADREEN_DATABASE_URL: `sqlite:${databasePath}`,
    CADREEN_ADMIN_TOKEN: ADMIN,
    CADREEN_RATE_LIMIT: '100000/60s',
    CADREEN_WORKSPACE_RATE_LIMIT: '100000/60s',
  };
  const init = runCli(['init', '--json', '--workspace-name', 'faults'], env);
  expect(init.status, init.stderr).toBe(0);
  const created = JSON.parse(init.stdout) as { workspace_id: string; key: { plaintext: string } };
  const server = await startServer(env);
  const call = (method: string, path: string, body?: unknown) => callJson(server.baseUrl, method, path, created.key.plaintext, body);
  let created_keys = 0;
  return {
    server,
    call,
    createKey: () => call('POST', `/api/v1/maas/workspaces/${created.workspace_id}/api-keys`, { name: `fault-${created_keys++}` }),
    health: () => call('GET', '/api/v1/cadreen/health'),
    readyz: async () => (await fetch(`${server.baseUrl}/readyz`)).status,
  };
}

function expectServiceUnavailable(answer: { status: number; headers: Headers; body: { error?: { code?: string } } }) {
  expect(answer.status).toBe(503);
  expect(answer.body.error?.code).toBe('service_unavailable');
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

/** Writes to `path` until the file system has no byte left. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [65_536, 4_096, 512, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe('store faults: a full disk', () => {
  let base: string;
  let mountPoint: string;
  let mounted = false;
  let unmountable = 'the tmpfs was not mounted';
  let instance: Awaited<ReturnType<typeof serve>> | undefined;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'cadreen-full-disk-'));
    mountPoint = join(base, 'mnt');
    mkdirSync(mountPoint);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0755', 'tmpfs', mountPoint], { encoding: 'utf8' });
    if (mount.status === 0) {
      mounted = true;
      return;
    }
    const reason = (mount.stderr || mount.error?.message || `exit ${mount.status}`).trim();
    if (process.env.CI === 'true') throw new Error(`CI must be able to mount a tmpfs for the full-disk test: ${reason}`);
    unmountable = `cannot mount a tmpfs here (${reason})`;
  });

  afterAll(async () => {
    await instance?.server.stop();
    if (mounted) spawnSync('umount', [mountPoint]);
    rmSync(base, { recursive: true, force: true });
  });

  it('answers writes 503 with Retry-After, never 500, reports not ready, and recovers once space is freed', { timeout: 180_000 }, async (context) => {
    if (!mounted) return context.skip(unmountable);
    const dataDir = join(mountPoint, 'data');
    const databasePath = join(dataDir, 'cadreen.db');
    instance = await serve(databasePath);
    const { createKey, health, readyz } = instance;
    expect((await createKey()).status).toBe(201);

    const filler = join(mountPoint, 'filler');
    fillDisk(filler);
    // Pages already allocated may take a few more writes; within a bounded number of creates the disk is found full.
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof createKey>> | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const answer = await createKey();
      statuses.push(answer.status);
      if (answer.status !== 201) refused = answer;
    }
    expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);
    expect(refused, `creates kept succeeding on a full disk: ${statuses.length}`).toBeDefined();
    expectServiceUnavailable(refused!);
    // The readiness probe rewrites one existing settings row at most every 5 s: so small a write may still find room
    // (in the write-ahead log) for a while after a larger one failed.
    await eventually('/readyz answering 503 on a full disk', readyz, (status) => status === 503, { intervalMs: 250, deadlineMs: 60_000 });
    // Verifying a known key needs no write.
    expect((await health()).status).toBe(200);

    unlinkSync(filler);
    expect((await createKey()).status).toBe(201);
    await eventually('/readyz answering 200 once space is freed', readyz, (status) => status === 200, { intervalMs: 100 });
    expect(instance.server.output()).not.toMatch(/internal_error/);
  });
});

describe('store faults: a write lock held by another connection', () => {
  let dir: string;
  let databasePath: string;
  let instance: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-store-lock-'));
    databasePath = join(dir, 'data', 'cadreen.db');
    instance = await serve(databasePath);
  });

  afterAll(async () => {
    await instance?.server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates its data directory 0700 and the database files 0600', () => {
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(join(dir, 'data'))).toBe(0o700);
    for (const file of [databasePath, `${databasePath}-wal`, `${databasePath}-shm`]) expect([file, mode(file)]).toEqual([file, 0o600]);
  });

  it('keeps verifying a known key while an external BEGIN IMMEDIATE is held for 3 s, answers writes 503, and writes again after', async () => {
    const { createKey, health } = instance;
    expect((await health()).status).toBe(200);

    const other = new BetterSqlite3(databasePath);
    try {
      other.exec('begin immediate');
      const heldSince = Date.now();
      expectServiceUnavailable(await createKey());
      // At least ten verifications, and for as long as the lock has not been held 3 s.
      const verifications: number[] = [];
      do verifications.push((await health()).status);
      while (verifications.length < 10 || Date.now() - heldSince < 3_000);
      expect(verifications.filter((s) => s !== 200)).toEqual([]);
      expectServiceUnavailable(await createKey());
      other.exec('rollback');
    } finally {
      other.close();
    }
    expect((await createKey()).status).toBe(201);
  });
});
