import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
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
import { ADMIN_OBJECT_ID, TENANT_ID, environmentFile, writeEnvironmentSet } from '../helpers/environment-sets';
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
    for (const file of ['.github/workflows/delivery.yml', '.github/workflows/deploy-environment.yml']) {
      for (const job of Object.values<any>(parse(read(file)).jobs)) {
        for (const step of job.steps ?? [])
          if (step.uses?.startsWith('hashicorp/setup-terraform')) installs.push(String(step.with.terraform_version));
      }
    }
    for (const file of ['pipelines/azure-pipelines.yml', 'pipelines/templates/deploy-stage.yml']) {
      for (const match of read(file).matchAll(/terraformVersion: (\S+)/g)) installs.push(match[1]);
    }
    expect(installs.length).toBe(4);
    expect(new Set(installs)).toEqual(new Set([TERRAFORM_VERSION]));
    expect(read('docs/landing-zone.md')).toContain(`Terraform ${TERRAFORM_VERSION}`);
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
      const dependents = Object.entries<any>(stack.resource).flatMap(([type, resources]) =>
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
