import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUARDRAIL_RULE_IDS } from '../../constructs/governance';
import { SynthError, synthAll } from '../../stacks/synth';
import { ENVIRONMENTS_DIR, REPO_ROOT, copyEnvironments, editEnvironment, shippedEnvironmentNames } from '../helpers/environments';

const freshOutdir = () => mkdtempSync(join(tmpdir(), 'acl-out-'));
const stackJson = (outdir: string, stack: string) => JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));

/** Every file under a folder with its modification time, to prove nothing was rewritten. */
function snapshot(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) =>
    readdirSync(d, { withFileTypes: true }).forEach((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : (out[join(d, e.name)] = statSync(join(d, e.name)).mtimeMs),
    );
  walk(dir);
  return out;
}

describe('synthAll', () => {
  const outdir = freshOutdir();
  const result = synthAll({ environmentsDir: ENVIRONMENTS_DIR, outdir });

  test('writes one stack per environment, named acl-<environment>', () => {
    // whatever files environments/ holds: the shipped ones are examples.
    const stacks = shippedEnvironmentNames().map((name) => `acl-${name}`);
    expect(Object.keys(result.stackDirs).sort()).toEqual(stacks);
    expect(readdirSync(join(outdir, 'stacks')).sort()).toEqual(stacks);
    expect(JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')).stacks).toHaveProperty('acl-prod');
    expect(readdirSync(outdir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  test('keeps the logical ids of stateful resources stable (a change here would replace them)', () => {
    for (const env of ['dev', 'test', 'prod']) {
      const json = stackJson(outdir, `acl-${env}`);
      expect(Object.keys(json.resource.azurerm_confidential_ledger)).toEqual(['Ledger_B7379752']);
      expect(Object.keys(json.resource.azurerm_key_vault)).toEqual(['KeyVault_EBBC7C6F']);
    }
  });

  test('composes each environment as its file says', () => {
    const dev = stackJson(outdir, 'acl-dev');
    const prod = stackJson(outdir, 'acl-prod');
    expect(dev.resource.azurerm_resource_group).toBeDefined();
    expect(prod.resource.azurerm_resource_group).toBeUndefined();
    expect(dev.terraform.backend).toEqual({ local: { path: '../../../state/acl-dev.tfstate' } });
    expect(prod.terraform.backend.azurerm).toMatchObject({ key: 'acl-prod.tfstate', use_azuread_auth: true });
    expect(Object.values<any>(prod.resource.azurerm_confidential_ledger)[0]).toMatchObject({
      ledger_type: 'Private',
      lifecycle: { prevent_destroy: true },
    });
    expect(Object.keys(prod.resource.azurerm_management_lock)).toHaveLength(2);
    expect(Object.keys(dev.resource.azurerm_management_lock ?? {})).toHaveLength(0);
    expect(Object.keys(prod.resource.azurerm_monitor_diagnostic_setting)).toHaveLength(2);
    expect(Object.values<any>(prod.resource.azurerm_private_endpoint)[0].private_service_connection.subresource_names).toEqual(['vault']);
    expect(Object.keys(prod.resource.azurerm_role_assignment)).toEqual([expect.stringMatching(/^Ledger_RoleAssignment-auditors_/)]);
    expect(prod.output).toHaveProperty('ledger_endpoint');
    expect(prod.output).toHaveProperty('identity_service_endpoint');
    expect(prod['//'].guardrails).toMatchObject({ tier: 'prod', suppressions: [] });
  });

  test('prod passes every guardrail without a suppression; dev and test relax only by recorded suppressions', () => {
    const prod = stackJson(outdir, 'acl-prod')['//'].guardrails;
    expect(prod.suppressions).toEqual([]);
    expect(prod.enforced).toEqual(GUARDRAIL_RULE_IDS);
    for (const env of ['dev', 'test']) {
      const recorded = stackJson(outdir, `acl-${env}`)['//'].guardrails;
      expect(recorded.enforced).toEqual(GUARDRAIL_RULE_IDS);
      expect(recorded.suppressions.length).toBeGreaterThan(0);
      for (const s of recorded.suppressions) expect(s.reason.length).toBeGreaterThanOrEqual(20);
    }
  });

  test.each<[string, string, (c: any) => void, RegExp]>([
    [
      'a bad region',
      'prod',
      (c) => (c.location = 'westus'),
      /prod\.json: location "westus" is not allowed; expected one of: australiaeast/,
    ],
    [
      'a bad ledger name',
      'test',
      (c) => (c.ledger.name = 'Contoso_Ledger'),
      /test\.json: ledger\.name "Contoso_Ledger" is not a valid ledger name/,
    ],
    [
      'a bad role',
      'dev',
      (c) => (c.ledger.principals[0].role = 'Owner'),
      /dev\.json: ledger\.principals\[0\]\.role "Owner" is not allowed/,
    ],
    ['an unknown key', 'dev', (c) => (c.ledger.replicas = 3), /dev\.json: ledger: unknown key 'replicas'/],
    ['a prod guardrail violation', 'prod', (c) => (c.ledger.type = 'Public'), /prod\.json: ledger\.type "Public" breaks guardrail ACL-L1/],
    [
      'a residency breach',
      'dev',
      (c) => (c.ledger.allowedGeographies = ['europe']),
      /ACL replicates 'eastus' to its paired region 'westus'/,
    ],
    [
      'a private endpoint on the ledger',
      'test',
      (c) => (c.ledger.privateEndpoint = c.keyVault.privateEndpoint),
      /offers no private-link sub-resource/,
    ],
  ])('refuses %s and leaves the previous output untouched', (_, env, change, message) => {
    const dir = copyEnvironments();
    editEnvironment(dir, env, change);
    const before = snapshot(outdir);
    expect(() => synthAll({ environmentsDir: dir, outdir })).toThrow(message);
    expect(snapshot(outdir)).toEqual(before);
  });

  test('writes nothing into an empty output folder when refused', () => {
    const dir = copyEnvironments();
    editEnvironment(dir, 'prod', (c) => (c.ledger.type = 'Public'));
    const empty = freshOutdir();
    expect(() => synthAll({ environmentsDir: dir, outdir: empty })).toThrow(SynthError);
    expect(readdirSync(empty)).toEqual([]);
  });

  test('lists every guardrail violation of every stack in one report', () => {
    const dir = copyEnvironments();
    editEnvironment(dir, 'prod', (c) => {
      c.ledger.type = 'Public';
      delete c.ledger.lock;
    });
    editEnvironment(dir, 'test', (c) => (c.keyVault.publicNetworkAccessEnabled = true));
    try {
      synthAll({ environmentsDir: dir, outdir: freshOutdir() });
      throw new Error('expected synth to be refused');
    } catch (error) {
      expect((error as SynthError).violations.map((v) => `${v.path} ${v.ruleId}`).sort()).toEqual([
        'acl-prod/Ledger/Resource ACL-L1',
        'acl-prod/Ledger/Resource ACL-L2',
        'acl-test/KeyVault/Resource ACL-KV2',
      ]);
    }
  });

  test('a suppression with a reason lets a lower tier through and is recorded in its stack', () => {
    const dir = copyEnvironments();
    const reason = 'Release notes are public by design; approved in CAB-1234';
    editEnvironment(dir, 'test', (c) => {
      c.ledger.type = 'Public';
      c.guardrails.suppressions.push({ ruleId: 'ACL-L1', reason });
    });
    const out = freshOutdir();
    synthAll({ environmentsDir: dir, outdir: out });
    expect(stackJson(out, 'acl-test')['//'].guardrails.suppressions).toContainEqual({ ruleId: 'ACL-L1', reason });
  });
});

describe('the cdktf app entry point', () => {
  const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const main = join(REPO_ROOT, 'stacks', 'main.ts');

  test('reads environments from $ACL_ENVIRONMENTS_DIR and writes to $CDKTF_OUTDIR', () => {
    const dir = copyEnvironments();
    editEnvironment(dir, 'dev', (c) => (c.ledger.name = 'renamed-dev-ledger'));
    const out = freshOutdir();
    execFileSync(tsx, [main], { env: { ...process.env, ACL_ENVIRONMENTS_DIR: dir, CDKTF_OUTDIR: out } });
    expect(Object.values<any>(stackJson(out, 'acl-dev').resource.azurerm_confidential_ledger)[0].name).toBe('renamed-dev-ledger');
  });

  test('exits non-zero with a one-line reason and no stack trace on bad config', () => {
    const dir = copyEnvironments();
    editEnvironment(dir, 'prod', (c) => (c.location = 'westus'));
    const out = freshOutdir();
    const run = spawnSync(tsx, [main], { env: { ...process.env, ACL_ENVIRONMENTS_DIR: dir, CDKTF_OUTDIR: out }, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^synth refused:\n.*prod\.json: location "westus" is not allowed; expected one of: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(out, 'stacks'))).toBe(false);
  });
});
