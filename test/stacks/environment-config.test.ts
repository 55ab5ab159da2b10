import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACL_REGIONS } from '../../constructs/ledger';
import { EnvironmentConfigError, environmentJsonSchema, loadEnvironments } from '../../stacks/environment-config';
import { SCHEMA_PATH } from '../../stacks/write-schema';
import { ENVIRONMENTS_DIR, copyEnvironments, editEnvironment, shippedEnvironmentNames } from '../helpers/environments';

/** The problems loading a changed copy of the shipped environments reports. */
function problems(name: string, change: (config: any) => void): string[] {
  const dir = copyEnvironments();
  editEnvironment(dir, name, change);
  try {
    loadEnvironments(dir);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) return error.problems.map((p) => p.replace(/^.*?(\w+\.json)/, '$1'));
    throw error;
  }
  throw new Error('expected the environments to be refused');
}

describe('environment files', () => {
  test('the shipped example files are valid, dev, test and prod among them with their tiers', () => {
    // examples: more files may be added beside them without changing this test.
    const envs = loadEnvironments(ENVIRONMENTS_DIR);
    expect(envs.map((e) => e.name).sort()).toEqual(shippedEnvironmentNames());
    expect(envs.filter((e) => ['dev', 'test', 'prod'].includes(e.name)).map((e) => [e.name, e.tier])).toEqual([
      ['dev', 'dev'],
      ['prod', 'prod'],
      ['test', 'test'],
    ]);
  });

  test('the JSON Schema for editors is up to date with the zod schema (npm run schema)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(environmentJsonSchema());
  });

  test('certificate principals are read relative to the environment file', () => {
    const dev = loadEnvironments(ENVIRONMENTS_DIR).find((e) => e.name === 'dev')!;
    const cert = dev.ledger.principals.find((p) => p.kind === 'certificate');
    expect(cert).toMatchObject({ role: 'Contributor', certificatePem: expect.stringContaining('-----BEGIN CERTIFICATE-----') });
  });

  test.each<[string, string, (c: any) => void, string]>([
    [
      'bad region',
      'prod',
      (c) => (c.location = 'westus'),
      `prod.json: location "westus" is not allowed; expected one of: ${ACL_REGIONS.join(', ')}`,
    ],
    ['unknown key', 'dev', (c) => (c.ledger.sku = 'Basic'), "dev.json: ledger: unknown key 'sku'; remove it or check the spelling"],
    ['unknown top-level key', 'dev', (c) => (c.regoin = 'eastus'), "dev.json: unknown key 'regoin'; remove it or check the spelling"],
    [
      'bad GUID',
      'test',
      (c) => (c.subscriptionId = 'my-subscription'),
      'test.json: subscriptionId "my-subscription" must be a GUID like 00000000-0000-0000-0000-000000000000',
    ],
    [
      'bad ledger role',
      'dev',
      (c) => (c.ledger.principals[0].role = 'Owner'),
      'dev.json: ledger.principals[0].role "Owner" is not allowed; expected one of: Administrator, Contributor, Reader',
    ],
    [
      'bad ledger type',
      'dev',
      (c) => (c.ledger.type = 'Confidential'),
      'dev.json: ledger.type "Confidential" is not allowed; expected one of: Public, Private',
    ],
    [
      'wrong type',
      'dev',
      (c) => (c.ledger.preventDestroy = 'yes'),
      'dev.json: ledger.preventDestroy "yes" has the wrong type; expected boolean',
    ],
    ['missing field', 'dev', (c) => delete c.tenantId, 'dev.json: tenantId is missing; expected string'],
    [
      'malformed resource id',
      'test',
      (c) => (c.keyVault.privateEndpoint.subnetId = '/subscriptions/x/subnets/y'),
      'test.json: keyVault.privateEndpoint.subnetId "/subscriptions/x/subnets/y" must be a Microsoft.Network/virtualNetworks/subnets resource id like /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>/subnets/<name>',
    ],
    [
      'retention out of range',
      'dev',
      (c) => (c.logAnalytics.retentionInDays = 7),
      'dev.json: logAnalytics.retentionInDays 7 Too small: expected number to be >=30',
    ],
    [
      'suppression without reason',
      'prod',
      (c) => (c.guardrails = { suppressions: [{ ruleId: 'ACL-L1', reason: 'n/a' }] }),
      'prod.json: guardrails.suppressions[0].reason "n/a" must explain the suppression in at least 20 characters',
    ],
    [
      'missing certificate file',
      'dev',
      (c) => (c.ledger.principals[3].certificateFile = 'certs/missing.pem'),
      'dev.json: ledger.principals[3].certificateFile "certs/missing.pem" cannot be read (ENOENT); expected a PEM certificate path relative to the environment file',
    ],
  ])('fails for a %s, naming file, field, value and what is expected', (_, name, change, expected) => {
    expect(problems(name, change)).toEqual([expected]);
  });

  test('reports the problems of every file at once', () => {
    const dir = copyEnvironments();
    editEnvironment(dir, 'dev', (c) => (c.location = 'mars'));
    editEnvironment(dir, 'prod', (c) => (c.tier = 'production'));
    expect(() => loadEnvironments(dir)).toThrow(/dev\.json: location "mars"[\s\S]*prod\.json: tier "production"/);
  });

  test('fails for a file that is not JSON', () => {
    const dir = copyEnvironments();
    writeFileSync(join(dir, 'dev.json'), '{ "tier": ');
    expect(() => loadEnvironments(dir)).toThrow(/dev\.json: is not valid JSON: 1:11: value expected/);
  });

  test('fails for an environment name that cannot become a stack name', () => {
    const dir = copyEnvironments();
    writeFileSync(join(dir, 'Prod_EU.json'), '{}');
    expect(() => loadEnvironments(dir)).toThrow("file name 'Prod_EU' must be 1–20 lower-case letters, digits and hyphens");
  });

  test('fails for a folder without environment files', () => {
    expect(() => loadEnvironments(join(ENVIRONMENTS_DIR, 'certs'))).toThrow('no environment files (*.json)');
  });
});
