import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLedger, loadOrCreateLedgerIdentity } from '../local-ledger';
import { VerificationCache, verifyReceipt } from '../receipts/verify';

export interface VerifyFigures {
  readonly receipts: number;
  readonly sharedRootsPerSecond: number;
  readonly distinctRootsPerSecond: number;
}

/**
 * Bulk verification as an auditor runs it: receipts from a ledger of `count` entries (signed in
 * batches, so many share a root), verified with a shared cache; and a sample verified alone.
 */
export async function measureVerification(count = 20_000): Promise<VerifyFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acl-bench-verify-'));
  const identity = await loadOrCreateLedgerIdentity(dataDir, 'bench', ['localhost']);
  const ledger = await LocalLedger.open(dataDir, identity);
  const writes = Array.from({ length: count }, (_, i) => ledger.append('subledger:0', `entry ${i}`));
  const seqnos = await Promise.all(writes);
  await ledger.flush();
  // as clients receive them: the whole GET …/receipt body, as JSON text.
  const bodies = seqnos.map((s) => JSON.stringify({ state: 'Ready', transactionId: ledger.txId(s), receipt: ledger.receipt(s) }));
  await ledger.close();

  const cache = new VerificationCache();
  let started = performance.now();
  for (const body of bodies) verifyReceipt(JSON.parse(body), { serviceCertificate: identity.serviceCertificatePem, cache });
  const sharedRootsPerSecond = bodies.length / ((performance.now() - started) / 1000);
  const sample = bodies.slice(0, 200);
  started = performance.now();
  for (const body of sample) verifyReceipt(JSON.parse(body), { serviceCertificate: identity.serviceCertificatePem });
  const distinctRootsPerSecond = sample.length / ((performance.now() - started) / 1000);
  return {
    receipts: bodies.length,
    sharedRootsPerSecond: Math.round(sharedRootsPerSecond),
    distinctRootsPerSecond: Math.round(distinctRootsPerSecond),
  };
}

if (require.main === module) {
  measureVerification(Number(process.argv[2] ?? 20_000)).then((f) => console.log(JSON.stringify(f)));
}
