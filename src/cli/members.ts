import type { Member, MemberProfile } from '@cadreen/sdk';
import { Option, type Command } from 'commander';
import { action, clientFor, formatOption, printJson, printTable, type ClientOptions } from './client.js';
import { nonEmpty, wholeNumber } from './parse.js';

/** The API's JSON for a profile and a member (the SDK hands them over in camelCase). */
const profileJson = (p: MemberProfile) => ({ id: p.id, account_id: p.accountId, type: p.type, name: p.name, email: p.email, created_at: p.createdAt });
const memberJson = (m: Member) => ({ profile: profileJson(m.profile), workspace_id: m.workspaceId, role: m.role, created_at: m.createdAt });

function printMembers(members: Member[], format: ClientOptions['format'], asJson: unknown): void {
  if (format === 'json') return printJson(asJson);
  printTable(
    ['EMAIL', 'NAME', 'ROLE', 'PROFILE', 'ADDED'],
    members.map((m) => [m.profile.email ?? '-', m.profile.name ?? '-', m.role, m.profile.id, m.createdAt]),
  );
}

/** The options every members command shares; `--workspace-id` names the workspace whose members they are. */
function withMemberOptions(command: Command, output: 'format' | 'json' = 'format'): Command {
  command
    .option('--api-key <key>', 'the admin token, or an API key (env CADREEN_API_KEY)')
    .option('--base-url <url>', 'Cadreen server (env CADREEN_BASE_URL, default http://127.0.0.1:8080)')
    .option('--workspace-id <id>', "the workspace (default: an API key's own)");
  return output === 'json'
    ? command.option('--json', 'print {profile_id, email, role, sign_in_url} as JSON')
    : command.addOption(formatOption());
}

const roleOption = (description: string) => new Option('--role <role>', description).choices(['owner', 'member']);

/** `cadreen members …`: the people of a workspace. Changing them takes the admin token (or an owner). */
export function membersCommand(program: Command): void {
  const members = program.command('members').description("manage a workspace's members (people who sign in)");

  withMemberOptions(members.command('list').description('List members, oldest first'))
    .option('--limit <n>', 'page size (1-100)', wholeNumber('--limit', 1))
    .option('--cursor <cursor>', 'cursor from the previous page')
    .option('--all', 'follow cursors and list every member')
    .action(
      action(async (options: ClientOptions & { limit?: number; cursor?: string; all?: boolean }) => {
        const pages = clientFor(options).members.list({
          ...(options.workspaceId ? { workspaceId: options.workspaceId } : {}),
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          ...(options.cursor ? { cursor: options.cursor } : {}),
        });
        if (options.all) {
          const all: Member[] = [];
          for await (const member of pages) all.push(member);
          return printMembers(all, options.format, { members: all.map(memberJson), next_cursor: null });
        }
        const page = await pages;
        printMembers(page.items, options.format, { members: page.items.map(memberJson), next_cursor: page.nextCursor ?? null });
      }),
    );

  withMemberOptions(members.command('add').description('Add a person by email and print their sign-in link'), 'json')
    .requiredOption('--email <email>', "the person's email", nonEmpty('--email'))
    .option('--name <name>', "the person's name")
    .addOption(roleOption('owner (manages members) or member (manages keys)').default('member'))
    .action(
      action(async (options: Omit<ClientOptions, 'format'> & { email: string; name?: string; role: 'owner' | 'member'; json?: boolean }) => {
        const member = await clientFor(options).members.add({
          email: options.email,
          role: options.role,
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.workspaceId ? { workspaceId: options.workspaceId } : {}),
        });
        if (options.json) {
          return printJson({ profile_id: member.profile.id, email: member.profile.email, role: member.role, sign_in_url: member.signInUrl ?? null });
        }
        const lines = [`Added ${member.profile.email} to ${member.workspaceId} as ${member.role} (profile ${member.profile.id}).`, ''];
        if (member.signInUrl) {
          lines.push('Send them this sign-in link. It works once and is valid for 15 minutes:', '', member.signInUrl);
        } else {
          lines.push('They sign in with single sign-on; no sign-in link is needed.');
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );

  withMemberOptions(members.command('update').description("Change a member's role"))
    .requiredOption('--profile-id <id>', "the member's profile", nonEmpty('--profile-id'))
    .addOption(roleOption('the new role').makeOptionMandatory())
    .action(
      action(async (options: ClientOptions & { profileId: string; role: 'owner' | 'member' }) => {
        const member = await clientFor(options).members.update(options.profileId, {
          role: options.role,
          ...(options.workspaceId ? { workspaceId: options.workspaceId } : {}),
        });
        printMembers([member], options.format, memberJson(member));
      }),
    );

  withMemberOptions(members.command('remove').description('Remove a member and end their sessions'))
    .requiredOption('--profile-id <id>', "the member's profile", nonEmpty('--profile-id'))
    .action(
      action(async (options: ClientOptions & { profileId: string }) => {
        await clientFor(options).members.remove(options.profileId, options.workspaceId ? { workspaceId: options.workspaceId } : {});
        if (options.format === 'table') process.stdout.write(`Removed ${options.profileId}.\n`);
      }),
    );
}
