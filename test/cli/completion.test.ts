import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../e2e/process.js';

const installed = (shell: string) => spawnSync(shell, ['--version'], { encoding: 'utf8' }).status === 0;
const HAS_ZSH = installed('zsh');
const HAS_FISH = installed('fish');

/** Runs `script` in `shell` and answers its stdout, failing with its stderr. */
function shell(name: string, args: string[], script: string): string {
  const result = spawnSync(name, [...args, script], { encoding: 'utf8', env: { ...process.env, HOME: tmpdir() } });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** The names `--help` lists: a command's subcommands, or its flags. */
function helpOf(args: string[]): { commands: string[]; flags: string[] } {
  const help = runCli([...args, '--help'], {}).stdout;
  const section = (title: string) => help.split(`${title}:\n`)[1]?.split('\n\n')[0] ?? '';
  return {
    commands: [...section('Commands').matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!),
    flags: [...section('Options').matchAll(/--[a-z][\w-]*/g)].map((m) => m[0]),
  };
}

/** `cadreen completion bash|zsh|fish`: scripts generated from the command tree, loaded into each shell and asked for completions. */
describe('shell completion', () => {
  let dir: string;
  const script: Record<string, string> = {};

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cadreen-completion-'));
    for (const name of ['bash', 'zsh', 'fish']) {
      const result = runCli(['completion', name], {});
      expect(result.status, result.stderr).toBe(0);
      script[name] = join(dir, `cadreen.${name}`);
      writeFileSync(script[name]!, result.stdout);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('bash', () => {
    /** What bash offers for `line` (the cursor at its end), through the function `complete -p` names for `command`. */
    const complete = (line: string, command = 'cadreen'): string[] => {
      const words = line.split(' ');
      const out = shell(
        'bash',
        ['-c'],
        `source ${JSON.stringify(script.bash)}
         fn=$(complete -p ${command} | sed -E 's/.*-F ([^ ]+).*/\\1/')
         COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')})
         COMP_CWORD=${words.length - 1}
         COMP_LINE=${JSON.stringify(line)}
         COMP_POINT=${line.length}
         "$fn" ${command} ${JSON.stringify(words.at(-1))} ${JSON.stringify(words.at(-2) ?? '')}
         printf '%s\\n' "\${COMPREPLY[@]}"`,
      );
      return out.split('\n').filter(Boolean);
    };

    it('is valid bash', () => {
      shell('bash', ['-n'], script.bash!);
    });

    it('completes commands, subcommands, flags and their values', () => {
      expect(complete('cadreen api-k')).toEqual(['api-keys']);
      expect(complete('cadreen api-keys list --so')).toEqual(['--sort-order']);
      expect(complete('cadreen api-keys list --sort-order ')).toEqual(['asc', 'desc']);
      expect(complete('cadreen api-keys list --limit 10 --sort-order d')).toEqual(['desc']);
      expect(complete('cadreen workspaces u')).toEqual(['update']);
      expect(complete('cadreen workspaces update ws_1 --rate')).toEqual(['--rate-limit']);
      expect(complete('cadreen audit-events list --type key.r')).toEqual(['key.rotated', 'key.revoked']);
      expect(complete('cadreen completion ')).toEqual(['bash', 'zsh', 'fish']);
      expect(complete('cadreen members add --role ')).toEqual(['owner', 'member']);
    });

    it('completes under the other name too', () => {
      expect(complete('cadenya api-k', 'cadenya')).toEqual(['api-keys']);
    });

    it('offers exactly what --help lists, for every command', () => {
      const visited: string[] = [];
      const walk = (path: string[]) => {
        visited.push(path.join(' '));
        const { commands, flags } = helpOf(path);
        expect(flags, path.join(' ')).toContain('--help');
        const line = ['cadreen', ...path].join(' ');
        if (commands.length) expect(complete(`${line} `).sort(), line).toEqual(commands.sort());
        expect(complete(`${line} --`).sort(), line).toEqual(flags.sort());
        for (const command of commands) if (command !== 'help') walk([...path, command]);
      };
      walk([]);
      expect(visited).toEqual(expect.arrayContaining(['api-keys list', 'workspaces update', 'members add', 'audit-events list', 'completion']));
    });
  });

  describe('zsh', () => {
    /**
     * What the script's function offers for `line`, with the completion system's builtins
     * (`compadd`, `_describe`, `compset`) standing in as functions that print their candidates.
     */
    const complete = (line: string): string[] =>
      shell(
        'zsh',
        ['-f', '-c'],
        `compdef() { : }
         compadd() { local -a items; [[ $1 == -a ]] && items=("\${(@P)2}"); print -rl -- "\${(@M)items:#\${PREFIX}*}" }
         _describe() { local -a items; items=("\${(@P)\${@[-1]}}"); items=("\${(@)items%%:*}"); print -rl -- "\${(@M)items:#\${PREFIX}*}" }
         compset() { [[ $1 == -P ]] && PREFIX=\${PREFIX#*=} }
         source ${JSON.stringify(script.zsh)}
         words=(${line.split(' ').map((w) => `'${w}'`).join(' ')}); CURRENT=\${#words}; PREFIX=\${words[-1]}
         _cadreen`,
      )
        .split('\n')
        .filter(Boolean);

    it.skipIf(!HAS_ZSH)('is valid zsh and completes commands, flags and their values', () => {
      shell('zsh', ['-n'], script.zsh!);
      expect(complete('cadreen api-k')).toEqual(['api-keys']);
      expect(complete('cadreen api-keys list --so')).toEqual(['--sort-order']);
      expect(complete('cadreen api-keys list --sort-order ')).toEqual(['asc', 'desc']);
      expect(complete('cadreen api-keys list --sort-order=d')).toEqual(['desc']);
      expect(complete('cadreen completion ')).toEqual(['bash', 'zsh', 'fish']);
    });

    it('is a #compdef function for both names that also registers itself when sourced', () => {
      const text = runCli(['completion', 'zsh'], {}).stdout;
      expect(text.split('\n')[0]).toBe('#compdef cadreen cadenya');
      expect(text).toMatch(/^_cadreen\(\) \{$/m);
      expect(text).toContain('compdef _cadreen cadreen cadenya');
      expect(text).toContain(`'api-keys list|--sort-order') _cadreen_words=(asc desc) ;;`);
    });
  });

  describe('fish', () => {
    const complete = (line: string): string[] =>
      shell('fish', ['--no-config', '-c'], `source ${JSON.stringify(script.fish)}; complete -C ${JSON.stringify(line)}`)
        .split('\n')
        .filter(Boolean)
        .map((candidate) => candidate.split('\t')[0]!)
        .sort();

    it.skipIf(!HAS_FISH)('is valid fish and completes commands, flags and their values', () => {
      shell('fish', ['--no-config', '-n'], script.fish!);
      expect(complete('cadreen api-k')).toEqual(['api-keys']);
      expect(complete('cadreen api-keys list --so')).toEqual(['--sort-order']);
      expect(complete('cadreen api-keys list --sort-order ')).toEqual(['asc', 'desc']);
      expect(complete('cadenya completion ')).toEqual(['bash', 'fish', 'zsh']);
    });

    it('has a complete line per command and flag, each conditioned on the command path', () => {
      const text = runCli(['completion', 'fish'], {}).stdout;
      expect(text).toContain('for name in cadreen cadenya');
      expect(text).toMatch(/complete -c \$name -n '__cadreen_at \\'api-keys list\\'' -l sort-order -x -a 'asc desc' -d /);
      expect(text).toMatch(/complete -c \$name -n '__cadreen_at \\'\\'' -a api-keys -d /);
    });
  });
});
