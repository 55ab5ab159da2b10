import { PrivateEndpoint as PrivateEndpointResource } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { Construct, InvalidPropError, isLiteral } from '../core';
import { checkTags, type Tags } from '../governance/tags';

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

/** The private DNS zone a resource type's endpoints register in, e.g. `privatelink.vaultcore.azure.net`. */
export function privateDnsZoneName(resourceType: PrivateLinkResourceType): string | undefined {
  return (PRIVATE_LINK[resourceType] as PrivateLinkFacts).dnsZone;
}

/** The endpoint attribute a `policy`-mode endpoint leaves to Azure Policy. */
export const POLICY_MANAGED_ATTRIBUTE = 'private_dns_zone_group';

export interface PrivateEndpointProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** subnet the endpoint's network interface is placed in: a resource id or a reference. */
  readonly subnetId: string;
  readonly targetResourceId: string;
  readonly targetResourceType: PrivateLinkResourceType;
  /**
   * Sub-resource to connect.
   * @default - the resource type's only sub-resource
   */
  readonly subresourceName?: string;
  /**
   * Private DNS zones the endpoint registers in through its zone group: ids of zones the landing
   * zone runs, or the `resourceId` of a {@link PrivateDnsZone}. Required while
   * `manageDnsZoneGroup` is on.
   * @default - none
   */
  readonly privateDnsZoneResourceIds?: readonly string[];
  /**
   * Off leaves the zone group to the landing zone's Azure Policy (deployIfNotExists), as Azure
   * Landing Zones do: no zone group here, and later changes to it ignored, so plans do not fight
   * the policy (AVM `private_endpoints_manage_dns_zone_group = false`).
   * @default true
   */
  readonly manageDnsZoneGroup?: boolean;
  /** @default - none */
  readonly tags?: Tags;
}

/** A private endpoint as a construct's `privateEndpoints` entry or `addPrivateEndpoint` takes it. */
export type PrivateEndpointOptions = Pick<
  PrivateEndpointProps,
  'subnetId' | 'privateDnsZoneResourceIds' | 'manageDnsZoneGroup' | 'tags'
> & {
  /**
   * Name of the endpoint; unique among the resource's endpoints.
   * @default 'pe-<resource name>-<key>'
   */
  readonly name?: string;
};

/**
 * A private endpoint with its DNS zone group, or with the zone group left to Azure Policy
 * (`manageDnsZoneGroup: false`, following the Azure Verified Modules private-endpoint interface: the
 * endpoint without `private_dns_zone_group` and `lifecycle { ignore_changes = [private_dns_zone_group] }`).
 * The zones themselves are passed in, never created here: see {@link PrivateDnsZone}.
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
    if (isLiteral(this.subresourceName) && !facts.subresources.includes(this.subresourceName)) {
      throw new InvalidPropError(
        this,
        'subresourceName',
        this.subresourceName,
        `is not offered by ${props.targetResourceType}; allowed: ${facts.subresources.join(', ')}`,
      );
    }
    const zoneIds = props.privateDnsZoneResourceIds ?? [];
    const manage = props.manageDnsZoneGroup ?? true;
    if (manage && zoneIds.length === 0) {
      throw new InvalidPropError(
        this,
        'privateDnsZoneResourceIds',
        [],
        'is empty; pass the private DNS zones the endpoint registers in, or set manageDnsZoneGroup to false to leave the zone group to Azure Policy',
      );
    }
    if (!manage && zoneIds.length) {
      throw new InvalidPropError(this, 'privateDnsZoneResourceIds', zoneIds, 'is set although manageDnsZoneGroup is false; choose one');
    }
    const tags = checkTags(this, props.tags);

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
      ...(manage
        ? { privateDnsZoneGroup: { name: 'default', privateDnsZoneIds: [...zoneIds] } }
        : { lifecycle: { ignoreChanges: [POLICY_MANAGED_ATTRIBUTE] } }),
      tags,
    });
    this.resourceId = this.resource.id;
  }
}
