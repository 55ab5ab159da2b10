import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { LocalLedgerInfo } from '../../local-ledger';

/** What the proxy does with one request. */
export type Fault =
  /** answer without forwarding. */
  | { readonly kind: 'answer'; readonly status: number; readonly headers?: Record<string, string>; readonly body?: unknown }
  /** forward, let the ledger act on it, then answer something else (an ambiguous failure). */
  | { readonly kind: 'forward-then-answer'; readonly status: number; readonly headers?: Record<string, string>; readonly body?: unknown }
  /** forward, then change the JSON the ledger returned. */
  | { readonly kind: 'rewrite'; readonly change: (body: any) => unknown }
  /** forward, then cut the connection without an answer. */
  | { readonly kind: 'reset-after-forward' }
  /** wait, then forward as usual (a slow network or a busy ledger). */
  | { readonly kind: 'delay'; readonly ms: number };

export interface FaultRule {
  readonly method: string;
  readonly path: RegExp;
  /** how many matching requests to affect. @default Infinity */
  times?: number;
  readonly fault: Fault;
}

/**
 * An HTTPS proxy in front of a local ledger that injects faults. It serves the ledger's own node
 * certificate, so a client pinning the ledger's identity accepts it, and forwards bearer tokens
 * (client certificates cannot pass through a proxy).
 */
export class FaultProxy {
  static async start(info: LocalLedgerInfo, dataDir: string, rules: FaultRule[]): Promise<FaultProxy> {
    const proxy = new FaultProxy(info, dataDir, rules);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  readonly log: string[] = [];
  private readonly server: Server;

  private constructor(
    private readonly info: LocalLedgerInfo,
    dataDir: string,
    private readonly rules: FaultRule[],
  ) {
    this.server = createServer(
      { key: readFileSync(`${dataDir}/identity/node.key.pem`), cert: readFileSync(`${dataDir}/identity/node.cert.pem`) },
      // a request still held by a fault when the test ends may find the ledger gone: that is no test's failure.
      (req, res) => this.handle(req, res).catch(() => res.destroy()),
    );
  }

  get endpoint(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url!, 'https://x').pathname;
    const rule = this.rules.find((r) => r.method === req.method && r.path.test(path) && (r.times ?? Infinity) > 0);
    if (rule) rule.times = (rule.times ?? Infinity) - 1;
    const fault = rule?.fault;
    this.log.push(`${req.method} ${path}${fault ? ` → ${fault.kind}` : ''}`);
    const body = await readAll(req);
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms).unref());
    if (fault?.kind === 'answer') return answer(res, fault.status, fault.headers, fault.body);
    const upstream = await this.forward(req, body);
    if (fault?.kind === 'forward-then-answer') return answer(res, fault.status, fault.headers, fault.body);
    if (fault?.kind === 'reset-after-forward') return void res.socket?.destroy();
    let payload = upstream.body;
    if (fault?.kind === 'rewrite') payload = Buffer.from(JSON.stringify(fault.change(JSON.parse(payload.toString('utf8')))));
    const headers = { ...upstream.headers, 'content-length': String(payload.length) };
    res.writeHead(upstream.status, headers).end(payload);
  }

  private forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const target = new URL(req.url!, this.info.ledgerEndpoint);
    return new Promise((resolve, reject) => {
      const upstream = request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host }, ca: readFileSync(this.info.serviceCertificatePath) },
        async (res) =>
          resolve({ status: res.statusCode!, headers: res.headers as Record<string, string | string[]>, body: await readAll(res) }),
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function answer(
  res: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
  body: unknown = { error: { code: 'Injected', message: `injected ${status}` } },
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'x-ms-ccf-transaction-id': '2.1', ...headers }).end(text);
}
