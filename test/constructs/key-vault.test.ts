import { KeyVault as KeyVaultResource } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVault } from '../../constructs/key-vault';
import { TAGS, TENANT, VNET_ID, SUBNET_ID, WORKSPACE_ID } from '../helpers/fixtures';
import { Template, emptyStack, Testing } from '../helpers/template';

const VAULT = 'azurerm_key_vault';
const props = { name: 'kv-contoso-unit', resourceGroupName: 'rg-unit', location: 'eastus', tenantId: TENANT, tags: TAGS };

function vault(overrides: Partial<ConstructorParameters<typeof KeyVault>[2]> = {}) {
  const stack = emptyStack();
  return { stack, vault: new KeyVault(stack, 'KeyVault', { ...props, ...overrides }), template: () => Template.synth(stack) };
}

describe('KeyVault', () => {
  test('is hardened by default: RBAC, purge protection, 90-day soft delete, no public access, ACL Deny', () => {
    expect(vault().template().only(VAULT)).toMatchObject({
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
      soft_delete_retention_days: 90,
      public_network_access_enabled: false,
      sku_name: 'standard',
      network_acls: { default_action: 'Deny', bypass: 'AzureServices', ip_rules: [] },
    });
  });

  test('synthesizes a key vault with its hardening (cdktf matchers)', () => {
    const { stack } = vault();
    expect(Testing.synth(stack, true)).toHaveResourceWithProperties(KeyVaultResource, {
      rbac_authorization_enabled: true,
      purge_protection_enabled: true,
    });
  });

  test('never emits access policies', () => {
    expect(vault().template().only(VAULT)).not.toHaveProperty('access_policy');
  });

  test.each(['kv', 'a'.repeat(25), '1vault', 'vault-', 'kv--double', 'kv_under'])('fails for the name %j', (name) => {
    expect(() => vault({ name })).toThrow(
      new RegExp(`^test/KeyVault: name ${JSON.stringify(name)} is not a valid Key Vault name; it must have: `),
    );
  });

  test.each([6, 91, 7.5])('fails for a soft-delete retention of %j days', (days) => {
    expect(() => vault({ softDeleteRetentionDays: days })).toThrow(
      `test/KeyVault: softDeleteRetentionDays ${days} must be a whole number of days from 7 to 90`,
    );
  });

  test('fails for an allowed IP range that is not CIDR', () => {
    expect(() => vault({ allowedIpRanges: ['10.0.0.0/8', 'example.com'] })).toThrow(
      'allowedIpRanges "example.com" is not an IPv4 address or CIDR range',
    );
  });

  test('sends AuditEvent and AllMetrics to Log Analytics', () => {
    const { vault: kv, template } = vault();
    kv.addDiagnosticSetting('law', { workspaceResourceId: WORKSPACE_ID });
    expect(template().only('azurerm_monitor_diagnostic_setting')).toMatchObject({
      enabled_log: [{ category: 'AuditEvent' }, { category: 'AzurePolicyEvaluationDetails' }],
      enabled_metric: [{ category: 'AllMetrics' }],
    });
  });

  test('fails for a diagnostic category the vault does not emit', () => {
    const { vault: kv } = vault();
    expect(() => kv.addDiagnosticSetting('law', { workspaceResourceId: WORKSPACE_ID, logCategories: ['transactionlogs'] })).toThrow(
      'test/KeyVault/Diagnostics-law: logCategories "transactionlogs" is not emitted by Microsoft.KeyVault/vaults; allowed: AuditEvent, AzurePolicyEvaluationDetails',
    );
  });

  test('adds a private endpoint on sub-resource vault with a new zone linked to the VNet', () => {
    const { vault: kv, template } = vault();
    kv.addPrivateEndpoint('hub', { subnetId: SUBNET_ID, privateDnsZone: { mode: 'create', virtualNetworkIds: [VNET_ID] } });
    const t = template();
    expect(t.only('azurerm_private_dns_zone').name).toBe('privatelink.vaultcore.azure.net');
    expect(t.only('azurerm_private_dns_zone_virtual_network_link')).toMatchObject({
      virtual_network_id: VNET_ID,
      registration_enabled: false,
    });
    expect(t.only('azurerm_private_endpoint')).toMatchObject({
      subnet_id: SUBNET_ID,
      private_service_connection: { subresource_names: ['vault'], is_manual_connection: false },
      private_dns_zone_group: { private_dns_zone_ids: [expect.stringMatching(/azurerm_private_dns_zone\.[\w-]+\.id/)] },
    });
  });

  test('adds a lock only when asked', () => {
    expect(vault().template().count('azurerm_management_lock')).toBe(0);
    expect(vault({ lock: 'CanNotDelete' }).template().only('azurerm_management_lock').lock_level).toBe('CanNotDelete');
  });
});
