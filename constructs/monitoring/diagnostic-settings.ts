import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import { Construct, InvalidPropError, isLiteral, requireUniqueName } from '../core';

/**
 * Diagnostic categories per resource type, one dated table (checked 2026-11-28 against Azure
 * Monitor's "supported logs" and "supported metrics" references).
 * - Confidential ledger emits `transactionlogs` (table ACLTransactionLogs) and `userdefinedlogs`
 *   (ACLUserDefinedLogs) and publishes no platform metrics; `applicationlogs` belongs to Managed
 *   CCF, a different resource type.
 * - Key Vault emits `AuditEvent` and `AzurePolicyEvaluationDetails`, and the `AllMetrics` metric.
 */
export const DIAGNOSTIC_CATEGORIES = {
  'Microsoft.ConfidentialLedger/ledgers': {
    logs: ['transactionlogs', 'userdefinedlogs'],
    metrics: [],
  },
  'Microsoft.KeyVault/vaults': {
    logs: ['AuditEvent', 'AzurePolicyEvaluationDetails'],
    metrics: ['AllMetrics'],
  },
} as const satisfies Record<string, { logs: readonly string[]; metrics: readonly string[] }>;
export type DiagnosticResourceType = keyof typeof DIAGNOSTIC_CATEGORIES;

/** Where Log Analytics writes resource logs: resource-specific tables or the legacy shared one. */
export const LOG_ANALYTICS_DESTINATION_TYPES = ['Dedicated', 'AzureDiagnostics'] as const;
export type LogAnalyticsDestinationType = (typeof LOG_ANALYTICS_DESTINATION_TYPES)[number];

export interface DiagnosticSettingProps {
  /** resource whose logs are sent. */
  readonly targetResourceId: string;
  /** resource type of the target; decides which categories exist. */
  readonly targetResourceType: DiagnosticResourceType;
  /** Log Analytics workspace that receives the logs. */
  readonly workspaceResourceId: string;
  /**
   * Log categories to send.
   * @default - every log category the resource type emits
   */
  readonly logCategories?: readonly string[];
  /**
   * Metric categories to send.
   * @default - every metric category the resource type publishes (none for a ledger)
   */
  readonly metricCategories?: readonly string[];
  /**
   * @default 'Dedicated' (resource-specific tables such as ACLTransactionLogs)
   */
  readonly logAnalyticsDestinationType?: LogAnalyticsDestinationType;
  /**
   * Name of the setting on the resource; unique among the resource's settings.
   * @default 'to-log-analytics'
   */
  readonly name?: string;
}

/** A diagnostic setting as a construct's `diagnosticSettings` entry or `addDiagnosticSetting` takes it. */
export type DiagnosticSettingOptions = Omit<DiagnosticSettingProps, 'targetResourceId' | 'targetResourceType'>;

/**
 * Sends a resource's logs and metrics to a Log Analytics workspace.
 * @see https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings
 */
export class DiagnosticSetting extends Construct {
  readonly logCategories: readonly string[];
  readonly metricCategories: readonly string[];
  readonly targetResourceType: DiagnosticResourceType;
  readonly resource: MonitorDiagnosticSetting;

  constructor(scope: Construct, id: string, props: DiagnosticSettingProps) {
    super(scope, id);
    const known = DIAGNOSTIC_CATEGORIES[props.targetResourceType];
    this.targetResourceType = props.targetResourceType;
    this.logCategories = checkCategories(this, 'logCategories', props.logCategories ?? known.logs, known.logs, props.targetResourceType);
    this.metricCategories = checkCategories(
      this,
      'metricCategories',
      props.metricCategories ?? known.metrics,
      known.metrics,
      props.targetResourceType,
    );
    if (this.logCategories.length === 0 && this.metricCategories.length === 0) {
      throw new InvalidPropError(this, 'logCategories', [], 'sends nothing; choose at least one category');
    }
    this.resource = new MonitorDiagnosticSetting(this, 'Resource', {
      name: props.name ?? 'to-log-analytics',
      targetResourceId: props.targetResourceId,
      logAnalyticsWorkspaceId: props.workspaceResourceId,
      logAnalyticsDestinationType: props.logAnalyticsDestinationType ?? 'Dedicated',
      enabledLog: this.logCategories.map((category) => ({ category })),
      enabledMetric: this.metricCategories.length ? this.metricCategories.map((category) => ({ category })) : undefined,
    });
  }
}

function checkCategories(
  scope: Construct,
  field: string,
  requested: readonly string[],
  allowed: readonly string[],
  resourceType: string,
): readonly string[] {
  for (const category of requested) {
    if (isLiteral(category) && !allowed.includes(category)) {
      throw new InvalidPropError(
        scope,
        field,
        category,
        `is not emitted by ${resourceType}; allowed: ${allowed.length ? allowed.join(', ') : 'none'}`,
      );
    }
  }
  if (new Set(requested).size !== requested.length) {
    throw new InvalidPropError(scope, field, requested, 'lists a category twice');
  }
  return [...requested];
}

/**
 * Adds a diagnostic setting on `owner`'s resource as child `Diagnostics-<key>`. Its default name
 * comes from the key, so two settings on one resource never share a name, which Azure refuses.
 */
export function attachDiagnosticSetting(
  owner: Construct,
  key: string,
  target: { readonly resourceId: string; readonly resourceType: DiagnosticResourceType },
  options: DiagnosticSettingOptions,
): DiagnosticSetting {
  const name = options.name ?? `diag-${key}`;
  requireUniqueName(owner, 'diagnosticSettings', key, name, (c) => (c instanceof DiagnosticSetting ? c.resource.nameInput : undefined));
  return new DiagnosticSetting(owner, `Diagnostics-${key}`, {
    ...options,
    name,
    targetResourceId: target.resourceId,
    targetResourceType: target.resourceType,
  });
}
