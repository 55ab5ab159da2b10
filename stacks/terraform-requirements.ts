/**
 * What the synthesized stacks require of Terraform and of the Azure subscription. One place, read by
 * the stacks, the pipelines' tests, the plan/deploy scripts and the docs.
 */

/**
 * azurerm 4.81.0 is the first release that manages Key Vault with control-plane API 2026-02-01
 * (CHANGELOG.md 4.81.0 "keyvault - update to API version 2026-02-01", PR #32320;
 * internal/services/keyvault/key_vault_resource.go imports keyvault/2026-02-01/vaults). Azure retires
 * every older Key Vault management API version on 2027-02-27, after which 4.55–4.80 can no longer
 * create, change or delete a vault. 5.x changes defaults and required arguments, so it stays out.
 * The prebuilt bindings (azurerm 4.55.0) only shape the JSON; every argument the stacks emit exists,
 * undeprecated, in 4.81.0's resource schemas (checked against the provider source, see
 * docs/landing-zone.md).
 */
export const AZURERM_VERSION_CONSTRAINT = '>= 4.81.0, < 5.0.0';

/**
 * Terraform's azurerm backend refreshes Azure DevOps workload-identity tokens from 1.11.2
 * (`ado_pipeline_service_connection_id`, hashicorp/terraform#36458) and infers the subscription
 * from 1.12.0 (#36623); 2.x may change the JSON syntax cdktf writes.
 */
export const TERRAFORM_REQUIRED_VERSION = '>= 1.12.0, < 2.0.0';

/** The one Terraform version both pipelines install (newest 1.x release tag checked, 2026-11-30). */
export const TERRAFORM_VERSION = '1.15.9';

/**
 * The resource provider namespace of every Terraform resource type the stacks may emit.
 * `Microsoft.Resources` and `Microsoft.Authorization` (resource groups, role assignments, locks)
 * are registered in every subscription; the others must be registered before the first apply,
 * because the provider runs with `resource_provider_registrations = "none"` (a plan identity
 * cannot register providers, and `Microsoft.ConfidentialLedger` is in none of the provider's
 * automatic sets: internal/resourceproviders/required.go).
 */
export const RESOURCE_PROVIDER_OF: Readonly<Record<string, string>> = {
  azurerm_confidential_ledger: 'Microsoft.ConfidentialLedger',
  azurerm_key_vault: 'Microsoft.KeyVault',
  azurerm_log_analytics_workspace: 'Microsoft.OperationalInsights',
  azurerm_monitor_diagnostic_setting: 'Microsoft.Insights',
  azurerm_monitor_action_group: 'Microsoft.Insights',
  azurerm_monitor_scheduled_query_rules_alert_v2: 'Microsoft.Insights',
  azurerm_monitor_activity_log_alert: 'Microsoft.Insights',
  azurerm_private_endpoint: 'Microsoft.Network',
  azurerm_private_dns_zone: 'Microsoft.Network',
  azurerm_private_dns_zone_virtual_network_link: 'Microsoft.Network',
  azurerm_resource_group: 'Microsoft.Resources',
  azurerm_role_assignment: 'Microsoft.Authorization',
  azurerm_management_lock: 'Microsoft.Authorization',
};

/** Registered in every subscription; never a prerequisite to check. */
export const ALWAYS_REGISTERED = ['Microsoft.Resources', 'Microsoft.Authorization'] as const;

/** The resource providers that must be registered for these resource types, sorted. */
export function requiredResourceProviders(resourceTypes: Iterable<string>): string[] {
  const needed = new Set<string>();
  for (const type of resourceTypes) {
    const namespace = RESOURCE_PROVIDER_OF[type];
    if (!namespace)
      throw new Error(`no resource provider recorded for Terraform resource type '${type}' (stacks/terraform-requirements.ts)`);
    if (!(ALWAYS_REGISTERED as readonly string[]).includes(namespace)) needed.add(namespace);
  }
  return [...needed].sort();
}
