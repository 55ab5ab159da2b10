import { MonitorActionGroup } from '@cdktf/provider-azurerm/lib/monitor-action-group';
import { MonitorActivityLogAlert } from '@cdktf/provider-azurerm/lib/monitor-activity-log-alert';
import { MonitorScheduledQueryRulesAlertV2 } from '@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2';
import { Construct, InvalidPropError, isLiteral } from '../core';
import { checkTags, type Tags } from '../governance/tags';

/*
 * Alerts on a confidential ledger and its Key Vault.
 *
 * What the logs hold (checked 2026-11-30): the ledger publishes no platform metrics and sends
 * `transactionlogs` to the resource-specific table ACLTransactionLogs. Its columns are TimeGenerated,
 * Level, Message, File, Location, _ResourceId, _SubscriptionId, TenantId, SourceSystem, Type
 * (azure-monitor-docs articles/azure-monitor/reference/tables/acltransactionlogs.md and its include;
 * https://learn.microsoft.com/azure/azure-monitor/reference/tables/acltransactionlogs). There is no
 * status-code, operation or duration column: the HTTP outcome is only inside Message. Azure's own
 * sample query ("Latest transactions",
 * https://learn.microsoft.com/azure/azure-monitor/reference/queries/acltransactionlogs) selects
 * request records with `Message has "END"`; the queries below read the status code as the first
 * three-digit number from 100 to 599 on those records. The exact Message layout is not documented:
 * check it against the real table before relying on the thresholds (docs/alerts.md).
 */

/** Durations a log-search alert accepts (azurerm 4.81 monitor_scheduled_query_rules_alert_v2_resource.go). */
export const EVALUATION_FREQUENCIES = [
  'PT1M',
  'PT5M',
  'PT10M',
  'PT15M',
  'PT30M',
  'PT45M',
  'PT1H',
  'PT2H',
  'PT3H',
  'PT4H',
  'PT5H',
  'PT6H',
  'P1D',
] as const;
export const WINDOW_DURATIONS = [...EVALUATION_FREQUENCIES, 'P2D'] as const;
export type EvaluationFrequency = (typeof EVALUATION_FREQUENCIES)[number];
export type WindowDuration = (typeof WINDOW_DURATIONS)[number];
/** Azure Monitor severities: 0 critical … 4 verbose. */
export const ALERT_SEVERITIES = [0, 1, 2, 3, 4] as const;

/** The log-search rules this construct knows, by key. */
export const LOG_ALERT_KINDS = ['authorizationFailures', 'throttling', 'serverErrors', 'noSuccessfulWrites'] as const;
export type LogAlertKind = (typeof LOG_ALERT_KINDS)[number];

export interface LogAlertSettings {
  /** what the rule compares with: a count, or for serverErrors a percentage of requests. */
  readonly threshold: number;
  readonly windowDuration: WindowDuration;
  readonly evaluationFrequency: EvaluationFrequency;
  readonly severity: number;
}

/** Management-plane operations watched on the ledger and the vault (Azure activity log). */
export const RESOURCE_CHANGE_OPERATIONS = {
  ledger: ['Microsoft.ConfidentialLedger/ledgers/write', 'Microsoft.ConfidentialLedger/ledgers/delete'],
  vault: ['Microsoft.KeyVault/vaults/write', 'Microsoft.KeyVault/vaults/delete'],
  lock: ['Microsoft.Authorization/locks/delete'],
} as const;

export type ActionGroupSettings =
  | {
      readonly mode: 'create';
      readonly name: string;
      /** up to 12 characters: shown in e-mails and SMS. */
      readonly shortName: string;
      readonly emails: readonly { readonly name: string; readonly address: string }[];
      readonly webhooks: readonly { readonly name: string; readonly uri: string }[];
    }
  | { readonly mode: 'existing'; readonly actionGroupId: string };

export interface LedgerAlertsProps {
  readonly resourceGroupName: string;
  /** the region of the log-search rules. */
  readonly location: string;
  /** `/subscriptions/<id>/resourceGroups/<name>`: where lock deletions are watched. */
  readonly resourceGroupId: string;
  readonly workspaceResourceId: string;
  readonly ledgerName: string;
  readonly ledgerResourceId: string;
  readonly vaultResourceId: string;
  /** @default - alerts fire in Azure Monitor but notify nobody */
  readonly actionGroup?: ActionGroupSettings;
  /** the log-search rules to create; a kind left out is not created. */
  readonly logAlerts: Partial<Record<LogAlertKind, LogAlertSettings>>;
  /** activity-log alerts on writes, deletes and lock deletions. */
  readonly resourceChanges: boolean;
  /** @default - none */
  readonly tags?: Tags;
}

const STATUS = '| extend StatusCode = toint(extract(@"\\b([1-5][0-9][0-9])\\b", 1, Message))';

/** One query per kind; every column used is listed in the ACLTransactionLogs reference above. */
function logQuery(
  kind: LogAlertKind,
  ledgerResourceId: string,
): { query: string; aggregation: string; measure?: string; operator: string } {
  const requests = ['ACLTransactionLogs', `| where _ResourceId =~ "${ledgerResourceId}"`, '| where Message has "END"', STATUS];
  switch (kind) {
    case 'authorizationFailures':
      return { query: [...requests, '| where StatusCode in (401, 403)'].join('\n'), aggregation: 'Count', operator: 'GreaterThan' };
    case 'throttling':
      return { query: [...requests, '| where StatusCode == 429'].join('\n'), aggregation: 'Count', operator: 'GreaterThan' };
    case 'serverErrors':
      return {
        query: [
          ...requests,
          '| where isnotnull(StatusCode)',
          '| summarize Requests = count(), ServerErrors = countif(StatusCode >= 500)',
          '| extend ServerErrorPercent = iff(Requests == 0, 0.0, 100.0 * ServerErrors / Requests)',
        ].join('\n'),
        aggregation: 'Maximum',
        measure: 'ServerErrorPercent',
        operator: 'GreaterThan',
      };
    case 'noSuccessfulWrites':
      // fires when fewer successful appends than the threshold (default 1, i.e. none) were logged.
      return {
        query: [
          ...requests,
          '| where Message has "POST" and Message has "/app/transactions"',
          '| where StatusCode between (200 .. 299)',
        ].join('\n'),
        aggregation: 'Count',
        operator: 'LessThan',
      };
  }
}

const DESCRIPTIONS: Record<LogAlertKind, string> = {
  authorizationFailures: 'Requests refused with 401 or 403 (unknown identity or missing ledger role)',
  throttling: 'Requests throttled with 429',
  serverErrors: 'Share of requests answered with 5xx, in percent',
  noSuccessfulWrites: 'No successful write (POST /app/transactions with 2xx) in the window',
};

const NAME_SUFFIX: Record<LogAlertKind, string> = {
  authorizationFailures: 'auth-failures',
  throttling: 'throttling',
  serverErrors: 'server-errors',
  noSuccessfulWrites: 'no-writes',
};

/**
 * The ledger's alerting, as the service's guidance asks: authorization failures, throttling, error
 * rate and (optionally) missing traffic from its logs, and every write, delete or lock deletion of
 * the ledger and its vault from the activity log, routed to one action group.
 * @see https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-create-log-alert-rule
 */
export class LedgerAlerts extends Construct {
  /** the action group every rule notifies, when there is one. */
  readonly actionGroupId?: string;
  /** names of every alert rule created, log-search and activity-log. */
  readonly ruleNames: string[] = [];
  readonly logAlerts: Partial<Record<LogAlertKind, MonitorScheduledQueryRulesAlertV2>> = {};
  readonly activityLogAlerts: MonitorActivityLogAlert[] = [];

  constructor(scope: Construct, id: string, props: LedgerAlertsProps) {
    super(scope, id);
    const tags = checkTags(this, props.tags);
    this.actionGroupId = this.actionGroup(props, tags);
    const actionGroups = this.actionGroupId ? [this.actionGroupId] : [];

    for (const kind of LOG_ALERT_KINDS) {
      const settings = props.logAlerts[kind];
      if (!settings) continue;
      checkSettings(this, kind, settings);
      const { query, aggregation, measure, operator } = logQuery(kind, props.ledgerResourceId);
      const name = `alert-${props.ledgerName}-${NAME_SUFFIX[kind]}`;
      this.logAlerts[kind] = new MonitorScheduledQueryRulesAlertV2(this, `Log-${kind}`, {
        name,
        resourceGroupName: props.resourceGroupName,
        location: props.location,
        description: `${DESCRIPTIONS[kind]} on ledger ${props.ledgerName}`,
        scopes: [props.workspaceResourceId],
        severity: settings.severity,
        windowDuration: settings.windowDuration,
        evaluationFrequency: settings.evaluationFrequency,
        criteria: [{ query, timeAggregationMethod: aggregation, metricMeasureColumn: measure, operator, threshold: settings.threshold }],
        action: actionGroups.length ? { actionGroups } : undefined,
        tags,
      });
      this.ruleNames.push(name);
    }

    if (props.resourceChanges) {
      const on = (target: string, operations: readonly string[], scope: string, resourceId?: string) =>
        operations.map((operationName) => ({ target, operationName, scope, resourceId }));
      const watched = [
        ...on('ledger', RESOURCE_CHANGE_OPERATIONS.ledger, props.ledgerResourceId, props.ledgerResourceId),
        ...on('vault', RESOURCE_CHANGE_OPERATIONS.vault, props.vaultResourceId, props.vaultResourceId),
        // a lock is its own resource under the one it protects: watch the whole resource group.
        ...on('lock', RESOURCE_CHANGE_OPERATIONS.lock, props.resourceGroupId),
      ];
      for (const { target, operationName, scope, resourceId } of watched) {
        const verb = operationName.split('/').pop()!;
        const name = `alert-${props.ledgerName}-${target}-${verb}`;
        this.activityLogAlerts.push(
          new MonitorActivityLogAlert(this, `Activity-${target}-${verb}`, {
            name,
            resourceGroupName: props.resourceGroupName,
            // activity-log alerts live in 'global' (azurerm 4.81 accepts global, westeurope, northeurope).
            location: 'global',
            description: `${operationName} on ${target === 'lock' ? 'a management lock in the resource group' : `the ${target}`} of ledger ${props.ledgerName}`,
            scopes: [scope],
            criteria: { category: 'Administrative', operationName, resourceId },
            action: actionGroups.map((actionGroupId) => ({ actionGroupId })),
            tags,
          }),
        );
        this.ruleNames.push(name);
      }
    }
  }

  private actionGroup(props: LedgerAlertsProps, tags: Record<string, string> | undefined): string | undefined {
    const group = props.actionGroup;
    if (!group) return undefined;
    if (group.mode === 'existing') return group.actionGroupId;
    if (isLiteral(group.shortName) && !/^.{1,12}$/u.test(group.shortName)) {
      throw new InvalidPropError(
        this,
        'actionGroup.shortName',
        group.shortName,
        'must be 1–12 characters (Azure shows it in e-mails and SMS)',
      );
    }
    if (group.emails.length + group.webhooks.length === 0) {
      throw new InvalidPropError(
        this,
        'actionGroup',
        group.name,
        'has no e-mail or webhook receiver; add one, or use an existing action group',
      );
    }
    const names = [...group.emails, ...group.webhooks].map((r) => r.name);
    if (new Set(names).size !== names.length) throw new InvalidPropError(this, 'actionGroup receivers', names, 'must have distinct names');
    for (const webhook of group.webhooks) {
      if (isLiteral(webhook.uri) && !/^https:\/\//.test(webhook.uri)) {
        throw new InvalidPropError(this, `actionGroup.webhooks[${webhook.name}].uri`, webhook.uri, 'must be an https:// URL');
      }
    }
    return new MonitorActionGroup(this, 'ActionGroup', {
      name: group.name,
      resourceGroupName: props.resourceGroupName,
      shortName: group.shortName,
      emailReceiver: group.emails.map((e) => ({ name: e.name, emailAddress: e.address, useCommonAlertSchema: true })),
      webhookReceiver: group.webhooks.map((w) => ({ name: w.name, serviceUri: w.uri, useCommonAlertSchema: true })),
      tags,
    }).id;
  }
}

function checkSettings(scope: Construct, kind: LogAlertKind, settings: LogAlertSettings): void {
  const { threshold, severity, windowDuration, evaluationFrequency } = settings;
  if (isLiteral(threshold) && (!Number.isFinite(threshold) || threshold < 0)) {
    throw new InvalidPropError(scope, `${kind}.threshold`, threshold, 'must be a number ≥ 0');
  }
  if (isLiteral(threshold) && kind === 'serverErrors' && threshold > 100) {
    throw new InvalidPropError(scope, `${kind}.threshold`, threshold, 'is a percentage of requests; it must be at most 100');
  }
  if (isLiteral(severity) && !(ALERT_SEVERITIES as readonly number[]).includes(severity)) {
    throw new InvalidPropError(scope, `${kind}.severity`, severity, 'must be 0 (critical) to 4 (verbose)');
  }
  const literalTimes = isLiteral(windowDuration) && isLiteral(evaluationFrequency);
  if (literalTimes && WINDOW_DURATIONS.indexOf(windowDuration) < EVALUATION_FREQUENCIES.indexOf(evaluationFrequency)) {
    // evaluating more rarely than the window leaves minutes no evaluation looks at.
    throw new InvalidPropError(
      scope,
      `${kind}.windowDuration`,
      settings.windowDuration,
      `is shorter than evaluationFrequency ${settings.evaluationFrequency}; records in between would never be evaluated`,
    );
  }
}
