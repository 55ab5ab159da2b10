import * as fc from 'fast-check';
import { X509Certificate } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { startLocalLedger, type RunningLedger } from '../../local-ledger';
import { ReceiptBatchVerifier, VerifierPool, type BulkItem, type BulkResult } from '../../receipts/bulk-verify';
import { PrecomputedKeys } from '../../receipts/precomputed-keys';
import { ReceiptVerificationError, verifyReceipt } from '../../receipts/verify';
import { newDataDir } from '../helpers/local-ledger';
import { AZURE_VECTORS, mutate } from '../helpers/vectors';

/** What verifyReceipt alone says about an item: the reference every bulk path must agree with. */
function reference(item: BulkItem, serviceCertificate: string): BulkResult {
  let input: unknown;
  try {
    input = JSON.parse(item.json);
  } catch {
    return { ok: false, check: 'format', message: expect.stringContaining('the receipt is not JSON') };
  }
  try {
    return { ok: true, ...verifyReceipt(input, { serviceCertificate, transactionId: item.transactionId }) };
  } catch (error) {
    if (error instanceof ReceiptVerificationError) return { ok: false, check: error.check, message: error.message };
    throw error;
  }
}

describe('PrecomputedKeys', () => {
  const keys = new PrecomputedKeys();
  // a key of each curve, as a node certificate would carry it; noble verifies DER signatures over raw roots.
  const curves = [
    ['P-256', p256],
    ['P-384', p384],
  ] as const;

  test.each(curves)('agrees with @noble/curves verify on %s for valid, corrupted and foreign signatures', (_, curve) => {
    const { secretKey, publicKey } = curve.keygen();
    const other = curve.keygen();
    const { Point } = curve;
    const key = { curve, point: Point.fromBytes(publicKey).precompute(8), nodeId: 'test' };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(200), fc.boolean(), (root, flip, foreign) => {
        const signature = curve.sign(root, foreign ? other.secretKey : secretKey, { prehash: false, lowS: false, format: 'der' });
        const bytes = Uint8Array.from(signature);
        if (flip < bytes.length * 8 && flip % 3 === 0) bytes[flip >> 3] ^= 1 << (flip & 7);
        const b64 = Buffer.from(bytes).toString('base64');
        const expected = curve.verify(bytes, root, publicKey, { prehash: false, lowS: false, format: 'der' });
        expect(keys.verify(key as never, root, b64)).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });

  test('reads the key and node id of a real Azure node certificate', () => {
    const vector = AZURE_VECTORS[0];
    const cert = vector.receipt.cert as string;
    const key = keys.key(cert)!;
    expect(key.nodeId).toBe(verifyReceipt(vector.receipt, { serviceCertificate: vector.serviceCertificate }).nodeId);
    expect(new X509Certificate(cert).publicKey.asymmetricKeyType).toBe('ec');
    expect(keys.key('not a certificate')).toBeUndefined();
  });
});

describe('bulk verification', () => {
  let running: RunningLedger;
  let serviceCertificate: string;
  let items: BulkItem[];

  beforeAll(async () => {
    // every entry signed on its own: distinct roots, the expensive case.
    running = await startLocalLedger({ dataDir: newDataDir(), signing: { everyTransactions: 1, everyMs: 1 } });
    const { ledger } = running;
    const seqnos: number[] = [];
    for (let i = 0; i < 40; i++) seqnos.push(await ledger.append(`c${i % 3}`, `entry ${i}`));
    await ledger.flush();
    serviceCertificate = ledger.identity.serviceCertificatePem;
    const valid = seqnos.map((s) => ({
      json: JSON.stringify({ state: 'Ready', transactionId: ledger.txId(s), receipt: ledger.receipt(s) }),
      transactionId: ledger.txId(s),
    }));
    const receiptOf = (i: number) => JSON.parse(valid[i].json);
    // forged and foreign items among the valid ones, at positions the workers reach in any order.
    items = [
      ...valid.slice(0, 10),
      {
        json: JSON.stringify(
          mutate(receiptOf(10), ['receipt', 'signature'], (s: string) =>
            Buffer.from(Buffer.from(s, 'base64').map((b, i) => (i === 20 ? b ^ 1 : b))).toString('base64'),
          ),
        ),
      },
      ...valid.slice(11, 20),
      { json: JSON.stringify(mutate(receiptOf(20), ['receipt', 'leafComponents', 'writeSetDigest'], () => 'ab'.repeat(32))) },
      { json: valid[21].json, transactionId: valid[22].transactionId },
      { json: '{"receipt": ' },
      ...valid.slice(23),
    ];
  });
  afterAll(() => running.stop());

  test('a worker per core gives the same verdicts as verifyReceipt, in the input order', async () => {
    const pool = new VerifierPool({ serviceCertificate, threads: 2, chunkSize: 3 });
    try {
      expect(pool.threads).toBe(2);
      const results = await pool.verify(items);
      expect(results).toEqual(items.map((item) => reference(item, serviceCertificate)));
      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.check)).toEqual(['signature', 'signature', 'transaction', 'format']);
      // a second call reuses the workers and their caches, with the same verdicts.
      expect(await pool.verify([...items].reverse())).toEqual([...results].reverse());
    } finally {
      await pool.close();
    }
  });

  test('verifyReceipt honours the precomputed-key check, so the slower library verify never runs', () => {
    // white-box: a key table that approves everything lets a forged signature through only if
    // verifyReceipt relies on the pre-check, i.e. skips its own (slower) signature verification.
    const verifier = new ReceiptBatchVerifier(serviceCertificate);
    (verifier as unknown as { keys: { verify: () => boolean } }).keys.verify = () => true;
    expect(verifier.verify([items[10]])).toEqual([expect.objectContaining({ ok: true })]);
    expect(new ReceiptBatchVerifier(serviceCertificate).verify([items[10]])).toEqual([
      expect.objectContaining({ ok: false, check: 'signature' }),
    ]);
  });

  test('on the calling thread (threads: 0) the verdicts are the same', async () => {
    const pool = new VerifierPool({ serviceCertificate, threads: 0 });
    expect(await pool.verify(items)).toEqual(items.map((item) => reference(item, serviceCertificate)));
  });

  test('real Azure receipts, including one with application claims on P-384, verify in bulk', () => {
    for (const vector of AZURE_VECTORS) {
      const item = { json: JSON.stringify(vector.receipt) };
      expect(new ReceiptBatchVerifier(vector.serviceCertificate).verify([item])).toEqual([reference(item, vector.serviceCertificate)]);
      expect(reference(item, vector.serviceCertificate).ok).toBe(true);
    }
  });

  test('a receipt checked against a foreign service certificate fails its endorsement', async () => {
    const other = await startLocalLedger({ dataDir: newDataDir() });
    try {
      const [result] = new ReceiptBatchVerifier(other.ledger.identity.serviceCertificatePem).verify([items[0]]);
      expect(result).toMatchObject({ ok: false, check: 'endorsement' });
    } finally {
      await other.stop();
    }
  });

  test('a worker that dies fails the verification in progress instead of hanging it', async () => {
    const pool = new VerifierPool({ serviceCertificate, threads: 1, chunkSize: 1 });
    const pending = pool.verify(items);
    await (pool as unknown as { workers: { worker: { terminate(): Promise<number> } }[] }).workers[0].worker.terminate();
    await expect(pending).rejects.toThrow('a verification worker stopped unexpectedly');
    await expect(pool.verify(items.slice(0, 1))).rejects.toThrow('a verification worker stopped unexpectedly');
    await pool.close();
  });
});
