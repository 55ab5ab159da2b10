import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LocalTokenCredential } from '../../local-ledger/tokens';
import { describeProblem, verifyArchive, type Manifest } from '../../scripts/audit/archive';
import { AuditInterrupted, exportLedger, type AuditOptions } from '../../scripts/audit/export';
import { ARCHIVE_FILES, fileDigest } from '../../scripts/audit/files';
import { lineProgress, type Progress } from '../../scripts/audit/progress';
import { AuditRequestError, mapBounded, retryAfterMs } from '../../scripts/audit/requests';
import { REPO_ROOT } from '../helpers/environments';
import { FaultProxy } from '../helpers/fault-proxy';
import { newDataDir, startTestLedger, type TestLedger } from '../helpers/local-ledger';

const AUDITOR = '00000000-0000-4000-8000-0000000a0d17';
const freshOut = () => join(mkdtempSync(join(tmpdir(), 'acl-audit-')), 'archive');
const silent: Progress = lineProgress(() => undefined);

/** What the ledger holds, as the archive must hold it: one line per entry, collection by collection. */
function expectedEntries(ledger: TestLedger, written: { collectionId: string; contents: string; seqno: number }[]): string[] {
  return [...written]
    .sort((a, b) => a.collectionId.localeCompare(b.collectionId) || a.seqno - b.seqno)
    .map((w) => JSON.stringify({ collectionId: w.collectionId, transactionId: ledger.ledger.txId(w.seqno), contents: w.contents }));
}

const lines = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').trim().split('\n');

describe('npm run audit', () => {
  let ledger: TestLedger;
  let dataDir: string;
  let written: { collectionId: string; contents: string; seqno: number }[];

  beforeAll(async () => {
    dataDir = newDataDir();
    // small pages, so that an export spans many paged reads; every receipt answers Loading once.
    ledger = await startTestLedger({ dataDir, pageSize: 7, loadingPolls: 1, initialUsers: [{ userId: AUDITOR, role: 'Reader' }] });
    written = [];
    for (let i = 0; i < 120; i++) {
      const collectionId = ['orders', 'subledger:0', 'zeta'][i % 3];
      const contents = JSON.stringify({ i, note: `entry ${i} ✓` });
      written.push({ collectionId, contents, seqno: await ledger.ledger.append(collectionId, contents) });
    }
    await ledger.ledger.flush();
  });
  afterAll(() => ledger.stop());

  const options = (out: string, extra: Partial<AuditOptions> = {}): AuditOptions => ({
    environment: 'local',
    out,
    target: {
      ledgerId: ledger.info.ledgerId,
      ledgerEndpoint: ledger.info.ledgerEndpoint,
      identityUrl: ledger.info.identityServiceUrl,
      identityCa: ledger.serviceCertificate,
    },
    credential: {
      kind: 'certificate',
      certificatePem: readFileSync(ledger.info.adminCertificatePath, 'utf8'),
      keyPem: readFileSync(ledger.info.adminKeyPath, 'utf8'),
      description: 'admin',
    },
    threads: 1,
    progress: silent,
    ...extra,
  });

  test('exports every entry of every collection with a verified receipt, and the archive re-verifies offline', async () => {
    const out = freshOut();
    const result = await exportLedger(options(out));
    expect(lines(out, ARCHIVE_FILES.entries)).toEqual(expectedEntries(ledger, written));
    const manifest: Manifest = JSON.parse(readFileSync(join(out, ARCHIVE_FILES.manifest), 'utf8'));
    expect(manifest.facts).toMatchObject({
      entries: 120,
      receipts: 120,
      receiptsVerified: 120,
      first: ledger.ledger.txId(written[0].seqno),
      last: ledger.ledger.txId(written[119].seqno),
    });
    expect(manifest.facts.collections.map((c) => [c.collectionId, c.count])).toEqual([
      ['orders', 40],
      ['subledger:0', 40],
      ['zeta', 40],
    ]);
    // the user changes of the ledger's first transactions and the signatures hold no entry.
    expect(manifest.facts.transactionsWithoutEntry).toBe(Number(manifest.upTo.split('.')[1]) - 120);
    for (const file of [ARCHIVE_FILES.entries, ARCHIVE_FILES.receipts, ARCHIVE_FILES.serviceCertificate, ARCHIVE_FILES.summary]) {
      expect(manifest.files[file]).toEqual(await fileDigest(join(out, file)));
    }
    expect(readFileSync(join(out, ARCHIVE_FILES.serviceCertificate), 'utf8')).toBe(ledger.serviceCertificate);
    expect(readFileSync(join(out, ARCHIVE_FILES.summary), 'utf8')).toContain('**every check passed**');
    expect(existsSync(join(out, ARCHIVE_FILES.state))).toBe(false);
    expect(result.resumed).toBe(false);
    expect((await verifyArchive(out, { threads: 1 })).problems).toEqual([]);
  });

  test('an export stopped after some pages resumes where it was and ends with the same archive', async () => {
    const out = freshOut();
    const stop = new AbortController();
    let pages = 0;
    const counting: Progress = { ...silent, update: () => ++pages === 4 && stop.abort() };
    await expect(exportLedger(options(out, { signal: stop.signal, progress: counting }))).rejects.toThrow(AuditInterrupted);
    const recorded = lines(out, ARCHIVE_FILES.entries);
    expect(recorded).toEqual(expectedEntries(ledger, written).slice(0, 28));
    expect((await verifyArchive(out)).problems.map(describeProblem)).toEqual([
      "manifest.json: check 'manifest' failed: is missing: the export did not finish; run the audit again to resume it",
    ]);
    const resumed = await exportLedger(options(out));
    expect(resumed.resumed).toBe(true);
    expect(lines(out, ARCHIVE_FILES.entries)).toEqual(expectedEntries(ledger, written));
    expect((await verifyArchive(out)).problems).toEqual([]);
  });

  test('a killed `npm run audit` resumes, discarding the half-written page', async () => {
    const out = freshOut();
    const run = (kill: boolean) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            join(REPO_ROOT, 'scripts', 'audit.ts'),
            '--env',
            'local',
            '--local-data',
            dataDir,
            '--out',
            out,
            '--threads',
            '1',
            '--progress-interval-ms',
            '0',
          ],
          { cwd: REPO_ROOT, env: { ...process.env, ACL_ENVIRONMENTS_DIR: mkdtempSync(join(tmpdir(), 'acl-no-envs-')) } },
        );
        let output = '';
        child.stderr.on('data', (d) => (output += d));
        createInterface({ input: child.stdout }).on('line', (line) => {
          output += `${line}\n`;
          // the third progress line: three pages are durably recorded; kill without warning.
          if (kill && (output.match(/^export: /gm) ?? []).length === 3) child.kill('SIGKILL');
        });
        child.on('exit', (code) => resolve({ code, output }));
      });
    const killed = await run(true);
    expect(killed.code).toBeNull();
    expect(existsSync(join(out, ARCHIVE_FILES.manifest))).toBe(false);
    // a torn write after the last recorded page, as a crash mid-append leaves it.
    appendFileSync(join(out, ARCHIVE_FILES.entries), '{"collectionId":"orders","transactionId":"2.9');
    const finished = await run(false);
    expect(finished.output).toContain('resumed and exported 120 entries in 3 collection(s)');
    expect(finished.code).toBe(0);
    expect(lines(out, ARCHIVE_FILES.entries)).toEqual(expectedEntries(ledger, written));
    expect((await verifyArchive(out)).problems).toEqual([]);
  });

  describe('a tampered archive fails verify-receipt naming the file and the check', () => {
    let archive: string;
    beforeAll(async () => {
      archive = freshOut();
      await exportLedger(options(archive));
    });

    /** A copy of the archive changed by `change`, with manifest.json's hashes rewritten when `forge` says so. */
    async function tampered(change: (dir: string) => void, forge = false): Promise<string> {
      const dir = freshOut();
      cpSync(archive, dir, { recursive: true });
      change(dir);
      if (forge) {
        const manifest = JSON.parse(readFileSync(join(dir, ARCHIVE_FILES.manifest), 'utf8'));
        for (const file of Object.keys(manifest.files)) manifest.files[file] = await fileDigest(join(dir, file));
        writeFileSync(join(dir, ARCHIVE_FILES.manifest), JSON.stringify(manifest));
      }
      return dir;
    }
    const edit = (file: string, line: number, change: (record: any) => void) => (dir: string) => {
      const all = lines(dir, file);
      const record = JSON.parse(all[line - 1]);
      change(record);
      all[line - 1] = JSON.stringify(record);
      writeFileSync(join(dir, file), all.join('\n') + '\n');
    };

    test.each<[string, (dir: string) => void, boolean, RegExp]>([
      [
        "an entry's contents changed",
        edit(ARCHIVE_FILES.entries, 5, (r) => (r.contents = 'forged')),
        false,
        /entries\.jsonl: check 'sha256' failed/,
      ],
      [
        'a receipt re-signed by nobody, with the manifest hashes forged to match',
        edit(ARCHIVE_FILES.receipts, 9, (r) => (r.receipt.signature = Buffer.alloc(70, 7).toString('base64'))),
        true,
        /receipts\.jsonl:9: check '(signature|format)' failed: transaction 2\.\d+/,
      ],
      [
        'a receipt swapped for another transaction’s, hashes forged',
        (dir) => {
          const all = lines(dir, ARCHIVE_FILES.receipts);
          all[2] = JSON.stringify({ ...JSON.parse(all[3]), transactionId: JSON.parse(all[2]).transactionId });
          writeFileSync(join(dir, ARCHIVE_FILES.receipts), all.join('\n') + '\n');
        },
        true,
        /receipts\.jsonl:3: check 'transaction' failed/,
      ],
      [
        'an entry and its receipt removed, hashes forged',
        (dir) => {
          for (const file of [ARCHIVE_FILES.entries, ARCHIVE_FILES.receipts]) {
            const all = lines(dir, file);
            all.splice(10, 1);
            writeFileSync(join(dir, file), all.join('\n') + '\n');
          }
        },
        true,
        /manifest\.json: check 'counts' failed: records .*"entries":120/,
      ],
      [
        'the service certificate replaced',
        (dir) =>
          writeFileSync(
            join(dir, ARCHIVE_FILES.serviceCertificate),
            readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'certs', 'alice.pem')),
          ),
        false,
        /service-certificate\.pem: check 'sha256' failed/,
      ],
    ])('%s', async (_, change, forge, message) => {
      const dir = await tampered(change, forge);
      const problems = (await verifyArchive(dir, { threads: 1 })).problems.map(describeProblem);
      expect(problems.join('\n')).toMatch(message);
    });

    test('the command exits 1 and names the file and check; the untouched archive exits 0', async () => {
      const run = (dir: string) =>
        new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'verify-receipt.ts'), dir], {
            cwd: REPO_ROOT,
          });
          let output = '';
          child.stdout.on('data', (d) => (output += d));
          child.stderr.on('data', (d) => (output += d));
          child.on('exit', (code) => resolve({ code, output }));
        });
      const bad = await tampered(edit(ARCHIVE_FILES.entries, 1, (r) => (r.contents = 'forged')));
      const failed = await run(bad);
      expect(failed.code).toBe(1);
      expect(failed.output).toContain(`✗ ${bad}/entries.jsonl: check 'sha256' failed`);
      const good = await run(archive);
      expect(good.code).toBe(0);
      expect(good.output).toContain('120 entries, 120 receipts verified, every file matches manifest.json');
    });
  });

  describe('throttling', () => {
    const tokenCredential = () => ({
      kind: 'token' as const,
      credential: new LocalTokenCredential(createPrivateKey(readFileSync(ledger.info.tokenIssuerKeyPath, 'utf8')), { oid: AUDITOR }),
      description: 'auditor',
    });

    test('waits out 429 and 503 answers as Retry-After says, then exports everything', async () => {
      const proxy = await FaultProxy.start(ledger.info, dataDir, [
        // a throttled first answer carries a stale x-ms-ccf-transaction-id: the bound must come from a real one.
        { method: 'GET', path: /^\/app\/collections$/, times: 1, fault: { kind: 'answer', status: 429, headers: { 'retry-after': '0' } } },
        { method: 'GET', path: /^\/app\/transactions$/, times: 2, fault: { kind: 'answer', status: 503, headers: { 'retry-after': '0' } } },
        { method: 'GET', path: /\/receipt$/, times: 5, fault: { kind: 'answer', status: 429, headers: { 'retry-after': '0' } } },
      ]);
      const notes: string[] = [];
      try {
        const out = freshOut();
        await exportLedger({
          ...options(out),
          target: { ...options(out).target, ledgerEndpoint: proxy.endpoint },
          credential: tokenCredential(),
          progress: { ...silent, note: (line) => notes.push(line) },
        });
        expect(lines(out, ARCHIVE_FILES.entries)).toEqual(expectedEntries(ledger, written));
        expect(proxy.log.filter((l) => l.endsWith('→ answer'))).toHaveLength(8);
        expect(notes).toContain('retrying collections in 0 ms (HTTP 429)');
        expect(notes.filter((n) => /^retrying receipt of 2\.\d+ in 0 ms \(HTTP 429\)$/.test(n))).toHaveLength(5);
        expect(notes.filter((n) => /^retrying entries of orders in 0 ms \(HTTP 503\)$/.test(n))).toHaveLength(2);
      } finally {
        await proxy.stop();
      }
    });

    test('gives up on a request the ledger keeps refusing, naming it; the export can be resumed', async () => {
      const proxy = await FaultProxy.start(ledger.info, dataDir, [
        { method: 'GET', path: /\/receipt$/, fault: { kind: 'answer', status: 429, headers: { 'retry-after': '0' } } },
      ]);
      try {
        const out = freshOut();
        const run = exportLedger({
          ...options(out, { retry: { maxAttempts: 3 } }),
          target: { ...options(out).target, ledgerEndpoint: proxy.endpoint },
          credential: tokenCredential(),
        });
        await expect(run).rejects.toThrow(AuditRequestError);
        await expect(run).rejects.toThrow(/^receipt of 2\.\d+: gave up after 3 attempts \(last: HTTP 429\)$/);
        expect(existsSync(join(out, ARCHIVE_FILES.state))).toBe(true);
      } finally {
        await proxy.stop();
      }
    });
  });
});

describe('request helpers', () => {
  test('Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('0.5')).toBe(500);
    expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });

  test('mapBounded never runs more than the limit at once and keeps the input order', async () => {
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const task = (n: number) =>
      new Promise<number>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        gates.push(() => {
          running--;
          resolve(n * 2);
        });
      });
    const all = mapBounded([1, 2, 3, 4, 5, 6, 7], 3, task);
    // release tasks one by one, newest first, as each batch of starts settles.
    while (gates.length || running) {
      await new Promise((r) => setImmediate(r));
      gates.pop()?.();
    }
    expect(await all).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(peak).toBe(3);
  });
});
