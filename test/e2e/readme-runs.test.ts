import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWhen } from '../support/skip-reason.js';
import { startServer, type ServerProcess } from './process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ADMIN = 'readme-admin-token-0123456789';
/** The base URL the section is written for; the script runs against the test's server instead. */
const README_BASE_LINE = 'B=http://127.0.0.1:8080';

/** The fenced `sh` blocks of the README's "## Using the API" section, in order: the very lines a reader pastes. */
function usingTheApiBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Using the API\n');
  const end = readme.indexOf('\n### Behaviour worth knowing', start);
  if (start < 0 || end < 0) throw new Error('README has no "## Using the API" section ending at "### Behaviour worth knowing"');
  return [...readme.slice(start, end).matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/**
 * Put before the section's lines: `curl` becomes the real curl that also records
 * each call (`<n>\t<status>\t<method>\t<url>` in `log`, the answer in `<n>.body`)
 * and prints the answer as curl would. A 4xx or 5xx answer fails the call,
 * naming its method and URL (never its headers: they hold keys) and showing
 * the answer, so `set -e` stops the script there.
 */
function recorder(callsDir: string): string {
  return `set -euo pipefail
readonly RECORDED_CALLS='${callsDir}'
: > "$RECORDED_CALLS/log"
curl() {
  local n written status method url
  n=$(( $(wc -l < "$RECORDED_CALLS/log") + 1 ))
  written=$(command curl -sS -o "$RECORDED_CALLS/$n.body" -w '%{http_code}\\t%{method}\\t%{url_effective}' "$@") || return
  printf '%s\\t%s\\n' "$n" "$written" >> "$RECORDED_CALLS/log"
  cat "$RECORDED_CALLS/$n.body"
  read -r status method url <<< "$written"
  if [ "$status" -ge 400 ]; then
    printf '\\n%s %s answered %s: %s\\n' "$method" "$url" "$status" "$(cat "$RECORDED_CALLS/$n.body")" >&2
    return 22
  fi
}
`;
}

interface Call {
  status: number;
  method: string;
  path: string;
  /** The answer's JSON (none for 204). */
  body: any;
}

const jqMissing = spawnSync('jq', ['--version']).status !== 0;

/**
 * The README's "Using the API" section, run top to bottom as one bash script
 * against a real `cadreen serve` process on a fresh store, exactly as a reader
 * pastes it (only the base URL points at the test's server).
 */
describe('the README’s "Using the API" section runs as written', skipWhen(jqMissing ? 'no jq on the PATH (the section reads answers with it)' : undefined), () => {
  let dir: string;
  let server: ServerProcess;
  let script: string;
  let result: ReturnType<typeof spawnSync>;
  let calls: Call[];

  async function asAdmin(path: string) {
    const response = await fetch(server.baseUrl + path, { headers: { Authorization: `Bearer ${ADMIN}` } });
    expect(response.status, path).toBe(200);
    return response.json();
  }

  /** The one recorded call matching method and path, failing when there is not exactly one. */
  function only(method: string, path: RegExp): Call {
    const found = calls.filter((call) => call.method === method && path.test(call.path));
    expect(found.map((call) => `${call.method} ${call.path}`), `${method} ${path}`).toHaveLength(1);
    return found[0]!;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-readme-'));
    // What `npm start` reads, with the admin token the section's admin block uses.
    const serverEnv = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'data', 'cadreen.db')}`, CADREEN_ADMIN_TOKEN: ADMIN };
    server = await startServer(serverEnv);

    const blocks = usingTheApiBlocks();
    expect(blocks.length, 'fenced sh blocks in "Using the API"').toBeGreaterThanOrEqual(3);
    const section = blocks.join('\n');
    expect(section.split('\n').filter((line) => line === README_BASE_LINE), `one "${README_BASE_LINE}" line`).toHaveLength(1);
    script = section.replace(README_BASE_LINE, `B=${server.baseUrl}`);
    const file = join(dir, 'using-the-api.sh');
    writeFileSync(file, recorder(dir) + script);

    // A fresh shell: nothing the section uses is set beforehand except what the server shares with it.
    // `npm run -s init` runs in the repository, against the server's store.
    result = spawnSync('bash', [file], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? dir, ...serverEnv },
      encoding: 'utf8',
      timeout: 110_000,
      killSignal: 'SIGKILL',
    });

    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
    calls = log
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [n, status, method, url] = line.split('\t');
        const text = readFileSync(join(dir, `${n}.body`), 'utf8');
        return { status: Number(status), method: method!, path: new URL(url!).pathname, body: text ? JSON.parse(text) : undefined };
      });
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs every block in order with every call answered 2xx', () => {
    expect(result.error, 'the script did not finish').toBeUndefined();
    expect(result.status, `the script failed:\n${String(result.stderr)}`).toBe(0);
    for (const call of calls) expect(call.status, `${call.method} ${call.path}: ${JSON.stringify(call.body)}`).toBeLessThan(400);
    // Every curl of the section ran (none skipped), each once.
    const written = script
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n')
      .match(/\bcurl\s/g);
    expect(calls).toHaveLength(written!.length);
  });

  it('uses the key it created, then rotates it twice: the second rotation rotates the successor', () => {
    const created = only('POST', /^\/api\/v1\/maas\/workspaces\/ws_\w+\/api-keys$/);
    expect(created.status).toBe(201);
    const health = only('GET', /^\/api\/v1\/cadreen\/health$/);
    expect(health.body).toEqual({ status: 'ok', workspace_id: expect.stringMatching(/^ws_/), key_id: created.body.id });
    const rotations = calls.filter((call) => call.method === 'POST' && /^\/api\/v1\/maas\/.*\/rotate$/.test(call.path));
    expect(rotations.map((call) => call.status)).toEqual([201, 201]);
    expect(rotations[0]!.body.rotated_from).toBe(created.body.id);
    expect(rotations[1]!.body.rotated_from).toBe(rotations[0]!.body.id);
  });

  it('verifies the latest key of the section as valid and active, under the default limit', () => {
    const latest = calls.filter((call) => call.method === 'POST' && /^\/api\/v1\/maas\/.*\/rotate$/.test(call.path)).at(-1)!;
    const verified = only('POST', /^\/api\/v1\/cadreen\/keys\/verify$/);
    expect(verified.body).toMatchObject({ valid: true, key_id: latest.body.id, status: 'active', ratelimit: { limit: 600 } });
  });

  it('lists the key it revoked as revoked, and records the revocation in the audit log', async () => {
    const revoke = only('DELETE', /^\/api\/v1\/maas\/workspaces\/ws_\w+\/api-keys\/key_\w+$/);
    expect(revoke.status).toBe(204);
    const [, workspaceId, keyId] = /^\/api\/v1\/maas\/workspaces\/(ws_\w+)\/api-keys\/(key_\w+)$/.exec(revoke.path)!;
    const revoked = await asAdmin(`/api/v1/maas/workspaces/${workspaceId}/api-keys?status=revoked`);
    expect(revoked.keys.map((key: { id: string; status: string }) => [key.id, key.status])).toContainEqual([keyId, 'revoked']);
    const audit = only('GET', /^\/api\/v1\/maas\/workspaces\/ws_\w+\/audit-events$/);
    expect(audit.body.events).toContainEqual(expect.objectContaining({ type: 'key.revoked', key_id: keyId }));
  });

  it('gives the limit to a second workspace and leaves the reader’s own at the default', async () => {
    const created = only('POST', /^\/api\/v1\/maas\/workspaces$/);
    const patched = only('PATCH', /^\/api\/v1\/maas\/workspaces\/ws_\w+$/);
    expect(patched.path).toBe(`/api/v1/maas/workspaces/${created.body.id}`);
    expect(patched.body.rate_limit).toMatchObject({ limit: 100, window_seconds: 60 });
    const own = only('GET', /^\/api\/v1\/cadreen\/health$/).body.workspace_id;
    expect(created.body.id).not.toBe(own);
    expect((await asAdmin(`/api/v1/maas/workspaces/${own}`)).rate_limit).toMatchObject({ limit: 600, window_seconds: 60, source: 'default' });
  });

  it('creates, changes, rotates and revokes a key of its own in the resource dialect', () => {
    const created = only('POST', /^\/v1\/api_keys$/);
    const id = created.body.metadata.id;
    expect(only('PATCH', /^\/v1\/api_keys\/key_\w+$/).path).toBe(`/v1/api_keys/${id}`);
    const rotated = only('POST', /^\/v1\/api_keys\/key_\w+\/rotate$/);
    expect(rotated.path).toBe(`/v1/api_keys/${id}/rotate`);
    expect(rotated.body.status.rotatedFrom).toBe(id);
    const revoked = only('DELETE', /^\/v1\/api_keys\/key_\w+$/);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ metadata: { id }, status: { state: 'REVOKED' } });
  });
});
