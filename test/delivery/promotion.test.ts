import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLedgerLog } from '../../local-ledger/ledger';
import { verifyReceipt } from '../../receipts/verify';
import { recordAttestation } from '../../scripts/delivery/attestation';
import { PromotionRefused } from '../../scripts/delivery/evidence-gate';
import { promote, type PromoteOptions } from '../../scripts/promote';
import { smoke } from '../../scripts/smoke';
import { synthAll } from '../../stacks/synth';
import { ENVIRONMENTS_DIR, REPO_ROOT, copyEnvironments, editEnvironment } from '../helpers/environments';
import { newDataDir } from '../helpers/local-ledger';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const quiet = () => undefined;

describe('promotion and attestations against local ledgers standing in for dev and test', () => {
  const cdktfOut = tmp('acl-promo-out-');
  synthAll({ environmentsDir: ENVIRONMENTS_DIR, outdir: cdktfOut });
  const devLedger = newDataDir();
  const testLedger = newDataDir();
  const base = { environmentsDir: ENVIRONMENTS_DIR, cdktfOut, commit: 'c0ffee', report: quiet };

  const smokeDev = (evidenceDir: string, commit = base.commit) =>
    smoke({
      ...base,
      commit,
      env: 'dev',
      evidenceDir,
      runId: `smoke-${Math.random().toString(36).slice(2)}`,
      localData: devLedger,
      commitTimeoutMs: 5000,
      receiptTimeoutMs: 5000,
    });
  const promoteOptions = (evidenceDir: string, overrides: Partial<PromoteOptions> = {}): PromoteOptions => ({
    ...base,
    evidenceDir,
    from: 'dev',
    to: 'test',
    approver: 'alice@contoso.example',
    runId: `promote-${Math.random().toString(36).slice(2)}`,
    localData: testLedger,
    ...overrides,
  });

  test('is refused without any evidence from dev', async () => {
    await expect(promote(promoteOptions(tmp('acl-ev-')))).rejects.toThrow(PromotionRefused);
    await expect(promote(promoteOptions(tmp('acl-ev-')))).rejects.toThrow(
      /no passing smoke evidence for dev at commit c0ffee .* \(none at all\)/,
    );
  });

  test('is allowed with passing evidence, and records an attestation whose receipt verifies', async () => {
    const evidenceDir = tmp('acl-ev-');
    const devRun = await smokeDev(evidenceDir);
    expect(devRun.ok).toBe(true);
    const result = await promote(promoteOptions(evidenceDir));
    expect(result.ok).toBe(true);
    const evidence = JSON.parse(readFileSync(join(result.evidenceDir!, 'evidence.json'), 'utf8'));
    expect(result.evidenceDir).toContain(join(evidenceDir, 'test', 'promotion-'));
    expect(JSON.parse(evidence.entry.contents)).toMatchObject({
      schema: 'acl-stack/promotion/v1',
      from: 'dev',
      to: 'test',
      commit: 'c0ffee',
      approver: 'alice@contoso.example',
      sourceEvidenceTransactionId: devRun.transactionId,
      sourceStackSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(evidence.entry.collectionId).toBe('acl-stack-promotions');
    expect(
      verifyReceipt(evidence.receipt, {
        serviceCertificate: readFileSync(join(testLedger, 'identity', 'service.cert.pem'), 'utf8'),
        transactionId: result.transactionId,
      }).transactionId,
    ).toBe(result.transactionId);
    // the attestation is in the test ledger, not the dev one.
    const inTest = readLedgerLog(testLedger).records.filter((r) => r.t === 'w' && r.c === 'acl-stack-promotions');
    expect(inTest.length).toBeGreaterThanOrEqual(1);
  });

  test('is refused for evidence of another commit', async () => {
    const evidenceDir = tmp('acl-ev-');
    expect((await smokeDev(evidenceDir, 'deadbeef')).ok).toBe(true);
    await expect(promote(promoteOptions(evidenceDir))).rejects.toThrow(/found instead:\n.*it is for commit deadbeef/);
  });

  test('is refused when the dev stack this commit synthesizes differs from the one tested', async () => {
    const evidenceDir = tmp('acl-ev-');
    expect((await smokeDev(evidenceDir)).ok).toBe(true);
    const changedEnvs = copyEnvironments();
    editEnvironment(changedEnvs, 'dev', (c) => (c.tags.owner = 'someone-else'));
    const changedOut = tmp('acl-promo-out-');
    synthAll({ environmentsDir: changedEnvs, outdir: changedOut });
    await expect(promote(promoteOptions(evidenceDir, { cdktfOut: changedOut, environmentsDir: changedEnvs }))).rejects.toThrow(
      /it is for stack [0-9a-f]{64}/,
    );
  });

  test('is refused when the evidence receipt was tampered with', async () => {
    const evidenceDir = tmp('acl-ev-');
    const run = await smokeDev(evidenceDir);
    const file = join(run.evidenceDir!, 'evidence.json');
    const evidence = JSON.parse(readFileSync(file, 'utf8'));
    const signature: string = evidence.receipt.receipt.signature;
    evidence.receipt.receipt.signature = signature.slice(0, 20) + (signature[20] === 'A' ? 'B' : 'A') + signature.slice(21);
    writeFileSync(file, JSON.stringify(evidence));
    await expect(promote(promoteOptions(evidenceDir))).rejects.toThrow(/its receipt does not verify/);
  });

  test('is refused for a failed smoke run and for skipping a tier', async () => {
    const evidenceDir = tmp('acl-ev-');
    const run = await smokeDev(evidenceDir);
    const file = join(run.evidenceDir!, 'evidence.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), ok: false }));
    await expect(promote(promoteOptions(evidenceDir))).rejects.toThrow(/the smoke test failed/);
    await expect(promote(promoteOptions(evidenceDir, { to: 'prod' }))).rejects.toThrow(
      'dev (tier dev) can only be promoted to the next tier, not to prod (tier prod)',
    );
  });

  test('a deployment attestation records stack hash, commit and pipeline run, with a verified receipt', async () => {
    const evidenceDir = tmp('acl-ev-');
    const attest = (claims: Record<string, unknown>) =>
      recordAttestation({
        ...base,
        evidenceDir,
        environment: 'test',
        kind: 'deployment',
        runId: 'gh-42-1',
        stackSha256: 'ab'.repeat(32),
        localData: testLedger,
        claims,
      });
    const result = await attest({ environment: 'test', pipelineRunId: 'https://github.com/contoso/acl/actions/runs/42' });
    expect(result.ok).toBe(true);
    const evidence = JSON.parse(readFileSync(join(evidenceDir, 'test', 'deployment-gh-42-1', 'evidence.json'), 'utf8'));
    expect(JSON.parse(evidence.entry.contents)).toMatchObject({
      schema: 'acl-stack/deployment/v1',
      stackSha256: 'ab'.repeat(32),
      commit: 'c0ffee',
      pipelineRunId: 'https://github.com/contoso/acl/actions/runs/42',
    });
    expect(evidence.verification.transactionId).toBe(result.transactionId);
    // recording the same run again does not append a second entry.
    const again = await attest({});
    expect(again.transactionId).toBe(result.transactionId);
  });
});

describe('promote CLI', () => {
  const run = (args: string[]) =>
    spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPO_ROOT, 'scripts', 'promote.ts'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });

  test('--gate-only exits 3 when refused, saying why', () => {
    const evidenceDir = tmp('acl-ev-');
    const out = tmp('acl-out-');
    cpSync(ENVIRONMENTS_DIR, join(out, 'envs'), { recursive: true });
    synthAll({ environmentsDir: join(out, 'envs'), outdir: out });
    const result = run([
      '--gate-only',
      '--from',
      'test',
      '--to',
      'prod',
      '--evidence-dir',
      evidenceDir,
      '--cdktf-out',
      out,
      '--commit',
      'c0ffee',
    ]);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('promotion refused: no passing smoke evidence for test at commit c0ffee');
  });

  test('exits 2 for bad usage', () => {
    expect(run(['--from', 'dev']).status).toBe(2);
  });
});
