/**
 * Data-plane roles: what a principal may do inside the ledger (append, read, manage users).
 * They are not Azure RBAC roles and never grant anything on the Azure resource itself.
 * @see https://learn.microsoft.com/azure/confidential-ledger/manage-azure-ad-token-based-users
 */
export const LEDGER_ROLES = ['Administrator', 'Contributor', 'Reader'] as const;
export type LedgerRole = (typeof LEDGER_ROLES)[number];

/**
 * Management-plane roles: Azure RBAC built-in roles that make sense on a ledger resource, rendered
 * as `role_definition_name`. A role definition resource id is accepted wherever a name is, for
 * custom roles.
 * @see https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
 */
export const MANAGEMENT_ROLE_NAMES = ['Owner', 'Contributor', 'Reader', 'User Access Administrator', 'Monitoring Reader'] as const;
export type ManagementRoleName = (typeof MANAGEMENT_ROLE_NAMES)[number];

/** Azure RBAC principal types (`azurerm_role_assignment.principal_type`). */
export const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];
