import { ManagementLock as ManagementLockResource } from '@cdktf/provider-azurerm/lib/management-lock';
import { Construct, Lazy, TerraformResource } from '../core';

/** Lock levels Azure offers; `CanNotDelete` still allows changes, `ReadOnly` blocks them too. */
export const LOCK_LEVELS = ['CanNotDelete', 'ReadOnly'] as const;
export type LockLevel = (typeof LOCK_LEVELS)[number];

export interface ResourceLockProps {
  /** resource id the lock applies to. */
  readonly scope: string;
  /** @default 'CanNotDelete' */
  readonly level?: LockLevel;
  /** why the lock exists, shown to whoever tries to delete the resource. */
  readonly notes: string;
}

/**
 * An Azure management lock on one resource, ordered after everything else in the construct that
 * owns it (the locked resource, its role assignments, diagnostic settings, private endpoints).
 *
 * A `CanNotDelete` lock also blocks deleting role assignments on the resource and extension
 * resources such as diagnostic settings, and every `azurerm_role_assignment` field forces
 * replacement (internal/services/authorization/role_assignment_resource.go, azurerm 4.81.0: all
 * ForceNew, no Update). With `depends_on` on each of them, Terraform creates the lock last and
 * removes it first, so replacing a role assignment or destroying the stack is not refused midway.
 * @see https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources
 */
export class ResourceLock extends Construct {
  readonly level: LockLevel;
  readonly resource: ManagementLockResource;

  constructor(scope: Construct, id: string, props: ResourceLockProps) {
    super(scope, id);
    this.level = props.level ?? 'CanNotDelete';
    this.resource = new ManagementLockResource(this, 'Resource', {
      name: `lock-${this.level.toLowerCase()}`,
      scope: props.scope,
      lockLevel: this.level,
      notes: props.notes,
    });
    // rendered at synth, so that grants and settings added after the lock are covered too.
    this.resource.dependsOn = Lazy.listValue({
      produce: () => this.protectedResources().map((r) => `${r.terraformResourceType}.${r.friendlyUniqueId}`),
    });
  }

  /** Every Terraform resource under the owning construct but the lock itself, in a stable order. */
  protectedResources(): TerraformResource[] {
    return this.node
      .scope!.node.findAll()
      .filter((n): n is TerraformResource => n instanceof TerraformResource && n !== this.resource)
      .sort((a, b) => a.node.path.localeCompare(b.node.path));
  }
}
