import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalLedger } from '../local-ledger';
import { VerifierPool, type BulkItem } from '../receipts/bulk-verify';
import { verifyReceipt } from '../receipts/verify';

export interface BulkVerifyFigures {
  readonly threads: number;
  readonly distinct: {
    readonly receipts: number;
    readonly plainPerSecond: number;
    readonly oneThreadPerSecond: number;
    readonly poolPerSecond: number;
  };
  readonly shared: { readonly receipts: number; readonly oneThreadPerSecond: number; readonly poolPerSecond: number };
}

/** Receipts (as `GET …/receipt` bodies) from a local ledger; `signEach` gives every entry its own root. */
async function receipts(count: number, signEach: boolean): Promise<{ items: BulkItem[]; serviceCertificate: string }> {
  const running = await startLocalLedger({
    dataDir: mkdtempSync(join(tmpdir(), 'acl-bench-bulk-')),
    signing: signEach ? { everyTransactions: 1, everyMs: 1 } : undefined,
  });
  const { ledger } = running;
  const seqnos: number[] = [];
  if (signEach) for (let i = 0; i < count; i++) seqnos.push(await ledger.append('subledger:0', `entry ${i}`));
  else seqnos.push(...(await Promise.all(Array.from({ length: count }, (_, i) => ledger.append('subledger:0', `entry ${i}`)))));
  await ledger.flush();
  const items = seqnos.map((s) => ({
    json: JSON.stringify({ state: 'Ready', transactionId: ledger.txId(s), receipt: ledger.receipt(s) }),
    transactionId: ledger.txId(s),
  }));
  const serviceCertificate = ledger.identity.serviceCertificatePem;
  await running.stop();
  return { items, serviceCertificate };
}

/** Receipts per second through a warmed pool. */
async function rate(items: BulkItem[], serviceCertificate: string, threads?: number): Promise<{ perSecond: number; threads: number }> {
  const pool = new VerifierPool({ serviceCertificate, threads });
  // start-up (threads, module loading, key tables) is excluded: every worker first gets one chunk
  // of receipts that are then left out of the measurement.
  const warm = Math.max(1, pool.threads) * 64;
  await pool.verify(items.slice(-warm));
  const measured = items.slice(0, -warm);
  const started = performance.now();
  const results = await pool.verify(measured);
  const perSecond = Math.round(measured.length / ((performance.now() - started) / 1000));
  const { threads: used } = pool;
  await pool.close();
  const failed = results.filter((r) => !r.ok).length;
  if (failed) throw new Error(`${failed} receipts failed verification in the benchmark`);
  return { perSecond, threads: used };
}

/**
 * Bulk verification: distinct roots (one signature check each) and shared roots (mostly hashing),
 * each on one thread and on a worker per core, in the same run so the ratio is meaningful.
 */
export async function measureBulkVerification(distinctCount = 2_000, sharedCount = 20_000): Promise<BulkVerifyFigures> {
  const distinct = await receipts(distinctCount, true);
  const sample = distinct.items.slice(0, 300);
  const started = performance.now();
  for (const item of sample) verifyReceipt(JSON.parse(item.json), { serviceCertificate: distinct.serviceCertificate });
  const plainPerSecond = Math.round(sample.length / ((performance.now() - started) / 1000));
  const distinctOne = await rate(distinct.items, distinct.serviceCertificate, 0);
  const distinctPool = await rate(distinct.items, distinct.serviceCertificate);

  const shared = await receipts(sharedCount, false);
  const sharedOne = await rate(shared.items, shared.serviceCertificate, 0);
  const sharedPool = await rate(shared.items, shared.serviceCertificate);
  return {
    threads: distinctPool.threads,
    distinct: {
      receipts: distinct.items.length,
      plainPerSecond,
      oneThreadPerSecond: distinctOne.perSecond,
      poolPerSecond: distinctPool.perSecond,
    },
    shared: { receipts: shared.items.length, oneThreadPerSecond: sharedOne.perSecond, poolPerSecond: sharedPool.perSecond },
  };
}

if (require.main === module) {
  measureBulkVerification(Number(process.argv[2] ?? 2_000), Number(process.argv[3] ?? 20_000)).then((f) => console.log(JSON.stringify(f)));
}
