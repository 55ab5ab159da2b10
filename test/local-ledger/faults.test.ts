import { spawnSync } from 'node:child_process';
import { connect, type TLSSocket } from 'node:tls';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyReceipt } from '../../receipts/verify';
import { REPO_ROOT } from '../helpers/environments';
import { readyReceipt, startTestLedger, waitForCommit, type TestLedger } from '../helpers/local-ledger';

describe('local ledger under storage faults', () => {
  test('a full disk answers 503 with Retry-After, loses no committed write, and a read-only folder refuses to start', () => {
    // a private mount namespace with a 700 KiB tmpfs: no root needed where user namespaces are allowed.
    const dir = mkdtempSync(join(tmpdir(), 'acl-full-'));
    const run = spawnSync(
      'unshare',
      [
        '--mount',
        '--map-root-user',
        'sh',
        '-c',
        `mount -t tmpfs -o size=700k,mode=0700 tmpfs "${dir}" && exec "${process.execPath}" --import tsx test/helpers/storage-fault-driver.ts "${dir}"`,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(result.accepted).toBeGreaterThan(10);
    expect(result.diskFull).toEqual({ status: 503, code: 'ServiceUnavailable', retryAfter: '1' });
    // every acknowledged write that was committed reads back with a receipt, before and after a restart.
    expect(result.readable).toBeGreaterThan(0);
    expect(result.readableAfterRestart).toBe(result.readable);
    expect(result.readOnly).toMatch(/cannot be written \(EROFS\): the local ledger needs a writable data folder/);
  });
});

describe('local ledger under concurrent and hostile clients', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({ loadingPolls: 0, http: { headersTimeoutMs: 400, requestTimeoutMs: 1000, checkIntervalMs: 100 } });
  });
  afterAll(() => ledger.stop());

  test('concurrent writers to overlapping collections get one total order that every read agrees with', async () => {
    const client = ledger.certificateClient();
    const collections = ['orders', 'audit', 'orders', 'shared'];
    const acked: { writer: number; i: number; id: string; collectionId: string }[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, writer) => {
        for (let i = 0; i < 25; i++) {
          const collectionId = collections[(writer + i) % collections.length];
          const response = await client
            .path('/app/transactions')
            .post({ body: { contents: `${writer}:${i}` }, queryParameters: { collectionId } });
          acked.push({ writer, i, id: response.headers['x-ms-ccf-transaction-id'] as string, collectionId });
        }
      }),
    );
    const seq = (id: string) => Number(id.split('.')[1]);
    expect(new Set(acked.map((a) => a.id)).size).toBe(acked.length);
    // each writer's own writes are ordered as it made them.
    for (let w = 0; w < 8; w++) {
      const mine = acked.filter((a) => a.writer === w).map((a) => seq(a.id));
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
    await waitForCommit(client, acked.reduce((a, b) => (seq(a.id) > seq(b.id) ? a : b)).id);
    for (const collectionId of new Set(collections)) {
      const listed = ((await client.path('/app/transactions').get({ queryParameters: { collectionId } })).body as any).entries;
      const expected = acked.filter((a) => a.collectionId === collectionId).sort((a, b) => seq(a.id) - seq(b.id));
      expect(listed.map((e: any) => [e.transactionId, e.contents])).toEqual(expected.map((a) => [a.id, `${a.writer}:${a.i}`]));
    }
    const last = acked.reduce((a, b) => (seq(a.id) > seq(b.id) ? a : b));
    expect(verifyReceipt(await readyReceipt(client, last.id), { serviceCertificate: ledger.serviceCertificate }).transactionId).toBe(
      last.id,
    );
  });

  /** Opens a TLS connection and resolves with how long the server kept it open. */
  function dripHeaders(): Promise<number> {
    const url = new URL(ledger.info.ledgerEndpoint);
    return new Promise((resolve) => {
      const started = Date.now();
      const socket: TLSSocket = connect({ host: url.hostname, port: Number(url.port), ca: ledger.serviceCertificate }, () => {
        socket.write('GET /app/collections HTTP/1.1\r\nHost: x\r\n');
        const drip = setInterval(() => socket.write('X-Slow: y\r\n'), 50);
        socket.on('close', () => {
          clearInterval(drip);
          resolve(Date.now() - started);
        });
      });
      socket.on('error', () => undefined);
    });
  }

  test('a slow-loris client that never finishes its headers is cut off by the header timeout', async () => {
    const keptOpenMs = await dripHeaders();
    expect(keptOpenMs).toBeGreaterThanOrEqual(300);
    expect(keptOpenMs).toBeLessThan(5000);
  });

  test('a client that sends an enormous body is refused with 413 and the server keeps serving', async () => {
    const client = ledger.certificateClient();
    const response = await client.path('/app/transactions').post({ body: { contents: 'x'.repeat(1_000_000) } });
    expect(response.status).toBe('413');
    expect((await client.path('/app/collections').get()).status).toBe('200');
  });
});
