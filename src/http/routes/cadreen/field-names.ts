/** The Cadreen dialect's names of the domain fields the core reports problems with. */
export const CADREEN_FIELD_NAMES: Readonly<Record<string, string>> = {
  expiresAt: 'expires_at',
  gracePeriodSeconds: 'grace_period_seconds',
  accountId: 'account_id',
  workspaceId: 'workspace_id',
  cursor: 'cursor',
};
