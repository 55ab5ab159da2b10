import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLedger, loadOrCreateLedgerIdentity } from '../local-ledger';

/**
 * Restart cost of a ledger that has seen `transactions` writes arriving `batch` at a time (one
 * signature each): the
 * replay rebuilds the tree, checks every frame and signature root, and verifies the latest signature.
 */
export async function measureRestart(
  transactions = 100_000,
  batch = 50,
): Promise<{ transactions: number; signatures: number; restartMs: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acl-bench-restart-'));
  const identity = await loadOrCreateLedgerIdentity(dataDir, 'bench', ['localhost']);
  const ledger = await LocalLedger.open(dataDir, identity, { signing: { everyTransactions: batch, everyMs: 5 } });
  for (let done = 0; done < transactions; done += batch) {
    await Promise.all(Array.from({ length: batch }, (_, i) => ledger.append('subledger:0', `entry ${done + i}`)));
  }
  await ledger.flush();
  await ledger.close();
  const started = performance.now();
  const reopened = await LocalLedger.open(dataDir, identity);
  const restartMs = Math.round(performance.now() - started);
  const signatures = reopened.lastSeqno - transactions;
  await reopened.close();
  return { transactions, signatures, restartMs };
}

if (require.main === module) {
  measureRestart().then((f) => console.log(JSON.stringify(f)));
}
