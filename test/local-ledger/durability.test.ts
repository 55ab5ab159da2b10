import ConfidentialLedger, { type ConfidentialLedgerClient } from '@azure-rest/confidential-ledger';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startLocalLedger, type LocalLedgerInfo } from '../../local-ledger';
import { encodeRecord, LogCorruptError, readLog } from '../../local-ledger/log';
import { verifyReceipt } from '../../receipts/verify';
import { REPO_ROOT } from '../helpers/environments';
import { newDataDir, readyReceipt, startTestLedger, waitForCommit } from '../helpers/local-ledger';

/** Runs the ledger CLI as its own process (node itself, so SIGKILL reaches the server). */
async function spawnLedger(dataDir: string): Promise<{ child: ChildProcess; info: LocalLedgerInfo }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'local-ledger', 'cli.ts'), '--data', dataDir, '--port', '0'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the ledger exited with ${code}: ${stderr.trim()}`)));
  });
  return { child, info: JSON.parse(firstLine) };
}

function adminClient(info: LocalLedgerInfo): ConfidentialLedgerClient {
  return ConfidentialLedger(info.ledgerEndpoint, readFileSync(info.serviceCertificatePath, 'utf8'), {
    tlsOptions: { cert: readFileSync(info.adminCertificatePath, 'utf8'), key: readFileSync(info.adminKeyPath, 'utf8') },
    retryOptions: { maxRetries: 0 },
  });
}

/** A small deterministic generator, so a failing run can be repeated from its printed seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}

describe('local ledger durability', () => {
  test.each([11, 23, 37])('no write reported Committed is lost when the process is SIGKILLed mid-stream (seed %i)', async (seed) => {
    const next = random(seed);
    const dataDir = newDataDir();
    const { child, info } = await spawnLedger(dataDir);
    const client = adminClient(info);
    const committed = new Map<string, string>();
    let killed = false;
    const writer = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const contents = `seed ${seed} writer ${w} entry ${i}`;
        try {
          const response = await client.path('/app/transactions').post({ body: { contents } });
          const id = response.headers['x-ms-ccf-transaction-id'] as string;
          await waitForCommit(client, id);
          committed.set(id, contents);
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const writers = Array.from({ length: 6 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 150 + Math.floor(next() * 400)));
    killed = true;
    child.kill('SIGKILL');
    await Promise.all(writers);
    await new Promise((r) => child.once('exit', r));
    console.log(`seed ${seed}: ${committed.size} writes reported Committed before SIGKILL`);
    expect(committed.size).toBeGreaterThan(0);

    const restarted = await spawnLedger(dataDir);
    try {
      const after = adminClient(restarted.info);
      const serviceCertificate = readFileSync(restarted.info.serviceCertificatePath, 'utf8');
      for (const [id, contents] of committed) {
        let entry = await after.path('/app/transactions/{transactionId}', id).get();
        if ((entry.body as any).state === 'Loading') entry = await after.path('/app/transactions/{transactionId}', id).get();
        expect((entry.body as any).entry?.contents).toBe(contents);
        expect(verifyReceipt(await readyReceipt(after, id), { serviceCertificate, transactionId: id }).transactionId).toBe(id);
      }
    } finally {
      restarted.child.kill('SIGTERM');
      await new Promise((r) => restarted.child.once('exit', r));
    }
  });

  test('stops cleanly on SIGTERM and keeps everything across a restart', async () => {
    const dataDir = newDataDir();
    const first = await spawnLedger(dataDir);
    const client = adminClient(first.info);
    const response = await client.path('/app/transactions').post({ body: { contents: 'kept' } });
    const id = response.headers['x-ms-ccf-transaction-id'] as string;
    await waitForCommit(client, id);
    first.child.kill('SIGTERM');
    expect(await new Promise((r) => first.child.once('exit', r))).toBe(0);
    const second = await spawnLedger(dataDir);
    try {
      const again = adminClient(second.info);
      expect((await again.path('/app/transactions/current').get()).body).toEqual({
        collectionId: 'subledger:0',
        contents: 'kept',
        transactionId: id,
      });
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  });
});

describe('local ledger tamper evidence', () => {
  /** A stopped ledger with a few committed entries; returns its data folder and log path. */
  async function ledgerWithEntries(): Promise<{ dataDir: string; log: string }> {
    const ledger = await startTestLedger({ dataDir: newDataDir() });
    const client = ledger.certificateClient();
    for (const contents of ['alpha', 'bravo', 'charlie']) {
      const response = await client.path('/app/transactions').post({ body: { contents } });
      await waitForCommit(client, response.headers['x-ms-ccf-transaction-id'] as string);
    }
    await ledger.stop();
    const dataDir = (ledger.info.serviceCertificatePath.match(/^(.*)\/identity\//) ?? [])[1];
    return { dataDir, log: join(dataDir, 'ledger.log') };
  }

  test.each(['alpha', 'bravo', 'charlie'])(
    'refuses to start when a byte of the entry %j was flipped, naming its transaction',
    async (word) => {
      const { dataDir, log } = await ledgerWithEntries();
      const holder = readLog(log, 2).records.find((r) => r.t === 'w' && r.d === word)!;
      const bytes = readFileSync(log);
      bytes[bytes.indexOf(Buffer.from(word))] ^= 0x01;
      writeFileSync(log, bytes);
      const failure = await startLocalLedger({ dataDir }).catch((e: Error) => e);
      expect(failure).toBeInstanceOf(LogCorruptError);
      expect((failure as LogCorruptError).transactionId).toBe(`2.${holder.s}`);
      expect((failure as Error).message).toMatch(
        new RegExp(`^ledger log corrupt at byte \\d+: transaction 2\\.${holder.s} does not match its checksum`),
      );
    },
  );

  test('refuses to start when an entry was rewritten with a fresh checksum, because the signature no longer matches', async () => {
    const { dataDir, log } = await ledgerWithEntries();
    const bytes = readFileSync(log);
    const at = bytes.indexOf(Buffer.from('bravo'));
    // re-frame the record holding "bravo" as "BRAVO" with a valid checksum.
    const start = bytes.lastIndexOf(Buffer.from('{"'), at) - 4;
    const length = bytes.readUInt32BE(start);
    const payload = JSON.parse(bytes.subarray(start + 4, start + 4 + length).toString());
    const forged = encodeRecord({ ...payload, d: 'BRAVO' });
    writeFileSync(log, Buffer.concat([bytes.subarray(0, start), forged, bytes.subarray(start + 4 + length + 32)]));
    const failure = await startLocalLedger({ dataDir }).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(LogCorruptError);
    expect((failure as Error).message).toMatch(/is not what signature transaction 2\.\d+ signed \(a transaction was altered\)/);
  });

  test('refuses a latest signature that was replaced and re-checksummed, because it no longer verifies', async () => {
    const { dataDir, log } = await ledgerWithEntries();
    const bytes = readFileSync(log);
    const records = readLog(log, 2).records;
    const [first, last] = [records.find((r) => r.t === 's')!, records.filter((r) => r.t === 's').at(-1)!];
    expect(first.s).not.toBe(last.s);
    // the last frame is the latest signature; give it the first signature's (valid, but other) bytes.
    const start = bytes.lastIndexOf(Buffer.from('{"t":"s"')) - 4;
    const forged = encodeRecord({ ...last, sig: (first as { sig: string }).sig });
    writeFileSync(log, Buffer.concat([bytes.subarray(0, start), forged]));
    await expect(startLocalLedger({ dataDir })).rejects.toThrow(
      new RegExp(`transaction 2\\.${last.s} carries a signature that does not verify`),
    );
  });

  test('refuses a flipped byte in a signature', async () => {
    const { dataDir, log } = await ledgerWithEntries();
    const bytes = readFileSync(log);
    const at = bytes.lastIndexOf(Buffer.from('"sig":"')) + 10;
    bytes[at] ^= 0x01;
    writeFileSync(log, bytes);
    await expect(startLocalLedger({ dataDir })).rejects.toThrow(/does not match its checksum/);
  });

  test('the CLI refuses to serve a tampered ledger and says which transaction is bad', async () => {
    const { dataDir, log } = await ledgerWithEntries();
    const bytes = readFileSync(log);
    const holder = readLog(log, 2).records.find((r) => r.t === 'w' && r.d === 'charlie')!;
    bytes[bytes.indexOf(Buffer.from('charlie'))] ^= 0x20;
    writeFileSync(log, bytes);
    await expect(spawnLedger(dataDir)).rejects.toThrow(
      new RegExp(
        `the ledger exited with 1: local ledger: ledger log corrupt at byte \\d+: transaction 2\\.${holder.s} does not match its checksum`,
      ),
    );
  });

  test.each([
    ['a short frame', (frame: Buffer) => frame.subarray(0, frame.length - 10)],
    ['a frame header only', (frame: Buffer) => frame.subarray(0, 3)],
    ['zero-filled bytes', (frame: Buffer) => Buffer.alloc(frame.length)],
  ])('cuts off a torn tail (%s) left by a crash, reports it, and keeps every committed entry', async (_, tear) => {
    const { dataDir, log } = await ledgerWithEntries();
    const intact = readFileSync(log);
    const frame = encodeRecord({ t: 'w', s: 999, c: 'subledger:0', d: 'never acknowledged' });
    appendFileSync(log, tear(frame));
    const ledger = await startLocalLedger({ dataDir });
    try {
      expect(ledger.ledger.tornBytesRecovered).toBe(tear(frame).length);
      expect(readFileSync(log).subarray(0, intact.length).equals(intact)).toBe(true);
      expect(ledger.ledger.current('subledger:0')?.contents).toBe('charlie');
    } finally {
      await ledger.stop();
    }
  });

  test('refuses a second ledger process on the same data folder', async () => {
    const ledger = await startTestLedger();
    const dataDir = (ledger.info.serviceCertificatePath.match(/^(.*)\/identity\//) ?? [])[1];
    await expect(startLocalLedger({ dataDir })).rejects.toThrow(`${dataDir} is in use by the local ledger with process id ${process.pid}`);
    await ledger.stop();
  });

  test('the log checksum is SHA-256 over the payload', () => {
    const frame = encodeRecord({ t: 'w', s: 1, c: 'c', d: 'd' });
    const length = frame.readUInt32BE(0);
    expect(
      frame.subarray(4 + length).equals(
        createHash('sha256')
          .update(frame.subarray(4, 4 + length))
          .digest(),
      ),
    ).toBe(true);
  });
});
