import type { ConfidentialLedgerClient } from '@azure-rest/confidential-ledger';
import { join } from 'node:path';
import { startLocalLedger } from '../../local-ledger';
import { loadIdentity } from '../../local-ledger/identity';
import { readLedgerLog } from '../../local-ledger/ledger';
import { chainKeyOf, logPaths, readWatermark } from '../../local-ledger/log';
import { verifyReceipt } from '../../receipts/verify';
import { seededRandom } from '../helpers/ledger-process';
import { newDataDir, readyReceipt, startTestLedger, waitForCommit, type TestLedger } from '../helpers/local-ledger';
import { diskFull, StorageFaults } from '../helpers/storage-faults';

const seq = (id: string) => Number(id.split('.')[1]);
const txHeader = (response: { headers: Record<string, unknown> }) => response.headers['x-ms-ccf-transaction-id'] as string;

/** Everything a reader can learn about transaction `id` and collection `collectionId`. */
async function observe(client: ConfidentialLedgerClient, id: string, collectionId: string) {
  const status = await client.path('/app/transactions/{transactionId}/status', id).get();
  const entry = await client.path('/app/transactions/{transactionId}', id).get({ queryParameters: { collectionId } });
  const receipt = await client.path('/app/transactions/{transactionId}/receipt', id).get();
  const current = await client.path('/app/transactions/current').get({ queryParameters: { collectionId } });
  const list = await client.path('/app/transactions').get({ queryParameters: { collectionId } });
  const collections = await client.path('/app/collections').get();
  return {
    status: status.status,
    entry: entry.status,
    receipt: receipt.status,
    current: current.status,
    listed: (list.body as any).entries?.length,
    collectionListed: (collections.body as any).collections.some((c: any) => c.collectionId === collectionId),
    latestHeader: Math.max(...[status, entry, receipt, current, list, collections].map((r) => seq(txHeader(r)))),
  };
}

describe('local ledger: nothing is visible before it is durable', () => {
  let faults: StorageFaults;
  let ledger: TestLedger;
  let client: ConfidentialLedgerClient;
  beforeEach(async () => {
    faults = new StorageFaults();
    // signatures only when asked (flush), so each test decides when a transaction may commit.
    ledger = await startTestLedger({ loadingPolls: 0, storageHooks: faults, signing: { everyTransactions: 1000, everyMs: 600_000 } });
    client = ledger.certificateClient();
  });
  afterEach(() => ledger.stop());

  test('a write whose fsync is held shows in no read, status, receipt, current, range, collection or header', async () => {
    const durable = ledger.ledger.lastSeqno;
    const reached = faults.holdNext('log', 'sync');
    // the SDK sends a request only once it is awaited (then'd): start it now.
    const posting = Promise.resolve(
      client.path('/app/transactions').post({ body: { contents: 'held' }, queryParameters: { collectionId: 'held' } }),
    );
    const release = await reached;
    const id = `2.${durable + 1}`;
    expect(await observe(client, id, 'held')).toEqual({
      status: '404',
      entry: '404',
      receipt: '404',
      current: '404',
      listed: 0,
      collectionListed: false,
      latestHeader: ledger.ledger.lastCommittedSeqno,
    });
    release();
    const response = await posting;
    expect([response.status, txHeader(response)]).toEqual(['200', id]);
    expect((await client.path('/app/transactions/{transactionId}/status', id).get()).body).toEqual({ state: 'Pending', transactionId: id });
  });

  test('a role granted in a batch whose fsync is held does not authorize yet', async () => {
    const reached = faults.holdNext('log', 'sync');
    const granting = Promise.resolve(
      client
        .path('/app/users/{userId}', 'new-reader')
        .patch({ body: { assignedRole: 'Reader' }, contentType: 'application/merge-patch+json' }),
    );
    const release = await reached;
    expect((await ledger.tokenClient('new-reader').path('/app/collections').get()).status).toBe('401');
    release();
    expect((await granting).status).toBe('200');
    expect((await ledger.tokenClient('new-reader').path('/app/collections').get()).status).toBe('200');
  });

  test('a transaction stays Pending, in no range and without a receipt, until the signature covering it is fsynced', async () => {
    const id = txHeader(await client.path('/app/transactions').post({ body: { contents: 'to sign' } }));
    const logSync = faults.holdNext('log', 'sync');
    const signing = ledger.ledger.flush();
    const releaseLog = await logSync;
    expect((await client.path('/app/transactions/{transactionId}/status', id).get()).body).toEqual({ state: 'Pending', transactionId: id });
    expect((await client.path('/app/transactions/{transactionId}/receipt', id).get()).status).toBe('406');
    expect((await client.path('/app/transactions').get()).body).toEqual({ state: 'Ready', entries: [] });
    releaseLog();
    await signing;
    expect((await client.path('/app/transactions/{transactionId}/status', id).get()).body).toEqual({
      state: 'Committed',
      transactionId: id,
    });
    expect(
      verifyReceipt(await readyReceipt(client, id), { serviceCertificate: ledger.serviceCertificate, transactionId: id }).transactionId,
    ).toBe(id);
  });

  test('the commit watermark never names a record whose batch is not fsynced yet', async () => {
    const logSync = faults.holdNext('log', 'sync');
    const posting = Promise.resolve(client.path('/app/transactions').post({ body: { contents: 'not yet durable' } }));
    const release = await logSync;
    const held = ledger.ledger.lastSeqno + 1;
    expect(watermarkOf(ledger).seqno).toBeLessThan(held);
    release();
    expect(seq(txHeader(await posting))).toBe(held);
    await ledger.stop();
    // a stopped ledger's watermark names everything it acknowledged.
    expect(watermarkOf(ledger).seqno).toBe(readLedgerLog(dataDirOf(ledger)).records.length);
  });

  test.each([
    ['write', 'a full disk'],
    ['sync', 'a failed fsync'],
  ] as const)(
    'a failed %s (%s) answers 503, leaves no trace in memory or the log, and the next write is whole',
    async (operation, _what) => {
      const logBefore = readLedgerLog(dataDirOf(ledger)).end;
      faults.failNext('log', operation);
      const doomed = await client
        .path('/app/transactions')
        .post({ body: { contents: 'doomed' }, queryParameters: { collectionId: 'doomed' } });
      expect([doomed.status, (doomed.body as any).error.code, doomed.headers['retry-after']]).toEqual(['503', 'ServiceUnavailable', '1']);
      expect(readLedgerLog(dataDirOf(ledger)).end).toBe(logBefore);
      expect((await client.path('/app/collections').get()).body).not.toMatchObject({ collections: [{ collectionId: 'doomed' }] });

      const kept = await client.path('/app/transactions').post({ body: { contents: 'kept' } });
      const id = txHeader(kept);
      await ledger.ledger.flush();
      const entry = await client.path('/app/transactions/{transactionId}', id).get();
      expect((entry.body as any).entry.contents).toBe('kept');
      expect(
        verifyReceipt(await readyReceipt(client, id), { serviceCertificate: ledger.serviceCertificate, transactionId: id }).transactionId,
      ).toBe(id);
      expect(readLedgerLog(dataDirOf(ledger)).records.some((r) => r.t === 'w' && r.d === 'doomed')).toBe(false);
    },
  );

  test('a watermark that cannot be written changes nothing clients see; the next batch moves it on, and a restart is clean', async () => {
    faults.failNext('watermark', 'sync');
    const first = txHeader(await client.path('/app/transactions').post({ body: { contents: 'watermark failed' } }));
    await ledger.ledger.flush();
    expect((await client.path('/app/transactions/{transactionId}/status', first).get()).body).toEqual({
      state: 'Committed',
      transactionId: first,
    });
    await client.path('/app/transactions').post({ body: { contents: 'after it' } });
    await ledger.stop();
    const restarted = await startLocalLedger({ dataDir: dataDirOf(ledger) });
    try {
      expect(restarted.ledger.entry(seq(first))?.contents).toBe('watermark failed');
      expect(restarted.ledger.current('subledger:0')?.contents).toBe('after it');
    } finally {
      await restarted.stop();
    }
  });

  test('when a failed batch cannot be removed either, the ledger says its outcome is unknown and takes no more writes', async () => {
    faults.failNext('log', 'sync');
    faults.failNext('log', 'truncate', new Error('EIO: i/o error, ftruncate'));
    const failed = await client.path('/app/transactions').post({ body: { contents: 'unknown outcome' } });
    expect(failed.status).toBe('503');
    expect((failed.body as any).error.message).toMatch(
      /nor the failed write removed .*restart the local ledger\. The write may or may not be recorded: read it back after the restart/,
    );
    const refused = await client.path('/app/transactions').post({ body: { contents: 'refused' } });
    expect([refused.status, (refused.body as any).error.message]).toEqual([
      '503',
      expect.stringMatching(/stopped taking writes after a storage failure .*Nothing was written/),
    ]);
    // reads of what is durable go on.
    expect((await client.path('/app/collections').get()).status).toBe('200');
  });
});

function dataDirOf(ledger: TestLedger): string {
  return join(ledger.info.serviceCertificatePath, '..', '..');
}

function watermarkOf(ledger: TestLedger) {
  const dataDir = dataDirOf(ledger);
  return readWatermark(logPaths(dataDir).watermark, chainKeyOf(loadIdentity(dataDir).ledgerSecret))!;
}

describe('local ledger signing after a failure', () => {
  test('a signature whose batch failed is tried again by the signing timer, without waiting for another write', async () => {
    const faults = new StorageFaults();
    const ledger = await startTestLedger({ loadingPolls: 0, storageHooks: faults, signing: { everyTransactions: 1000, everyMs: 20 } });
    try {
      const client = ledger.certificateClient();
      const written = await client.path('/app/transactions').post({ body: { contents: 'signed later' } });
      // the write's own batch is durable; the next log sync is the signature's, and it fails.
      faults.failNext('log', 'sync');
      await waitForCommit(client, txHeader(written));
    } finally {
      await ledger.stop();
    }
  });
});

describe('local ledger under seeded random storage faults', () => {
  test.each([5, 17, 29])(
    'one transaction id never has two contents or two receipts, across faults and a restart (seed %i)',
    async (seed) => {
      const next = seededRandom(seed);
      const faults = new StorageFaults();
      const dataDir = newDataDir();
      const ledger = await startTestLedger({
        dataDir,
        loadingPolls: 0,
        storageHooks: faults,
        signing: { everyTransactions: 7, everyMs: 2 },
      });
      faults.chooser = (_, operation) => (operation !== 'truncate' && next() < 0.15 ? diskFull() : undefined);
      const client = ledger.certificateClient();
      const seen = new Map<string, Set<string>>();
      const note = (id: string, what: string) => seen.set(id, (seen.get(id) ?? new Set()).add(what));
      const acknowledged = new Map<string, string>();
      await Promise.all(
        Array.from({ length: 6 }, async (_, w) => {
          for (let i = 0; i < 25; i++) {
            const contents = `${w}:${i}`;
            const response = await client.path('/app/transactions').post({ body: { contents } });
            if (response.status !== '200') continue;
            acknowledged.set(txHeader(response), contents);
            note(txHeader(response), `contents ${contents}`);
          }
        }),
      );
      faults.chooser = undefined;
      // a double fault may have stopped the ledger taking writes (outcome unknown): then only a restart goes on.
      await ledger.ledger.flush().catch(() => undefined);
      const leafOf = (receipt: Record<string, unknown>) => `leaf ${JSON.stringify((receipt.receipt as any).leaf_components)}`;
      for (const [id] of acknowledged) {
        if (ledger.ledger.state(seq(id)) !== 'Committed') continue;
        const receipt = await readyReceipt(client, id);
        verifyReceipt(receipt, { serviceCertificate: ledger.serviceCertificate, transactionId: id });
        note(id, leafOf(receipt));
      }
      await ledger.stop();
      const reopened = await startTestLedger({ dataDir, loadingPolls: 0 });
      try {
        const after = reopened.certificateClient();
        for (const [id, contents] of acknowledged) {
          expect([id, reopened.ledger.entry(seq(id))?.contents]).toEqual([id, contents]);
          const receipt = await readyReceipt(after, id);
          verifyReceipt(receipt, { serviceCertificate: reopened.serviceCertificate, transactionId: id });
          note(id, leafOf(receipt));
        }
      } finally {
        await reopened.stop();
      }
      expect(acknowledged.size).toBeGreaterThan(0);
      // each id: one contents, one leaf.
      for (const [id, facts] of seen) expect([id, facts.size]).toEqual([id, 2]);
    },
  );
});
