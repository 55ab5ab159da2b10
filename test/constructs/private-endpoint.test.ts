import { PrivateEndpoint } from '../../constructs/networking';
import { SUBNET_ID, TAGS, VNET_ID } from '../helpers/fixtures';
import { Template, emptyStack } from '../helpers/template';

const ZONE_ID =
  '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net';
const base = {
  name: 'pe-unit',
  resourceGroupName: 'rg-unit',
  location: 'eastus',
  subnetId: SUBNET_ID,
  targetResourceId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/kv',
  targetResourceType: 'Microsoft.KeyVault/vaults' as const,
  privateDnsZone: { mode: 'existing' as const, zoneId: ZONE_ID },
  tags: TAGS,
};

describe('PrivateEndpoint', () => {
  test('refuses a ledger and says why instead of emitting what Azure would reject', () => {
    const stack = emptyStack();
    expect(() => new PrivateEndpoint(stack, 'Pe', { ...base, targetResourceType: 'Microsoft.ConfidentialLedger/ledgers' })).toThrow(
      /^test\/Pe: targetResourceType "Microsoft.ConfidentialLedger\/ledgers" cannot have a private endpoint: Azure confidential ledger offers no private-link sub-resource/,
    );
  });

  test('uses an existing zone without creating one', () => {
    const stack = emptyStack();
    new PrivateEndpoint(stack, 'Pe', base);
    const t = Template.synth(stack);
    expect(t.count('azurerm_private_dns_zone')).toBe(0);
    expect(t.count('azurerm_private_dns_zone_virtual_network_link')).toBe(0);
    expect(t.only('azurerm_private_endpoint').private_dns_zone_group).toEqual({ name: 'default', private_dns_zone_ids: [ZONE_ID] });
  });

  test('links a created zone to every VNet given', () => {
    const stack = emptyStack();
    new PrivateEndpoint(stack, 'Pe', {
      ...base,
      privateDnsZone: { mode: 'create', virtualNetworkIds: [VNET_ID, VNET_ID.replace('vnet-a', 'vnet-b')] },
    });
    expect(Template.synth(stack).count('azurerm_private_dns_zone_virtual_network_link')).toBe(2);
  });

  test('fails for a created zone linked to no VNet', () => {
    expect(() => new PrivateEndpoint(emptyStack(), 'Pe', { ...base, privateDnsZone: { mode: 'create', virtualNetworkIds: [] } })).toThrow(
      'privateDnsZone.virtualNetworkIds [] is empty',
    );
  });

  test('fails for a sub-resource the target does not offer', () => {
    expect(() => new PrivateEndpoint(emptyStack(), 'Pe', { ...base, subresourceName: 'blob' })).toThrow(
      'test/Pe: subresourceName "blob" is not offered by Microsoft.KeyVault/vaults; allowed: vault',
    );
  });
});
