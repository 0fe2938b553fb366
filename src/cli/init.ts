import type { Command } from 'commander';
import { loadConfig } from '../config.js';

/** `cadreen init`: the first account, workspace, user and key, straight into the configured store. */
export function initCommand(program: Command): void {
  program
    .command('init')
    .description('create an account, a workspace, a user profile and the first API key')
    .option('--workspace-name <name>', 'name of the workspace', 'default')
    .option('--email <email>', 'email of the user profile that owns the first key')
    .option('--json', 'print {account_id, workspace_id, profile_id, key: {id, plaintext}, sign_in_url} as JSON')
    .action(async (options: { workspaceName: string; email?: string; json?: boolean }) => {
      const config = loadConfig(process.env);
      const { openCadreen } = await import('../service.js');
      const cadreen = await openCadreen(config);
      try {
        const result = await cadreen.init({
          workspaceName: options.workspaceName,
          ...(options.email ? { email: options.email } : {}),
        });
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({
              account_id: result.accountId,
              workspace_id: result.workspaceId,
              profile_id: result.profileId,
              key: result.key,
              sign_in_url: result.signInUrl,
            })}\n`,
          );
        } else {
          process.stdout.write(
            [
              `Account    ${result.accountId}`,
              `Workspace  ${result.workspaceId}`,
              `Profile    ${result.profileId}`,
              `Key        ${result.key.id}`,
              '',
              'Your API key (shown once; store it now):',
              '',
              `  ${result.key.plaintext}`,
              '',
              `  export CADREEN_API_KEY=${result.key.plaintext}`,
              `  export WORKSPACE_ID=${result.workspaceId}`,
              '',
              'Sign in to the dashboard with this link (it works once, for 15 minutes):',
              '',
              `  ${result.signInUrl}`,
              '',
            ].join('\n'),
          );
        }
      } finally {
        await cadreen.close();
      }
    });
}
