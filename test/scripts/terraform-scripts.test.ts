import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { satisfies, terraformCommands } from '../../scripts/terraform/run';
import { TERRAFORM_REQUIRED_VERSION, TERRAFORM_VERSION } from '../../stacks/terraform-requirements';
import { REPO_ROOT } from '../helpers/environments';
import { environmentFile, writeEnvironmentSet } from '../helpers/environment-sets';
import { fakeTerraform, terraformCalls } from '../helpers/fake-terraform';

/*
 * `npm run plan` and `npm run deploy` drive terraform directly. A stand-in terraform executable
 * records every command line it is given, so the tests prove what would run against Azure; where a
 * real terraform exists, it is run too.
 */

const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

const calls = terraformCalls;

function run(script: 'plan' | 'deploy', args: string[], env: Record<string, string> = {}) {
  const project = mkdtempSync(join(tmpdir(), 'acl-tf-project-'));
  const cdktfOut = join(project, 'cdktf.out');
  const result = spawnSync(tsx, [join(REPO_ROOT, 'scripts', `${script}.ts`), '--cdktf-out', cdktfOut, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    input: '',
    env: { ...process.env, ...env },
  });
  return { ...result, stackDir: (name: string) => join(cdktfOut, 'stacks', `acl-${name}`) };
}

describe('npm run plan / deploy without the cdktf CLI', () => {
  const environmentsDir = writeEnvironmentSet({ a: environmentFile('a'), b: environmentFile('b') });

  test('plan: synthesizes, checks the version, then init, plan to tfplan and show, in the stack folder', () => {
    const tf = fakeTerraform();
    const result = run('plan', ['--env', 'a', '--environments-dir', environmentsDir, '--terraform', tf.path]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const dir = result.stackDir('a');
    expect(calls(tf.log)).toEqual([
      ['version', '-json'],
      [`-chdir=${dir}`, 'init', '-input=false'],
      [`-chdir=${dir}`, 'plan', '-input=false', '-lock-timeout=5m', '-out=tfplan'],
      [`-chdir=${dir}`, 'show', '-no-color', 'tfplan'],
    ]);
    expect(readFileSync(join(dir, 'plan.txt'), 'utf8')).toContain('Plan: 9 to add');
    expect(result.stdout).toContain('Plan: 9 to add');
    // all or nothing: every environment was synthesized.
    expect(existsSync(join(result.stackDir('b'), 'cdk.tf.json'))).toBe(true);
  });

  test('deploy --auto-approve applies exactly the saved plan after showing it', () => {
    const tf = fakeTerraform();
    const result = run('deploy', ['--env', 'b', '--environments-dir', environmentsDir, '--terraform', tf.path, '--auto-approve']);
    expect(result.status).toBe(0);
    const dir = result.stackDir('b');
    expect(calls(tf.log).map((c) => c.slice(1).join(' '))).toEqual([
      '-json',
      'init -input=false',
      'plan -input=false -lock-timeout=5m -out=tfplan',
      'show -no-color tfplan',
      'apply -input=false -lock-timeout=5m tfplan',
    ]);
    expect(calls(tf.log)[4][0]).toBe(`-chdir=${dir}`);
  });

  test('deploy without a "yes" (no terminal) does not apply', () => {
    const tf = fakeTerraform();
    const result = run('deploy', ['--env', 'a', '--environments-dir', environmentsDir, '--terraform', tf.path]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('not applied (answer "yes" to apply, or pass --auto-approve)');
    expect(calls(tf.log).some((c) => c.includes('apply'))).toBe(false);
  });

  test('a failing terraform step stops there with exit 4, naming the step', () => {
    const tf = fakeTerraform();
    const result = run('deploy', ['--env', 'a', '--environments-dir', environmentsDir, '--terraform', tf.path, '--auto-approve'], {
      FAKE_TF_FAIL: 'plan',
    });
    expect(result.status).toBe(4);
    expect(result.stderr).toContain('terraform plan failed (exit 7)');
    expect(calls(tf.log).map((c) => c[1])).toEqual(['-json', 'init', 'plan']);
  });

  test('a terraform outside required_version is refused before it touches state, naming the pinned version', () => {
    const tf = fakeTerraform();
    const result = run('plan', ['--env', 'a', '--environments-dir', environmentsDir, '--terraform', tf.path], {
      FAKE_TF_VERSION: '1.11.4',
    });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(
      `terraform 1.11.4 does not satisfy the stacks' required_version "${TERRAFORM_REQUIRED_VERSION}"; install Terraform ${TERRAFORM_VERSION}`,
    );
    expect(calls(tf.log)).toEqual([['version', '-json']]);
  });

  test('a missing terraform is named, with the version to install', () => {
    const result = run('plan', ['--env', 'a', '--environments-dir', environmentsDir, '--terraform', join(tmpdir(), 'no-such-terraform')]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/terraform not found \('.*no-such-terraform'\); install Terraform 1\.15\.9/);
  });

  test('a refused synth runs no terraform at all; an unknown environment is named', () => {
    const tf = fakeTerraform();
    const broken = writeEnvironmentSet({ a: environmentFile('a'), b: { ...environmentFile('b'), location: 'westus' } });
    const refused = run('plan', ['--env', 'a', '--environments-dir', broken, '--terraform', tf.path]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('synth refused');
    const unknown = run('plan', ['--env', 'zz', '--environments-dir', environmentsDir, '--terraform', tf.path]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("no environment 'zz'");
    expect(calls(tf.log)).toEqual([]);
    expect(run('plan', ['--environments-dir', environmentsDir]).stderr).toContain("required option '--env <name>' not specified");
  });

  test('the pipelines run the same terraform command lines', () => {
    const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
    const github = [read('.github/workflows/delivery.yml'), read('.github/workflows/deploy-environment.yml')].join('\n');
    const ado = ['pipelines/azure-pipelines.yml', 'pipelines/templates/environment-stages.yml', 'pipelines/templates/deploy-stage.yml']
      .map(read)
      .join('\n');
    for (const [text, dir] of [
      [github, '"$STACK_DIR"'],
      [ado, '"$(STACK_DIR)"'],
    ]) {
      // the plan job's own steps; apply, show -json and drift run in npm run deploy-environment / drift, with these same lines.
      const { init, plan, show } = terraformCommands(dir);
      for (const args of [init, plan, show]) expect(text).toContain(`terraform ${args.join(' ')}`);
      expect(text).toContain('npm run deploy-environment --');
    }
  });

  const realTerraform = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8' });
  (realTerraform.error ? test.skip : test)('with the real terraform on this machine: its version is checked for real', () => {
    const version = JSON.parse(realTerraform.stdout).terraform_version as string;
    const result = run('plan', ['--env', 'a', '--environments-dir', environmentsDir], { TF_IN_AUTOMATION: '1' });
    if (satisfies(version, TERRAFORM_REQUIRED_VERSION)) {
      // init needs the registry; whether it can reach it is the machine's business, the command line is ours.
      expect(result.stdout).toContain(`$ terraform -chdir=${result.stackDir('a')} init -input=false`);
    } else {
      expect(result.status).toBe(3);
      expect(result.stderr).toContain(`terraform ${version} does not satisfy`);
    }
  });
});

describe('satisfies', () => {
  test.each<[string, string, boolean]>([
    ['1.12.0', '>= 1.12.0, < 2.0.0', true],
    ['1.15.9', '>= 1.12.0, < 2.0.0', true],
    ['1.11.4', '>= 1.12.0, < 2.0.0', false],
    ['2.0.0', '>= 1.12.0, < 2.0.0', false],
    ['1.16.0-rc2', '>= 1.12.0, < 2.0.0', true],
    ['4.81.0', '>= 4.81.0, < 5.0.0', true],
    ['4.80.0', '>= 4.81.0, < 5.0.0', false],
    ['1.5.0', '1.5.0', true],
  ])('%s against %s: %s', (version, constraint, expected) => {
    expect(satisfies(version, constraint)).toBe(expected);
  });
});
