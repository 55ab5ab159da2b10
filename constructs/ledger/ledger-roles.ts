/**
 * Data-plane roles: what a principal may do inside the ledger (append, read, manage users).
 * They are not Azure RBAC roles and never grant anything on the Azure resource itself.
 * @see https://learn.microsoft.com/azure/confidential-ledger/manage-azure-ad-token-based-users
 */
export const LEDGER_ROLES = ['Administrator', 'Contributor', 'Reader'] as const;
export type LedgerRole = (typeof LEDGER_ROLES)[number];

/**
 * Management-plane roles: Azure RBAC built-in roles that make sense on a ledger resource, with
 * their role definition ids (the same in every tenant). A full role definition resource id is
 * also accepted wherever a name is.
 * @see https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
 */
export const MANAGEMENT_ROLES = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'Monitoring Reader': '43d0d8ad-25c7-4714-9337-8ba259a9fe05',
} as const;
export type ManagementRoleName = keyof typeof MANAGEMENT_ROLES;
export const MANAGEMENT_ROLE_NAMES = Object.keys(MANAGEMENT_ROLES) as ManagementRoleName[];

/** Azure RBAC principal types (`azurerm_role_assignment.principal_type`). */
export const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];
