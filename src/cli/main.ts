#!/usr/bin/env node
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { VERSION } from '../version.js';
import { apiKeysCommand } from './api-keys.js';
import { auditEventsCommand } from './audit-events.js';
import { completionCommand } from './completion.js';
import { EXIT, errorLine, usageMessage } from './errors.js';
import { initCommand } from './init.js';
import { membersCommand } from './members.js';
import { serveCommand } from './serve.js';
import { workspacesCommand } from './workspaces.js';

/** One entry point, published as both `cadreen` and `cadenya`. */
const name = basename(process.argv[1] ?? 'cadreen').replace(/\.js$/, '') === 'cadenya' ? 'cadenya' : 'cadreen';

/** A failure nothing else caught: one line, no stack trace, exit 1. */
function unexpected(error: unknown): never {
  process.stderr.write(`${errorLine(error).line}\n`);
  process.exit(EXIT.unexpected);
}

const program = new Command(name).description('Workspace-scoped API keys: serve, set up and manage').version(VERSION);
// Settings every subcommand inherits, so they are made before any subcommand is added: a parse
// failure throws (and exits 2 below) instead of exiting 1, and is printed as a usage error.
program.exitOverride();
program.configureOutput({
  outputError: (text, write) => write(`error: usage: ${usageMessage(text)}\n`),
});
program.configureHelp({ showGlobalOptions: true });
// The client commands print every failure as one line; the service keeps Node's own report of a crash.
program.hook('preAction', (_program, command) => {
  if (command.name() === 'serve') return;
  process.on('uncaughtException', unexpected);
  process.on('unhandledRejection', unexpected);
});
serveCommand(program);
initCommand(program);
apiKeysCommand(program);
workspacesCommand(program);
membersCommand(program);
auditEventsCommand(program);
completionCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; every other parse failure is a usage error.
    process.exit(error.exitCode === 0 ? 0 : EXIT.usage);
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(78);
  }
  unexpected(error);
}
