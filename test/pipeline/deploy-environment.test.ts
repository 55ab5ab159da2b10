import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLedgerLog } from '../../local-ledger/ledger';
import { startLocalLedger, type RunningLedger } from '../../local-ledger';
import { pipelineRunUrl, predecessors } from '../../scripts/deploy-environment';
import { DEPLOY_STEPS } from '../../scripts/pipeline/deploy-sequence';
import { smoke } from '../../scripts/smoke';
import { synthAll } from '../../stacks/synth';
import { REPO_ROOT } from '../helpers/environments';
import { runScript } from '../helpers/run-script';
import { environmentFile, writeEnvironmentSet } from '../helpers/environment-sets';
import { fakeTerraform, terraformCalls } from '../helpers/fake-terraform';
import { newDataDir } from '../helpers/local-ledger';

/*
 * `npm run deploy-environment` end to end, in another process: a recording terraform stand-in, and
 * local ledgers over HTTPS standing in for the environments `a` (root) and `b` (promoted from a).
 * The order of steps is read from what each left behind: terraform's command log, the entries in
 * b's ledger, the evidence folders and the sequence's own record.
 */

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const LEDGER = 'azurerm_confidential_ledger.Ledger_B7379752';
const COMMIT = 'c0ffee';
jest.setTimeout(240_000);

const environmentsDir = writeEnvironmentSet({ a: environmentFile('a', 'dev'), b: environmentFile('b', 'test', ['a']) });
const cdktfOut = tmp('acl-deploy-out-');
synthAll({ environmentsDir, outdir: cdktfOut });

/** The plan artifact the plan job would have kept for b: its cdk.tf.json and the saved plan. */
function reviewedPlan(): string {
  const dir = tmp('acl-plan-b-');
  copyFileSync(join(cdktfOut, 'stacks', 'acl-b', 'cdk.tf.json'), join(dir, 'cdk.tf.json'));
  writeFileSync(join(dir, 'tfplan'), 'saved plan');
  return dir;
}

function deploy(args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  for (const key of ['GITHUB_ACTIONS', 'TF_BUILD', 'GITHUB_STEP_SUMMARY', 'GITHUB_RUN_ID', 'BUILD_BUILDID']) delete clean[key];
  return runScript(join('scripts', 'deploy-environment.ts'), args, { env: { ...clean, ...env } });
}

describe('npm run deploy-environment against local ledgers and a recording terraform', () => {
  const aData = newDataDir();
  const bData = newDataDir();
  let a: RunningLedger;
  let b: RunningLedger;
  beforeAll(async () => {
    a = await startLocalLedger({ dataDir: aData });
    b = await startLocalLedger({ dataDir: bData });
  });
  afterAll(async () => {
    await a.stop();
    await b.stop();
  });

  /** An evidence folder holding a's passing smoke run for this commit (what the gate needs). */
  async function evidenceFromA(): Promise<string> {
    const evidenceDir = tmp('acl-deploy-ev-');
    const result = await smoke({
      env: 'a',
      environmentsDir,
      cdktfOut,
      evidenceDir,
      commit: COMMIT,
      runId: `smoke-a-${Math.random().toString(36).slice(2)}`,
      localData: aData,
      commitTimeoutMs: 5000,
      receiptTimeoutMs: 5000,
      report: () => undefined,
    });
    expect(result.ok).toBe(true);
    return evidenceDir;
  }

  const args = (evidenceDir: string, tf: string, planDir: string, runId: string, summary: string) => [
    '--env',
    'b',
    '--promote-from',
    'a',
    '--plan-dir',
    planDir,
    '--terraform',
    tf,
    '--environments-dir',
    environmentsDir,
    '--cdktf-out',
    tmp('acl-deploy-synth-'),
    '--evidence-dir',
    evidenceDir,
    '--commit',
    COMMIT,
    '--run-id',
    runId,
    '--local-data',
    bData,
    '--from-local-data',
    aData,
    '--approver',
    'alice@contoso.example',
    '--summary',
    summary,
  ];
  const collections = () =>
    readLedgerLog(bData)
      .records.filter((r) => r.t === 'w')
      .map((r) => r.c);
  const record = (evidenceDir: string, runId: string) =>
    JSON.parse(readFileSync(join(evidenceDir, 'b', `deploy-sequence-${runId}.json`), 'utf8'));
  const kinds = (evidenceDir: string) =>
    existsSync(join(evidenceDir, 'b'))
      ? readdirSync(join(evidenceDir, 'b'))
          .map((d) => d.replace(/-.*$/, ''))
          .sort()
      : [];

  test('runs gate → plan check → preflight → apply → attest → smoke → evidence, in that order', async () => {
    // a's evidence as the pipeline has it: an artifact evidence-a downloaded into its own folder.
    const artifacts = tmp('acl-artifacts-');
    cpSync(join(await evidenceFromA(), 'a'), join(artifacts, 'evidence-a'), { recursive: true });
    const evidenceDir = tmp('acl-deploy-ev-');
    const tf = fakeTerraform();
    const planDir = reviewedPlan();
    const summary = join(tmp('acl-summary-'), 'summary.md');
    const before = collections().length;
    const result = await deploy([...args(evidenceDir, tf.path, planDir, 'run-ok', summary), '--artifacts-dir', artifacts]);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    // terraform: the reviewed plan's folder, exactly that plan, applied after it was checked.
    expect(terraformCalls(tf.log)).toEqual([
      ['version', '-json'],
      [`-chdir=${planDir}`, 'init', '-input=false'],
      [`-chdir=${planDir}`, 'show', '-json', 'tfplan'],
      [`-chdir=${planDir}`, 'apply', '-input=false', '-lock-timeout=5m', 'tfplan'],
    ]);
    // b's ledger: the promotion attestation, then the deployment attestation, then the smoke entry.
    expect(collections().slice(before)).toEqual(['acl-stack-promotions', 'acl-stack-deployments', 'acl-stack-smoke']);
    expect(readdirSync(join(evidenceDir, 'b')).sort()).toEqual([
      'deploy-sequence-run-ok.json',
      'deployment-run-ok',
      'promotion-run-ok',
      'run-ok',
    ]);
    expect(readFileSync(join(evidenceDir, 'b', 'run-ok', 'summary.md'), 'utf8')).toMatch(/passed/);
    const sequence = record(evidenceDir, 'run-ok');
    expect(sequence.steps.map((s: any) => [s.step, s.status])).toEqual(DEPLOY_STEPS.map((s) => [s, 'passed']));
    expect(sequence).toMatchObject({ environment: 'b', promoteFrom: ['a'], commit: COMMIT, exitCode: 0 });
    const written = readFileSync(summary, 'utf8');
    expect(written).toContain('### Plan for `b`: no changes · no drift');
    expect(written).toContain('### Deploy b: done');
    expect(written).toContain('| apply | ✅ passed |');
  });

  test('a plan that replaces the ledger is refused before apply, with a GitHub ::error; an override lets it through, recorded', async () => {
    const evidenceDir = await evidenceFromA();
    const tf = fakeTerraform();
    const planDir = reviewedPlan();
    const summary = join(tmp('acl-summary-'), 'summary.md');
    const before = collections().length;
    const plan = join(REPO_ROOT, 'test', 'fixtures', 'plans', 'replace-ledger.json');
    const github = { GITHUB_ACTIONS: 'true', FAKE_TF_PLAN_JSON: plan };
    const refused = await deploy(args(evidenceDir, tf.path, planDir, 'run-refused', summary), github);
    expect(refused.status).toBe(6);
    expect(refused.stdout).toContain(
      `::error title=deploy b%3A plan-check failed::the plan deletes or replaces ${LEDGER}: refused, nothing applied`,
    );
    expect(refused.stdout).toContain('::error title=data loss refused::');
    expect(terraformCalls(tf.log).some((c) => c.includes('apply'))).toBe(false);
    // nothing reached b's ledger, no deployment or smoke evidence.
    expect(collections().length).toBe(before);
    expect(kinds(evidenceDir)).toEqual(['deploy']);
    expect(record(evidenceDir, 'run-refused').steps.map((s: any) => s.status)).toEqual([
      'passed',
      'passed',
      'failed',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'passed',
    ]);
    expect(readFileSync(summary, 'utf8')).toContain('**DATA LOSS, REFUSED**');

    const reason = 'CHG-42: ledger type changes; entries archived with npm run audit first';
    const allowed = await deploy(
      [...args(evidenceDir, tf.path, planDir, 'run-override', summary), '--allow-replace', LEDGER, '--override-reason', reason],
      github,
    );
    expect(allowed.status).toBe(0);
    expect(terraformCalls(tf.log).filter((c) => c.includes('apply'))).toHaveLength(1);
    const override = readdirSync(join(evidenceDir, 'b')).find((f) => f.startsWith('replacement-override-run-override-'));
    expect(JSON.parse(readFileSync(join(evidenceDir, 'b', override!), 'utf8'))).toMatchObject({
      addresses: [LEDGER],
      reason,
      environment: 'b',
    });
    expect(allowed.stdout).toContain('::warning title=data loss allowed by override::');
  });

  test('a failing apply stops the sequence there, with an Azure Pipelines logissue and exit 4; nothing is attested', async () => {
    const evidenceDir = await evidenceFromA();
    const tf = fakeTerraform();
    const before = collections().length;
    const result = await deploy(args(evidenceDir, tf.path, reviewedPlan(), 'run-apply-fails', join(tmp('acl-summary-'), 's.md')), {
      TF_BUILD: 'True',
      FAKE_TF_FAIL: 'apply',
    });
    expect(result.status).toBe(4);
    expect(result.stdout).toMatch(/^##vso\[task\.logissue type=error\]deploy b: apply failed: terraform apply failed \(exit 7\)/m);
    expect(collections().length).toBe(before);
    const steps = record(evidenceDir, 'run-apply-fails').steps;
    expect(steps.find((s: any) => s.step === 'apply')).toMatchObject({ status: 'failed', exitCode: 4 });
    expect(steps.filter((s: any) => s.status === 'skipped').map((s: any) => s.step)).toEqual(['attest', 'smoke']);
  });

  test('without passing evidence from the predecessor the gate refuses (exit 3) and terraform is never run', async () => {
    const tf = fakeTerraform();
    const evidenceDir = tmp('acl-deploy-ev-');
    const result = await deploy(args(evidenceDir, tf.path, reviewedPlan(), 'run-no-evidence', join(tmp('acl-summary-'), 's.md')), {
      GITHUB_ACTIONS: 'true',
    });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('promotion refused: no passing smoke evidence for a');
    expect(result.stdout).toMatch(
      /^::error title=deploy b%3A gate failed::npm run promote -- --gate-only --from a --to b .* failed \(exit 3\)/m,
    );
    expect(terraformCalls(tf.log)).toEqual([]);
  });

  test('a plan made from another synth of the stack is refused before terraform runs', async () => {
    const evidenceDir = await evidenceFromA();
    const tf = fakeTerraform();
    const planDir = reviewedPlan();
    writeFileSync(join(planDir, 'cdk.tf.json'), readFileSync(join(planDir, 'cdk.tf.json'), 'utf8').replace('"acl-gen-b"', '"acl-other"'));
    const result = await deploy(args(evidenceDir, tf.path, planDir, 'run-stale-plan', join(tmp('acl-summary-'), 's.md')));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      `error: deploy b: plan-check failed: the plan in ${planDir} was made from another synth of acl-b than this commit's`,
    );
    expect(terraformCalls(tf.log)).toEqual([]);
  });
});

describe('deploy-environment arguments', () => {
  test('--promote-from is a comma-separated list, empty for a root', () => {
    expect(predecessors('')).toEqual([]);
    expect(predecessors('test')).toEqual(['test']);
    expect(predecessors(' staging-weu , staging-neu ')).toEqual(['staging-weu', 'staging-neu']);
    expect(() => predecessors('dev,Bad Name')).toThrow("--promote-from 'Bad Name' is not an environment name");
  });

  test('the pipeline run is the run URL each CI system gives', () => {
    expect(pipelineRunUrl('x', { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '42' })).toBe(
      'https://github.com/o/r/actions/runs/42',
    );
    expect(pipelineRunUrl('x', { SYSTEM_COLLECTIONURI: 'https://dev.azure.com/org/', SYSTEM_TEAMPROJECT: 'p', BUILD_BUILDID: '7' })).toBe(
      'https://dev.azure.com/org/p/_build/results?buildId=7',
    );
    expect(pipelineRunUrl('local-1', {})).toBe('local-1');
  });
});
