import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes } from '../../src/http/routes/dashboard.js';
import { createHarness, type Harness } from '../http/harness.js';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The files of the built dashboard, as the server hands them out. */
describe('dashboard files', () => {
  let dir: string;
  let app: FastifyInstance;
  let unbuilt: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-dashboard-files-'));
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(dir, 'dist', 'assets', 'index-AbC123.js'), 'export {};');
    writeFileSync(join(dir, 'dist', 'assets', 'index-AbC123.css'), 'body{}');
    writeFileSync(join(dir, 'secret.txt'), 'outside the build');
    app = Fastify();
    dashboardRoutes(app, { root: join(dir, 'dist') });
    unbuilt = Fastify();
    dashboardRoutes(unbuilt, { root: join(dir, 'missing') });
  });

  afterAll(async () => {
    await app.close();
    await unbuilt.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page at /dashboard and /dashboard/, revalidated, with the security headers', async () => {
    for (const url of ['/dashboard', '/dashboard/', '/dashboard/index.html']) {
      const response = await app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toBe(CSP);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.body).toContain('<title>x</title>');
    }
  });

  it('serves hashed assets with their type and a long cache', async () => {
    const script = await app.inject({ url: '/dashboard/assets/index-AbC123.js' });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.headers['content-security-policy']).toBe(CSP);
    const style = await app.inject({ url: '/dashboard/assets/index-AbC123.css' });
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers not_found in the error shape for missing files, directories and paths out of the build', async () => {
    for (const url of ['/dashboard/assets/nope.js', '/dashboard/assets', '/dashboard/..%2fsecret.txt', '/dashboard/assets/..%2f..%2fsecret.txt']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code).toBe('not_found');
      expect(response.body).not.toContain('outside the build');
    }
  });

  it('says to build when the dashboard was not built', async () => {
    const response = await unbuilt.inject({ url: '/dashboard' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ code: 'not_found', message: expect.stringContaining('npm run build') });
  });
});

describe('dashboard routes in the app', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(() => h.close());

  it('are public, keep to the build directory and are not part of the API document', async () => {
    const page = await h.app.inject({ url: '/dashboard/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CSP);
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.body).not.toMatch(/<style|style=/);
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const url of ['/dashboard/%2e%2e/package.json', '/dashboard/..%2f..%2fpackage.json']) {
      const escape = await h.app.inject({ url });
      expect(escape.statusCode, url).toBe(404);
      expect(escape.json().error.code).toBe('not_found');
    }
    const { body } = await h.request('GET', '/openapi.json');
    expect(Object.keys(body.paths).filter((path) => path.startsWith('/dashboard'))).toEqual([]);
  });
});
