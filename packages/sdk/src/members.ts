// The people API (`/api/v1/maas/workspaces/{id}/members`, `/api/v1/maas/me`). These types are written by
// hand in the SDK's camelCase, as the resource dialect's keys are; the API itself answers in snake_case
// and the functions below rename the fields.
import type { WireAddedMember, WireMe, WireMember, WireMemberList } from './generated/api-types.js';
import { Page, PagePromise } from './pagination.js';
import type { RequestOptions, Transport } from './transport.js';
import type { WireProfile } from './wire.js';

/** What kind of actor a profile is. */
export type ProfileType = 'PROFILE_TYPE_USER' | 'PROFILE_TYPE_API_KEY' | 'PROFILE_TYPE_SYSTEM';

/** A workspace role: an `owner` manages members and the workspace, a `member` the workspace's keys. */
export type MemberRole = 'owner' | 'member';

/** An actor of an account: a person (`PROFILE_TYPE_USER`), an API key, or the service itself. */
export interface MemberProfile {
  id: string;
  accountId: string;
  type: ProfileType;
  name: string | null;
  email: string | null;
  /** RFC 3339 timestamp */
  createdAt: string;
}

/** A profile's membership of a workspace. */
export interface Member {
  profile: MemberProfile;
  workspaceId: string;
  role: MemberRole;
  /** When the profile joined the workspace (RFC 3339). */
  createdAt: string;
}

/** The answer to `members.add`. */
export interface AddedMember extends Member {
  /**
   * A single-use sign-in link, valid for 15 minutes, to hand to the person; only when the server has no
   * OpenID Connect provider configured (people then sign in with SSO instead).
   */
  signInUrl?: string;
}

/** One workspace the caller belongs to. */
export interface Membership {
  workspaceId: string;
  workspaceName: string;
  role: MemberRole;
}

/** Who the client's credential is: the admin token has no profile and no memberships. */
export interface Me {
  profile: MemberProfile | null;
  memberships: Membership[];
}

/** Names the workspace; without it, the client's `workspaceId`, else the API key's own workspace. */
export interface MemberScope {
  workspaceId?: string;
}

export interface MemberListParams extends MemberScope {
  /** Page size (1–100, default 50). */
  limit?: number;
  /** Cursor from the previous page. */
  cursor?: string;
}

export interface MemberAddParams extends MemberScope {
  email: string;
  name?: string;
  role: MemberRole;
}

export interface MemberUpdateParams extends MemberScope {
  role: MemberRole;
}

const toProfile = (p: WireProfile): MemberProfile => ({
  id: p.id,
  accountId: p.account_id,
  type: p.type,
  name: p.name ?? null,
  email: p.email ?? null,
  createdAt: p.created_at,
});

const toMember = (m: WireMember): Member => ({
  profile: toProfile(m.profile),
  workspaceId: m.workspace_id,
  role: m.role,
  createdAt: m.created_at,
});

/** Renames the fields of `GET /api/v1/maas/me`. */
export const toMe = (me: WireMe): Me => ({
  profile: me.profile ? toProfile(me.profile) : null,
  memberships: me.memberships.map((m) => ({ workspaceId: m.workspace_id, workspaceName: m.workspace_name, role: m.role })),
});

const membersPath = (workspaceId: string, profileId?: string) =>
  `/api/v1/maas/workspaces/${encodeURIComponent(workspaceId)}/members${profileId === undefined ? '' : `/${encodeURIComponent(profileId)}`}`;

/**
 * The people of a workspace. Adding, changing and removing members takes an owner's session or the
 * admin token; an API key or a plain member is refused with `auth_forbidden`.
 */
export class Members {
  constructor(
    private readonly transport: Transport,
    /** The workspace a call acts on when its parameters name none. */
    private readonly defaultWorkspace: (options?: RequestOptions) => Promise<string>,
  ) {}

  private workspace(scope: MemberScope, options: RequestOptions | undefined): Promise<string> {
    return scope.workspaceId ? Promise.resolve(scope.workspaceId) : this.defaultWorkspace(options);
  }

  /**
   * Lists the members, oldest membership first. Await it for one page, or iterate it with `for await`
   * to walk every member across pages.
   */
  list(params: MemberListParams = {}, options?: RequestOptions): PagePromise<Member> {
    const fetchPage = async (cursor?: string): Promise<Page<Member>> => {
      const response = await this.transport.request<WireMemberList>({
        method: 'GET',
        path: membersPath(await this.workspace(params, options)),
        query: { limit: params.limit, cursor },
      }, options);
      return new Page({ items: response.members.map(toMember), nextCursor: response.next_cursor ?? undefined, total: undefined }, fetchPage);
    };
    return new PagePromise(() => fetchPage(params.cursor));
  }

  /**
   * Adds a person by email (inviting them to the account if they are new). `signInUrl` is their
   * single-use sign-in link when the server has no OpenID Connect provider. An email already a member
   * is a `ConflictError`.
   */
  async add(params: MemberAddParams, options?: RequestOptions): Promise<AddedMember> {
    const body = { email: params.email, role: params.role, ...(params.name !== undefined ? { name: params.name } : {}) };
    const member = await this.transport.request<WireAddedMember>({ method: 'POST', path: membersPath(await this.workspace(params, options)), body }, options);
    return { ...toMember(member), ...(member.sign_in_url ? { signInUrl: member.sign_in_url } : {}) };
  }

  /** Changes a member's role; demoting the last owner is a `ConflictError`. */
  async update(profileId: string, params: MemberUpdateParams, options?: RequestOptions): Promise<Member> {
    const path = membersPath(await this.workspace(params, options), profileId);
    return toMember(await this.transport.request<WireMember>({ method: 'PATCH', path, body: { role: params.role } }, options));
  }

  /** Removes a member and ends their sessions at once; removing the last owner is a `ConflictError`. */
  async remove(profileId: string, params: MemberScope = {}, options?: RequestOptions): Promise<void> {
    await this.transport.request<void>({ method: 'DELETE', path: membersPath(await this.workspace(params, options), profileId) }, options);
  }
}
