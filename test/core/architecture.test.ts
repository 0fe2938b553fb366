import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const core = join(root, 'src/core');

/** The libraries the domain may use directly; everything else reaches it through a port. */
const CORE_LIBRARIES = new Set(['lru-cache', 'ulid']);

function sourcesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourcesUnder(join(directory, entry.name)) : entry.name.endsWith('.ts') ? [join(directory, entry.name)] : [],
  );
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function specifiersOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;
  return [...text.matchAll(pattern)].map((match) => match[1]!);
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

describe('the domain core', () => {
  it('imports nothing outside src/core but node: modules and the libraries it is allowed', () => {
    const outside: string[] = [];
    for (const file of sourcesUnder(core)) {
      for (const specifier of specifiersOf(file)) {
        if (specifier.startsWith('node:')) continue;
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier);
          if (!relative(core, target).startsWith('..')) continue;
        } else if (CORE_LIBRARIES.has(packageName(specifier))) {
          continue;
        }
        outside.push(`${relative(root, file)} imports ${specifier}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('declares the ports its backends implement', () => {
    const backends = ['src/store/sql-store.ts', 'src/limits/memory-rate-limiter.ts', 'src/limits/redis-rate-limiter.ts', 'src/redis/redis-invalidation-bus.ts'];
    for (const backend of backends) {
      expect(specifiersOf(join(root, backend)), backend).toContain('../core/ports.js');
    }
  });
});
