/**
 * Where Azure confidential ledger can be created, and where it replicates to.
 *
 * ACL runs only where confidential-computing hardware hosts it, so this list is dated evidence,
 * not truth. Sources (checked 2026-11-28): terraform-provider-azurerm acceptance tests and the
 * Azure SDK test pipelines created ledgers in eastus, westeurope, southcentralus and
 * southeastasia (2022–2026); azure-sdk-for-python PR 42992 (2025-09) names australiaeast the
 * service's frontier region; azure-sdk-for-java PR 33585 (2023-02) records westus as refused.
 * Before adding a region, check it live:
 * `az provider show -n Microsoft.ConfidentialLedger --query "resourceTypes[?resourceType=='ledgers'].locations"`.
 */
export const ACL_REGIONS = ['australiaeast', 'eastus', 'southcentralus', 'southeastasia', 'westeurope'] as const;
export type AclRegion = (typeof ACL_REGIONS)[number];

/** Azure geographies, the unit data-residency rules are written in. */
export const GEOGRAPHIES = ['asia-pacific', 'australia', 'europe', 'united-states'] as const;
export type Geography = (typeof GEOGRAPHIES)[number];

interface RegionFacts {
  readonly geography: Geography;
  /** the Azure paired region; ACL always replicates there and this cannot be turned off. */
  readonly pair: string;
}

/**
 * Geography and pair of every ACL region and of each pair.
 * Source: "Azure cross-region replication pairings" (learn.microsoft.com, checked 2026-11-28) and
 * the ACL data-residency page ("If you create a ledger in West US, the service automatically
 * replicates data to East US").
 */
const REGION_FACTS: Readonly<Record<string, RegionFacts>> = {
  australiaeast: { geography: 'australia', pair: 'australiasoutheast' },
  australiasoutheast: { geography: 'australia', pair: 'australiaeast' },
  eastasia: { geography: 'asia-pacific', pair: 'southeastasia' },
  eastus: { geography: 'united-states', pair: 'westus' },
  northcentralus: { geography: 'united-states', pair: 'southcentralus' },
  northeurope: { geography: 'europe', pair: 'westeurope' },
  southcentralus: { geography: 'united-states', pair: 'northcentralus' },
  southeastasia: { geography: 'asia-pacific', pair: 'eastasia' },
  westeurope: { geography: 'europe', pair: 'northeurope' },
  westus: { geography: 'united-states', pair: 'eastus' },
};

/**
 * Azure's display name of each ACL region (`az account list-locations --query "[].{name:name, displayName:displayName}"`),
 * which people copy from the portal; environment files may use either form.
 */
export const REGION_DISPLAY_NAMES: Readonly<Record<AclRegion, string>> = {
  australiaeast: 'Australia East',
  eastus: 'East US',
  southcentralus: 'South Central US',
  southeastasia: 'Southeast Asia',
  westeurope: 'West Europe',
};

/** A region name or display name in ARM's form: `West Europe` → `westeurope`. */
export function normalizeRegion(region: string): string {
  return region.toLowerCase().replace(/\s+/g, '');
}

export function isAclRegion(region: string): region is AclRegion {
  return (ACL_REGIONS as readonly string[]).includes(region);
}

/** The region a ledger in `region` replicates to. */
export function pairedRegion(region: AclRegion): string {
  return REGION_FACTS[region].pair;
}

/** The geography of a region or of an ACL region's pair. */
export function geographyOf(region: string): Geography {
  const facts = REGION_FACTS[region];
  if (!facts) throw new Error(`no geography recorded for region '${region}'`);
  return facts.geography;
}

/**
 * The regions (primary and pair) that would hold data outside `allowed`; empty when the
 * residency rule is met.
 */
export function residencyViolations(region: AclRegion, allowed: readonly Geography[]): string[] {
  return [region, pairedRegion(region)].filter((r) => !allowed.includes(geographyOf(r)));
}
