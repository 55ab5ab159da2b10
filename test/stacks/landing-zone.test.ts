import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { TerraformStack } from '../../constructs/core';
import { GUARDRAIL_RULES, Guardrails } from '../../constructs/governance';
import { KeyVault } from '../../constructs/key-vault';
import { ConfidentialLedger } from '../../constructs/ledger';
import { synthAll } from '../../stacks/synth';
import {
  AZURERM_VERSION_CONSTRAINT,
  RESOURCE_PROVIDER_OF,
  TERRAFORM_REQUIRED_VERSION,
  TERRAFORM_VERSION,
  requiredResourceProviders,
} from '../../stacks/terraform-requirements';
import { REPO_ROOT } from '../helpers/environments';
import { ADMIN_OBJECT_ID, TENANT_ID, environmentFile, guidFor, writeEnvironmentSet } from '../helpers/environment-sets';
import { Template, emptyStack } from '../helpers/template';

const synthesized = (files: Record<string, unknown>) => {
  const outdir = mkdtempSync(join(tmpdir(), 'acl-lz-out-'));
  synthAll({ environmentsDir: writeEnvironmentSet(files), outdir });
  return (name: string) => JSON.parse(readFileSync(join(outdir, 'stacks', `acl-${name}`, 'cdk.tf.json'), 'utf8'));
};

/** Every string in a JSON value. */
const stringsIn = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : value && typeof value === 'object' ? Object.values(value).flatMap(stringsIn) : [];

describe('provider and Terraform versions', () => {
  const stack = synthesized({ a: environmentFile('a') })('a');

  test('azurerm is constrained to 4.81.0 or newer 4.x, not pinned to the bindings 4.55.0', () => {
    // 4.81.0 is the first azurerm that manages Key Vault with API 2026-02-01; Azure retires the
    // older management API versions on 2027-02-27, after which 4.55–4.80 cannot change a vault.
    // 5.x changes defaults and required arguments, so it stays out until the stacks are checked.
    expect(AZURERM_VERSION_CONSTRAINT).toBe('>= 4.81.0, < 5.0.0');
    expect(stack.terraform.required_providers.azurerm).toEqual({ source: 'azurerm', version: '>= 4.81.0, < 5.0.0' });
  });

  test('Terraform itself is constrained, and the pinned pipeline version satisfies the constraint', () => {
    expect(stack.terraform.required_version).toBe(TERRAFORM_REQUIRED_VERSION);
    const [, min, max] = /^>= (\S+), < (\S+)$/.exec(TERRAFORM_REQUIRED_VERSION)!;
    const num = (v: string) =>
      v
        .split('.')
        .map(Number)
        .reduce((acc, n) => acc * 1000 + n, 0);
    expect(num(TERRAFORM_VERSION)).toBeGreaterThanOrEqual(num(min));
    expect(num(TERRAFORM_VERSION)).toBeLessThan(num(max));
  });

  test('both pipelines install exactly the pinned Terraform, and the docs name it', () => {
    const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
    const installs: string[] = [];
    for (const file of ['.github/workflows/delivery.yml', '.github/workflows/deploy-environment.yml', '.github/workflows/drift.yml']) {
      for (const job of Object.values<any>(parse(read(file)).jobs)) {
        for (const step of job.steps ?? [])
          if (step.uses?.startsWith('hashicorp/setup-terraform')) installs.push(String(step.with.terraform_version));
      }
    }
    for (const file of [
      'pipelines/azure-pipelines.yml',
      'pipelines/templates/environment-stages.yml',
      'pipelines/templates/deploy-stage.yml',
      'pipelines/templates/drift-stages.yml',
    ]) {
      for (const match of read(file).matchAll(/terraformVersion: (\S+)/g)) installs.push(match[1]);
    }
    expect(installs.length).toBe(6);
    expect(new Set(installs)).toEqual(new Set([TERRAFORM_VERSION]));
    expect(read('docs/landing-zone.md')).toContain(`Terraform ${TERRAFORM_VERSION}`);
    expect(read('README.md')).toContain(`Terraform ${TERRAFORM_VERSION}`);
  });
});

describe('resource providers', () => {
  const stack = synthesized({ a: environmentFile('a') })('a');

  test('the provider registers none itself (a plan identity cannot)', () => {
    expect(stack.provider.azurerm[0].resource_provider_registrations).toBe('none');
  });

  test('the stack records, as a prerequisite, every provider its resources need beyond the always-registered ones', () => {
    const types = Object.keys(stack.resource);
    const namespaces = new Set(types.map((t) => RESOURCE_PROVIDER_OF[t]));
    expect(stack['//'].prerequisites.resourceProviders).toEqual(requiredResourceProviders(types));
    expect(stack['//'].prerequisites.resourceProviders).toContain('Microsoft.ConfidentialLedger');
    for (const ns of namespaces) {
      expect(['Microsoft.Resources', 'Microsoft.Authorization', ...stack['//'].prerequisites.resourceProviders]).toContain(ns);
    }
  });

  test('a resource type without a recorded provider is refused rather than left out', () => {
    expect(() => requiredResourceProviders(['azurerm_storage_account'])).toThrow(
      /no resource provider recorded for .*azurerm_storage_account/,
    );
  });
});

describe('locks', () => {
  test('each lock depends on every resource that refers to what it locks', () => {
    const stack = synthesized({ a: environmentFile('a') })('a');
    const locks = Object.values<any>(stack.resource.azurerm_management_lock);
    expect(locks).toHaveLength(2);
    for (const lock of locks) {
      const locked = /^\$\{(\w+\.[\w-]+)\.id\}$/.exec(lock.scope)![1];
      // alerts only name the resource (in scopes or a query): deleting one touches nothing under the lock.
      const outsideTheLock = ['azurerm_monitor_activity_log_alert', 'azurerm_monitor_scheduled_query_rules_alert_v2'];
      const dependents = Object.entries<any>(stack.resource)
        .filter(([type]) => !outsideTheLock.includes(type))
        .flatMap(([type, resources]) =>
          Object.entries<any>(resources)
            .filter(([, r]) => r !== lock && stringsIn({ ...r, '//': undefined }).some((s) => s.includes(`\${${locked}.`)))
            .map(([id]) => `${type}.${id}`),
        );
      // the ledger: role assignment + diagnostic setting; the vault: diagnostic setting + private endpoint.
      expect(dependents.length).toBeGreaterThanOrEqual(2);
      expect(lock.depends_on).toEqual(expect.arrayContaining([locked, ...dependents]));
    }
  });
});

describe('a lock added before grants and settings', () => {
  test('still depends on the grants and settings added after it', () => {
    const stack = emptyStack();
    const ledger = new ConfidentialLedger(stack, 'Ledger', {
      name: 'acl-lock-order',
      resourceGroupName: 'rg',
      location: 'westeurope',
      dataPlanePrincipals: [{ kind: 'entra', objectId: ADMIN_OBJECT_ID, tenantId: TENANT_ID, role: 'Administrator' }],
      lock: 'CanNotDelete',
      tags: { environment: 'x', owner: 'o', costCenter: 'c', dataClassification: 'internal' },
    });
    const late = ledger.grantManagement('late', { principalId: ADMIN_OBJECT_ID, roleDefinitionIdOrName: 'Reader' });
    ledger.addDiagnosticSetting('late', {
      workspaceResourceId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.OperationalInsights/workspaces/z',
    });
    const lock = Template.synth(stack).only('azurerm_management_lock') as any;
    expect(lock.depends_on).toContain(`azurerm_role_assignment.${late.friendlyUniqueId}`);
    expect(lock.depends_on.filter((d: string) => d.startsWith('azurerm_monitor_diagnostic_setting.'))).toHaveLength(1);
  });
});

describe('what one file cannot show, and forms people copy from the portal', () => {
  const refusal = (files: Record<string, unknown>) => {
    try {
      synthAll({ environmentsDir: writeEnvironmentSet(files), outdir: mkdtempSync(join(tmpdir(), 'acl-lz-out-')) });
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('synth was not refused');
  };
  const withBackend = (name: string, key: string) => ({
    ...environmentFile(name),
    backend: {
      subscriptionId: guidFor('state'),
      resourceGroupName: 'rg-state',
      storageAccountName: 'ststate',
      containerName: 'tfstate',
      key,
    },
  });

  test('state lives in the subscription the backend names, not the workload subscription', () => {
    const stack = synthesized({ a: withBackend('a', 'a.tfstate') })('a');
    expect(stack.terraform.backend.azurerm).toMatchObject({ subscription_id: guidFor('state'), key: 'a.tfstate', use_azuread_auth: true });
    expect(stack.provider.azurerm[0].subscription_id).toBe(guidFor('a'));
  });

  test('a backend without subscriptionId is refused, naming the field', () => {
    const env = withBackend('a', 'a.tfstate');
    delete (env.backend as any).subscriptionId;
    expect(refusal({ a: env })).toContain('a.json: backend.subscriptionId is missing');
  });

  test('a copied file is refused for every name and state it shares, naming both files', () => {
    const a = withBackend('a', 'shared.tfstate');
    const copy = {
      ...withBackend('b', 'shared.tfstate'),
      ledger: { ...a.ledger },
      keyVault: { ...a.keyVault, name: a.keyVault.name.toUpperCase() },
    };
    const message = refusal({ a, b: copy });
    expect(message).toMatch(/a\.json, .*b\.json: ledger\.name "acl-gen-a" is the same in each; a ledger name is its global DNS name/);
    expect(message).toMatch(/a\.json, .*b\.json: keyVault\.name "kv-gen-a" is the same in each/);
    expect(message).toMatch(/a\.json, .*b\.json: backend "ststate\/tfstate\/shared\.tfstate" is the same state blob in each/);
  });

  test('two ledgers in one subscription pass; a third is refused naming the quota', () => {
    const inOne = (name: string) => ({ ...environmentFile(name), subscriptionId: guidFor('shared') });
    expect(() =>
      synthAll({ environmentsDir: writeEnvironmentSet({ a: inOne('a'), b: inOne('b') }), outdir: mkdtempSync(join(tmpdir(), 'acl-lz-')) }),
    ).not.toThrow();
    expect(refusal({ a: inOne('a'), b: inOne('b'), c: inOne('c') })).toMatch(
      /a\.json, .*b\.json, .*c\.json: subscriptionId "[0-9a-f-]+" would hold a ledger for each, more than Azure's default quota of 2 confidential ledgers per subscription/,
    );
  });

  test.each(['West Europe', 'west europe', 'westeurope'])('location %j is accepted and written as westeurope', (location) => {
    expect(
      synthesized({ a: { ...environmentFile('a'), location } })('a').resource.azurerm_confidential_ledger.Ledger_B7379752.location,
    ).toBe('westeurope');
  });

  test('an unknown display name is refused with the allowed regions', () => {
    expect(refusal({ a: { ...environmentFile('a'), location: 'West US' } })).toContain(
      'a.json: location "westus" is not allowed; expected one of: australiaeast',
    );
  });

  test.each([
    ['a bare role-definition GUID', 'acdd72a7-3385-48ef-bd42-f606fba81ae7'],
    ['a tenant-level role-definition id', '/providers/Microsoft.Authorization/roleDefinitions/ACDD72A7-3385-48EF-BD42-F606FBA81AE7'],
  ])('%s becomes the subscription-scoped id ARM returns', (_, role) => {
    const env = environmentFile('a');
    env.ledger.roleAssignments.auditors.roleDefinitionIdOrName = role;
    const assignment = Object.values<any>(synthesized({ a: env })('a').resource.azurerm_role_assignment)[0];
    expect(assignment.role_definition_id).toBe(
      `/subscriptions/${guidFor('a')}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`,
    );
    expect(assignment.role_definition_name).toBeUndefined();
  });

  test('a prod-tier file may suppress nothing', () => {
    const env = {
      ...environmentFile('a'),
      guardrails: { suppressions: [{ ruleId: 'ACL-KV4', reason: 'the vault is reached over its IP allow-list' }] },
    };
    expect(refusal({ a: env })).toContain('a.json: guardrails.suppressions ["ACL-KV4"] are refused in tier prod');
  });
});

describe('DNS and diagnostics owned by the landing zone', () => {
  const withDns = (privateDnsZone: unknown, diagnostics?: string) => {
    const env = environmentFile('a');
    env.keyVault.privateEndpoint.privateDnsZone = privateDnsZone;
    if (diagnostics) env.keyVault.diagnostics = diagnostics;
    return synthesized({ a: env })('a');
  };
  const vnet = `/subscriptions/${guidFor('a')}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet`;
  const zoneId = `/subscriptions/${guidFor('hub')}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net`;
  const endpointOf = (stack: any) => Object.values<any>(stack.resource.azurerm_private_endpoint)[0];

  test('create: the zone, its VNet link and a zone group to it', () => {
    const stack = withDns({ mode: 'create', virtualNetworkIds: [vnet] });
    expect(Object.values<any>(stack.resource.azurerm_private_dns_zone).map((z) => z.name)).toEqual(['privatelink.vaultcore.azure.net']);
    expect(Object.keys(stack.resource.azurerm_private_dns_zone_virtual_network_link)).toHaveLength(1);
    expect(endpointOf(stack).private_dns_zone_group.private_dns_zone_ids).toEqual([
      expect.stringMatching(/^\$\{azurerm_private_dns_zone\./),
    ]);
  });

  test('create: the zone and its link keep the Terraform addresses they had when the endpoint construct created them', () => {
    // recorded from the stack's synth before the zone became a construct of its own; a new address
    // would make Terraform delete and re-create the zone under the same name.
    const stack = withDns({ mode: 'create', virtualNetworkIds: [vnet] });
    expect(Object.keys(stack.resource.azurerm_private_dns_zone)).toEqual(['KeyVault_PrivateEndpoint-default_DnsZone_EE314469']);
    expect(Object.keys(stack.resource.azurerm_private_dns_zone_virtual_network_link)).toEqual([
      'KeyVault_PrivateEndpoint-default_VnetLink-vnet_CB75A49D',
    ]);
  });

  test('existing: a zone group to the given zone, and no zone of its own', () => {
    const stack = withDns({ mode: 'existing', zoneId });
    expect(stack.resource.azurerm_private_dns_zone).toBeUndefined();
    expect(endpointOf(stack).private_dns_zone_group).toEqual({ name: 'default', private_dns_zone_ids: [zoneId] });
    expect(endpointOf(stack).lifecycle).toBeUndefined();
  });

  test('policy: no zone, no zone group, and later changes to the zone group ignored; prod still passes every guardrail', () => {
    const stack = withDns({ mode: 'policy' });
    expect(stack.resource.azurerm_private_dns_zone).toBeUndefined();
    expect(endpointOf(stack).private_dns_zone_group).toBeUndefined();
    expect(endpointOf(stack).lifecycle).toEqual({ ignore_changes: ['private_dns_zone_group'] });
    expect(stack['//'].guardrails).toMatchObject({ tier: 'prod', suppressions: [] });
    expect(JSON.stringify(stack)).not.toContain('"privatelink.');
  });

  test('vault diagnostics left to policy: no vault setting, the ledger keeps its own, prod passes', () => {
    const stack = withDns({ mode: 'policy' }, 'policy');
    const settings = Object.values<any>(stack.resource.azurerm_monitor_diagnostic_setting);
    expect(settings).toHaveLength(1);
    expect(settings[0].target_resource_id).toMatch(/^\$\{azurerm_confidential_ledger\./);
    expect(settings[0].enabled_log.map((l: any) => l.category)).toEqual(['transactionlogs', 'userdefinedlogs']);
  });

  test('ACL-KV3 accepts a vault only with its own audit setting or with diagnostics left to policy, never both', () => {
    const vault = () => {
      const stack = emptyStack();
      return new KeyVault(stack, 'KeyVault', {
        name: 'kv-diagnostics',
        resourceGroupName: 'rg',
        location: 'westeurope',
        tenantId: TENANT_ID,
        tags: { environment: 'x', owner: 'o', costCenter: 'c', dataClassification: 'internal' },
      });
    };
    const findings = (v: KeyVault) =>
      Guardrails.of(TerraformStack.of(v), { tier: 'prod', rules: GUARDRAIL_RULES.filter((r) => r.id === 'ACL-KV3') })
        .check()
        .map((f) => f.ruleId);
    const workspaceResourceId = '/subscriptions/x/resourceGroups/y/providers/Microsoft.OperationalInsights/workspaces/z';
    expect(findings(vault())).toEqual(['ACL-KV3']);
    const byPolicy = vault();
    byPolicy.leaveDiagnosticsToPolicy();
    expect(findings(byPolicy)).toEqual([]);
    expect(() => byPolicy.addDiagnosticSetting('logs', { workspaceResourceId })).toThrow(/diagnostics "policy" .*choose one/);
    const own = vault();
    own.addDiagnosticSetting('logs', { workspaceResourceId });
    expect(() => own.leaveDiagnosticsToPolicy()).toThrow(/diagnostics "policy" conflicts with a diagnostic setting/);
  });
});

describe('Node versions', () => {
  const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

  test('.nvmrc names a major the engines field supports, and both pipelines use it', () => {
    const major = read('.nvmrc').trim();
    const engines = JSON.parse(read('package.json')).engines.node as string;
    expect(engines.split('||').map((r) => r.trim().replace(/^\^/, '').split('.')[0])).toContain(major);
    for (const file of ['.github/workflows/delivery.yml', '.github/workflows/deploy-environment.yml', '.github/workflows/drift.yml']) {
      for (const job of Object.values<any>(parse(read(file)).jobs)) {
        for (const step of job.steps ?? [])
          if (step.uses?.startsWith('actions/setup-node')) expect(step.with).toMatchObject({ 'node-version-file': '.nvmrc' });
      }
    }
    for (const file of [
      'pipelines/azure-pipelines.yml',
      'pipelines/templates/environment-stages.yml',
      'pipelines/templates/deploy-stage.yml',
      'pipelines/templates/drift-stages.yml',
    ]) {
      const specs = [...read(file).matchAll(/versionSpec: (\S+)/g)].map((m) => m[1]);
      expect(specs.length).toBeGreaterThan(0);
      expect(new Set(specs)).toEqual(new Set([`${major}.x`]));
    }
  });
});
