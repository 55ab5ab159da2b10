import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { armLedgerRoute, armStandInRoutes } from './arm-stand-in';
import { Authenticator } from './auth';
import { DataPlane, type DataPlaneOptions } from './data-plane';
import { decodeSegment, matchRoute, route, sendReply, serveWithErrorBoundary, type Reply, type Route } from './http';
import { identityServiceRoutes } from './identity-service';
import type { LocalLedger } from './ledger';

export interface ServerOptions extends DataPlaneOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** bounds on slow or idle clients. @default {@link DEFAULT_HTTP_LIMITS} */
  readonly http?: Partial<HttpLimits>;
}

/** How long the server waits on a client before closing its connection. */
export interface HttpLimits {
  /** for the complete request headers (slow-loris guard). */
  readonly headersTimeoutMs: number;
  /** for the complete request, body included. */
  readonly requestTimeoutMs: number;
  /** for the next request on an idle keep-alive connection. */
  readonly keepAliveTimeoutMs: number;
  /** how often those timeouts are checked. */
  readonly checkIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
};

/**
 * One HTTPS server for the services a ledger answers: its data plane, the identity service and
 * the ARM reads the scripts make, each in its own module; authentication and the HTTP plumbing
 * are shared.
 */
export class LedgerServer {
  static async start(ledger: LocalLedger, options: ServerOptions): Promise<LedgerServer> {
    const server = new LedgerServer(ledger, options);
    await new Promise<void>((resolve, reject) => {
      server.https.once('error', reject);
      server.https.listen(options.port, options.host, () => resolve());
    });
    return server;
  }

  readonly https: Server;
  private readonly routes: Route[];
  private readonly auth: Authenticator;

  private constructor(
    private readonly ledger: LocalLedger,
    private readonly options: ServerOptions,
  ) {
    const identity = ledger.identity;
    const limits = { ...DEFAULT_HTTP_LIMITS, ...options.http };
    this.https = createServer({
      key: identity.nodeKeyPem,
      cert: identity.nodeCertificatePem,
      // ask for a client certificate but let token users in without one; authorisation is ours.
      requestCert: true,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.2',
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    });
    this.https.timeout = limits.requestTimeoutMs;
    this.auth = new Authenticator(ledger, () => this.endpoint);
    const arm = [
      armLedgerRoute(
        ledger,
        () => this.endpoint,
        () => this.identityServiceUrl,
      ),
      ...armStandInRoutes(identity),
    ];
    this.routes = [
      ...identityServiceRoutes(identity),
      ...new DataPlane(ledger, options).routes(),
      // what the smoke test's resolve step and npm run preflight read (arm-stand-in.ts)
      ...arm.map((a) => route(a.method, a.path, 'arm', (req, params) => a.handler(params, req.raw))),
    ];
    serveWithErrorBoundary(
      this.https,
      (req, res) => this.answer(req, res),
      (req, res, reply) => sendReply(req, res, reply, ledger.txId(ledger.lastCommittedSeqno)),
    );
  }

  get port(): number {
    return (this.https.address() as AddressInfo).port;
  }

  /** `https://<host>:<port>`, as clients reach the ledger. */
  get endpoint(): string {
    const host = this.options.host === '0.0.0.0' || this.options.host === '::' ? 'localhost' : this.options.host;
    return `https://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  get identityServiceUrl(): string {
    return `${this.endpoint}/ledgerIdentity/${this.ledger.identity.ledgerId}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.https.close(() => resolve());
      this.https.closeAllConnections();
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<Reply> {
    const { route: found, params, url } = matchRoute(this.routes, req, res);
    const { access } = found;
    const userId = await this.auth.authorize(req, access);
    const actor = userId && access !== 'none' && access !== 'arm' ? { userId, needs: access } : undefined;
    return found.handler({ query: url.searchParams, raw: req, actor }, params.map(decodeSegment));
  }
}
