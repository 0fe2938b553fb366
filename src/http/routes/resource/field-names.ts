/** The resource dialect's names of the domain fields the core reports problems with. */
export const RESOURCE_FIELD_NAMES: Readonly<Record<string, string>> = {
  expiresAt: 'spec.expiresAt',
  gracePeriodSeconds: 'gracePeriodSeconds',
  accountId: 'accountId',
  workspaceId: 'X-Cadreen-Workspace-Id',
  cursor: 'cursor',
};
