import { LogAnalyticsWorkspace as LogAnalyticsWorkspaceResource } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { Construct, InvalidPropError, isLiteral } from '../core';
import { ResourceLock, type LockLevel } from '../governance/lock';
import { checkTags, type Tags } from '../governance/tags';

/** Log Analytics retention bounds for the PerGB2018 SKU, in days. */
export const LOG_RETENTION_DAYS = { min: 30, max: 730 } as const;

export interface LogAnalyticsWorkspaceProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /**
   * How long logs are kept. Audit evidence usually needs 90 days or more.
   * @default 90
   */
  readonly retentionInDays?: number;
  /** @default - no lock */
  readonly lock?: LockLevel;
  /** @default - none */
  readonly tags?: Tags;
}

/**
 * A Log Analytics workspace for stacks that do not receive one from the landing zone.
 * @see https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure
 */
export class LogAnalyticsWorkspace extends Construct {
  readonly resourceId: string;
  readonly name: string;
  readonly retentionInDays: number;
  readonly resource: LogAnalyticsWorkspaceResource;

  constructor(scope: Construct, id: string, props: LogAnalyticsWorkspaceProps) {
    super(scope, id);
    this.retentionInDays = props.retentionInDays ?? 90;
    const { min, max } = LOG_RETENTION_DAYS;
    const days = this.retentionInDays;
    if (isLiteral(days) && (!Number.isInteger(days) || days < min || days > max)) {
      throw new InvalidPropError(this, 'retentionInDays', this.retentionInDays, `must be a whole number of days from ${min} to ${max}`);
    }
    // a name that is a Terraform expression is checked by Azure.
    if (isLiteral(props.name) && !/^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/.test(props.name)) {
      throw new InvalidPropError(
        this,
        'name',
        props.name,
        'must be 4–63 letters, digits or hyphens, starting and ending with a letter or digit',
      );
    }
    this.resource = new LogAnalyticsWorkspaceResource(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku: 'PerGB2018',
      retentionInDays: this.retentionInDays,
      tags: checkTags(this, props.tags),
    });
    this.resourceId = this.resource.id;
    this.name = props.name;
    if (props.lock) {
      new ResourceLock(this, 'Lock', {
        scope: this.resourceId,
        level: props.lock,
        notes: 'Holds the audit trail of who read and wrote the ledger.',
      });
    }
  }
}
