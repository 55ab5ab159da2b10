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

const BARE_OR_TENANT_ROLE_ID =
  /^(?:\/providers\/Microsoft\.Authorization\/roleDefinitions\/)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * A role given as a bare role-definition GUID (as the built-in roles page lists them) or as a
 * tenant-level id, written as the subscription-scoped id ARM needs: azurerm passes
 * `role_definition_id` to ARM unchanged and stores what ARM returns, the subscription-scoped id
 * (internal/services/authorization/role_assignment_resource.go, azurerm 4.81.0), so any other form
 * is refused or shows a replacement on every plan. Role names and full ids pass unchanged.
 */
export function subscriptionScopedRole(roleDefinitionIdOrName: string, subscriptionId: string): string {
  const guid = BARE_OR_TENANT_ROLE_ID.exec(roleDefinitionIdOrName)?.[1];
  return guid
    ? `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid.toLowerCase()}`
    : roleDefinitionIdOrName;
}
