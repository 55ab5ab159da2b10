import { ManagementLock as ManagementLockResource } from '@cdktf/provider-azurerm/lib/management-lock';
import { Construct } from '../core';

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
 * An Azure management lock on one resource.
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
  }
}
