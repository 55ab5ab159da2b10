import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerExampleStack } from '../../constructs/examples/ledger-example-stack';
import { Template, Testing } from '../helpers/template';

const CONSTRUCTS = join(__dirname, '..', '..', 'constructs');
const SOURCE = join(CONSTRUCTS, 'examples', 'ledger-example-stack.ts');

const ADMIN = '5c2a9d4e-1f7b-4e3a-8c6d-0b9e2f4a7d11';
const TENANT = '2c4e6a8b-0d1f-4a3c-b5e7-9f1a3c5e7b00';

function example() {
  const stack = new LedgerExampleStack(Testing.app(), 'ledger-example', {
    subscriptionId: 'c7e1a3b5-9d2f-4e6a-8b4c-1f3e5a7d9b03',
    tenantId: TENANT,
    location: 'westeurope',
    adminObjectId: ADMIN,
    oncallEmail: 'oncall@contoso.example',
  });
  return { stack, template: Template.synth(stack) };
}

describe('the example stack in constructs/README.md', () => {
  test('the README shows the example file exactly', () => {
    const readme = readFileSync(join(CONSTRUCTS, 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme.replace(/\r\n/g, '\n'))?.[1];
    expect(block).toBe(readFileSync(SOURCE, 'utf8').replace(/\r\n/g, '\n'));
  });

  test('uses the constructs alone: no environment file, nothing from stacks/', () => {
    expect(readFileSync(SOURCE, 'utf8')).not.toMatch(/from '\.\.\/\.\.\/stacks|environments/);
  });

  test('synthesizes a ledger whose writer is a managed identity of the same stack', () => {
    const ledger = example().template.only('azurerm_confidential_ledger');
    expect(ledger).toMatchObject({
      name: 'contoso-ledger-example',
      location: 'westeurope',
      ledger_type: 'Private',
      lifecycle: { prevent_destroy: true },
    });
    expect(ledger.azuread_based_service_principal).toEqual(
      expect.arrayContaining([
        { principal_id: ADMIN, tenant_id: TENANT, ledger_role_name: 'Administrator' },
        {
          principal_id: '${azurerm_user_assigned_identity.Writer.principal_id}',
          tenant_id: '${azurerm_user_assigned_identity.Writer.tenant_id}',
          ledger_role_name: 'Contributor',
        },
      ]),
    );
    expect(ledger.azuread_based_service_principal).toHaveLength(2);
  });

  test('reaches the vault over a private endpoint in the zone it links to the VNet, all by reference', () => {
    const { template } = example();
    expect(template.only('azurerm_private_endpoint')).toMatchObject({
      subnet_id: '${azurerm_subnet.Endpoints.id}',
      private_service_connection: { subresource_names: ['vault'] },
      private_dns_zone_group: { private_dns_zone_ids: [expect.stringMatching(/^\$\{azurerm_private_dns_zone\.VaultZone_\w+\.id\}$/)] },
    });
    expect(template.only('azurerm_private_dns_zone').name).toBe('privatelink.vaultcore.azure.net');
    expect(template.only('azurerm_private_dns_zone_virtual_network_link').virtual_network_id).toBe('${azurerm_virtual_network.Vnet.id}');
    expect(template.only('azurerm_role_assignment')).toMatchObject({
      principal_id: '${azurerm_user_assigned_identity.Writer.principal_id}',
      role_definition_name: 'Key Vault Secrets User',
    });
  });

  test('sends both resources to the workspace, locks both, and passes every prod guardrail', () => {
    const { stack, template } = example();
    expect(template.count('azurerm_monitor_diagnostic_setting')).toBe(2);
    expect(template.count('azurerm_management_lock')).toBe(2);
    expect(template.count('azurerm_log_analytics_workspace')).toBe(1);
    expect(stack.guardrails.check()).toEqual([]);
  });
});
