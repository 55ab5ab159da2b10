/**
 * Where Azure confidential ledger can be created, and where it replicates to: ONE table, from
 * which every region fact (the list, display names, pairs, geographies) is derived, so adding a
 * region is one entry here (test/vocabulary/regions.test.ts checks no other table exists).
 *
 * ACL runs only where confidential-computing hardware hosts it, so this list is dated evidence,
 * not truth. Sources (checked 2026-11-28): terraform-provider-azurerm acceptance tests and the
 * Azure SDK test pipelines created ledgers in eastus, westeurope, southcentralus and
 * southeastasia (2022–2026); azure-sdk-for-python PR 42992 (2025-09) names australiaeast the
 * service's frontier region; azure-sdk-for-java PR 33585 (2023-02) records westus as refused.
 * Before adding a region, check it live:
 * `az provider show -n Microsoft.ConfidentialLedger --query "resourceTypes[?resourceType=='ledgers'].locations"`.
 *
 * Pairs and geographies: "Azure cross-region replication pairings" (learn.microsoft.com, checked
 * 2026-11-28) and the ACL data-residency page ("If you create a ledger in West US, the service
 * automatically replicates data to East US"). Display names:
 * `az account list-locations --query "[].{name:name, displayName:displayName}"`.
 */
const ACL_REGION_TABLE = {
  australiaeast: { displayName: 'Australia East', geography: 'australia', pair: { name: 'australiasoutheast', geography: 'australia' } },
  eastus: { displayName: 'East US', geography: 'united-states', pair: { name: 'westus', geography: 'united-states' } },
  southcentralus: {
    displayName: 'South Central US',
    geography: 'united-states',
    pair: { name: 'northcentralus', geography: 'united-states' },
  },
  southeastasia: { displayName: 'Southeast Asia', geography: 'asia-pacific', pair: { name: 'eastasia', geography: 'asia-pacific' } },
  westeurope: { displayName: 'West Europe', geography: 'europe', pair: { name: 'northeurope', geography: 'europe' } },
} as const satisfies Readonly<Record<string, RegionFacts>>;

/** Azure geographies, the unit data-residency rules are written in. */
export const GEOGRAPHIES = ['asia-pacific', 'australia', 'europe', 'united-states'] as const;
export type Geography = (typeof GEOGRAPHIES)[number];

export interface RegionFacts {
  /** Azure's display name, which people copy from the portal; environment files may use either form. */
  readonly displayName: string;
  readonly geography: Geography;
  /** the Azure paired region; ACL always replicates there and this cannot be turned off. */
  readonly pair: { readonly name: string; readonly geography: Geography };
}

export type AclRegion = keyof typeof ACL_REGION_TABLE;
/** The ACL regions, sorted; a non-empty tuple, as closed-set schemas (`z.enum`) need. */
export const ACL_REGIONS = Object.keys(ACL_REGION_TABLE).sort() as [AclRegion, ...AclRegion[]];

/** Azure's display name of each ACL region. */
export const REGION_DISPLAY_NAMES = Object.fromEntries(ACL_REGIONS.map((r) => [r, ACL_REGION_TABLE[r].displayName])) as Readonly<
  Record<AclRegion, string>
>;

/** A region name or display name in ARM's form: `West Europe` → `westeurope`. */
export function normalizeRegion(region: string): string {
  return region.toLowerCase().replace(/\s+/g, '');
}

export function isAclRegion(region: string): region is AclRegion {
  return Object.hasOwn(ACL_REGION_TABLE, region);
}

/** The region a ledger in `region` replicates to. */
export function pairedRegion(region: AclRegion): string {
  return ACL_REGION_TABLE[region].pair.name;
}

/**
 * The regions (primary and pair) that would hold data outside `allowed`; empty when the
 * residency rule is met.
 */
export function residencyViolations(region: AclRegion, allowed: readonly Geography[]): string[] {
  const { geography, pair } = ACL_REGION_TABLE[region];
  return [...(allowed.includes(geography) ? [] : [region]), ...(allowed.includes(pair.geography) ? [] : [pair.name])];
}
