import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitCode } from '../../scripts/cli/exit-codes';
import { runSmoke, type SmokeResult } from '../../scripts/smoke/run-smoke';
import { prepareLocalSmoke, type LocalSmokeSetup } from '../../scripts/smoke/targets';
import { REPO_ROOT } from '../helpers/environments';
import { newDataDir } from '../helpers/local-ledger';

/** The verify-receipt command as npm runs it. */
function verifyReceipt(args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [join(REPO_ROOT, 'scripts', 'verify-receipt.ts'), ...args], {
      cwd: REPO_ROOT,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (status) => resolve({ status, out }));
  });
}

/** Evidence of real smoke runs against two local ledgers (each its own identity certificate), one of them failed. */
describe('verify-receipt <folder> of evidence packages from two ledgers and a failed run', () => {
  const root = mkdtempSync(join(tmpdir(), 'acl-evidence-folder-'));
  let a: LocalSmokeSetup;
  let b: LocalSmokeSetup;
  let passedA: SmokeResult;
  let passedB: SmokeResult;
  let failed: SmokeResult;
  const smoke = (ledger: LocalSmokeSetup, runId: string, credential = ledger.credential) =>
    runSmoke({
      environment: 'local',
      resolveTarget: ledger.resolveTarget,
      credential,
      reader: credential === ledger.credential ? ledger.reader : undefined,
      runId,
      commit: 'abc123',
      stackSha256: null,
      evidenceRoot: root,
      commitTimeoutMs: 10_000,
      receiptTimeoutMs: 10_000,
      report: () => undefined,
    });

  beforeAll(async () => {
    [a, b] = await Promise.all([prepareLocalSmoke(newDataDir()), prepareLocalSmoke(newDataDir())]);
    passedA = await smoke(a, 'run-a');
    passedB = await smoke(b, 'run-b');
    // the reader cannot append: the run fails at 'append' and its evidence says so, with no receipt.
    failed = await smoke(b, 'run-failed', b.reader!);
  }, 120_000);
  afterAll(() => Promise.all([a?.stop(), b?.stop()]));

  test('the packages are what the test needs: two ledgers, two certificates, one failed run', () => {
    expect([passedA.ok, passedB.ok, failed.ok, failed.exitCode]).toEqual([true, true, false, exitCode('step-append')]);
    const pinned = [passedA, passedB].map(
      (r) => JSON.parse(readFileSync(join(r.evidenceDir!, 'evidence.json'), 'utf8')).ledger.serviceCertificateSha256,
    );
    expect(pinned[0]).not.toBe(pinned[1]);
  });

  test('each package verifies against the certificate it pins; the failed run is reported as a failed run, not a failed receipt', async () => {
    const result = await verifyReceipt([root]);
    expect(result.out).toContain(`✓ ${join(passedA.evidenceDir!, 'evidence.json')}: transaction ${passedA.transactionId}`);
    expect(result.out).toContain(`✓ ${join(passedB.evidenceDir!, 'evidence.json')}: transaction ${passedB.transactionId}`);
    expect(result.out).toMatch(
      new RegExp(`! ${join(failed.evidenceDir!, 'evidence.json')}: the run FAILED at step 'append' \\(.*403.*\\); it holds no receipt`),
    );
    expect(result.out).toContain('2 verified, 0 failed; 1 failed run(s), not receipt failures');
    expect(result.out).not.toContain('✗');
    expect(result.status).toBe(exitCode('ok'));
  }, 60_000);

  test("with one ledger's certificate given, the other ledger's package fails as coming from another ledger", async () => {
    const result = await verifyReceipt([root, '--service-cert', join(passedA.evidenceDir!, 'service-certificate.pem')]);
    expect(result.out).toContain(`✓ ${join(passedA.evidenceDir!, 'evidence.json')}`);
    expect(result.out).toMatch(
      new RegExp(
        `✗ ${join(passedB.evidenceDir!, 'evidence.json')}: receipt check 'endorsement' failed: the package pins ledger certificate SHA-256 [0-9a-f]{64}, not the given one \\([0-9a-f]{64}\\): it comes from another ledger`,
      ),
    );
    expect(result.out).toContain('1 verified, 1 failed; 1 failed run(s)');
    expect(result.status).toBe(exitCode('failed'));
  }, 60_000);

  test("a package whose carried certificate was swapped for another ledger's fails: it is not the one it pins", async () => {
    const file = join(passedB.evidenceDir!, 'evidence.json');
    const original = readFileSync(file, 'utf8');
    const forged = {
      ...JSON.parse(original),
      serviceCertificate: readFileSync(join(passedA.evidenceDir!, 'service-certificate.pem'), 'utf8'),
    };
    writeFileSync(file, JSON.stringify(forged));
    try {
      const result = await verifyReceipt([file]);
      expect(result.out).toMatch(
        /✗ .*: receipt check 'endorsement' failed: the certificate it carries \(SHA-256 [0-9a-f]{64}\) is not the one it pins/,
      );
      expect(result.status).toBe(exitCode('failed'));
    } finally {
      writeFileSync(file, original);
    }
  }, 60_000);
});
