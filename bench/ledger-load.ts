import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LocalLedgerInfo } from '../local-ledger';

const REPO = join(__dirname, '..');

export interface LedgerFigures {
  readonly writesPerSecond: number;
  readonly committedWritesPerSecond: number;
  readonly commitLatencyMs: { readonly p50: number; readonly p99: number };
  readonly receiptsPerSecond: number;
  readonly writes: number;
  readonly connections: number;
}

/** Runs a script as its own process (as users run the ledger) and reads the JSON line it prints when it serves. */
async function spawnServer(script: string, args: string[]): Promise<{ child: ChildProcess; info: LocalLedgerInfo }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, script), ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  return { child, info: JSON.parse(line) as LocalLedgerInfo };
}

const ledgerArgs = (dataDir: string) => ['--data', dataDir, '--port', '0', '--loading-polls', '0'];

/** Measures the local ledger: committed writes/s and write→Committed latency under concurrent load, and receipts served/s. */
export async function measureLedger(seconds: number, connections = 64): Promise<LedgerFigures> {
  return measureServer('local-ledger/cli.ts', ledgerArgs, seconds, connections);
}

/**
 * The same load against {@link file://./echo-server.ts}: HTTPS and JSON alone, on the same key and
 * client certificate. The ledger's rate as a share of this one means something on a noisy machine.
 */
export async function measureEcho(seconds: number, connections = 64): Promise<LedgerFigures> {
  return measureServer('bench/echo-server.ts', (dataDir) => [dataDir], seconds, connections);
}

async function measureServer(
  script: string,
  args: (dataDir: string) => string[],
  seconds: number,
  connections: number,
): Promise<LedgerFigures> {
  // a ledger made once gives the data folder its identity and administrator certificate.
  const dataDir = mkdtempSync(join(tmpdir(), 'acl-bench-'));
  const maker = await spawnServer('local-ledger/cli.ts', ledgerArgs(dataDir));
  maker.child.kill('SIGTERM');
  await new Promise((r) => maker.child.once('exit', r));
  // the echo server publishes only its endpoint; the certificates are the ledger's, as the maker published them.
  const { child, info: served } = await spawnServer(script, args(dataDir));
  const info = { ...maker.info, ledgerEndpoint: served.ledgerEndpoint };
  const agent = new Agent({
    keepAlive: true,
    maxSockets: connections + 1,
    ca: readFileSync(info.serviceCertificatePath),
    cert: readFileSync(info.adminCertificatePath),
    key: readFileSync(info.adminKeyPath),
  });
  const call = (method: string, path: string, body?: string) =>
    new Promise<{ status: number; txId: number; body: string }>((resolve, reject) => {
      const req = request(
        new URL(`${path}?api-version=2022-05-13`, info.ledgerEndpoint),
        { method, agent, headers: body ? { 'content-type': 'application/json' } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              txId: Number(String(res.headers['x-ms-ccf-transaction-id']).split('.')[1]),
              body: Buffer.concat(chunks).toString(),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  try {
    // writes: record each write's send time; a poller reads the committed watermark from response headers.
    const sentAt = new Map<number, number>();
    const latencies: number[] = [];
    let committedWatermark = 0;
    let running = true;
    const observe = (watermark: number, now: number) => {
      for (let s = committedWatermark + 1; s <= watermark; s++) {
        const t = sentAt.get(s);
        if (t !== undefined) {
          latencies.push(now - t);
          sentAt.delete(s);
        }
      }
      committedWatermark = Math.max(committedWatermark, watermark);
    };
    const poller = (async () => {
      while (running || sentAt.size) {
        const r = await call('GET', '/app/transactions/2.1/status');
        observe(r.txId, performance.now());
        // ~1 ms between polls: fine enough for latency, without competing with the writers for the cores.
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    let writes = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    const body = JSON.stringify({ contents: JSON.stringify({ schema: 'bench', pad: 'x'.repeat(120) }) });
    const writer = async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const r = await call('POST', '/app/transactions', body);
        if (r.status !== 200) throw new Error(`write answered ${r.status}: ${r.body}`);
        if (r.txId > committedWatermark) sentAt.set(r.txId, t0);
        writes++;
      }
    };
    await Promise.all(Array.from({ length: connections }, writer));
    const writeSeconds = (performance.now() - started) / 1000;
    running = false;
    await poller;
    const commitSeconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];

    // receipts: fetch receipts of committed writes from all connections.
    let receipts = 0;
    let next = Math.max(3, committedWatermark - 20_000);
    const receiptDeadline = performance.now() + Math.min(3, seconds) * 1000;
    const receiptStart = performance.now();
    const reader = async () => {
      while (performance.now() < receiptDeadline && next < committedWatermark) {
        const r = await call('GET', `/app/transactions/2.${next++}/receipt`);
        if (r.status === 200) receipts++;
      }
    };
    await Promise.all(Array.from({ length: connections }, reader));
    const receiptSeconds = (performance.now() - receiptStart) / 1000;

    return {
      writesPerSecond: Math.round(writes / writeSeconds),
      committedWritesPerSecond: Math.round(writes / commitSeconds),
      commitLatencyMs: { p50: round(pct(50)), p99: round(pct(99)) },
      receiptsPerSecond: Math.round(receipts / receiptSeconds),
      writes,
      connections,
    };
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

if (require.main === module) {
  measureLedger(Number(process.argv[2] ?? 5)).then((f) => console.log(JSON.stringify(f, null, 2)));
}
