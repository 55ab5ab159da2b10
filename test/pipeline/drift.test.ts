import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/environments';
import { environmentFile, writeEnvironmentSet } from '../helpers/environment-sets';
import { fakeTerraform, terraformCalls } from '../helpers/fake-terraform';

/*
 * `npm run drift` in another process with a recording terraform stand-in: plan -detailed-exitcode
 * without a state lock, then the plan reader on show -json, into the GitHub job summary.
 */

const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const environmentsDir = writeEnvironmentSet({ a: environmentFile('a', 'dev') });
const plan = (name: string) => join(REPO_ROOT, 'test', 'fixtures', 'plans', `${name}.json`);

function drift(env: Record<string, string>) {
  const tf = fakeTerraform();
  const cdktfOut = tmp('acl-drift-out-');
  const summary = join(tmp('acl-drift-summary-'), 'summary.md');
  writeFileSync(summary, '');
  const clean = { ...process.env };
  for (const key of ['GITHUB_ACTIONS', 'TF_BUILD', 'GITHUB_STEP_SUMMARY']) delete clean[key];
  const result = spawnSync(
    tsx,
    [
      join(REPO_ROOT, 'scripts', 'drift.ts'),
      '--env',
      'a',
      '--environments-dir',
      environmentsDir,
      '--cdktf-out',
      cdktfOut,
      '--terraform',
      tf.path,
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', env: { ...clean, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, ...env } },
  );
  return { ...result, calls: terraformCalls(tf.log), summary: readFileSync(summary, 'utf8'), stackDir: join(cdktfOut, 'stacks', 'acl-a') };
}

describe('npm run drift', () => {
  test('drift: exit 5, the drifted resources in the job summary, from a lock-free detailed-exitcode plan', () => {
    const result = drift({ FAKE_TF_PLAN_EXIT: '2', FAKE_TF_PLAN_JSON: plan('drift') });
    expect(result.status).toBe(5);
    expect(result.calls).toEqual([
      ['version', '-json'],
      [`-chdir=${result.stackDir}`, 'init', '-input=false'],
      [`-chdir=${result.stackDir}`, 'plan', '-input=false', '-lock=false', '-detailed-exitcode', '-out=tfplan-drift'],
      [`-chdir=${result.stackDir}`, 'show', '-json', 'tfplan-drift'],
    ]);
    expect(result.summary).toContain('### Plan for `a`: 1 to create, 2 to update · 3 drifted');
    expect(result.summary).toContain('#### Changed outside Terraform (drift)');
    expect(result.summary).toContain(
      '| deleted outside Terraform | `azurerm_role_assignment.Ledger_RoleAssignment-platform-operators_73E7C572` |',
    );
  });

  test('in step: exit 0 and says so', () => {
    const result = drift({ FAKE_TF_PLAN_EXIT: '0' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.summary).toContain('### Plan for `a`: no changes · no drift');
  });

  test('terraform saw changes the reader does not list (outputs only): still exit 5', () => {
    expect(drift({ FAKE_TF_PLAN_EXIT: '2' }).status).toBe(5);
  });

  test('a drifted plan that would replace the ledger: exit 6 with the ::error annotation', () => {
    const result = drift({ FAKE_TF_PLAN_EXIT: '2', FAKE_TF_PLAN_JSON: plan('replace-ledger') });
    expect(result.status).toBe(6);
    expect(result.stdout).toContain('::error title=data loss refused::the plan in a would delete or replace azurerm_confidential_ledger.');
  });

  test('a failing plan (exit 1) is a terraform failure, exit 4, nothing shown', () => {
    const result = drift({ FAKE_TF_PLAN_EXIT: '1' });
    expect(result.status).toBe(4);
    expect(result.stderr).toContain('drift: terraform plan failed (exit 1)');
    expect(result.calls.map((c) => c[1])).toEqual(['-json', 'init', 'plan']);
  });
});
