import { readFileSync } from 'node:fs';
import { verifyReceipt } from '../../receipts/verify';
import { adminClient, seededRandom, spawnLedger, stopLedger } from '../helpers/ledger-process';
import { newDataDir, readyReceipt, waitForCommit } from '../helpers/local-ledger';

const seq = (id: string) => Number(id.split('.')[1]);

/**
 * Each seed kills the ledger process at another point: after a seeded number of acknowledged
 * writes, once at least one of them was seen Committed with a receipt. The kill is driven by what
 * the clients saw (events), never by a timer, so every run has something to lose.
 */
describe('local ledger durability under SIGKILL', () => {
  test.each([11, 23, 37, 41, 53, 67])(
    'no acknowledged write is lost, changed or its id reused when the process is SIGKILLed (seed %i)',
    async (seed) => {
      const next = seededRandom(seed);
      const killAfterAcks = 1 + Math.floor(next() * 80);
      const dataDir = newDataDir();
      const ledger = await spawnLedger(dataDir);
      const client = adminClient(ledger.info);
      const acknowledged = new Map<string, string>();
      const receipts = new Map<string, Record<string, unknown>>();
      let killed = false;
      const killWhenDue = () => {
        if (killed || acknowledged.size < killAfterAcks || receipts.size === 0) return;
        killed = true;
        ledger.child.kill('SIGKILL');
      };
      const writer = async (w: number) => {
        for (let i = 0; !killed; i++) {
          const contents = `seed ${seed} writer ${w} entry ${i}`;
          try {
            const response = await client.path('/app/transactions').post({ body: { contents } });
            if (response.status !== '200') return;
            const id = response.headers['x-ms-ccf-transaction-id'] as string;
            acknowledged.set(id, contents);
            // writer 0 always, the others now and then, wait for Committed and keep the receipt.
            if (w === 0 || next() < 0.2) {
              await waitForCommit(client, id);
              receipts.set(id, await readyReceipt(client, id));
            }
          } catch {
            return; // the connection died with the process
          }
          killWhenDue();
        }
      };
      await Promise.all(Array.from({ length: 6 }, (_, w) => writer(w)));
      expect(await ledger.exited).toEqual({ code: null, signal: 'SIGKILL' });

      const restarted = await spawnLedger(dataDir);
      try {
        const after = adminClient(restarted.info);
        const serviceCertificate = readFileSync(restarted.info.serviceCertificatePath, 'utf8');
        for (const [id, contents] of acknowledged) {
          let entry = await after.path('/app/transactions/{transactionId}', id).get();
          if ((entry.body as any).state === 'Loading') entry = await after.path('/app/transactions/{transactionId}', id).get();
          expect([id, (entry.body as any).entry?.contents]).toEqual([id, contents]);
        }
        // a receipt handed out before the kill still verifies, and the ledger now gives the same leaf.
        for (const [id, before] of receipts) {
          expect(verifyReceipt(before, { serviceCertificate, transactionId: id }).transactionId).toBe(id);
          const now = await readyReceipt(after, id);
          expect((now.receipt as any).leaf_components ?? (now.receipt as any).leafComponents).toEqual(
            (before.receipt as any).leaf_components ?? (before.receipt as any).leafComponents,
          );
        }
        const fresh = await after.path('/app/transactions').post({ body: { contents: 'after the restart' } });
        const freshId = fresh.headers['x-ms-ccf-transaction-id'] as string;
        expect(seq(freshId)).toBeGreaterThan(Math.max(...[...acknowledged.keys()].map(seq)));
      } finally {
        await stopLedger(restarted);
      }
    },
  );

  test('stops cleanly on SIGTERM and keeps everything across a restart', async () => {
    const dataDir = newDataDir();
    const first = await spawnLedger(dataDir);
    const client = adminClient(first.info);
    const response = await client.path('/app/transactions').post({ body: { contents: 'kept' } });
    const id = response.headers['x-ms-ccf-transaction-id'] as string;
    await waitForCommit(client, id);
    expect(await stopLedger(first)).toEqual({ code: 0, signal: null });
    const second = await spawnLedger(dataDir);
    try {
      expect((await adminClient(second.info).path('/app/transactions/current').get()).body).toEqual({
        collectionId: 'subledger:0',
        contents: 'kept',
        transactionId: id,
      });
    } finally {
      await stopLedger(second);
    }
  });
});
