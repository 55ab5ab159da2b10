import { PrivateDnsZone } from '@cdktf/provider-azurerm/lib/private-dns-zone';
import { PrivateDnsZoneVirtualNetworkLink } from '@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link';
import { PrivateEndpoint as PrivateEndpointResource } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { Construct, InvalidPropError } from '../core';
import { renderTags, type TagSet } from '../governance/tags';

interface PrivateLinkFacts {
  /** sub-resources (group ids) the resource type offers over private link. */
  readonly subresources: readonly string[];
  /** the private DNS zone its endpoints register in. */
  readonly dnsZone?: string;
  /** why the resource type has no private endpoint, shown to whoever asks for one. */
  readonly unsupportedReason?: string;
}

/**
 * Private-link facts per resource type (checked 2026-11-28 against the ARM type definitions and
 * "Azure Private Endpoint private DNS zone values").
 */
export const PRIVATE_LINK = {
  'Microsoft.KeyVault/vaults': { subresources: ['vault'], dnsZone: 'privatelink.vaultcore.azure.net' },
  'Microsoft.ConfidentialLedger/ledgers': {
    subresources: [],
    unsupportedReason:
      'Azure confidential ledger offers no private-link sub-resource (none in any ARM API version up to ' +
      '2026-05-22-preview), so Azure would reject the endpoint; the ledger is protected by its ledger roles ' +
      'and by clients pinning its identity certificate instead',
  },
} as const satisfies Record<string, PrivateLinkFacts>;
export type PrivateLinkResourceType = keyof typeof PRIVATE_LINK;

/** The private DNS zone of a private endpoint: one this construct creates, or one that exists. */
export type PrivateDnsZoneChoice =
  | {
      /** create the zone in the endpoint's resource group and link it to these virtual networks. */
      readonly mode: 'create';
      readonly virtualNetworkIds: readonly string[];
    }
  | {
      /** use a zone the landing zone already runs (commonly in a hub subscription). */
      readonly mode: 'existing';
      readonly zoneId: string;
    }
  | {
      /**
       * leave the zone group to the landing zone's Azure Policy (deployIfNotExists), as Azure Landing
       * Zones do: no zone group here, and later changes to it ignored, so plans do not fight the policy.
       */
      readonly mode: 'policy';
    };

/** The endpoint attribute a `policy`-mode endpoint leaves to Azure Policy. */
export const POLICY_MANAGED_ATTRIBUTE = 'private_dns_zone_group';

export interface PrivateEndpointProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** subnet the endpoint's network interface is placed in. */
  readonly subnetId: string;
  readonly targetResourceId: string;
  readonly targetResourceType: PrivateLinkResourceType;
  /**
   * Sub-resource to connect.
   * @default - the resource type's only sub-resource
   */
  readonly subresourceName?: string;
  readonly privateDnsZone: PrivateDnsZoneChoice;
  readonly tags: TagSet;
}

/**
 * A private endpoint with its DNS zone group, and optionally its private DNS zone and VNet links.
 * Only `create` makes a `privatelink.*` zone; landing zones keep those in the hub.
 * `policy` follows the Azure Verified Modules private-endpoint interface
 * (`private_endpoints_manage_dns_zone_group = false`: the endpoint without `private_dns_zone_group`
 * and `lifecycle { ignore_changes = [private_dns_zone_group] }`).
 * @see https://learn.microsoft.com/azure/private-link/private-endpoint-dns
 * @see https://azure.github.io/Azure-Verified-Modules/specs/shared/interfaces/#private-endpoints
 */
export class PrivateEndpoint extends Construct {
  readonly resourceId: string;
  readonly subresourceName: string;
  readonly resource: PrivateEndpointResource;

  constructor(scope: Construct, id: string, props: PrivateEndpointProps) {
    super(scope, id);
    const facts: PrivateLinkFacts = PRIVATE_LINK[props.targetResourceType];
    if (facts.unsupportedReason) {
      throw new InvalidPropError(
        this,
        'targetResourceType',
        props.targetResourceType,
        `cannot have a private endpoint: ${facts.unsupportedReason}`,
      );
    }
    this.subresourceName = props.subresourceName ?? facts.subresources[0];
    if (!facts.subresources.includes(this.subresourceName)) {
      throw new InvalidPropError(
        this,
        'subresourceName',
        this.subresourceName,
        `is not offered by ${props.targetResourceType}; allowed: ${facts.subresources.join(', ')}`,
      );
    }
    const tags = renderTags(this, props.tags);

    let zoneId: string | undefined;
    if (props.privateDnsZone.mode === 'create') {
      const links = props.privateDnsZone.virtualNetworkIds;
      if (links.length === 0) {
        throw new InvalidPropError(
          this,
          'privateDnsZone.virtualNetworkIds',
          [],
          'is empty; link the zone to at least one virtual network or name clients could not resolve the endpoint',
        );
      }
      const zone = new PrivateDnsZone(this, 'DnsZone', {
        name: facts.dnsZone!,
        resourceGroupName: props.resourceGroupName,
        tags,
      });
      links.forEach((virtualNetworkId) => {
        const vnetName = virtualNetworkId.split('/').pop()!;
        new PrivateDnsZoneVirtualNetworkLink(this, `VnetLink-${vnetName}`, {
          name: `link-${vnetName}`,
          resourceGroupName: props.resourceGroupName,
          privateDnsZoneName: zone.name,
          virtualNetworkId,
          registrationEnabled: false,
          tags,
        });
      });
      zoneId = zone.id;
    } else if (props.privateDnsZone.mode === 'existing') {
      zoneId = props.privateDnsZone.zoneId;
    }

    this.resource = new PrivateEndpointResource(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      subnetId: props.subnetId,
      privateServiceConnection: {
        name: `${props.name}-connection`,
        privateConnectionResourceId: props.targetResourceId,
        subresourceNames: [this.subresourceName],
        isManualConnection: false,
      },
      ...(zoneId
        ? { privateDnsZoneGroup: { name: 'default', privateDnsZoneIds: [zoneId] } }
        : { lifecycle: { ignoreChanges: [POLICY_MANAGED_ATTRIBUTE] } }),
      tags,
    });
    this.resourceId = this.resource.id;
  }
}
