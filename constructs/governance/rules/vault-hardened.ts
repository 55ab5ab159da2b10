import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, resolved, type GuardrailRule } from './rule';

export const vaultHardened: GuardrailRule = {
  id: 'ACL-KV1',
  info: 'The Key Vault uses Azure RBAC, purge protection, soft delete of 7 days or more and a network ACL that denies by default.',
  explanation: 'These keep the automation credentials from being deleted, purged or reached from anywhere.',
  scannerEquivalent: 'checkov CKV_AZURE_42 (recoverable), CKV_AZURE_110 (purge protection), CKV_AZURE_109 (network ACL deny)',
  evaluate(node) {
    if (!(node instanceof KeyVault)) return NOT_APPLICABLE;
    const problems: string[] = [];
    if (resolved(node, node.rbacAuthorizationEnabledInput) !== true) problems.push('rbac_authorization_enabled is not true');
    if (resolved(node, node.purgeProtectionEnabledInput) !== true) problems.push('purge_protection_enabled is not true');
    const retention = resolved(node, node.softDeleteRetentionDaysInput);
    if (typeof retention !== 'number' || retention < 7) problems.push(`soft_delete_retention_days is ${JSON.stringify(retention)}`);
    if (resolved(node, node.networkAcls.defaultActionInput) !== 'Deny') problems.push('network_acls.default_action is not Deny');
    return problems.length ? nonCompliant(problems.join('; ')) : COMPLIANT;
  },
};

export const vaultPrivate: GuardrailRule = {
  id: 'ACL-KV2',
  info: 'The Key Vault has public network access disabled.',
  explanation: 'Outside dev, the vault is reached only through private endpoints.',
  scannerEquivalent: 'checkov CKV_AZURE_189',
  evaluate(node) {
    if (!(node instanceof KeyVault)) return NOT_APPLICABLE;
    return resolved(node, node.publicNetworkAccessEnabledInput) === false
      ? COMPLIANT
      : nonCompliant('public_network_access_enabled is not false');
  },
};
