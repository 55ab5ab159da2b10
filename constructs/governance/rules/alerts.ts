import { ConfidentialLedger } from '@cdktf/provider-azurerm/lib/confidential-ledger';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { MonitorActivityLogAlert } from '@cdktf/provider-azurerm/lib/monitor-activity-log-alert';
import { MonitorScheduledQueryRulesAlertV2 } from '@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2';
import type { IConstruct } from '../../core';
import { RESOURCE_CHANGE_OPERATIONS } from '../../monitoring/alerts';
import {
  COMPLIANT,
  NOT_APPLICABLE,
  nonCompliant,
  resolved,
  resourcesOfType,
  sameResource,
  type GuardrailRule,
  type RuleResult,
} from './rule';

/** True when an alert is enabled and notifies at least one action group. */
function live(node: IConstruct, enabled: unknown, actions: unknown): boolean {
  return resolved(node, enabled) !== false && Array.isArray(actions) && actions.length > 0;
}

/** Operations in `wanted` that no live activity-log alert watches on `resourceId` (any resource when undefined). */
function unwatched(node: IConstruct, wanted: readonly string[], resourceId?: string): string[] {
  const watched = resourcesOfType(node, MonitorActivityLogAlert)
    .filter((alert) => live(node, alert.enabledInput, resolved(node, alert.actionInput)))
    .map((alert) => resolved(node, alert.criteriaInput) as { operationName?: string; resourceId?: string })
    .filter((c) => resourceId === undefined || sameResource(node, c.resourceId, resourceId))
    .map((c) => c.operationName);
  return wanted.filter((operation) => !watched.includes(operation));
}

function ledgerAlerts(node: ConfidentialLedger): RuleResult {
  const missing = [...unwatched(node, RESOURCE_CHANGE_OPERATIONS.ledger, node.id), ...unwatched(node, RESOURCE_CHANGE_OPERATIONS.lock)];
  const ledgerId = JSON.stringify(resolved(node, node.id)).slice(1, -1);
  const authorization = resourcesOfType(node, MonitorScheduledQueryRulesAlertV2).some((alert) => {
    const criteria = resolved(node, alert.criteriaInput) as { query?: string }[] | undefined;
    const action = resolved(node, alert.actionInput) as { actionGroups?: unknown[] } | undefined;
    return (
      live(node, alert.enabledInput, action?.actionGroups) &&
      (criteria ?? []).some((c) => c.query?.includes('ACLTransactionLogs') && c.query.includes(ledgerId) && c.query.includes('401'))
    );
  });
  if (!authorization) missing.unshift('authorization failures (401/403) in ACLTransactionLogs');
  return missing.length ? nonCompliant(`no enabled alert with an action group watches ${missing.join(', ')}`) : COMPLIANT;
}

function vaultAlerts(node: KeyVault): RuleResult {
  const missing = unwatched(node, RESOURCE_CHANGE_OPERATIONS.vault, node.id);
  return missing.length ? nonCompliant(`no enabled alert with an action group watches ${missing.join(', ')}`) : COMPLIANT;
}

export const alerting: GuardrailRule = {
  id: 'ACL-M1',
  info: 'Authorization failures on the ledger and every write, delete or lock deletion of the ledger and its vault raise an alert that notifies an action group.',
  explanation: 'A ledger nobody watches can be probed, reconfigured or deleted without anyone noticing until it is too late.',
  evaluate: (node) =>
    node instanceof ConfidentialLedger ? ledgerAlerts(node) : node instanceof KeyVault ? vaultAlerts(node) : NOT_APPLICABLE,
};
