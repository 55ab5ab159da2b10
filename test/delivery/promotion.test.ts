import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLedgerLog } from '../../local-ledger/ledger';
import { deployedAlertRules } from '../../stacks/alerts-config';
import { startLocalLedger, type RunningLedger } from '../../local-ledger';
import { verifyReceipt } from '../../receipts/verify';
import { recordAttestation } from '../../scripts/delivery/attestation';
import { PromotionRefused, passingEvidence } from '../../scripts/delivery/evidence-gate';
import { promote, promotionGate, type PromoteOptions } from '../../scripts/promote';
import { smoke } from '../../scripts/smoke';
import { certificateSha256 } from '../../scripts/smoke/evidence';
import { rereadEntry } from '../../scripts/smoke/protocol';
import { prepareLocalSmoke } from '../../scripts/smoke/targets';
import { synthAll } from '../../stacks/synth';
import { writeEnvironmentGraph } from '../helpers/environment-sets';
import { ENVIRONMENTS_DIR, REPO_ROOT, copyEnvironments, editEnvironment } from '../helpers/environments';
import { independentClaimsDigest } from '../helpers/independent-claims';
import { newDataDir } from '../helpers/local-ledger';
import { alter } from '../helpers/vectors';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const quiet = () => undefined;
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** The promote CLI in a child process; asynchronous, so that stand-in ledgers in this process keep answering it. */
const runPromote = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      [join(REPO_ROOT, 'scripts', 'promote.ts'), ...args],
      { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, GITHUB_ACTIONS: '', TF_BUILD: '' } },
      (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });

describe('promotion and attestations against local ledgers standing in for dev and test', () => {
  const cdktfOut = tmp('acl-promo-out-');
  synthAll({ environmentsDir: ENVIRONMENTS_DIR, outdir: cdktfOut });
  const devData = newDataDir();
  const testData = newDataDir();
  const foreignData = newDataDir();
  // the stand-ins keep running, so the endpoint a package records is the one the gate finds.
  let dev: RunningLedger;
  let foreign: RunningLedger;
  beforeAll(async () => {
    dev = await startLocalLedger({ dataDir: devData });
    foreign = await startLocalLedger({ dataDir: foreignData, ledgerId: 'acl-foreign' });
  });
  afterAll(async () => {
    await dev.stop();
    await foreign.stop();
  });
  const base = { environmentsDir: ENVIRONMENTS_DIR, cdktfOut, commit: 'c0ffee', report: quiet };

  const smokeDev = (evidenceDir: string, commit = base.commit, localData = devData) =>
    smoke({
      ...base,
      commit,
      env: 'dev',
      evidenceDir,
      runId: `smoke-${Math.random().toString(36).slice(2)}`,
      localData,
      commitTimeoutMs: 5000,
      receiptTimeoutMs: 5000,
    });
  const promoteOptions = (evidenceDir: string, overrides: Partial<PromoteOptions> = {}): PromoteOptions => ({
    ...base,
    evidenceDir,
    from: ['dev'],
    to: 'test',
    approver: 'alice@contoso.example',
    runId: `promote-${Math.random().toString(36).slice(2)}`,
    fromLocalData: devData,
    localData: testData,
    ...overrides,
  });

  test('is refused without any evidence from dev', async () => {
    await expect(promote(promoteOptions(tmp('acl-ev-')))).rejects.toThrow(PromotionRefused);
    await expect(promote(promoteOptions(tmp('acl-ev-')))).rejects.toThrow(
      /no passing smoke evidence for dev at commit c0ffee .* \(none at all\)/,
    );
  });

  test('is allowed with genuine evidence, and records who approved it in an attestation whose receipt binds it', async () => {
    const evidenceDir = tmp('acl-ev-');
    const devRun = await smokeDev(evidenceDir);
    expect(devRun.ok).toBe(true);
    // the evidence names the alert rules dev's synthesized stack deploys.
    const devEvidence = readJson(join(devRun.evidenceDir!, 'evidence.json'));
    expect(devEvidence.alertRules).toEqual(deployedAlertRules(cdktfOut, 'acl-dev'));
    expect(devEvidence.alertRules.length).toBeGreaterThan(0);
    expect(readFileSync(join(devRun.evidenceDir!, 'summary.md'), 'utf8')).toContain(
      `alert rules deployed: \`${devEvidence.alertRules[0]}\``,
    );
    const lines: string[] = [];
    const result = await promote(promoteOptions(evidenceDir, { report: (line) => lines.push(line) }));
    expect(result.ok).toBe(true);
    expect(lines.join('\n')).toMatch(
      /gate: dev passed its smoke test .* \(STAND-IN: a local ledger, not Azure\) .*contents proven by claims-digest/,
    );
    const evidence = readJson(join(result.evidenceDir!, 'evidence.json'));
    expect(result.evidenceDir).toContain(join(evidenceDir, 'test', 'promotion-'));
    expect(JSON.parse(evidence.entry.contents)).toMatchObject({
      schema: 'acl-stack/promotion/v2',
      from: ['dev'],
      to: 'test',
      commit: 'c0ffee',
      approvers: ['alice@contoso.example'],
      approvalSource: 'command-line',
      sourceEvidence: [
        {
          environment: 'dev',
          stackSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          transactionId: devRun.transactionId,
          ledgerId: 'acl-local',
          ledgerEndpoint: dev.info.ledgerEndpoint,
          serviceCertificateSha256: certificateSha256(readFileSync(dev.info.serviceCertificatePath, 'utf8')),
          standIn: true,
          contentsProof: 'claims-digest',
        },
      ],
    });
    expect(evidence.entry.collectionId).toBe('acl-stack-promotions');
    const serviceCertificate = readFileSync(join(testData, 'identity', 'service.cert.pem'), 'utf8');
    const verified = verifyReceipt(evidence.receipt, { serviceCertificate, transactionId: result.transactionId, entry: evidence.entry });
    expect(verified.contentsBound).toBe(true);
    expect(
      await independentClaimsDigest([{ ...evidence.entry, secretKey: evidence.receipt.applicationClaims[0].ledgerEntry.secretKey }]),
    ).toBe(verified.claimsDigest);
    // the attestation is in the test ledger, not the dev one.
    const inTest = readLedgerLog(testData).records.filter((r) => r.t === 'w' && r.c === 'acl-stack-promotions');
    expect(inTest.length).toBeGreaterThanOrEqual(1);
    // presented as a promotion, not a smoke test, and labelled a stand-in.
    expect(readFileSync(join(result.evidenceDir!, 'summary.md'), 'utf8')).toMatch(
      /^### Promotion attestation: test passed \(stand-in ledger\)/,
    );
    expect(readFileSync(join(result.evidenceDir!, 'junit.xml'), 'utf8')).toContain('<testsuite name="acl-stack promotion test [stand-in]"');
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

  test('is refused for a failed smoke run', async () => {
    const evidenceDir = tmp('acl-ev-');
    const run = await smokeDev(evidenceDir);
    const file = join(run.evidenceDir!, 'evidence.json');
    writeFileSync(file, JSON.stringify({ ...readJson(file), ok: false }));
    await expect(promote(promoteOptions(evidenceDir))).rejects.toThrow(/the smoke test failed/);
  });

  describe('refuses any edit to a genuine evidence package, naming it', () => {
    let golden: string;
    let foreignCertificate: string;
    beforeAll(async () => {
      golden = tmp('acl-ev-golden-');
      expect((await smokeDev(golden)).ok).toBe(true);
      foreignCertificate = readFileSync(foreign.info.serviceCertificatePath, 'utf8');
    });
    const withContents = (e: any, change: (c: any) => void) => {
      const contents = JSON.parse(e.entry.contents);
      change(contents);
      e.entry.contents = JSON.stringify(contents);
    };
    const cases: [string, (e: any) => void, RegExp, string?][] = [
      [
        "the commit inside the entry's contents (and the commit field): the receipt binds the contents",
        (e) => {
          withContents(e, (c) => (c.commit = 'evil'));
          e.commit = 'evil';
        },
        /receipt check 'claims-digest' failed: the claimsDigest does not bind this entry/,
        'evil',
      ],
      ['any other byte of the contents', (e) => withContents(e, (c) => (c.time = '2000-01-01T00:00:00.000Z')), /'claims-digest'/],
      ['the commit field', (e) => (e.commit = 'deadbeef'), /its commit field \(deadbeef\) differs from its ledger entry \(c0ffee\)/],
      ['the stack hash', (e) => (e.stackSha256 = 'ab'.repeat(32)), /its stackSha256 field \(abab.*\) differs from its ledger entry/],
      ['the environment', (e) => (e.environment = 'test'), /its environment field \(test\) differs from its ledger entry \(dev\)/],
      ['the transaction id', (e) => (e.transactionId = '2.1'), /receipt check 'transaction' failed/],
      [
        'the receipt signature',
        // one bit inside the signature's value: an edited base64 padding character would fail as 'format' instead.
        (e) => {
          const signature = Buffer.from(e.receipt.receipt.signature, 'base64');
          signature[10] ^= 1;
          e.receipt.receipt.signature = signature.toString('base64');
        },
        /receipt check 'signature' failed/,
      ],
      [
        'the claims digest',
        (e) => (e.receipt.receipt.leafComponents.claimsDigest = alter(e.receipt.receipt.leafComponents.claimsDigest)),
        /'claims-digest'/,
      ],
      [
        "the claim's key",
        (e) => (e.receipt.applicationClaims[0].ledgerEntry.secretKey = Buffer.alloc(32, 1).toString('base64')),
        /'claims-digest'/,
      ],
      [
        'the certificate',
        (e) => (e.serviceCertificate = foreignCertificate),
        /its serviceCertificate \(SHA-256 [0-9a-f]{64}\) is not the one it records/,
      ],
      [
        'the certificate hash',
        (e) => (e.ledger.serviceCertificateSha256 = certificateSha256(foreignCertificate)),
        /its ledger certificate has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64} of the stand-in local ledger/,
      ],
      ['the ledger name', (e) => (e.ledger.ledgerId = 'acl-other'), /it came from ledger acl-other, not acl-local/],
      [
        'the ledger endpoint',
        (e) => (e.ledger.ledgerEndpoint = 'https://127.0.0.1:1'),
        /it came from endpoint https:\/\/127\.0\.0\.1:1, not https:/,
      ],
      ['the stand-in label', (e) => (e.ledger.standIn = false), /it claims an Azure ledger \(acl-local\), but the source is the stand-in/],
    ];
    // each row gets all four values: a shorter row would make jest pass its done callback as the fourth.
    test.each(cases.map(([name, edit, message, commit]) => [name, edit, message, commit ?? base.commit] as const))(
      '%s',
      async (_, edit, message, commit) => {
        const evidenceDir = tmp('acl-ev-');
        cpSync(golden, evidenceDir, { recursive: true });
        const [folder] = readdirSync(join(evidenceDir, 'dev'));
        const file = join(evidenceDir, 'dev', folder, 'evidence.json');
        const evidence = readJson(file);
        edit(evidence);
        writeFileSync(file, JSON.stringify(evidence, null, 2));
        await expect(promotionGate(promoteOptions(evidenceDir, { commit }))).rejects.toThrow(message);
      },
    );

    test('a copy beside evidence.json that differs from it', async () => {
      const evidenceDir = tmp('acl-ev-');
      cpSync(golden, evidenceDir, { recursive: true });
      const [folder] = readdirSync(join(evidenceDir, 'dev'));
      const file = join(evidenceDir, 'dev', folder, 'receipt.json');
      writeFileSync(file, JSON.stringify({ ...readJson(file), transactionId: '2.1' }));
      await expect(promotionGate(promoteOptions(evidenceDir))).rejects.toThrow(/its receipt\.json differs from what evidence\.json holds/);
    });

    test('the untouched package passes', async () => {
      await expect(promotionGate(promoteOptions(golden))).resolves.toMatchObject({ passed: [{ contentsProof: 'claims-digest' }] });
    });
  });

  test('is refused for genuine evidence from another ledger, even one whose certificate the package carries', async () => {
    const evidenceDir = tmp('acl-ev-');
    expect((await smokeDev(evidenceDir, base.commit, foreignData)).ok).toBe(true);
    await expect(promotionGate(promoteOptions(evidenceDir))).rejects.toThrow(/it came from ledger acl-foreign, not acl-local/);
  });

  test('stand-in evidence never counts for an Azure environment', async () => {
    const evidenceDir = tmp('acl-ev-');
    expect((await smokeDev(evidenceDir)).ok).toBe(true);
    // even with the stand-in's own certificate pinned as if it were dev's Azure ledger.
    await expect(
      promotionGate(promoteOptions(evidenceDir, { fromLocalData: undefined, sourceCertificate: dev.info.serviceCertificatePath })),
    ).rejects.toThrow(
      /it came from a stand-in local ledger \(`acl-local` at https:\/\/127\.0\.0\.1:\d+ \(STAND-IN.*never counts for the Azure environment's ledger \S+/,
    );
    // nor does a stand-in source promote into an Azure target.
    await expect(promotionGate(promoteOptions(evidenceDir, { localData: undefined }))).rejects.toThrow(
      /evidence from the stand-in ledger in .* never counts for the Azure environment test/,
    );
  });

  describe('with an old ledger that answers only api-version 2022-05-13', () => {
    const oldData = newDataDir();
    let old: RunningLedger | undefined;
    beforeAll(async () => {
      old = await startLocalLedger({ dataDir: oldData, apiVersions: ['2022-05-13'] });
    });
    afterAll(() => old?.stop());

    test('the smoke test falls back, and the gate accepts its unbound evidence only after re-reading the entry', async () => {
      const evidenceDir = tmp('acl-ev-');
      const run = await smokeDev(evidenceDir, base.commit, oldData);
      expect(run.ok).toBe(true);
      expect(run.steps.find((s) => s.name === 'authenticate')!.detail).toMatch(
        /at api-version 2022-05-13; the ledger does not offer api-version 2026-02-23/,
      );
      const evidence = readJson(join(run.evidenceDir!, 'evidence.json'));
      expect(evidence).toMatchObject({ apiVersion: '2022-05-13', verification: { contentsBound: false, claimsDigest: '0'.repeat(64) } });
      expect(readFileSync(join(run.evidenceDir!, 'summary.md'), 'utf8')).toContain('does NOT bind the entry’s contents');
      await expect(promotionGate(promoteOptions(evidenceDir, { fromLocalData: oldData }))).resolves.toMatchObject({
        passed: [{ contentsProof: 're-read' }],
      });

      // the issue's attack on unbound evidence: the receipt still verifies, the ledger says otherwise.
      const file = join(run.evidenceDir!, 'evidence.json');
      const contents = JSON.parse(evidence.entry.contents);
      writeFileSync(
        file,
        JSON.stringify({
          ...evidence,
          commit: 'evil',
          entry: { ...evidence.entry, contents: JSON.stringify({ ...contents, commit: 'evil' }) },
        }),
      );
      await expect(promotionGate(promoteOptions(evidenceDir, { fromLocalData: oldData, commit: 'evil' }))).rejects.toThrow(
        /its receipt does not bind the entry's contents \(claims digest zeros, api-version 2022-05-13\), and the stand-in local ledger in .* holds different contents for transaction/,
      );
    });

    test('unbound evidence is refused, saying why, when its ledger cannot be reached to re-read it', async () => {
      const evidenceDir = tmp('acl-ev-');
      const run = await smokeDev(evidenceDir, base.commit, oldData);
      const setup = await prepareLocalSmoke(oldData);
      const info = setup.info;
      const serviceCertificate = readFileSync(info.serviceCertificatePath, 'utf8');
      await old!.stop();
      old = undefined;
      const source = {
        description: 'the old ledger, now stopped',
        ledgerId: info.ledgerId,
        ledgerEndpoint: info.ledgerEndpoint,
        serviceCertificate,
        standIn: true,
        reread: (entry: { transactionId: string; collectionId: string }) =>
          rereadEntry(info, serviceCertificate, setup.credential, entry, 2000),
      };
      const stack = readJson(join(run.evidenceDir!, 'evidence.json')).stackSha256;
      await expect(
        passingEvidence({ evidenceRoot: evidenceDir, environment: 'dev', commit: base.commit, stackSha256: stack, source }),
      ).rejects.toThrow(
        /does not bind the entry's contents .* and the entry could not be re-read from the old ledger, now stopped: .*no answer/,
      );
    });
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
        localData: testData,
        claims,
      });
    const result = await attest({ environment: 'test', pipelineRunId: 'https://github.com/contoso/acl/actions/runs/42' });
    expect(result.ok).toBe(true);
    const dir = join(evidenceDir, 'test', 'deployment-gh-42-1');
    const evidence = readJson(join(dir, 'evidence.json'));
    expect(JSON.parse(evidence.entry.contents)).toMatchObject({
      schema: 'acl-stack/deployment/v1',
      stackSha256: 'ab'.repeat(32),
      commit: 'c0ffee',
      pipelineRunId: 'https://github.com/contoso/acl/actions/runs/42',
    });
    expect(evidence.verification).toMatchObject({ transactionId: result.transactionId, contentsBound: true });
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/^### Deployment attestation: test passed/);
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('<testsuite name="acl-stack deployment test [stand-in]"');
    // recording the same run again does not append a second entry.
    const again = await attest({});
    expect(again.transactionId).toBe(result.transactionId);
  });

  describe('promote CLI', () => {
    const gate = (evidenceDir: string, extra: string[]) =>
      runPromote([
        '--gate-only',
        '--from',
        'dev',
        '--to',
        'test',
        '--evidence-dir',
        evidenceDir,
        '--cdktf-out',
        cdktfOut,
        '--commit',
        'c0ffee',
        ...extra,
      ]);

    test('--gate-only passes genuine stand-in evidence for a stand-in target, saying it is a stand-in', async () => {
      const evidenceDir = tmp('acl-ev-');
      expect((await smokeDev(evidenceDir)).ok).toBe(true);
      const passed = await gate(evidenceDir, ['--from-local-data', devData, '--local-data', testData]);
      expect([passed.status, passed.stderr]).toEqual([0, '']);
      expect(passed.stdout).toMatch(/gate passed: dev passed its smoke test for commit c0ffee on `acl-local` at .*STAND-IN.*claims-digest/);
      // the same evidence for the Azure dev environment: exit 3, saying why.
      const refused = await gate(evidenceDir, ['--local-data', testData, '--source-certificate', dev.info.serviceCertificatePath]);
      expect(refused.status).toBe(3);
      expect(refused.stderr).toMatch(/^promotion refused: no passing smoke evidence .*\n.*it came from a stand-in local ledger/);
    });

    test('--gate-only exits 3 when the source ledger identity cannot be had, or no evidence exists', async () => {
      const evidenceDir = tmp('acl-ev-');
      const unreachable = await gate(evidenceDir, []);
      expect(unreachable.status).toBe(3);
      expect(unreachable.stderr).toMatch(/promotion refused: cannot fetch the identity certificate of dev's ledger .*--source-certificate/);
      const none = await gate(evidenceDir, ['--source-certificate', dev.info.serviceCertificatePath]);
      expect(none.status).toBe(3);
      expect(none.stderr).toContain('promotion refused: no passing smoke evidence for dev at commit c0ffee');
    });

    test('exits 2 for bad usage', async () => {
      expect((await runPromote(['--from', 'dev'])).status).toBe(2);
      // a malformed or repeated <env>=<dir> is the user's mistake, not an unexpected error with a stack trace.
      const mixed = await runPromote(['--to', 'test', '--gate-only', '--from-local-data', `dev=${devData}`, '--from-local-data', devData]);
      expect([mixed.status, mixed.stderr.split('\n')[0]]).toEqual([
        2,
        `promote: --from-local-data '${devData}': with several values, give each as <env>=<path>`,
      ]);
      const twice = await runPromote([
        '--to',
        'test',
        '--gate-only',
        '--source-certificate',
        'dev=a.pem',
        '--source-certificate',
        'dev=b.pem',
      ]);
      expect([twice.status, twice.stderr.split('\n')[0]]).toEqual([2, "promote: --source-certificate 'dev=b.pem': dev is given twice"]);
    });
  });
});

describe('promotion follows the promotion graph (a generated set with a fan-out and a fan-in)', () => {
  // build → {east, west} → prod: prod is promoted from east AND west.
  const environmentsDir = writeEnvironmentGraph({ build: [], east: ['build'], west: ['build'], prod: ['east', 'west'] });
  const cdktfOut = tmp('acl-graph-out-');
  synthAll({ environmentsDir, outdir: cdktfOut });
  const data = { east: newDataDir(), west: newDataDir(), prod: newDataDir() };
  const running: RunningLedger[] = [];
  beforeAll(async () => {
    for (const dir of [data.east, data.west]) running.push(await startLocalLedger({ dataDir: dir }));
  });
  afterAll(() => Promise.all(running.map((l) => l.stop())));
  const base = { environmentsDir, cdktfOut, commit: 'c0ffee', report: quiet };
  const smokeIn = (evidenceDir: string, env: 'east' | 'west') =>
    smoke({
      ...base,
      env,
      evidenceDir,
      runId: `smoke-${env}`,
      localData: data[env],
      commitTimeoutMs: 5000,
      receiptTimeoutMs: 5000,
    });
  const options = (evidenceDir: string, overrides: Partial<PromoteOptions> = {}): PromoteOptions => ({
    ...base,
    evidenceDir,
    to: 'prod',
    approver: 'alice@contoso.example',
    runId: `promote-${Math.random().toString(36).slice(2)}`,
    fromLocalData: { east: data.east, west: data.west },
    localData: data.prod,
    ...overrides,
  });
  let bothPassed: string;
  beforeAll(async () => {
    bothPassed = tmp('acl-ev-both-');
    expect((await smokeIn(bothPassed, 'east')).ok).toBe(true);
    expect((await smokeIn(bothPassed, 'west')).ok).toBe(true);
  });
  /** A copy of the evidence of both predecessors, with `west`'s changed or removed. */
  const withWest = (change: 'missing' | 'failed'): string => {
    const dir = tmp('acl-ev-');
    cpSync(bothPassed, dir, { recursive: true });
    const westDir = join(dir, 'west');
    if (change === 'missing') rmSync(westDir, { recursive: true });
    else {
      const file = join(westDir, readdirSync(westDir)[0], 'evidence.json');
      writeFileSync(file, JSON.stringify({ ...readJson(file), ok: false }));
    }
    return dir;
  };

  test('a fan-in with passing evidence from each predecessor is promoted, and the attestation names both', async () => {
    const result = await promote(options(bothPassed));
    expect(result.ok).toBe(true);
    const contents = JSON.parse(readJson(join(result.evidenceDir!, 'evidence.json')).entry.contents);
    expect(contents).toMatchObject({ schema: 'acl-stack/promotion/v2', from: ['east', 'west'], to: 'prod' });
    expect(contents.sourceEvidence.map((e: any) => [e.environment, e.contentsProof])).toEqual([
      ['east', 'claims-digest'],
      ['west', 'claims-digest'],
    ]);
  });

  test.each<['missing' | 'failed', RegExp]>([
    ['missing', /no passing smoke evidence for west at commit c0ffee .*\(none at all\)/],
    ['failed', /no passing smoke evidence for west .*found instead:\n.*the smoke test failed/],
  ])("a fan-in with one predecessor's evidence %s is refused, naming that predecessor", async (change, reason) => {
    const refusal = promotionGate(options(withWest(change)));
    await expect(refusal).rejects.toThrow(PromotionRefused);
    await expect(promotionGate(options(withWest(change)))).rejects.toThrow(
      /^prod is promoted from east and west and needs passing evidence from each:\n/,
    );
    await expect(promotionGate(options(withWest(change)))).rejects.toThrow(reason);
    // east's evidence alone is never named as a failure.
    await expect(promotionGate(options(withWest(change)))).rejects.not.toThrow(/evidence for east/);
  });

  test('is refused from an environment that is not a declared predecessor, even with passing evidence', async () => {
    await expect(promotionGate(options(bothPassed, { to: 'west', from: ['east'] }))).rejects.toThrow(
      /^west is not promoted from east; it is promoted from build only \(.*west\.json: promotesFrom\)$/,
    );
    await expect(promotionGate(options(bothPassed, { from: ['build'] }))).rejects.toThrow(/prod is not promoted from build/);
  });

  test('is refused when --from leaves out a predecessor of a fan-in, and into a first environment', async () => {
    await expect(promotionGate(options(bothPassed, { from: ['east'] }))).rejects.toThrow(
      'prod is promoted from east and west, and needs passing evidence from each; --from leaves out west',
    );
    await expect(promotionGate(options(bothPassed, { to: 'build' }))).rejects.toThrow(
      /build is a first environment \(.*build\.json: promotesFrom is empty\): nothing is promoted into it/,
    );
  });

  test('the CLI gate takes one stand-in per predecessor as <env>=<dir>', async () => {
    const args = ['--gate-only', '--to', 'prod', '--environments-dir', environmentsDir, '--evidence-dir', bothPassed];
    const common = ['--cdktf-out', cdktfOut, '--commit', 'c0ffee', '--local-data', data.prod];
    const standIns = ['--from-local-data', `east=${data.east}`, '--from-local-data', `west=${data.west}`];
    const passed = await runPromote([...args, ...common, ...standIns]);
    expect([passed.status, passed.stderr]).toEqual([0, '']);
    expect(passed.stdout).toMatch(/gate passed: east passed .*\ngate passed: west passed /);
    // a stand-in keyed by an environment prod is not promoted from is refused, not silently ignored.
    const stray = await runPromote([...args, ...common, ...standIns, '--from-local-data', `build=${data.east}`]);
    expect(stray.status).toBe(3);
    expect(stray.stderr).toMatch(
      /^promotion refused: --from-local-data names build, which prod is not promoted from; it is promoted from east, west only/,
    );
    // --from given twice adds up: the first list is not dropped in favour of the last.
    const twice = await runPromote([...args, ...common, '--from', 'build', '--from', 'east,west']);
    expect(twice.status).toBe(3);
    expect(twice.stderr).toMatch(/^promotion refused: prod is not promoted from build; it is promoted from east, west only/);
    const missing = await runPromote([...args, ...common, '--from-local-data', `east=${data.east}`, '--from', 'east,west']);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toMatch(/^promotion refused: prod is promoted from east and west and needs passing evidence from each:\n/);
  });
});
