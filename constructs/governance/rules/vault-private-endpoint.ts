import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { POLICY_MANAGED_ATTRIBUTE } from '../../networking/private-endpoint';
import { COMPLIANT, NOT_APPLICABLE, isLocked, nonCompliant, resolved, resourcesOfType, sameResource, type GuardrailRule } from './rule';

export const vaultPrivateEndpoint: GuardrailRule = {
  id: 'ACL-KV4',
  info: 'The Key Vault has a private endpoint with a private DNS zone group.',
  explanation: 'With public access off, a private endpoint is how the pipeline agents reach the vault.',
  scannerEquivalent: 'checkov CKV2_AZURE_32',
  evaluate(node) {
    if (!(node instanceof KeyVault)) return NOT_APPLICABLE;
    const endpoint = resourcesOfType(node, PrivateEndpoint).find((pe) =>
      sameResource(node, pe.privateServiceConnection.privateConnectionResourceIdInput, node.id),
    );
    if (!endpoint) return nonCompliant('no private endpoint connects to the vault');
    const zones = resolved(node, endpoint.privateDnsZoneGroup.privateDnsZoneIdsInput);
    if (Array.isArray(zones) && zones.length > 0) return COMPLIANT;
    // left to the landing zone's deployIfNotExists policy, which adds the zone group after create.
    if (endpoint.lifecycle?.ignoreChanges?.includes(POLICY_MANAGED_ATTRIBUTE)) return COMPLIANT;
    return nonCompliant('the private endpoint has no private DNS zone group and does not leave it to policy');
  },
};

export const vaultLock: GuardrailRule = {
  id: 'ACL-KV5',
  info: 'The Key Vault has a management lock.',
  explanation: 'Deleting the vault would strand the automation that writes to the ledger.',
  evaluate(node) {
    if (!(node instanceof KeyVault)) return NOT_APPLICABLE;
    return isLocked(node, node.id) ? COMPLIANT : nonCompliant('no management lock has the vault as its scope');
  },
};
