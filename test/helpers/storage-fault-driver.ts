/**
 * Runs inside a private mount namespace on a tiny tmpfs (see storage-faults.test.ts): fills the
 * ledger's disk until writes fail, tries to start on the folder made read-only, and reports what
 * clients saw and whether the log still opens and verifies afterwards. Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startLocalLedger } from '../../local-ledger';
import { verifyReceipt } from '../../receipts/verify';
import { rawRequest, type TestLedger } from './local-ledger';

async function main(dataDir: string) {
  const running = await startLocalLedger({ dataDir, loadingPolls: 0 });
  const ledger = { ...running, serviceCertificate: readFileSync(running.info.serviceCertificatePath, 'utf8') } as unknown as TestLedger;
  const post = (contents: string) =>
    rawRequest(ledger, 'POST', '/app/transactions?api-version=2022-05-13', {
      body: JSON.stringify({ contents }),
      headers: { 'content-type': 'application/json' },
      asAdmin: true,
    });
  const accepted: string[] = [];
  let diskFull: { status: number; code: string; retryAfter: unknown } | undefined;
  for (let i = 0; i < 2000 && !diskFull; i++) {
    const response = await post(`${i}:${'x'.repeat(8000)}`);
    if (response.status === 200) accepted.push(String(response.headers['x-ms-ccf-transaction-id']));
    else diskFull = { status: response.status, code: response.body?.error?.code, retryAfter: response.headers['retry-after'] };
  }
  await new Promise((r) => setTimeout(r, 50));
  const committed = running.ledger.lastCommittedSeqno;
  const readable = await checkCommitted(ledger, accepted, committed);

  const smallAfterFull = await post('small');
  await running.stop();

  // a folder that cannot be written refuses to start, saying so.
  execFileSync('mount', ['-o', 'remount,ro', dataDir]);
  const readOnly = await startLocalLedger({ dataDir }).then(
    async (unexpected) => {
      await unexpected.stop();
      return 'started';
    },
    (error: Error) => error.message,
  );
  execFileSync('mount', ['-o', 'remount,rw', dataDir]);

  // a restart must find every frame and signature intact and serve what was committed.
  const reopened = await startLocalLedger({ dataDir, loadingPolls: 0 });
  const reopenedLedger = {
    ...reopened,
    serviceCertificate: readFileSync(reopened.info.serviceCertificatePath, 'utf8'),
  } as unknown as TestLedger;
  const readableAfterRestart = await checkCommitted(reopenedLedger, accepted, committed);
  await reopened.stop();
  return {
    accepted: accepted.length,
    committed,
    diskFull,
    readable,
    smallAfterFull: smallAfterFull.status,
    readOnly,
    readableAfterRestart,
  };
}

/** How many acknowledged writes up to `committed` read back with a receipt that verifies. */
async function checkCommitted(ledger: TestLedger, accepted: string[], committed: number): Promise<number> {
  let ok = 0;
  for (const id of accepted.filter((t) => Number(t.split('.')[1]) <= committed)) {
    const entry = await rawRequest(ledger, 'GET', `/app/transactions/${id}?api-version=2022-05-13`, { asAdmin: true });
    const receipt = await rawRequest(ledger, 'GET', `/app/transactions/${id}/receipt?api-version=2022-05-13`, { asAdmin: true });
    if (
      entry.body?.entry?.contents?.endsWith('x'.repeat(8000)) &&
      verifyReceipt(receipt.body, { serviceCertificate: ledger.serviceCertificate, transactionId: id })
    )
      ok++;
  }
  return ok;
}

main(process.argv[2]).then(
  (result) => console.log(JSON.stringify(result)),
  (error: Error) => {
    console.log(JSON.stringify({ error: error.message }));
    process.exit(1);
  },
);
