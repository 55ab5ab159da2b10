import { ConfidentialLedger as ConfidentialLedgerResource } from '@cdktf/provider-azurerm/lib/confidential-ledger';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { Lazy, resolveValue } from '../../constructs/core';
import { ACL_REGIONS, ConfidentialLedger } from '../../constructs/ledger';
import { ADMIN, READER, TAGS, TENANT, WORKSPACE_ID, certificatePem, ledgerProps } from '../helpers/fixtures';
import { Template, emptyStack, Testing } from '../helpers/template';

const LEDGER = 'azurerm_confidential_ledger';

function synthLedger(overrides: Parameters<typeof ledgerProps>[0] = {}) {
  const stack = emptyStack();
  const ledger = new ConfidentialLedger(stack, 'Ledger', ledgerProps(overrides));
  return { stack, ledger, template: () => Template.synth(stack) };
}

describe('ConfidentialLedger', () => {
  test('synthesizes an azurerm_confidential_ledger (cdktf matchers)', () => {
    const { stack } = synthLedger();
    const json = Testing.synth(stack, true);
    expect(json).toHaveResourceWithProperties(ConfidentialLedgerResource, { name: 'contoso-acl-unit', ledger_type: 'Private' });
    expect(json).not.toHaveResource(RoleAssignment);
  });

  test('renders the ledger with a Private default, the region and the merged tags', () => {
    const resource = synthLedger({ tags: { ...TAGS, workload: 'evidence' } })
      .template()
      .only(LEDGER);
    expect(resource).toMatchObject({
      name: 'contoso-acl-unit',
      location: 'eastus',
      ledger_type: 'Private',
      resource_group_name: 'rg-unit',
      tags: { environment: 'unit', owner: 'platform', 'cost-center': 'CC-1', 'data-classification': 'internal', workload: 'evidence' },
    });
  });

  test.each(['ab', 'a'.repeat(33), '1ledger', '-ledger', 'ledger-', 'Ledger', 'led_ger'])('fails for the name %j', (name) => {
    expect(() => synthLedger({ name })).toThrow(
      `test/Ledger: name ${JSON.stringify(name)} is not a valid ledger name; it must be 3–32 lower-case letters, digits and hyphens, start with a letter and not end with a hyphen`,
    );
  });

  test.each(['abc', 'a'.repeat(32), 'contoso-1'])('accepts the name %j', (name) => {
    expect(synthLedger({ name }).template().only(LEDGER).name).toBe(name);
  });

  test('fails for a region without ACL, listing the allowed ones', () => {
    expect(() => synthLedger({ location: 'westus' })).toThrow(
      `test/Ledger: location "westus" does not offer Azure confidential ledger; allowed: ${ACL_REGIONS.join(', ')}`,
    );
  });

  test('fails when the paired region breaks the residency rule, naming both regions', () => {
    // southeastasia is in asia-pacific, and so is its pair eastasia: allowing only australia rejects both.
    expect(() => synthLedger({ location: 'southeastasia', allowedGeographies: ['australia'] })).toThrow(
      "ACL replicates 'southeastasia' to its paired region 'eastasia', and 'southeastasia' and 'eastasia' lie outside",
    );
  });

  test('accepts a residency rule that covers the region and its pair', () => {
    expect(() => synthLedger({ location: 'westeurope', allowedGeographies: ['europe'] })).not.toThrow();
  });

  test('renders Entra and certificate principals sorted, so reordering causes no plan change', () => {
    const a = synthLedger({
      dataPlanePrincipals: [READER, ADMIN, { kind: 'certificate', certificatePem: certificatePem('alice'), role: 'Contributor' }],
    })
      .template()
      .only(LEDGER);
    const b = synthLedger({
      dataPlanePrincipals: [{ kind: 'certificate', certificatePem: certificatePem('alice'), role: 'Contributor' }, ADMIN, READER],
    })
      .template()
      .only(LEDGER);
    expect(a.azuread_based_service_principal).toEqual(b.azuread_based_service_principal);
    expect(a.azuread_based_service_principal).toEqual([
      { principal_id: READER.objectId, tenant_id: TENANT, ledger_role_name: 'Reader' },
      { principal_id: ADMIN.objectId, tenant_id: TENANT, ledger_role_name: 'Administrator' },
    ]);
    expect(a.certificate_based_security_principal).toEqual([{ pem_public_key: certificatePem('alice'), ledger_role_name: 'Contributor' }]);
  });

  test('omits the certificate block when there are no certificate principals', () => {
    expect(synthLedger().template().only(LEDGER)).not.toHaveProperty('certificate_based_security_principal');
  });

  test('honours grantDataPlane after construction', () => {
    const { ledger, template } = synthLedger();
    ledger.grantDataPlane(READER);
    expect(template().only(LEDGER).azuread_based_service_principal).toHaveLength(2);
  });

  test('fails at synth without an Administrator', () => {
    const { template } = synthLedger({ dataPlanePrincipals: [READER] });
    expect(template).toThrow(
      'test/Ledger: dataPlanePrincipals has no Administrator; at least one principal must hold the Administrator ledger role',
    );
  });

  test('fails for a role that is not a ledger role', () => {
    expect(() => synthLedger({ dataPlanePrincipals: [{ ...ADMIN, role: 'Owner' as never }] })).toThrow(
      'test/Ledger: dataPlanePrincipals[0].role "Owner" is not a ledger role; allowed: Administrator, Contributor, Reader',
    );
  });

  test('fails for a duplicate Entra principal, whatever its case', () => {
    expect(() =>
      synthLedger({ dataPlanePrincipals: [ADMIN, { ...ADMIN, objectId: ADMIN.objectId.toUpperCase(), role: 'Reader' }] }),
    ).toThrow('is listed twice; a principal holds exactly one ledger role');
  });

  test('fails for a duplicate certificate principal', () => {
    const cert = { kind: 'certificate' as const, certificatePem: certificatePem('bob'), role: 'Reader' as const };
    expect(() => synthLedger({ dataPlanePrincipals: [ADMIN, cert, { ...cert, role: 'Contributor' }] })).toThrow(
      'is listed twice; a certificate holds exactly one ledger role',
    );
  });

  test('fails for a certificate principal that is not a certificate', () => {
    expect(() =>
      synthLedger({ dataPlanePrincipals: [ADMIN, { kind: 'certificate', certificatePem: 'not a pem', role: 'Reader' }] }),
    ).toThrow('test/Ledger: dataPlanePrincipals[1].certificatePem "(9 characters)" is not a PEM X.509 certificate');
  });

  test('fails for a private key given as a certificate, says so and does not echo it', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
    const attempt = () => synthLedger({ dataPlanePrincipals: [ADMIN, { kind: 'certificate', certificatePem: key, role: 'Reader' }] });
    expect(attempt).toThrow(
      'dataPlanePrincipals[1].certificatePem "(103 characters)" is a private key; give the certificate (public part) instead',
    );
    expect(attempt).not.toThrow(/MIGHAgEA/);
  });

  test('fails for an object id that is not a GUID', () => {
    expect(() => synthLedger({ dataPlanePrincipals: [{ ...ADMIN, objectId: 'admins' }] })).toThrow(
      'test/Ledger: dataPlanePrincipals[0].objectId "admins" is not a GUID',
    );
  });

  test('renders management-plane RBAC as role assignments on the ledger, apart from ledger roles', () => {
    const template = synthLedger({
      roleAssignments: {
        operators: { principalId: READER.objectId, roleDefinitionIdOrName: 'Contributor', principalType: 'Group' },
        custom: {
          principalId: ADMIN.objectId,
          roleDefinitionIdOrName: '/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7',
        },
      },
    }).template();
    const assignments = Object.values(template.resources('azurerm_role_assignment'));
    expect(assignments).toHaveLength(2);
    expect(assignments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          principal_id: READER.objectId,
          role_definition_name: 'Contributor',
          principal_type: 'Group',
          scope: expect.stringMatching(/^\$\{azurerm_confidential_ledger\.\w+\.id\}$/),
        }),
        expect.objectContaining({
          principal_id: ADMIN.objectId,
          role_definition_id: '/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7',
        }),
      ]),
    );
    // management-plane grants never reach the data plane.
    expect(template.only(LEDGER).azuread_based_service_principal).toEqual([
      { principal_id: ADMIN.objectId, tenant_id: TENANT, ledger_role_name: 'Administrator' },
    ]);
  });

  test('fails for a ledger role used as a management role, and says where it belongs', () => {
    expect(() =>
      synthLedger({ roleAssignments: { x: { principalId: READER.objectId, roleDefinitionIdOrName: 'Administrator' } } }),
    ).toThrow(
      'test/Ledger: roleAssignments.x.roleDefinitionIdOrName "Administrator" is neither a role definition id nor a known role; allowed names: Owner, Contributor, Reader, User Access Administrator, Monitoring Reader (ledger roles such as \'Administrator\' belong in dataPlanePrincipals)',
    );
  });

  test('adds a CanNotDelete lock scoped to the ledger only when asked', () => {
    expect(synthLedger().template().count('azurerm_management_lock')).toBe(0);
    const lock = synthLedger({ lock: 'CanNotDelete' }).template().only('azurerm_management_lock');
    expect(lock).toMatchObject({
      lock_level: 'CanNotDelete',
      scope: expect.stringMatching(/^\$\{azurerm_confidential_ledger\.\w+\.id\}$/),
    });
  });

  test('sets prevent_destroy only when asked', () => {
    expect(synthLedger().template().only(LEDGER)).not.toHaveProperty('lifecycle');
    expect(synthLedger({ preventDestroy: true }).template().only(LEDGER).lifecycle).toEqual({ prevent_destroy: true });
  });

  test('sends transactionlogs and userdefinedlogs, and no metrics, to Log Analytics', () => {
    const { ledger, template } = synthLedger();
    ledger.addDiagnosticSetting('law', { workspaceResourceId: WORKSPACE_ID });
    const setting = template().only('azurerm_monitor_diagnostic_setting');
    expect(setting).toMatchObject({
      log_analytics_workspace_id: WORKSPACE_ID,
      log_analytics_destination_type: 'Dedicated',
      enabled_log: [{ category: 'transactionlogs' }, { category: 'userdefinedlogs' }],
    });
    expect(setting).not.toHaveProperty('enabled_metric');
  });

  test('exposes the endpoints and id as Terraform references', () => {
    const { ledger, stack } = synthLedger();
    expect(resolveValue(stack, ledger.ledgerEndpoint)).toMatch(/^\$\{azurerm_confidential_ledger\.\w+\.ledger_endpoint\}$/);
    expect(resolveValue(stack, ledger.identityServiceEndpoint)).toMatch(/identity_service_endpoint\}$/);
    expect(resolveValue(stack, ledger.resourceId)).toMatch(/\.id\}$/);
    expect(ledger.name).toBe('contoso-acl-unit');
  });
});

describe('ConfidentialLedger with references from the same stack', () => {
  test('grants data-plane and management roles to a managed identity whose ids are references', () => {
    const stack = emptyStack();
    const identity = new UserAssignedIdentity(stack, 'Writer', { name: 'id-writer', resourceGroupName: 'rg-unit', location: 'eastus' });
    const ledger = new ConfidentialLedger(stack, 'Ledger', ledgerProps());
    ledger.grantDataPlane({ kind: 'entra', objectId: identity.principalId, tenantId: identity.tenantId, role: 'Contributor' });
    ledger.grantManagement('writer', {
      principalId: identity.principalId,
      roleDefinitionIdOrName: 'Reader',
      principalType: 'ServicePrincipal',
    });
    const t = Template.synth(stack);
    expect(t.only(LEDGER).azuread_based_service_principal).toContainEqual({
      principal_id: '${azurerm_user_assigned_identity.Writer.principal_id}',
      tenant_id: '${azurerm_user_assigned_identity.Writer.tenant_id}',
      ledger_role_name: 'Contributor',
    });
    expect(t.only('azurerm_role_assignment')).toMatchObject({
      principal_id: '${azurerm_user_assigned_identity.Writer.principal_id}',
      role_definition_name: 'Reader',
    });
  });

  test('takes a certificate and a role definition that are references, the role as a role definition id', () => {
    const stack = emptyStack();
    const pem = Lazy.stringValue({ produce: () => '${data.azurerm_key_vault_certificate.client.certificate_data}' });
    const role = Lazy.stringValue({ produce: () => '${data.azurerm_role_definition.custom.id}' });
    const ledger = new ConfidentialLedger(stack, 'Ledger', ledgerProps());
    ledger.grantDataPlane({ kind: 'certificate', certificatePem: pem, role: 'Reader' });
    ledger.grantManagement('custom', { principalId: ADMIN.objectId, roleDefinitionIdOrName: role });
    const t = Template.synth(stack);
    expect(t.only(LEDGER).certificate_based_security_principal).toEqual([
      { pem_public_key: '${data.azurerm_key_vault_certificate.client.certificate_data}', ledger_role_name: 'Reader' },
    ]);
    expect(t.only('azurerm_role_assignment')).toMatchObject({ role_definition_id: '${data.azurerm_role_definition.custom.id}' });
  });

  test('takes a ledger type and a ledger role that are references (an Administrator by reference passes)', () => {
    const stack = emptyStack();
    const type = Lazy.stringValue({ produce: () => '${var.ledger_type}' }) as 'Private';
    const role = Lazy.stringValue({ produce: () => '${var.admin_role}' }) as 'Administrator';
    new ConfidentialLedger(stack, 'Ledger', ledgerProps({ ledgerType: type, dataPlanePrincipals: [{ ...ADMIN, role }] }));
    expect(Template.synth(stack).only(LEDGER)).toMatchObject({
      ledger_type: '${var.ledger_type}',
      azuread_based_service_principal: [{ ledger_role_name: '${var.admin_role}' }],
    });
  });

  test('still refuses a literal that is not a GUID next to references', () => {
    const stack = emptyStack();
    const identity = new UserAssignedIdentity(stack, 'Writer', { name: 'id-writer', resourceGroupName: 'rg-unit', location: 'eastus' });
    const ledger = new ConfidentialLedger(stack, 'Ledger', ledgerProps());
    expect(() => ledger.grantDataPlane({ kind: 'entra', objectId: identity.principalId, tenantId: 'contoso', role: 'Reader' })).toThrow(
      'test/Ledger: principal.tenantId "contoso" is not a GUID',
    );
  });

  test('takes diagnosticSettings as a prop, with names from their keys', () => {
    const stack = emptyStack();
    new ConfidentialLedger(stack, 'Ledger', ledgerProps({ diagnosticSettings: { law: { workspaceResourceId: WORKSPACE_ID } } }));
    expect(Template.synth(stack).only('azurerm_monitor_diagnostic_setting').name).toBe('diag-law');
  });
});

describe('ConfidentialLedger validation, further', () => {
  test('skips the name and region checks for Terraform expressions (they are only known at apply)', () => {
    const name = Lazy.stringValue({ produce: () => 'from-a-variable' });
    const location = Lazy.stringValue({ produce: () => 'eastus' });
    const stack = emptyStack();
    new ConfidentialLedger(stack, 'Ledger', ledgerProps({ name, location }));
    expect(Template.synth(stack).only('azurerm_confidential_ledger')).toMatchObject({ name: 'from-a-variable', location: 'eastus' });
  });

  test('fails for a ledger type outside the union', () => {
    expect(() => new ConfidentialLedger(emptyStack(), 'Ledger', ledgerProps({ ledgerType: 'Unknown' as never }))).toThrow(
      'test/Ledger: ledgerType "Unknown" is not a ledger type; allowed: Public, Private',
    );
  });

  test('fails for a management principal that is not a GUID', () => {
    expect(
      () =>
        new ConfidentialLedger(
          emptyStack(),
          'Ledger',
          ledgerProps({ roleAssignments: { ops: { principalId: 'ops-team', roleDefinitionIdOrName: 'Reader' } } }),
        ),
    ).toThrow('test/Ledger: roleAssignments.ops.principalId "ops-team" is not a GUID');
  });
});
