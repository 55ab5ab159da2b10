import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Construct, InvalidPropError, isLiteral } from '../core';
import type { PrincipalType } from '../../vocabulary';

/** An Azure RBAC role assignment on a construct's resource (AVM `roleAssignments` entry). */
export interface RoleAssignmentProps {
  /** the principal's object id: a GUID, or a reference such as another resource's `principalId`. */
  readonly principalId: string;
  /** a built-in role name the resource offers, or a role definition resource id. */
  readonly roleDefinitionIdOrName: string;
  /**
   * Setting it lets Azure skip a directory lookup that fails for brand-new principals.
   * @default - Azure looks it up
   */
  readonly principalType?: PrincipalType;
  /** @default - none */
  readonly description?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_DEFINITION_ID = /^(\/subscriptions\/[0-9a-f-]{36})?\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i;

/** True for a literal GUID; references pass, Azure checks them. */
export const isGuidOrReference = (value: string): boolean => !isLiteral(value) || GUID.test(value);

/**
 * Assigns an Azure RBAC role on `resourceId`, as child `RoleAssignment-<key>` of `owner`.
 * Literal principal ids and role names are checked; a role that is a reference is taken as a role
 * definition id, since its text cannot be inspected at synth time.
 */
export function assignRole(
  owner: Construct,
  key: string,
  resourceId: string,
  assignment: RoleAssignmentProps,
  roleNames: readonly string[],
  misplacedRoleHint: (role: string) => string = () => '',
): RoleAssignment {
  if (!isGuidOrReference(assignment.principalId)) {
    throw new InvalidPropError(owner, `roleAssignments.${key}.principalId`, assignment.principalId, 'is not a GUID');
  }
  const role = assignment.roleDefinitionIdOrName;
  const isId = !isLiteral(role) || ROLE_DEFINITION_ID.test(role);
  if (!isId && !roleNames.includes(role)) {
    throw new InvalidPropError(
      owner,
      `roleAssignments.${key}.roleDefinitionIdOrName`,
      role,
      `is neither a role definition id nor a known role; allowed names: ${roleNames.join(', ')}${misplacedRoleHint(role)}`,
    );
  }
  return new RoleAssignment(owner, `RoleAssignment-${key}`, {
    scope: resourceId,
    principalId: assignment.principalId,
    principalType: assignment.principalType,
    description: assignment.description,
    ...(isId ? { roleDefinitionId: role } : { roleDefinitionName: role }),
  });
}
