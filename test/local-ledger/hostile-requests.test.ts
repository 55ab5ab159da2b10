import fc from 'fast-check';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { LocalLedgerInfo } from '../../local-ledger';
import { adminClient, spawnLedger, stopLedger, type LedgerProcess } from '../helpers/ledger-process';
import { newDataDir } from '../helpers/local-ledger';

interface RawAnswer {
  readonly status?: number;
  readonly body: string;
  /** everything the server sent. */
  readonly raw: string;
}

/** Sends bytes over a fresh TLS connection as the administrator and reads the answer until the server closes or answers whole. */
function sendRaw(info: LocalLedgerInfo, request: string | Buffer, options: { halfClose?: boolean } = {}): Promise<RawAnswer> {
  const url = new URL(info.ledgerEndpoint);
  return new Promise((resolve) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      ca: readFileSync(info.serviceCertificatePath),
      cert: readFileSync(info.adminCertificatePath),
      key: readFileSync(info.adminKeyPath),
    });
    let received = '';
    const finish = () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      resolve({ status: status ? Number(status) : undefined, body: received.split('\r\n\r\n').slice(1).join('\r\n\r\n'), raw: received });
      socket.destroy();
    };
    // by default the client half-closes after its request; a pipelining client keeps sending instead.
    socket.on('secureConnect', () => (options.halfClose === false ? socket.write(request) : socket.end(request)));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('close', finish);
    socket.on('error', finish);
  });
}

const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: ledger\r\nConnection: close\r\n\r\n`;

describe('local ledger against hostile requests', () => {
  let ledger: LedgerProcess;
  beforeAll(async () => {
    ledger = await spawnLedger(newDataDir());
  });
  afterAll(async () => {
    if (ledger.child.exitCode === null) await stopLedger(ledger);
  });

  test.each([
    ['an unparsable target', '//[', 404],
    ['a target without a leading slash', 'app/collections?api-version=2022-05-13', 400],
    ['malformed percent-encoding in a path segment', '/app/transactions/%E0%A4%A/status', 400],
    ['a lone percent sign', '/app/users/%', 400],
  ])('%s gets an answer in the Azure error shape, and the server goes on', async (_, target, status) => {
    const answer = await sendRaw(ledger.info, get(target));
    expect(answer.status).toBe(status);
    if (status >= 400) expect(JSON.parse(answer.body)).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect((await adminClient(ledger.info).path('/app/collections').get()).status).toBe('200');
  });

  test('a request line or header Node cannot parse gets a 400 in the Azure error shape', async () => {
    const answer = await sendRaw(ledger.info, 'GET /app/collections HTTP/1.1\r\nHost: ledger\r\nBad Header\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.code).toBe('BadRequest');
  });

  test('a write pipelined before a malformed request gets its own answer, not the 400', async () => {
    const body = JSON.stringify({ contents: 'pipelined' });
    const answer = await sendRaw(
      ledger.info,
      `POST /app/transactions?api-version=2022-05-13 HTTP/1.1\r\nHost: ledger\r\ncontent-type: application/json\r\n` +
        `content-length: ${body.length}\r\n\r\n${body}NOT-HTTP\r\n\r\n`,
      { halfClose: false },
    );
    // the write's own answer comes first; the connection then closes (with a 400 where Node still lets it through).
    expect(answer.raw.match(/^HTTP\/1\.1 \d{3}/gm)?.[0]).toBe('HTTP/1.1 200');
    const id = /x-ms-ccf-transaction-id: (\S+)/i.exec(answer.raw)![1];
    const read = () => adminClient(ledger.info).path('/app/transactions/{transactionId}', id).get();
    // the first read of a transaction answers Loading, as a real node does.
    const entry = (await read()).body as any;
    expect((entry.state === 'Loading' ? ((await read()).body as any) : entry).entry.contents).toBe('pipelined');
  });

  test('fuzzed request lines, headers, queries and bodies never get a 5xx or stop the server', async () => {
    const token = fc.stringMatching(/^[!-~]{0,12}$/);
    const segment = fc.oneof(
      token,
      fc.constantFrom('app', 'transactions', 'current', 'receipt', 'status', 'users', 'collections', '%', '%zz', '%E0%A4', '..', '//', '['),
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'G\u00e9T', ''),
      path: fc.array(segment, { maxLength: 5 }).map((parts) => `/${parts.join('/')}`),
      query: fc.array(fc.tuple(fc.constantFrom('api-version', 'collectionId', 'fromTransactionId', 'toTransactionId', 'x'), token), {
        maxLength: 4,
      }),
      headers: fc.array(
        fc.tuple(fc.constantFrom('content-type', 'content-length', 'authorization', 'x-ms-client-request-id', 'x'), token),
        {
          maxLength: 3,
        },
      ),
      body: fc.oneof(fc.string({ maxLength: 64 }), fc.json({ maxDepth: 2 }), fc.constant('{"contents":"fuzz"}')),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const query = r.query.map(([k, v]) => `${k}=${v}`).join('&');
        const headers = r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
        const body = Buffer.from(r.body, 'utf8');
        const wire = Buffer.concat([
          Buffer.from(
            `${r.method} ${r.path}${query ? `?${query}` : ''} HTTP/1.1\r\nHost: ledger\r\nConnection: close\r\n${headers}` +
              (r.headers.some(([k]) => k === 'content-length') ? '' : `content-length: ${body.length}\r\n`) +
              '\r\n',
            'latin1',
          ),
          body,
        ]);
        const answer = await sendRaw(ledger.info, wire);
        // the server may close a connection it cannot read at all; it never answers 5xx for a client's bytes.
        if (answer.status !== undefined && answer.status >= 500) throw new Error(`answered ${answer.status}: ${answer.body}`);
      }),
      { numRuns: 300, seed: 20261130 },
    );
    expect(ledger.child.exitCode).toBeNull();
    expect((await adminClient(ledger.info).path('/app/collections').get()).status).toBe('200');
  });
});

describe('local ledger files under a permissive umask', () => {
  test('a data folder other users can write is refused, saying how to fix it', async () => {
    const dataDir = newDataDir();
    chmodSync(dataDir, 0o777);
    await expect(spawnLedger(dataDir)).rejects.toThrow(/can be written by other users \(mode 777\).*run: chmod go-w/);
  });

  test('with umask 000 the data folder is 0700 and the log, watermark and keys are 0600', async () => {
    const dataDir = join(newDataDir(), 'fresh', 'ledger');
    const ledger = await spawnLedger(dataDir, { shellPrefix: 'umask 000' });
    try {
      const mode = (path: string) => (statSync(join(dataDir, path)).mode & 0o777).toString(8);
      expect({
        folder: mode('.'),
        identity: mode('identity'),
        users: mode('users'),
        log: mode('ledger.log'),
        watermark: mode('commit-watermark'),
        lock: mode('LOCK'),
        serviceKey: mode('identity/service.key.pem'),
        nodeKey: mode('identity/node.key.pem'),
        secret: mode('identity/ledger-secret'),
        tokenKey: mode('identity/token-issuer.key.pem'),
        adminKey: mode('users/admin.key.pem'),
      }).toEqual({
        folder: '700',
        identity: '700',
        users: '700',
        log: '600',
        watermark: '600',
        lock: '600',
        serviceKey: '600',
        nodeKey: '600',
        secret: '600',
        tokenKey: '600',
        adminKey: '600',
      });
      expect(mode('..')).toBe('700');
    } finally {
      await stopLedger(ledger);
    }
  });
});
