import type { Command } from 'commander';
import { loadConfig } from '../config.js';

/** `cadreen init`: the first account, workspace, user and key, straight into the configured store. */
export function initCommand(program: Command): void {
  program
    .command('init')
    .description('create a workspace owned by you, its first API key and a sign-in link (and the account, on an empty store)')
    .option('--workspace-name <name>', 'name of the workspace', 'default')
    .option('--email <email>', 'email of the user profile that owns the first key')
    .option('--new-account', 'make a separate account even when the store has one already')
    .option('--json', 'print {account_id, created_account, workspace_id, profile_id, key: {id, plaintext}, sign_in_url} as JSON')
    .action(async (options: { workspaceName: string; email?: string; newAccount?: boolean; json?: boolean }) => {
      const config = loadConfig(process.env);
      const { openCadreen } = await import('../service.js');
      const cadreen = await openCadreen(config);
      try {
        const result = await cadreen.init({
          workspaceName: options.workspaceName,
          ...(options.email ? { email: options.email } : {}),
          ...(options.newAccount ? { newAccount: true } : {}),
        });
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({
              account_id: result.accountId,
              created_account: result.createdAccount,
              workspace_id: result.workspaceId,
              profile_id: result.profileId,
              key: result.key,
              sign_in_url: result.signInUrl,
            })}\n`,
          );
        } else {
          process.stdout.write(
            [
              result.createdAccount
                ? `Account    ${result.accountId} (new)`
                : `Account    ${result.accountId} (this store's existing account: the workspace was added to it; --new-account makes another)`,
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
