import { ConfidentialLedger } from '@cdktf/provider-azurerm/lib/confidential-ledger';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
import type { IConstruct } from '../../core';
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

/** Compliant when some diagnostic setting on `target` sends every category in `required`. */
function sendsLogs(node: IConstruct, target: string, required: readonly string[]): RuleResult {
  const sent = new Set<string>();
  for (const setting of resourcesOfType(node, MonitorDiagnosticSetting)) {
    if (!sameResource(node, setting.targetResourceIdInput, target)) continue;
    const logs = resolved(node, setting.enabledLog.internalValue) as { category?: string }[] | undefined;
    (logs ?? []).forEach((log) => log.category && sent.add(log.category));
  }
  const missing = required.filter((c) => !sent.has(c));
  return missing.length === 0 ? COMPLIANT : nonCompliant(`no diagnostic setting sends ${missing.join(', ')}`);
}

export const ledgerDiagnostics: GuardrailRule = {
  id: 'ACL-L4',
  info: 'The ledger sends transactionlogs and userdefinedlogs to Log Analytics.',
  explanation: 'Without them there is no record of who read or wrote the ledger.',
  evaluate: (node) =>
    node instanceof ConfidentialLedger ? sendsLogs(node, node.id, ['transactionlogs', 'userdefinedlogs']) : NOT_APPLICABLE,
};

/**
 * Metadata on a resource whose diagnostic settings the landing zone's Azure Policy deploys; a
 * second setting sending the same category to the same workspace would be refused by Azure.
 */
export const DIAGNOSTICS_BY_POLICY = 'acl-stack:diagnostics-by-policy';

export const vaultDiagnostics: GuardrailRule = {
  id: 'ACL-KV3',
  info: 'The Key Vault sends AuditEvent to Log Analytics (or platform policy does).',
  explanation: 'Audit events show every access to the secrets the ledger automation uses.',
  evaluate: (node) => {
    if (!(node instanceof KeyVault)) return NOT_APPLICABLE;
    if (node.node.metadata.some((m) => m.type === DIAGNOSTICS_BY_POLICY)) return COMPLIANT;
    return sendsLogs(node, node.id, ['AuditEvent']);
  },
};
