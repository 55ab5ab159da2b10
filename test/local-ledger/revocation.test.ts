import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { createClientCertificate } from '../../local-ledger/identity';
import { spawnLedger, stopLedger, type LedgerProcess } from '../helpers/ledger-process';
import { newDataDir, rawRequest, startTestLedger, type TestLedger } from '../helpers/local-ledger';

/**
 * Sends a request's head with `Expect: 100-continue` as `who` and resolves once the server said
 * Continue, i.e. once it authorized the request; `finish` sends the body and reads the answer.
 */
async function headFirst(ledger: TestLedger, who: { cert: string; key: string }, method: string, path: string, body: string, type: string) {
  const url = new URL(ledger.info.ledgerEndpoint);
  const socket = connect({ host: url.hostname, port: Number(url.port), ca: ledger.serviceCertificate, cert: who.cert, key: who.key });
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  socket.write(
    `${method} ${path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      'expect: 100-continue\r\nconnection: close\r\n\r\n',
  );
  await new Promise<void>((resolve) => {
    const check = () => (received.includes('100 Continue') ? resolve() : socket.once('data', check));
    check();
  });
  return {
    finish: async () => {
      socket.write(body);
      await closed;
      return Number(/HTTP\/1\.1 (\d{3})(?![\s\S]*HTTP\/1\.1 100)/.exec(received.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ''))?.[1]);
    },
  };
}

describe('local ledger: a role is checked where the change takes its place in the order', () => {
  let ledger: TestLedger;
  beforeEach(async () => {
    ledger = await startTestLedger({ loadingPolls: 0 });
  });
  afterEach(() => ledger.stop());

  test.each([
    ['an Administrator removed while its request is in flight cannot re-grant itself', 'Administrator', 'PATCH'],
    ['a Contributor removed while its request is in flight cannot write', 'Contributor', 'POST'],
  ] as const)('%s', async (_, role, method) => {
    const eve = await createClientCertificate('eve');
    await ledger.ledger.setUser(eve.userId, role);
    const path =
      method === 'PATCH'
        ? `/app/users/${encodeURIComponent(eve.userId)}?api-version=2022-05-13`
        : '/app/transactions?api-version=2022-05-13';
    const body = method === 'PATCH' ? JSON.stringify({ assignedRole: 'Administrator' }) : JSON.stringify({ contents: 'after removal' });
    const type = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    const inFlight = await headFirst(ledger, { cert: eve.certificatePem, key: eve.keyPem }, method, path, body, type);

    const removal = await rawRequest(ledger, 'DELETE', `/app/users/${encodeURIComponent(eve.userId)}?api-version=2022-05-13`, {
      asAdmin: true,
    });
    expect(removal.status).toBe(204);
    await ledger.ledger.flush();

    expect(await inFlight.finish()).toBe(401);
    expect(ledger.ledger.role(eve.userId)).toBeUndefined();
    expect(ledger.ledger.current('subledger:0')).toBeUndefined();
  });
});

describe('local ledger start-up that fails late', () => {
  test('stops what it started and exits, so the lock is never released under a running server', async () => {
    const dataDir = newDataDir();
    // running.json cannot be written: a folder stands in its place.
    mkdirSync(join(dataDir, 'running.json', 'blocker'), { recursive: true });
    await expect(spawnLedger(dataDir)).rejects.toThrow(/^the ledger exited with 1: ledger:local: .*running\.json/);
  });
});

describe('local ledger data-folder lock', () => {
  test('four ledgers started at once on a folder with a stale lock: exactly one serves, the others say it is in use', async () => {
    const dataDir = newDataDir();
    await stopLedger(await spawnLedger(dataDir));
    // a lock left by a process that is gone.
    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    writeFileSync(join(dataDir, 'LOCK'), String(gone.pid));
    const starts = await Promise.allSettled(Array.from({ length: 4 }, () => spawnLedger(dataDir)));
    const serving = starts.filter((s): s is PromiseFulfilledResult<LedgerProcess> => s.status === 'fulfilled');
    try {
      expect(serving).toHaveLength(1);
      for (const refused of starts.filter((s): s is PromiseRejectedResult => s.status === 'rejected')) {
        expect(refused.reason.message).toMatch(/is in use by the local ledger with process id \d+/);
      }
    } finally {
      await Promise.all(serving.map((s) => stopLedger(s.value)));
    }
  });
});
