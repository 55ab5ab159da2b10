import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { Lazy } from '../../constructs/core';
import { PrivateDnsZone, PrivateEndpoint, privateDnsZoneName } from '../../constructs/networking';
import { SUBNET_ID, TAGS, VNET_ID, ZONE_ID } from '../helpers/fixtures';
import { Template, emptyStack } from '../helpers/template';

const base = {
  name: 'pe-unit',
  resourceGroupName: 'rg-unit',
  location: 'eastus',
  subnetId: SUBNET_ID,
  targetResourceId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/kv',
  targetResourceType: 'Microsoft.KeyVault/vaults' as const,
  privateDnsZoneResourceIds: [ZONE_ID],
  tags: TAGS,
};

/** A VNet and subnet in the same stack, whose ids are references until apply. */
function network(stack: ReturnType<typeof emptyStack>, name = 'vnet') {
  const vnet = new VirtualNetwork(stack, `Vnet-${name}`, {
    name,
    resourceGroupName: 'rg-net',
    location: 'eastus',
    addressSpace: ['10.0.0.0/16'],
  });
  const subnet = new Subnet(stack, `Subnet-${name}`, {
    name: 'snet-pe',
    resourceGroupName: 'rg-net',
    virtualNetworkName: vnet.name,
    addressPrefixes: ['10.0.1.0/24'],
  });
  return { vnet, subnet };
}

describe('PrivateEndpoint', () => {
  test('refuses a ledger and says why instead of emitting what Azure would reject', () => {
    const stack = emptyStack();
    expect(() => new PrivateEndpoint(stack, 'Pe', { ...base, targetResourceType: 'Microsoft.ConfidentialLedger/ledgers' })).toThrow(
      /^test\/Pe: targetResourceType "Microsoft.ConfidentialLedger\/ledgers" cannot have a private endpoint: Azure confidential ledger offers no private-link sub-resource/,
    );
  });

  test('registers in the zones passed in and creates no zone itself', () => {
    const stack = emptyStack();
    new PrivateEndpoint(stack, 'Pe', base);
    const t = Template.synth(stack);
    expect(t.count('azurerm_private_dns_zone')).toBe(0);
    expect(t.count('azurerm_private_dns_zone_virtual_network_link')).toBe(0);
    expect(t.only('azurerm_private_endpoint').private_dns_zone_group).toEqual({ name: 'default', private_dns_zone_ids: [ZONE_ID] });
  });

  test('leaves the zone group to policy when told, ignoring later changes to it', () => {
    const stack = emptyStack();
    new PrivateEndpoint(stack, 'Pe', { ...base, privateDnsZoneResourceIds: undefined, manageDnsZoneGroup: false });
    const endpoint = Template.synth(stack).only('azurerm_private_endpoint');
    expect(endpoint).not.toHaveProperty('private_dns_zone_group');
    expect(endpoint.lifecycle).toEqual({ ignore_changes: ['private_dns_zone_group'] });
  });

  test('fails when it manages the zone group but has no zone', () => {
    expect(() => new PrivateEndpoint(emptyStack(), 'Pe', { ...base, privateDnsZoneResourceIds: [] })).toThrow(
      'test/Pe: privateDnsZoneResourceIds [] is empty; pass the private DNS zones the endpoint registers in, or set manageDnsZoneGroup to false',
    );
  });

  test('fails for a sub-resource the target does not offer', () => {
    expect(() => new PrivateEndpoint(emptyStack(), 'Pe', { ...base, subresourceName: 'blob' })).toThrow(
      'test/Pe: subresourceName "blob" is not offered by Microsoft.KeyVault/vaults; allowed: vault',
    );
  });

  test('takes a subnet, a target and a zone that are references to resources in the same stack', () => {
    const stack = emptyStack();
    const { vnet, subnet } = network(stack);
    const zone = new PrivateDnsZone(stack, 'Zone', {
      name: privateDnsZoneName('Microsoft.KeyVault/vaults')!,
      resourceGroupName: 'rg-dns',
      virtualNetworkLinks: { hub: { virtualNetworkId: vnet.id } },
    });
    const subresourceName = Lazy.stringValue({ produce: () => '${var.subresource}' });
    new PrivateEndpoint(stack, 'Pe', {
      ...base,
      subnetId: subnet.id,
      subresourceName,
      privateDnsZoneResourceIds: [zone.resourceId],
      tags: undefined,
    });
    const t = Template.synth(stack);
    expect(t.only('azurerm_private_endpoint')).toMatchObject({
      subnet_id: expect.stringMatching(/^\$\{azurerm_subnet\.[\w-]+\.id\}$/),
      private_service_connection: { subresource_names: ['${var.subresource}'] },
      private_dns_zone_group: { private_dns_zone_ids: [expect.stringMatching(/^\$\{azurerm_private_dns_zone\.Zone_[\w]+\.id\}$/)] },
    });
    expect(t.only('azurerm_private_dns_zone_virtual_network_link').virtual_network_id).toMatch(
      /^\$\{azurerm_virtual_network\.[\w-]+\.id\}$/,
    );
  });
});

describe('PrivateDnsZone', () => {
  test('links the zone to every VNet given, by key, with registration off', () => {
    const stack = emptyStack();
    new PrivateDnsZone(stack, 'Zone', {
      name: 'privatelink.vaultcore.azure.net',
      resourceGroupName: 'rg-dns',
      virtualNetworkLinks: { a: { virtualNetworkId: VNET_ID }, b: { virtualNetworkId: VNET_ID.replace('vnet-a', 'vnet-b') } },
      tags: TAGS,
    });
    const links = Object.values(Template.synth(stack).resources('azurerm_private_dns_zone_virtual_network_link'));
    expect(links.map((l) => [l.name, l.registration_enabled])).toEqual([
      ['link-a', false],
      ['link-b', false],
    ]);
  });

  test('links VNets that are references without deriving ids from them', () => {
    const stack = emptyStack();
    const zone = new PrivateDnsZone(stack, 'Zone', { name: 'privatelink.vaultcore.azure.net', resourceGroupName: 'rg-dns' });
    zone.addVirtualNetworkLink('one', { virtualNetworkId: network(stack, 'one').vnet.id });
    zone.addVirtualNetworkLink('two', { virtualNetworkId: network(stack, 'two').vnet.id });
    expect(Template.synth(stack).count('azurerm_private_dns_zone_virtual_network_link')).toBe(2);
  });

  test('fails for two links with the same name', () => {
    const zone = new PrivateDnsZone(emptyStack(), 'Zone', { name: 'privatelink.vaultcore.azure.net', resourceGroupName: 'rg-dns' });
    zone.addVirtualNetworkLink('one', { virtualNetworkId: VNET_ID, name: 'hub' });
    expect(() => zone.addVirtualNetworkLink('two', { virtualNetworkId: VNET_ID, name: 'hub' })).toThrow(
      'test/Zone: virtualNetworkLinks.two.name "hub" is already used on this resource; give each a name of its own',
    );
  });

  test('fails at synth when linked to no VNet', () => {
    const stack = emptyStack();
    new PrivateDnsZone(stack, 'Zone', { name: 'privatelink.vaultcore.azure.net', resourceGroupName: 'rg-dns' });
    expect(() => Template.synth(stack)).toThrow('test/Zone: virtualNetworkLinks is empty');
  });
});
