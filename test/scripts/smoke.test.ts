import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMOKE_COLLECTION } from '../../scripts/smoke/entries';
import { runSmoke, type SmokeOptions } from '../../scripts/smoke/run-smoke';
import { SMOKE_STEPS } from '../../scripts/smoke/steps';
import { prepareLocalSmoke, type LocalSmokeSetup } from '../../scripts/smoke/targets';
import { smoke } from '../../scripts/smoke';
import { collectReceipts, verifyAll } from '../../scripts/verify-receipt';
import { startLocalLedger, type RunningLedger } from '../../local-ledger';
import { readLedgerLog } from '../../local-ledger/ledger';
import { FaultProxy, type FaultRule } from '../helpers/fault-proxy';
import { newDataDir } from '../helpers/local-ledger';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** Smoke options for a local ledger, reached through `endpoint` (a proxy) when given. */
function options(local: LocalSmokeSetup, overrides: Partial<SmokeOptions> = {}, endpoint?: string): SmokeOptions {
  return {
    environment: 'local',
    resolveTarget: async () => {
      const target = await local.resolveTarget();
      return endpoint ? { ...target, ledgerEndpoint: endpoint } : target;
    },
    credential: local.credential,
    reader: local.reader,
    runId: `test-${Math.random().toString(36).slice(2)}`,
    commit: 'abc123',
    stackSha256: null,
    evidenceRoot: tmp('acl-evidence-'),
    commitTimeoutMs: 5000,
    receiptTimeoutMs: 5000,
    settleMs: 500,
    report: () => undefined,
    ...overrides,
  };
}

/** Entries of this run in the smoke collection, read straight from the ledger's log. */
function entriesOfRun(local: { dataDir: string }, runId: string): number {
  return readLedgerLog(local.dataDir).records.filter((r) => r.t === 'w' && r.c === SMOKE_COLLECTION && JSON.parse(r.d).runId === runId)
    .length;
}

describe('smoke test against the local ledger', () => {
  let local: LocalSmokeSetup & { dataDir: string };
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    const dataDir = newDataDir();
    local = { ...(await prepareLocalSmoke(dataDir)), dataDir };
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });
  afterAll(() => local.stop());

  const withProxy = async (rules: FaultRule[]) => {
    proxy = await FaultProxy.start(local.info, local.dataDir, rules);
    return proxy.endpoint;
  };

  test('passes end to end and leaves evidence an independent verifier accepts', async () => {
    const run = options(local);
    const result = await runSmoke(run);
    expect(result).toMatchObject({ ok: true, exitCode: 0, transactionId: expect.stringMatching(/^2\.\d+$/) });
    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual(Object.keys(SMOKE_STEPS).map((name) => `${name}:passed`));
    const dir = result.evidenceDir!;
    for (const file of ['evidence.json', 'junit.xml', 'summary.md', 'receipt.json', 'service-certificate.pem'])
      expect(existsSync(join(dir, file))).toBe(true);
    const evidence = JSON.parse(readFileSync(join(dir, 'evidence.json'), 'utf8'));
    expect(JSON.parse(evidence.entry.contents)).toMatchObject({
      schema: 'acl-stack/smoke/v1',
      environment: 'local',
      runId: run.runId,
      commit: 'abc123',
      stackSha256: null,
    });
    const report = verifyAll(collectReceipts(join(dir, 'receipt.json')), readFileSync(join(dir, 'service-certificate.pem'), 'utf8'));
    expect(report).toEqual({ verified: 1, failed: [], failedRuns: [] });
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toMatch(
      /<testsuite name="acl-stack smoke local \[stand-in\]"[^>]*tests="8" failures="0"/,
    );
    // written and fetched at 2026-02-23: the receipt binds the contents, and the evidence binds the ledger.
    expect(evidence).toMatchObject({
      kind: 'smoke',
      apiVersion: '2026-02-23',
      verification: { contentsBound: true, claimsDigest: expect.not.stringMatching(/^0+$/) },
      ledger: {
        ledgerId: local.info.ledgerId,
        ledgerEndpoint: local.info.ledgerEndpoint,
        standIn: true,
        serviceCertificateSha256: new X509Certificate(readFileSync(local.info.serviceCertificatePath)).fingerprint256
          .replace(/:/g, '')
          .toLowerCase(),
      },
    });
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(
      /^### Ledger smoke test: local passed \(stand-in ledger\)\n[^]*STAND-IN[^]*binds the entry/,
    );
  });

  test('the CLI entry starts the local ledger when none runs and appends the summary to $GITHUB_STEP_SUMMARY', async () => {
    const summary = join(tmp('acl-summary-'), 'summary.md');
    process.env.GITHUB_STEP_SUMMARY = summary;
    try {
      const result = await smoke({
        env: 'local',
        environmentsDir: 'environments',
        evidenceDir: tmp('acl-evidence-'),
        runId: 'cli-run',
        commit: 'def456',
        cdktfOut: tmp('acl-out-'),
        localData: newDataDir(),
        commitTimeoutMs: 5000,
        receiptTimeoutMs: 5000,
        report: () => undefined,
      });
      expect(result.ok).toBe(true);
      expect(readFileSync(summary, 'utf8')).toContain('### Ledger smoke test: local passed');
    } finally {
      delete process.env.GITHUB_STEP_SUMMARY;
    }
  });

  test('a wrong pinned certificate fails authenticate (exit 12) and points at pinning', async () => {
    const other = await startLocalLedger({ dataDir: newDataDir() });
    try {
      const result = await runSmoke(
        options(local, {
          resolveTarget: async () => ({
            ...(await local.resolveTarget()),
            identityUrl: other.info.identityServiceUrl,
            identityCa: readFileSync(other.info.serviceCertificatePath, 'utf8'),
          }),
        }),
      );
      // the identity document came from another ledger, so TLS to this one fails against the pin.
      expect(result.exitCode).toBe(SMOKE_STEPS.authenticate.exitCode);
      expect(result.failure!.message).toMatch(/step 'authenticate'.*no answer: .*(certificate|self-signed)/is);
      expect(result.failure!.message).toContain('after the ledger');
    } finally {
      await other.stop();
    }
  });

  test('a tampered receipt fails receipt (exit 16) naming the failed check', async () => {
    const endpoint = await withProxy([
      {
        method: 'GET',
        path: /\/receipt$/,
        fault: {
          kind: 'rewrite',
          change: (b) => (b.receipt ? { ...b, receipt: { ...b.receipt, proof: [...b.receipt.proof, { left: 'ab'.repeat(32) }] } } : b),
        },
      },
    ]);
    const result = await runSmoke(options(local, {}, endpoint));
    expect(result.exitCode).toBe(16);
    expect(result.failure!.message).toMatch(/receipt check 'signature' failed/);
  });

  test('an entry whose contents differ fails read-back (exit 15)', async () => {
    const endpoint = await withProxy([
      {
        method: 'GET',
        path: /^\/app\/transactions\/2\.\d+$/,
        fault: {
          kind: 'rewrite',
          change: (b) => (b.entry ? { ...b, entry: { ...b.entry, contents: b.entry.contents.replace('local', 'LOCAL') } } : b),
        },
      },
    ]);
    const result = await runSmoke(options(local, {}, endpoint));
    expect(result.exitCode).toBe(15);
    expect(result.failure!.message).toContain('the ledger returned different contents');
  });

  test('a ledger that never commits fails commit (exit 14) within its timeout', async () => {
    const endpoint = await withProxy([
      { method: 'GET', path: /\/status$/, fault: { kind: 'rewrite', change: (b) => ({ ...b, state: 'Pending' }) } },
    ]);
    const started = Date.now();
    const result = await runSmoke(options(local, { commitTimeoutMs: 400 }, endpoint));
    expect(result.exitCode).toBe(14);
    expect(result.failure!.message).toContain('gave up after 400 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('an identity with only the Reader role fails append (exit 13) with a 403 explained', async () => {
    const result = await runSmoke(options(local, { credential: local.reader, reader: undefined }));
    expect(result.exitCode).toBe(13);
    expect(result.failure!.message).toMatch(/HTTP 403 Forbidden/);
    expect(result.failure!.message).toContain('Azure RBAC on the resource grants nothing inside the ledger');
  });

  test('a reader that can write fails role-separation (exit 17)', async () => {
    const result = await runSmoke(options(local, { reader: local.credential }));
    expect(result.exitCode).toBe(17);
    expect(result.failure!.message).toContain('a write as the reader answered 200, not 403');
  });

  test('429 and 503 with Retry-After are waited out, and an append answered 503 after it was made is not made twice', async () => {
    const endpoint = await withProxy([
      {
        method: 'POST',
        path: /^\/app\/transactions$/,
        times: 1,
        fault: { kind: 'forward-then-answer', status: 503, headers: { 'retry-after': '1' } },
      },
      { method: 'GET', path: /\/status$/, times: 2, fault: { kind: 'answer', status: 429, headers: { 'retry-after': '0' } } },
      { method: 'GET', path: /\/receipt$/, times: 1, fault: { kind: 'answer', status: 503, headers: { 'retry-after': '0' } } },
    ]);
    // no reader: its refused probe write would also be a POST through the proxy.
    const run = options(local, { reader: undefined }, endpoint);
    const started = Date.now();
    const result = await runSmoke(run);
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(result.steps.find((s) => s.name === 'append')!.detail).toContain('was already recorded');
    expect(proxy!.log.filter((l) => l.startsWith('POST /app/transactions')).length).toBe(1);
    expect(entriesOfRun(local, run.runId)).toBe(1);
  });

  test('a connection reset after the append was made does not make a duplicate', async () => {
    const endpoint = await withProxy([{ method: 'POST', path: /^\/app\/transactions$/, times: 1, fault: { kind: 'reset-after-forward' } }]);
    const run = options(local, {}, endpoint);
    const result = await runSmoke(run);
    expect(result.ok).toBe(true);
    expect(entriesOfRun(local, run.runId)).toBe(1);
  });

  test('a 503 before the append was made retries and appends exactly once', async () => {
    const endpoint = await withProxy([
      { method: 'POST', path: /^\/app\/transactions$/, times: 1, fault: { kind: 'answer', status: 503, headers: { 'retry-after': '0' } } },
    ]);
    const run = options(local, { reader: undefined }, endpoint);
    const result = await runSmoke(run);
    expect(result.ok).toBe(true);
    expect(proxy!.log.filter((l) => l.startsWith('POST /app/transactions')).length).toBe(2);
    expect(entriesOfRun(local, run.runId)).toBe(1);
  });

  test('slow answers within the time budget still pass', async () => {
    const endpoint = await withProxy([
      { method: 'GET', path: /\/receipt$/, fault: { kind: 'delay', ms: 200 } },
      { method: 'POST', path: /^\/app\/transactions$/, times: 1, fault: { kind: 'delay', ms: 200 } },
    ]);
    const result = await runSmoke(options(local, { reader: undefined, requestTimeoutMs: 2000 }, endpoint));
    expect(result.ok).toBe(true);
  });

  test('a ledger that stops answering fails the step it was in, within the budget, instead of hanging', async () => {
    const endpoint = await withProxy([{ method: 'GET', path: /\/status$/, fault: { kind: 'delay', ms: 60_000 } }]);
    const started = Date.now();
    const result = await runSmoke(options(local, { reader: undefined, requestTimeoutMs: 300, commitTimeoutMs: 1000 }, endpoint));
    expect(result.exitCode).toBe(14);
    expect(result.failure!.message).toMatch(/step 'commit'.*no answer/s);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('a failed run still writes evidence recording the failure', async () => {
    const result = await runSmoke(options(local, { credential: local.reader, reader: undefined }));
    const evidence = JSON.parse(readFileSync(join(result.evidenceDir!, 'evidence.json'), 'utf8'));
    expect(evidence.ok).toBe(false);
    expect(evidence.steps.find((s: { name: string }) => s.name === 'append').status).toBe('failed');
    const junit = readFileSync(join(result.evidenceDir!, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/failures="1"/);
    // the steps after the failure never ran, and say so.
    for (const step of ['commit', 'read-back', 'receipt', 'role-separation']) {
      expect(junit).toMatch(new RegExp(`<testcase[^>]*name="${step}: [^"]*"[^>]*>\\s*<skipped/>`));
    }
  });
});

describe('smoke test re-runs on a ledger that pages its entries', () => {
  let running: RunningLedger;
  let local: LocalSmokeSetup & { dataDir: string };
  beforeAll(async () => {
    const dataDir = newDataDir();
    // two entries a page: the earlier run's entry is on the third page, reached only by following nextLink.
    running = await startLocalLedger({ dataDir, pageSize: 2, loadingPolls: 0 });
    local = { ...(await prepareLocalSmoke(dataDir)), dataDir };
  });
  afterAll(async () => {
    await local.stop();
    await running.stop();
  });

  test('finds its earlier entry on a later page and does not append again', async () => {
    for (let i = 0; i < 5; i++) {
      await running.ledger.append(SMOKE_COLLECTION, JSON.stringify({ schema: 'acl-stack/smoke/v1', runId: `other-${i}` }));
    }
    const run = options(local, { reader: undefined });
    expect((await runSmoke(run)).ok).toBe(true);
    const again = await runSmoke(run);
    expect(again.ok).toBe(true);
    expect(again.steps.find((s) => s.name === 'append')?.detail).toMatch(new RegExp(`^run ${run.runId} was already recorded as 2\\.\\d+`));
    expect(entriesOfRun(local, run.runId)).toBe(1);
  });
});
