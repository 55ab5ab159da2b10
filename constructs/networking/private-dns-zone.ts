import { PrivateDnsZone as PrivateDnsZoneResource } from '@cdktf/provider-azurerm/lib/private-dns-zone';
import { PrivateDnsZoneVirtualNetworkLink } from '@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link';
import { Construct, InvalidPropError, requireUniqueName } from '../core';
import { checkTags, type Tags } from '../governance/tags';

/** A virtual network a private DNS zone answers in (AVM `virtual_network_links` entry). */
export interface VirtualNetworkLinkProps {
  /** a virtual network resource id, or a reference to one. */
  readonly virtualNetworkId: string;
  /**
   * Name of the link in the zone; unique among the zone's links.
   * @default 'link-<key>'
   */
  readonly name?: string;
}

export interface PrivateDnsZoneProps {
  /** the zone, e.g. `privatelink.vaultcore.azure.net` ({@link privateDnsZoneName}). */
  readonly name: string;
  readonly resourceGroupName: string;
  /**
   * Virtual networks whose clients resolve the zone, keyed by a stable name; more with
   * {@link PrivateDnsZone.addVirtualNetworkLink}. At least one is needed by synth time.
   * @default - none
   */
  readonly virtualNetworkLinks?: Readonly<Record<string, VirtualNetworkLinkProps>>;
  /** @default - none */
  readonly tags?: Tags;
}

/**
 * A private DNS zone with its virtual network links, for stacks that do not receive the zone from
 * the landing zone (which usually keeps `privatelink.*` zones in a hub). Pass its `resourceId` to
 * {@link PrivateEndpoint}'s `privateDnsZoneResourceIds`.
 * @see https://learn.microsoft.com/azure/private-link/private-endpoint-dns
 */
export class PrivateDnsZone extends Construct {
  readonly name: string;
  readonly resource: PrivateDnsZoneResource;
  private readonly props: PrivateDnsZoneProps;
  private readonly tags?: Record<string, string>;

  constructor(scope: Construct, id: string, props: PrivateDnsZoneProps) {
    super(scope, id);
    this.props = props;
    this.tags = checkTags(this, props.tags);
    this.resource = new PrivateDnsZoneResource(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      tags: this.tags,
    });
    this.name = props.name;
    Object.entries(props.virtualNetworkLinks ?? {}).forEach(([key, link]) => this.addVirtualNetworkLink(key, link));
    this.node.addValidation({
      validate: () =>
        this.links().length
          ? []
          : [
              `${this.node.path}: virtualNetworkLinks is empty; link the zone to at least one virtual network or no client could resolve it`,
            ],
    });
  }

  // a getter, so that the resource's logical id may still be overridden after construction.
  get resourceId(): string {
    return this.resource.id;
  }

  /** Lets clients in a virtual network resolve the zone (registration off: endpoints register through their zone group). */
  addVirtualNetworkLink(key: string, link: VirtualNetworkLinkProps): PrivateDnsZoneVirtualNetworkLink {
    const name = link.name ?? `link-${key}`;
    requireUniqueName(this, 'virtualNetworkLinks', key, name, (c) =>
      c instanceof PrivateDnsZoneVirtualNetworkLink ? c.nameInput : undefined,
    );
    if (this.node.tryFindChild(`VnetLink-${key}`)) {
      throw new InvalidPropError(this, 'virtualNetworkLinks', key, 'is used twice; give each link a key of its own');
    }
    return new PrivateDnsZoneVirtualNetworkLink(this, `VnetLink-${key}`, {
      name,
      resourceGroupName: this.props.resourceGroupName,
      privateDnsZoneName: this.resource.name,
      virtualNetworkId: link.virtualNetworkId,
      registrationEnabled: false,
      tags: this.tags,
    });
  }

  private links(): PrivateDnsZoneVirtualNetworkLink[] {
    return this.node.children.filter((c): c is PrivateDnsZoneVirtualNetworkLink => c instanceof PrivateDnsZoneVirtualNetworkLink);
  }
}
