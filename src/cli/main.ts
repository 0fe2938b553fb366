#!/usr/bin/env node
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { VERSION } from '../version.js';
import { apiKeysCommand } from './api-keys.js';
import { auditEventsCommand } from './audit-events.js';
import { EXIT } from './client.js';
import { initCommand } from './init.js';
import { membersCommand } from './members.js';
import { serveCommand } from './serve.js';
import { workspacesCommand } from './workspaces.js';

/** One entry point, published as both `cadreen` and `cadenya`. */
const name = basename(process.argv[1] ?? 'cadreen').replace(/\.js$/, '') === 'cadenya' ? 'cadenya' : 'cadreen';
const program = new Command(name).description('Workspace-scoped API keys: serve, set up and manage').version(VERSION);
program.exitOverride();
program.configureHelp({ showGlobalOptions: true });
serveCommand(program);
initCommand(program);
apiKeysCommand(program);
workspacesCommand(program);
membersCommand(program);
auditEventsCommand(program);

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
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`${name}: ${message}\n`);
  process.exit(1);
}
