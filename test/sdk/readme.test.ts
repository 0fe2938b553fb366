import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, type ServerProcess } from '../e2e/process.js';
import { readmeExample } from '../support/readme.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SDK = join(ROOT, 'packages/sdk');
const ADMIN = 'sdk-readme-admin-token-0123456789';
const PACKAGE = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8'));

describe('the SDK’s README', () => {
  let dir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-sdk-readme-'));
    const env = { CADREEN_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, CADREEN_ADMIN_TOKEN: ADMIN };
    runCli(['init', '--json'], env);
    server = await startServer(env);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs its resources example as written against a real server', () => {
    const outputDir = join(ROOT, 'test-output');
    mkdirSync(outputDir, { recursive: true });
    const file = join(outputDir, 'sdk-readme-example.mjs');
    writeFileSync(file, readmeExample('sdk-readme', 'packages/sdk/README.md'));
    const result = spawnSync(process.execPath, [file], {
      env: { ...process.env, CADREEN_ADMIN_TOKEN: ADMIN, CADREEN_BASE_URL: server.baseUrl, CADREEN_API_KEY: '' },
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      'budget 5000 workspace',
      'a revoked key cannot be rotated: conflict',
      'keys 2 more: true',
      'invoices ACTIVE',
      'invoices REVOKED',
      'key.rotated PROFILE_TYPE_SYSTEM',
      'ada@example.com owner with a sign-in link',
      'aborted: aborted',
      '',
    ]);
  });
});

describe('the packed SDK', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-sdk-pack-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs alone, with its README, and names its own version in the User-Agent', () => {
    const pack = spawnSync('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: SDK, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const [tarball] = readdirSync(dir).filter((name) => name.endsWith('.tgz'));
    expect(tarball).toBe(`cadreen-sdk-${PACKAGE.version}.tgz`);
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, tarball!)], { cwd: app, encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);
    expect(readFileSync(join(app, 'node_modules/@cadreen/sdk/README.md'), 'utf8')).toContain('# @cadreen/sdk');
    const script = "import { VERSION, Cadreen } from '@cadreen/sdk'; new Cadreen({ apiKey: 'k' }); console.log(VERSION);";
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(PACKAGE.version);
  });
});
