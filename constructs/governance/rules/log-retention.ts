import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, resolved, type GuardrailRule } from './rule';

export const MIN_AUDIT_RETENTION_DAYS = 90;

export const logRetention: GuardrailRule = {
  id: 'ACL-LA1',
  info: `A Log Analytics workspace created here keeps logs for ${MIN_AUDIT_RETENTION_DAYS} days or more.`,
  explanation: 'Ledger and vault audit logs are evidence; a common control keeps them at least 90 days.',
  scannerEquivalent: 'Azure Security Benchmark LT-6',
  evaluate(node) {
    if (!(node instanceof LogAnalyticsWorkspace)) return NOT_APPLICABLE;
    const days = resolved(node, node.retentionInDaysInput);
    return typeof days === 'number' && days >= MIN_AUDIT_RETENTION_DAYS
      ? COMPLIANT
      : nonCompliant(`retention_in_days is ${JSON.stringify(days)}`);
  },
};
