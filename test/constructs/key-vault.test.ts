import { KeyVault as KeyVaultResource } from '@cdktf/provider-azurerm/lib/key-vault';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { KeyVault } from '../../constructs/key-vault';
import { LogAnalyticsWorkspace } from '../../constructs/monitoring';
import { TAGS, TENANT, SUBNET_ID, WORKSPACE_ID, ZONE_ID } from '../helpers/fixtures';
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

  test('adds a private endpoint on sub-resource vault, registered in the zone passed in', () => {
    const { vault: kv, template } = vault();
    kv.addPrivateEndpoint('hub', { subnetId: SUBNET_ID, privateDnsZoneResourceIds: [ZONE_ID] });
    const t = template();
    expect(t.count('azurerm_private_dns_zone')).toBe(0);
    expect(t.only('azurerm_private_endpoint')).toMatchObject({
      name: 'pe-kv-contoso-unit-hub',
      subnet_id: SUBNET_ID,
      private_service_connection: { subresource_names: ['vault'], is_manual_connection: false },
      private_dns_zone_group: { private_dns_zone_ids: [ZONE_ID] },
    });
  });

  test('takes roleAssignments, diagnosticSettings and privateEndpoints as props (AVM names)', () => {
    const t = vault({
      roleAssignments: {
        app: { principalId: TENANT, roleDefinitionIdOrName: 'Key Vault Secrets User', principalType: 'ServicePrincipal' },
      },
      diagnosticSettings: { law: { workspaceResourceId: WORKSPACE_ID } },
      privateEndpoints: { hub: { subnetId: SUBNET_ID, privateDnsZoneResourceIds: [ZONE_ID] } },
    }).template();
    expect(t.only('azurerm_role_assignment')).toMatchObject({
      role_definition_name: 'Key Vault Secrets User',
      principal_id: TENANT,
      principal_type: 'ServicePrincipal',
      scope: expect.stringMatching(/^\$\{azurerm_key_vault\.[\w]+\.id\}$/),
    });
    expect(t.only('azurerm_monitor_diagnostic_setting').name).toBe('diag-law');
    expect(t.count('azurerm_private_endpoint')).toBe(1);
  });

  test('grants secret reads to a managed identity of the same stack (a reference)', () => {
    const { stack, vault: kv, template } = vault();
    const identity = new UserAssignedIdentity(stack, 'App', { name: 'id-app', resourceGroupName: 'rg-unit', location: 'eastus' });
    kv.grantSecretsRead('app', identity.principalId, 'ServicePrincipal');
    expect(template().only('azurerm_role_assignment')).toMatchObject({
      principal_id: expect.stringMatching(/^\$\{azurerm_user_assigned_identity\.App\.principal_id\}$/),
      role_definition_name: 'Key Vault Secrets User',
    });
  });

  test('fails for a role the vault does not offer, listing the allowed ones', () => {
    const { vault: kv } = vault();
    expect(() => kv.grantRole('x', { principalId: TENANT, roleDefinitionIdOrName: 'Storage Blob Data Reader' })).toThrow(
      'test/KeyVault: roleAssignments.x.roleDefinitionIdOrName "Storage Blob Data Reader" is neither a role definition id nor a known role; allowed names: Key Vault Administrator,',
    );
  });

  test('gives two diagnostic settings and two endpoints distinct Azure names, and refuses a repeated explicit name', () => {
    const { vault: kv, template } = vault();
    kv.addDiagnosticSetting('a', { workspaceResourceId: WORKSPACE_ID });
    kv.addDiagnosticSetting('b', { workspaceResourceId: WORKSPACE_ID, logCategories: ['AuditEvent'] });
    kv.addPrivateEndpoint('a', { subnetId: SUBNET_ID, privateDnsZoneResourceIds: [ZONE_ID] });
    kv.addPrivateEndpoint('b', { subnetId: SUBNET_ID, privateDnsZoneResourceIds: [ZONE_ID] });
    const t = template();
    expect(Object.values(t.resources('azurerm_monitor_diagnostic_setting')).map((d) => d.name)).toEqual(['diag-a', 'diag-b']);
    expect(Object.values(t.resources('azurerm_private_endpoint')).map((d) => d.name)).toEqual([
      'pe-kv-contoso-unit-a',
      'pe-kv-contoso-unit-b',
    ]);
    expect(() => kv.addDiagnosticSetting('c', { workspaceResourceId: WORKSPACE_ID, name: 'diag-a' })).toThrow(
      'test/KeyVault: diagnosticSettings.c.name "diag-a" is already used on this resource; give each a name of its own',
    );
  });

  test('accepts a name, subnet, workspace and principal that are references to resources in the same stack', () => {
    const { stack, template } = { stack: emptyStack(), template: () => Template.synth(stack) };
    const group = new ResourceGroup(stack, 'Group', { name: 'rg-ref', location: 'eastus' });
    const subnet = new Subnet(stack, 'Subnet', {
      name: 'snet',
      resourceGroupName: group.name,
      virtualNetworkName: 'vnet',
      addressPrefixes: ['10.0.0.0/24'],
    });
    const logs = new LogAnalyticsWorkspace(stack, 'Logs', { name: group.name, resourceGroupName: group.name, location: group.location });
    const identity = new UserAssignedIdentity(stack, 'App', { name: 'id-app', resourceGroupName: group.name, location: group.location });
    new KeyVault(stack, 'KeyVault', {
      name: group.name,
      resourceGroupName: group.name,
      location: group.location,
      tenantId: identity.tenantId,
      roleAssignments: { app: { principalId: identity.principalId, roleDefinitionIdOrName: 'Key Vault Secrets User' } },
      diagnosticSettings: { law: { workspaceResourceId: logs.resourceId } },
      privateEndpoints: { hub: { subnetId: subnet.id, privateDnsZoneResourceIds: [ZONE_ID] } },
    });
    const t = template();
    expect(t.only('azurerm_key_vault').name).toBe('${azurerm_resource_group.Group.name}');
    expect(t.only('azurerm_private_endpoint').name).toBe('pe-${azurerm_resource_group.Group.name}-hub');
    expect(t.only('azurerm_monitor_diagnostic_setting').log_analytics_workspace_id).toMatch(/^\$\{azurerm_log_analytics_workspace\./);
  });

  test('adds a lock only when asked', () => {
    expect(vault().template().count('azurerm_management_lock')).toBe(0);
    expect(vault({ lock: 'CanNotDelete' }).template().only('azurerm_management_lock').lock_level).toBe('CanNotDelete');
  });
});
