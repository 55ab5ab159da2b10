import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { startLocalLedger } from '../../local-ledger';
import { loadIdentity } from '../../local-ledger/identity';
import { readLedgerLog } from '../../local-ledger/ledger';
import { chainKeyOf, encodeRecords, LogCorruptError, readWatermark, type LogRecord } from '../../local-ledger/log';
import { adminClient, spawnLedger } from '../helpers/ledger-process';
import { newDataDir, startTestLedger, waitForCommit } from '../helpers/local-ledger';

interface StoppedLedger {
  readonly dataDir: string;
  readonly log: string;
  readonly bytes: Buffer;
  /** the records as the ledger wrote them, with each frame's offset and length. */
  readonly frames: { record: LogRecord; offset: number; length: number }[];
}

/** A stopped ledger with committed entries alpha … echo, each in its own batch and signature. */
async function stoppedLedger(): Promise<StoppedLedger> {
  const dataDir = newDataDir();
  const ledger = await startTestLedger({ dataDir });
  const client = ledger.certificateClient();
  for (const contents of ['alpha', 'bravo', 'charlie', 'delta', 'echo']) {
    const response = await client.path('/app/transactions').post({ body: { contents } });
    await waitForCommit(client, response.headers['x-ms-ccf-transaction-id'] as string);
  }
  await ledger.stop();
  return snapshotOf(dataDir);
}

/** A stopped ledger's log as the ledger wrote it. */
function snapshotOf(dataDir: string): StoppedLedger {
  const log = join(dataDir, 'ledger.log');
  const read = readLedgerLog(dataDir);
  const ends = [...read.offsets.slice(1), read.end];
  return {
    dataDir,
    log,
    bytes: readFileSync(log),
    frames: read.records.map((record, i) => ({ record, offset: read.offsets[i], length: ends[i] - read.offsets[i] })),
  };
}

const frameOf = (l: StoppedLedger, word: string) => l.frames.find((f) => f.record.t === 'w' && f.record.d === word)!;

/** Starting must fail with a LogCorruptError naming `transactionId` at `offset`, and change no byte. */
async function expectRefused(l: StoppedLedger, tampered: Buffer, transactionId: string, offset: number, detail: RegExp) {
  writeFileSync(l.log, tampered);
  const failure = await startLocalLedger({ dataDir: l.dataDir }).catch((e: Error) => e);
  expect(failure).toBeInstanceOf(LogCorruptError);
  expect({ transactionId: (failure as LogCorruptError).transactionId, offset: (failure as LogCorruptError).offset }).toEqual({
    transactionId,
    offset,
  });
  expect((failure as Error).message).toMatch(detail);
  expect(readFileSync(l.log).equals(tampered)).toBe(true);
}

describe('local ledger start-up refuses a damaged log and cuts nothing', () => {
  let l: StoppedLedger;
  beforeEach(async () => {
    l = await stoppedLedger();
  });

  test.each([
    ['the head', 'alpha'],
    ['the middle', 'charlie'],
    ['the last entry', 'echo'],
  ])('a changed byte in %s names its transaction and offset', async (_, word) => {
    const frame = frameOf(l, word);
    const tampered = Buffer.from(l.bytes);
    tampered[l.bytes.indexOf(Buffer.from(word), frame.offset)] ^= 0x01;
    await expectRefused(l, tampered, `2.${frame.record.s}`, frame.offset, /fails its integrity check/);
  });

  test('a changed length byte in a middle frame is a damaged header, not a torn tail', async () => {
    const frame = frameOf(l, 'bravo');
    const tampered = Buffer.from(l.bytes);
    tampered[frame.offset + 3] ^= 0x10;
    await expectRefused(l, tampered, `2.${frame.record.s}`, frame.offset, /damaged frame header/);
  });

  test('a length in the final frame changed to point past the end is refused, not cut', async () => {
    const last = l.frames.at(-1)!;
    const tampered = Buffer.from(l.bytes);
    tampered.writeUInt32BE(tampered.readUInt32BE(last.offset) + 1000, last.offset);
    await expectRefused(l, tampered, `2.${last.record.s}`, last.offset, /damaged frame header/);
  });

  test('bytes cut out of the middle of a frame are refused', async () => {
    const frame = frameOf(l, 'charlie');
    const at = frame.offset + 20;
    const tampered = Buffer.concat([l.bytes.subarray(0, at), l.bytes.subarray(at + 7)]);
    await expectRefused(l, tampered, `2.${frame.record.s}`, frame.offset, /fails its integrity check/);
  });

  test('a zero-filled range in the middle is refused', async () => {
    const frame = frameOf(l, 'bravo');
    const tampered = Buffer.from(l.bytes);
    tampered.fill(0, frame.offset, frame.offset + frame.length);
    await expectRefused(l, tampered, `2.${frame.record.s}`, frame.offset, /damaged frame header/);
  });

  test('bytes inserted between two records are refused where they start', async () => {
    const frame = frameOf(l, 'charlie');
    const tampered = Buffer.concat([l.bytes.subarray(0, frame.offset), Buffer.from('inserted'), l.bytes.subarray(frame.offset)]);
    await expectRefused(l, tampered, `2.${frame.record.s}`, frame.offset, /damaged frame header/);
  });

  test('a whole record spliced out is refused at the record after it', async () => {
    const frame = frameOf(l, 'charlie');
    const tampered = Buffer.concat([l.bytes.subarray(0, frame.offset), l.bytes.subarray(frame.offset + frame.length)]);
    await expectRefused(l, tampered, `2.${frame.record.s}`, frame.offset, /fails its integrity check/);
  });

  test('a cut exactly between two records loses a signed suffix, which the commit watermark names', async () => {
    const frame = frameOf(l, 'delta');
    const lastSignature = l.frames.at(-1)!;
    expect(lastSignature.record.t).toBe('s');
    const tampered = l.bytes.subarray(0, frame.offset);
    await expectRefused(
      l,
      tampered,
      `2.${lastSignature.record.s}`,
      frame.offset,
      new RegExp(`acknowledged \\(commit watermark\\) but the log ends before it, after transaction 2\\.${frame.record.s - 1}`),
    );
  });

  test('an older copy of the log put back in place is refused', async () => {
    const older = newDataDir();
    copyFileSync(l.log, join(older, 'copy'));
    const ledger = await startLocalLedger({ dataDir: l.dataDir });
    await ledger.ledger.append('subledger:0', 'foxtrot');
    await ledger.stop();
    const lastSignature = readLedgerLog(l.dataDir).records.at(-1)!;
    const copy = readFileSync(join(older, 'copy'));
    await expectRefused(l, copy, `2.${lastSignature.s}`, copy.length, /acknowledged transactions are missing/);
  });

  test('a well-formed record appended with a valid checksum but without the ledger secret is refused, not signed', async () => {
    const lastRecord = l.frames.at(-1)!.record;
    const grant: LogRecord = { t: 'u', s: lastRecord.s + 1, id: 'forger', role: 'Administrator' };
    const forged = encodeRecords([grant], randomBytes(32), randomBytes(32)).bytes;
    const tampered = Buffer.concat([l.bytes, forged]);
    await expectRefused(l, tampered, `2.${grant.s}`, l.bytes.length, /fails its integrity check/);
  });

  test('an entry rewritten by someone holding the ledger secret still fails its signature', async () => {
    const frame = frameOf(l, 'bravo');
    const key = chainKeyOf(loadIdentity(l.dataDir).ledgerSecret);
    // re-chain every frame from "bravo" on with BRAVO in its place, as a thief of the secret could.
    const before = readLedgerLog(l.dataDir);
    const index = before.records.findIndex((r) => r.s === frame.record.s);
    const rewritten = before.records.slice(index).map((r) => (r.s === frame.record.s ? { ...r, d: 'BRAVO' } : r)) as LogRecord[];
    const tail = encodeRecords(rewritten, key, before.macs[index - 1]).bytes;
    writeFileSync(l.log, Buffer.concat([l.bytes.subarray(0, frame.offset), tail]));
    await expect(startLocalLedger({ dataDir: l.dataDir })).rejects.toThrow(
      /is not (what signature transaction 2\.\d+ signed|the record the commit watermark recorded)/,
    );
  });

  test('a log of the older format is refused with what it is', async () => {
    await expectRefused(l, l.bytes.subarray(8), '2.1', 0, /not preceded by the log format marker/);
  });

  test('a removed log is refused while the identity exists, instead of restarting at transaction 2.1', async () => {
    rmSync(l.log);
    await expect(startLocalLedger({ dataDir: l.dataDir })).rejects.toThrow(/ledger\.log is missing although the ledger's identity exists/);
  });

  test('a commit watermark forged without the ledger secret (e.g. reset to the first slot) is refused', async () => {
    // the slot layout as anyone can read it: generation, sequence number, chain MAC, then a checksum
    // an attacker can compute only without a key.
    const watermark = join(l.dataDir, 'commit-watermark');
    const slot = Buffer.alloc(72);
    slot.writeUInt32BE(1_000_000, 0);
    slot.writeUInt32BE(0, 4);
    createHash('sha256').update(slot.subarray(0, 40)).digest().copy(slot, 40);
    writeFileSync(watermark, Buffer.concat([slot, slot]));
    writeFileSync(l.log, l.bytes.subarray(0, 8));
    await expect(startLocalLedger({ dataDir: l.dataDir })).rejects.toThrow(/commit-watermark is damaged: neither of its slots is intact/);
  });

  test('a removed or damaged commit watermark is refused', async () => {
    const watermark = join(l.dataDir, 'commit-watermark');
    const saved = readFileSync(watermark);
    writeFileSync(watermark, Buffer.alloc(saved.length, 0xff));
    await expect(startLocalLedger({ dataDir: l.dataDir })).rejects.toThrow(/commit-watermark is damaged/);
    rmSync(watermark);
    await expect(startLocalLedger({ dataDir: l.dataDir })).rejects.toThrow(/commit-watermark is missing/);
  });

  test('the CLI exits non-zero naming the first bad transaction and its offset', async () => {
    const frame = frameOf(l, 'charlie');
    const tampered = Buffer.from(l.bytes);
    tampered[l.bytes.indexOf(Buffer.from('charlie'), frame.offset)] ^= 0x20;
    writeFileSync(l.log, tampered);
    await expect(spawnLedger(l.dataDir)).rejects.toThrow(
      `the ledger exited with 1: ledger:local: ledger log corrupt at byte ${frame.offset}: transaction 2.${frame.record.s} fails its integrity check`,
    );
  });
});

describe('local ledger start-up refuses to lose acknowledged writes that were never signed', () => {
  /** A ledger process killed after two acknowledged writes that no signature covers yet. */
  async function killedWithUnsignedTail(): Promise<StoppedLedger> {
    const dataDir = newDataDir();
    const ledger = await spawnLedger(dataDir, { args: ['--sign-every-ms', '600000'] });
    const client = adminClient(ledger.info);
    for (const contents of ['pending one', 'pending two']) {
      const response = await client.path('/app/transactions').post({ body: { contents } });
      expect(
        (await client.path('/app/transactions/{transactionId}/status', response.headers['x-ms-ccf-transaction-id'] as string).get()).body,
      ).toMatchObject({
        state: 'Pending',
      });
    }
    // the watermark follows each batch with its own write: wait until it names the last write (event, not time).
    const key = chainKeyOf(loadIdentity(dataDir).ledgerSecret);
    const last = readLedgerLog(dataDir).records.length;
    const named = () => readWatermark(join(dataDir, 'commit-watermark'), key)?.seqno ?? 0;
    for (let i = 0; i < 2500 && named() < last; i++) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(named()).toBe(last);
    ledger.child.kill('SIGKILL');
    await ledger.exited;
    return snapshotOf(dataDir);
  }

  test('a cut at a frame boundary that drops an acknowledged, unsigned write is refused', async () => {
    const l = await killedWithUnsignedTail();
    const last = frameOf(l, 'pending two');
    expect(l.frames.at(-1)!.record.s).toBe(last.record.s);
    await expectRefused(
      l,
      l.bytes.subarray(0, last.offset),
      `2.${last.record.s}`,
      last.offset,
      /acknowledged \(commit watermark\) but the log ends before it/,
    );
  });

  test('a length forged with a valid CRC, to make an acknowledged frame look torn, is refused', async () => {
    const l = await killedWithUnsignedTail();
    const last = frameOf(l, 'pending two');
    const tampered = Buffer.from(l.bytes);
    const length = tampered.readUInt32BE(last.offset) + 1000;
    tampered.writeUInt32BE(length, last.offset);
    tampered.writeUInt32BE(crc32(tampered.subarray(last.offset, last.offset + 4)), last.offset + 4);
    await expectRefused(l, tampered, `2.${last.record.s}`, last.offset, /acknowledged \(commit watermark\) but the log ends before it/);
  });
});

describe('local ledger start-up after a crash', () => {
  /** The frame a crash could have been writing: the next record, chained correctly. */
  function nextFrame(l: StoppedLedger): Buffer {
    const read = readLedgerLog(l.dataDir);
    const key = chainKeyOf(loadIdentity(l.dataDir).ledgerSecret);
    const record: LogRecord = { t: 'w', s: read.records.length + 1, c: 'subledger:0', d: 'never acknowledged' };
    return encodeRecords([record], key, read.macs.at(-1)!).bytes;
  }

  test.each([
    ['a short frame', (frame: Buffer) => frame.subarray(0, frame.length - 10)],
    ['a partial header', (frame: Buffer) => frame.subarray(0, 3)],
    ['zero-filled bytes', (frame: Buffer) => Buffer.alloc(frame.length)],
  ])('cuts an incomplete final frame (%s), reports it, and keeps every committed entry', async (_, tear) => {
    const l = await stoppedLedger();
    const torn = tear(nextFrame(l));
    appendFileSync(l.log, torn);
    const ledger = await startLocalLedger({ dataDir: l.dataDir });
    try {
      expect({ bytes: ledger.ledger.tornBytesRecovered, at: ledger.ledger.tornAt }).toEqual({ bytes: torn.length, at: l.bytes.length });
      expect(readFileSync(l.log).subarray(0, l.bytes.length).equals(l.bytes)).toBe(true);
      expect(ledger.ledger.current('subledger:0')?.contents).toBe('echo');
    } finally {
      await ledger.stop();
    }
  });

  test('a complete, correctly chained frame after the last signature (durable, never signed) is signed at start', async () => {
    const l = await stoppedLedger();
    appendFileSync(l.log, nextFrame(l));
    const ledger = await startLocalLedger({ dataDir: l.dataDir });
    try {
      const seqno = l.frames.at(-1)!.record.s + 1;
      expect(ledger.ledger.state(seqno)).toBe('Committed');
      expect(ledger.ledger.entry(seqno)?.contents).toBe('never acknowledged');
    } finally {
      await ledger.stop();
    }
  });
});
