import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The fenced block after `<!-- example: name -->` in a README of this repository (by default the root one). */
export function readmeExample(name: string, readme = 'README.md'): string {
  const text = readFileSync(join(ROOT, readme), 'utf8');
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(text);
  if (!match) throw new Error(`${readme} has no "${name}" example`);
  return match[1]!;
}
