import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { armStandInPath, type ArmStandInState } from '../../local-ledger/arm-stand-in';
import { allows } from '../../scripts/preflight/checks';
import { runScript } from '../helpers/run-script';
import { environmentFile, guidFor, writeEnvironmentSet } from '../helpers/environment-sets';
import { startTestLedger, type TestLedger } from '../helpers/local-ledger';

/*
 * npm run preflight in another process, with the official ARM SDKs, against a running local
 * ledger's ARM stand-in; each prerequisite is taken away by editing the stand-in's state file.
 */

/** Runs preflight without blocking this process, which serves the ledger. */
const preflight = (args: string[]) => runScript(join('scripts', 'preflight.ts'), args);

describe('npm run preflight against the local ARM stand-in', () => {
  let ledger: TestLedger;
  let dataDir: string;
  const env = environmentFile('pf');
  const environmentsDir = writeEnvironmentSet({ pf: env });
  const run = (state: ArmStandInState, ...extra: string[]) => {
    writeFileSync(armStandInPath(dataDir), JSON.stringify(state));
    return preflight(['--env', 'pf', '--environments-dir', environmentsDir, '--local-data', dataDir, ...extra]);
  };

  beforeAll(async () => {
    ledger = await startTestLedger();
    dataDir = join(ledger.info.serviceCertificatePath, '..', '..');
  });
  afterAll(async () => {
    await ledger.stop();
  });
  afterEach(() => rmSync(armStandInPath(dataDir), { force: true }));

  test('passes when every prerequisite is met, naming each check', async () => {
    const result = await run({});
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const line of [
      'ok   resource provider: Microsoft.ConfidentialLedger is registered',
      'ok   region: westeurope offers confidential ledgers',
      `ok   ledger name: ${env.ledger.name} is available`,
      'ok   ledger quota: 1 other ledger(s) in the subscription',
      `ok   permission: Microsoft.Authorization/roleAssignments/write on resource group ${env.resourceGroup.name}`,
      `ok   permission: Microsoft.Authorization/locks/write on resource group ${env.resourceGroup.name}`,
      'ready to plan and deploy',
    ]) {
      expect(result.stdout).toContain(line);
    }
  });

  test.each<[string, ArmStandInState, RegExp[]]>([
    [
      'an unregistered resource provider',
      { unregisteredProviders: ['Microsoft.ConfidentialLedger'] },
      [
        /FAIL resource provider: Microsoft\.ConfidentialLedger is NotRegistered in subscription [0-9a-f-]+/,
        new RegExp(`fix: az provider register --namespace Microsoft\\.ConfidentialLedger --subscription ${guidFor('pf')}`),
      ],
    ],
    [
      'a region without ledgers',
      { ledgerLocations: ['East US', 'Southeast Asia'] },
      [
        /FAIL region: westeurope does not offer confidential ledgers to this subscription \(offered: East US, Southeast Asia\)/,
        /fix: set location/,
      ],
    ],
    [
      'a taken ledger name',
      { takenNames: ['acl-gen-pf'] },
      [/FAIL ledger name: acl-gen-pf is taken \(AlreadyExists/, /fix: choose another ledger\.name/],
    ],
    [
      'a full ledger quota',
      { otherLedgers: [{ name: 'someone-elses', resourceGroup: 'rg-x' }] },
      [
        /FAIL ledger quota: subscription [0-9a-f-]+ already holds 2 ledgers \(acl-local, someone-elses\); Azure's default quota is 2/,
        /fix: use a subscription per environment, or have the confidential ledger quota raised/,
      ],
    ],
    [
      'a deploy identity that may not write locks or role assignments',
      { permissions: { actions: ['*'], notActions: ['Microsoft.Authorization/*/write'] } },
      [
        /FAIL permission: this identity may not Microsoft\.Authorization\/roleAssignments\/write on resource group rg-acl-pf\n\s+fix: grant the deploy identity "Role Based Access Control Administrator"/,
        /FAIL permission: this identity may not Microsoft\.Authorization\/locks\/write on resource group rg-acl-pf\n\s+fix: grant the deploy identity "User Access Administrator" or Owner/,
      ],
    ],
  ])('fails on %s, naming the fix', async (_, state, expected) => {
    const result = await run(state);
    expect(result.status).toBe(1);
    for (const pattern of expected) expect(result.stdout).toMatch(pattern);
    expect(result.stdout).toMatch(/\d+ prerequisite\(s\) missing/);
  });

  test('a Contributor-like identity (no Microsoft.Authorization writes) fails only the permission checks', async () => {
    const contributor = { actions: ['*'], notActions: ['Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/*/Write'] };
    const result = await run({ permissions: contributor });
    expect(result.status).toBe(1);
    expect(result.stdout.match(/^FAIL/gm)).toHaveLength(2);
  });

  test('as the plan identity, write permissions are left to the deploy identity', async () => {
    const result = await run({ permissions: { actions: ['*/read'], notActions: [] } }, '--identity', 'plan');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      "Microsoft.Authorization/locks/write: not the plan identity's; checked by preflight as the deploy identity",
    );
  });

  test('an existing ledger that is ours passes although its name is taken', async () => {
    const ours = writeEnvironmentSet({ pf: { ...env, ledger: { ...env.ledger, name: ledger.info.ledgerId } } });
    writeFileSync(armStandInPath(dataDir), JSON.stringify({ otherLedgers: [{ name: 'another', resourceGroup: 'rg-y' }] }));
    const result = await preflight(['--env', 'pf', '--environments-dir', ours, '--local-data', dataDir]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`ok   ledger name: ${ledger.info.ledgerId} exists in resource group rg-acl-pf: ours, updated in place`);
    expect(result.stdout).toContain('ok   ledger quota: 1 other ledger(s)');
  });

  test('bad usage exits 2 naming the flag', async () => {
    expect((await preflight(['--env', 'pf', '--environments-dir', environmentsDir, '--identity', 'admin'])).stderr).toContain(
      "option '--identity <which>' argument 'admin' is invalid. Allowed choices are deploy, plan.",
    );
  });
});

describe('allows (Azure RBAC actions and notActions)', () => {
  test.each<[string[], string[], string, boolean]>([
    [['*'], [], 'Microsoft.Authorization/locks/write', true],
    [['*'], ['Microsoft.Authorization/*/Write'], 'Microsoft.Authorization/locks/write', false],
    [['Microsoft.Authorization/locks/*'], [], 'Microsoft.Authorization/locks/write', true],
    [['Microsoft.Authorization/roleAssignments/*'], [], 'Microsoft.Authorization/locks/write', false],
    [['*/read'], [], 'Microsoft.Authorization/locks/write', false],
  ])('actions %j, notActions %j, %s: %s', (actions, notActions, action, expected) => {
    expect(allows([{ actions, notActions }], action)).toBe(expected);
  });

  test('a second grant without the exclusion allows what the first excludes', () => {
    const grants = [
      { actions: ['*'], notActions: ['Microsoft.Authorization/*/Write'] },
      { actions: ['Microsoft.Authorization/locks/*'], notActions: [] },
    ];
    expect(allows(grants, 'Microsoft.Authorization/locks/write')).toBe(true);
  });
});
