import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { LEDGER_ROLES, type LedgerRole } from '../vocabulary';
import { negotiateApiVersion, type ApiVersionTraits } from './api-versions';
import { armStandInRoutes } from './arm-stand-in';
import {
  accessRefusal,
  DEFAULT_COLLECTION,
  LedgerAccessError,
  LedgerLimitError,
  LedgerUnavailableError,
  type Actor,
  type LocalLedger,
} from './ledger';
import { ARM_AUDIENCE, LEDGER_AUDIENCE, verifyToken } from './tokens';

export interface ServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /**
   * How many times a transaction's entry or receipt answers `Loading` before `Ready`, as a real
   * node does while it fetches history; 0 answers `Ready` at once.
   * @default 1
   */
  readonly loadingPolls?: number;
  /** entries per page of a ranged read. @default 100 */
  readonly pageSize?: number;
  /** bounds on slow or idle clients. @default {@link DEFAULT_HTTP_LIMITS} */
  readonly http?: Partial<HttpLimits>;
  /** the data-plane api-versions answered; others are refused as the service does. @default - all of {@link API_VERSIONS} */
  readonly apiVersions?: readonly string[];
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

/** Largest request body accepted; an entry is at most 8 KiB, so this leaves room for JSON escaping. */
const MAX_BODY_BYTES = 64 * 1024;
/** Status and code for what Node's HTTP parser refuses, as Node itself would answer them. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'RequestTimeout'],
  HPE_HEADER_OVERFLOW: [431, 'RequestHeaderFieldsTooLarge'],
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Request {
  readonly query: URLSearchParams;
  readonly raw: IncomingMessage;
  /** the authenticated ledger user and the role the route needs; checked again when a change is ordered. */
  readonly actor?: Actor;
}
interface Reply {
  readonly status?: number;
  readonly body?: unknown;
  /** the transaction id the response reflects; the latest committed one when absent. */
  readonly transactionId?: string;
}
type Handler = (request: Request, params: string[]) => Promise<Reply>;
interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  /** least ledger role needed; 'none' for the identity document, 'arm' for the ARM stand-in. */
  readonly access: LedgerRole | 'none' | 'arm';
  readonly handler: Handler;
}

/** The data plane of Azure confidential ledger, plus its identity service and an ARM read, over HTTPS. */
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
  private readonly loads = new Map<string, number>();
  private readonly peerFingerprints = new WeakMap<TLSSocket, string | undefined>();
  /** per connection: answers still being prepared, and what to do once none is (see 'clientError'). */
  private readonly answersDue = new WeakMap<Socket, { count: number; then?: () => void }>();

  private constructor(
    private readonly ledger: LocalLedger,
    private readonly options: ServerOptions,
  ) {
    const identity = ledger.identity;
    const limits = { ...DEFAULT_HTTP_LIMITS, ...options.http };
    this.https = createServer(
      {
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
      },
      (req, res) => this.handle(req, res),
    );
    this.https.timeout = limits.requestTimeoutMs;
    // a request Node's HTTP parser refuses (bad request line, header, chunking) still gets the Azure error shape.
    this.https.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
      if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
      const [status, code] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'BadRequest'];
      const body = JSON.stringify({ error: { code, message: `The request could not be read (${error.code ?? 'malformed'}).` } });
      const head = `HTTP/1.1 ${status} ${code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close`;
      const answer = () => socket.write(`${head}\r\n\r\n${body}`, () => socket.destroy());
      // requests pipelined before the bad one get their own answers first (a write must not go unanswered).
      const pending = this.answersDue.get(socket);
      if (pending?.count) pending.then = answer;
      else answer();
    });
    this.routes = this.buildRoutes();
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

  private buildRoutes(): Route[] {
    const tx = '([^/]+)';
    const r = (method: string, path: string, access: Route['access'], handler: Handler): Route => ({
      method,
      pattern: new RegExp(`^${path}$`),
      access,
      // the data plane (not the identity service or ARM) answers only the api-versions it offers.
      handler: path.startsWith('/app/') ? (req, params) => (this.apiVersion(req), handler(req, params)) : handler,
    });
    return [
      r('GET', '/ledgerIdentity/([^/]+)', 'none', async (_, [id]) => this.identityDocument(id)),
      r('GET', '/app/transactions/current', 'Reader', async (req) => this.current(req)),
      r('GET', `/app/transactions/${tx}/status`, 'Reader', async (_, [id]) => this.status(id)),
      r('GET', `/app/transactions/${tx}/receipt`, 'Reader', async (req, [id]) => this.receipt(req, id)),
      r('GET', `/app/transactions/${tx}`, 'Reader', async (req, [id]) => this.entry(req, id)),
      r('GET', '/app/transactions', 'Reader', async (req) => this.list(req)),
      r('POST', '/app/transactions', 'Contributor', (req) => this.append(req)),
      r('GET', '/app/collections', 'Reader', async () => ({
        body: { collections: this.ledger.collections().map((collectionId) => ({ collectionId })) },
      })),
      r('GET', '/app/users/([^/]+)', 'Administrator', async (_, [id]) => this.getUser(id)),
      r('PATCH', '/app/users/([^/]+)', 'Administrator', (req, [id]) => this.patchUser(req, id)),
      r('DELETE', '/app/users/([^/]+)', 'Administrator', (req, [id]) => this.deleteUser(req, id)),
      r('GET', '/app/enclaveQuotes', 'Reader', async () => this.enclaveQuotes()),
      r('GET', '/app/governance/constitution', 'Reader', async () => this.constitution()),
      r('GET', '/app/governance/members', 'Reader', async () => ({ body: { members: [] } })),
      r(
        'GET',
        '/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\\.ConfidentialLedger/ledgers/([^/]+)',
        'arm',
        async (_, p) => this.armLedger(p),
      ),
      // what npm run preflight reads (arm-stand-in.ts)
      ...armStandInRoutes(this.ledger.identity).map((a) => r(a.method, a.path, 'arm', (req, params) => a.handler(params, req.raw))),
    ];
  }

  /**
   * The error boundary: whatever a request holds, it gets an answer in the Azure error shape and
   * the server keeps serving. A failure while answering closes that one connection.
   */
  private handle(req: IncomingMessage, res: ServerResponse): void {
    const due = this.answersDue.get(req.socket) ?? { count: 0 };
    this.answersDue.set(req.socket, due);
    due.count++;
    res.once('close', () => {
      if (--due.count === 0) due.then?.();
    });
    this.route(req, res)
      .catch((error: unknown) => this.errorReply(error))
      .then((reply) => this.send(req, res, reply))
      .catch(() => res.destroy());
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<Reply> {
    const url = parseTarget(req.url);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const matches = this.routes.map((route) => ({ route, match: route.pattern.exec(path) })).filter((m) => m.match);
    if (matches.length === 0) throw new HttpError(404, 'NotFound', `No route for ${req.method} ${url.pathname}.`);
    const found = matches.find((m) => m.route.method === req.method);
    if (!found) {
      res.setHeader('allow', matches.map((m) => m.route.method).join(', '));
      throw new HttpError(405, 'MethodNotAllowed', `${req.method} is not allowed on ${url.pathname}.`);
    }
    const { access } = found.route;
    const userId = await this.authorize(req, access);
    const params = found.match!.slice(1).map(decodeSegment);
    const actor = userId && access !== 'none' && access !== 'arm' ? { userId, needs: access } : undefined;
    return found.route.handler({ query: url.searchParams, raw: req, actor }, params);
  }

  private errorReply(error: unknown): Reply {
    if (error instanceof HttpError) return { status: error.status, body: { error: { code: error.code, message: error.message } } };
    if (error instanceof LedgerAccessError) {
      return {
        status: error.status,
        body: { error: { code: error.status === 401 ? 'Unauthorized' : 'Forbidden', message: error.message } },
      };
    }
    if (error instanceof LedgerLimitError) return { status: 400, body: { error: { code: error.code, message: error.message } } };
    if (error instanceof LedgerUnavailableError) {
      return {
        status: 503,
        body: {
          error: {
            code: 'ServiceUnavailable',
            message: error.outcomeUnknown
              ? `${error.message}. The write may or may not be recorded: read it back after the restart before retrying.`
              : `${error.message}. Nothing was written; retry later.`,
          },
        },
      };
    }
    return { status: 500, body: { error: { code: 'InternalServerError', message: String((error as Error)?.message ?? error) } } };
  }

  private send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
    const status = reply.status ?? 200;
    res.setHeader('x-ms-ccf-transaction-id', reply.transactionId ?? this.ledger.txId(this.ledger.lastCommittedSeqno));
    res.setHeader('x-ms-request-id', randomUUID());
    const clientRequestId = req.headers['x-ms-client-request-id'];
    if (typeof clientRequestId === 'string') res.setHeader('x-ms-client-request-id', clientRequestId);
    if (status === 503) res.setHeader('retry-after', '1');
    if (status === 401) res.setHeader('www-authenticate', 'Bearer');
    if (status === 204 || reply.body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const body = JSON.stringify(reply.body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  }

  /** Maps the caller to a ledger user (client certificate or bearer token), checks its role and returns its id. */
  private async authorize(req: IncomingMessage, access: Route['access']): Promise<string | undefined> {
    if (access === 'none') return undefined;
    const authorization = req.headers.authorization;
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (access === 'arm') {
      if (!bearer) throw new HttpError(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
      // ARM clients pointed at another endpoint ask for a token scoped to that endpoint.
      await verifyToken(this.ledger.identity.tokenIssuerKey, bearer, [ARM_AUDIENCE, this.endpoint]).catch((e: Error) => {
        throw new HttpError(401, 'InvalidAuthenticationToken', `The access token is invalid: ${e.message}`);
      });
      return undefined;
    }
    let userId: string | undefined;
    if (bearer) {
      userId = await verifyToken(this.ledger.identity.tokenIssuerKey, bearer, LEDGER_AUDIENCE).catch((e: Error) => {
        throw new HttpError(401, 'Unauthorized', `The bearer token is invalid: ${e.message}`);
      });
    } else {
      userId = this.certificateUser(req.socket as TLSSocket);
    }
    if (!userId) throw new HttpError(401, 'Unauthorized', 'No bearer token or client certificate was presented.');
    const refusal = accessRefusal({ userId, needs: access }, this.ledger.role(userId));
    if (refusal) throw refusal;
    return userId;
  }

  /** The fingerprint of a connection's client certificate, read once per connection (it is costly). */
  private certificateUser(socket: TLSSocket): string | undefined {
    if (!this.peerFingerprints.has(socket)) {
      const certificate = socket.getPeerCertificate?.();
      this.peerFingerprints.set(socket, certificate?.fingerprint256 || undefined);
    }
    return this.peerFingerprints.get(socket);
  }

  private identityDocument(ledgerId: string): Reply {
    if (ledgerId !== this.ledger.identity.ledgerId) throw new HttpError(404, 'LedgerNotFound', `No ledger named ${ledgerId}.`);
    return { body: { ledgerId, ledgerTlsCertificate: this.ledger.identity.serviceCertificatePem } };
  }

  private apiVersion(req: Request): ApiVersionTraits {
    const version = negotiateApiVersion(req.query, this.options.apiVersions);
    if ('code' in version) throw new HttpError(version.status, version.code, version.message);
    return version;
  }

  private async append(req: Request): Promise<Reply> {
    const body = await readJson(req.raw, ['application/json']);
    if (!isObject(body) || typeof body.contents !== 'string') {
      throw new HttpError(400, 'InvalidRequestBody', 'The body must be a JSON object with a string "contents".');
    }
    const collectionId = req.query.get('collectionId') ?? DEFAULT_COLLECTION;
    const seqno = await this.ledger.append(collectionId, body.contents, {
      applicationClaims: this.apiVersion(req).applicationClaims,
      actor: req.actor,
    });
    return { body: { collectionId }, transactionId: this.ledger.txId(seqno) };
  }

  private seqno(id: string): number {
    const seqno = this.ledger.parseTxId(id);
    if (seqno === undefined)
      throw new HttpError(400, 'InvalidTransactionId', `${id} is not a transaction id of this ledger (<view>.<seqno>).`);
    if (seqno > this.ledger.lastSeqno) throw new HttpError(404, 'TransactionNotFound', `Transaction ${id} does not exist yet.`);
    return seqno;
  }

  private status(id: string): Reply {
    const seqno = this.seqno(id);
    return { body: { state: this.ledger.state(seqno), transactionId: this.ledger.txId(seqno) } };
  }

  /** True (and counts the poll) while a transaction's history is still "loading". */
  private loading(key: string): boolean {
    const polls = this.options.loadingPolls ?? 1;
    if (polls === 0) return false;
    const seen = this.loads.get(key) ?? 0;
    if (seen >= polls) return false;
    this.loads.set(key, seen + 1);
    return true;
  }

  private entry(req: Request, id: string): Reply {
    const seqno = this.seqno(id);
    const entry = this.ledger.entry(seqno);
    const collectionId = req.query.get('collectionId') ?? DEFAULT_COLLECTION;
    if (!entry || entry.collectionId !== collectionId) {
      throw new HttpError(404, 'EntryNotFound', `Transaction ${id} holds no entry in collection ${collectionId}.`);
    }
    if (this.loading(`entry:${seqno}`)) return { body: { state: 'Loading' } };
    return { body: { state: 'Ready', entry } };
  }

  private receipt(req: Request, id: string): Reply {
    const seqno = this.seqno(id);
    if (this.ledger.state(seqno) !== 'Committed') {
      throw new HttpError(
        406,
        'UncommittedLedgerEntry',
        `The specified transaction (${id}) is not committed yet, please wait until the service reports a committed transaction ID at least as high.`,
      );
    }
    const parts = this.ledger.receipt(seqno);
    if (!parts) throw new HttpError(404, 'ReceiptNotFound', `Transaction ${id} is a signature transaction; it has no receipt.`);
    if (this.loading(`receipt:${seqno}`)) return { body: { state: 'Loading', receipt: null, transactionId: '' } };
    const version = this.apiVersion(req);
    const { applicationClaims, ...camelCase } = parts;
    const receipt = version.camelCaseReceipts
      ? camelCase
      : {
          cert: parts.cert,
          is_signature_transaction: false,
          leaf_components: {
            claims_digest: parts.leafComponents.claimsDigest,
            commit_evidence: parts.leafComponents.commitEvidence,
            write_set_digest: parts.leafComponents.writeSetDigest,
          },
          node_id: parts.nodeId,
          proof: parts.proof,
          service_endorsements: parts.serviceEndorsements,
          signature: parts.signature,
        };
    const claims = version.applicationClaims && applicationClaims ? { applicationClaims } : {};
    return { body: { ...claims, receipt, state: 'Ready', transactionId: this.ledger.txId(seqno) } };
  }

  private current(req: Request): Reply {
    const collectionId = req.query.get('collectionId') ?? DEFAULT_COLLECTION;
    const entry = this.ledger.current(collectionId);
    if (!entry) throw new HttpError(404, 'EntryNotFound', `Collection ${collectionId} holds no entries.`);
    return { body: entry };
  }

  private list(req: Request): Reply {
    const collectionId = req.query.get('collectionId') ?? DEFAULT_COLLECTION;
    const bound = (name: string, fallback: number): number => {
      const value = req.query.get(name);
      if (value === null) return fallback;
      const seqno = this.ledger.parseTxId(value);
      if (seqno === undefined) throw new HttpError(400, 'InvalidTransactionId', `${name} ${value} is not a transaction id of this ledger.`);
      return seqno;
    };
    const from = bound('fromTransactionId', 1);
    const to = bound('toTransactionId', Number.MAX_SAFE_INTEGER);
    const page = this.ledger.range(collectionId, from, to, this.options.pageSize ?? 100);
    const body: Record<string, unknown> = { state: 'Ready', entries: page.entries };
    if (page.next !== undefined) {
      const next = new URLSearchParams({
        'api-version': req.query.get('api-version') ?? '2022-05-13',
        collectionId,
        fromTransactionId: this.ledger.txId(page.next),
      });
      if (req.query.has('toTransactionId')) next.set('toTransactionId', req.query.get('toTransactionId')!);
      body.nextLink = `/app/transactions?${next}`;
    }
    return { body };
  }

  private getUser(userId: string): Reply {
    const role = this.ledger.role(userId);
    if (!role) throw new HttpError(404, 'UserNotFound', `${userId} is not a user of this ledger.`);
    return { body: { assignedRole: role, userId } };
  }

  private async patchUser(req: Request, userId: string): Promise<Reply> {
    const body = await readJson(req.raw, ['application/merge-patch+json', 'application/json']);
    if (!isObject(body) || !(LEDGER_ROLES as readonly unknown[]).includes(body.assignedRole)) {
      throw new HttpError(
        400,
        'InvalidRequestBody',
        `The body must be {"assignedRole": ${LEDGER_ROLES.map((r) => `"${r}"`).join(' | ')}}.`,
      );
    }
    const seqno = await this.ledger.setUser(userId, body.assignedRole as LedgerRole, req.actor);
    return { body: { assignedRole: body.assignedRole, userId }, transactionId: this.ledger.txId(seqno) };
  }

  private async deleteUser(req: Request, userId: string): Promise<Reply> {
    if (!this.ledger.role(userId)) throw new HttpError(404, 'UserNotFound', `${userId} is not a user of this ledger.`);
    const seqno = await this.ledger.setUser(userId, null, req.actor);
    return { status: 204, transactionId: this.ledger.txId(seqno) };
  }

  private enclaveQuotes(): Reply {
    const { nodeId } = this.ledger.identity;
    return {
      body: {
        currentNodeId: nodeId,
        enclaveQuotes: { [nodeId]: { nodeId, mrenclave: '', quoteVersion: 'Insecure_Virtual', raw: '' } },
        note: 'acl-stack local ledger: a virtual node with no enclave and no attestation; never trust it with real data.',
      },
    };
  }

  private constitution(): Reply {
    const script =
      '// acl-stack local ledger: virtual node, no consortium; users are managed through /app/users.\nexport function validate() { return { valid: true }; }\n';
    return { body: { digest: createHash('sha256').update(script).digest('hex'), script } };
  }

  private armLedger([subscriptionId, resourceGroup, name]: string[]): Reply {
    const identity = this.ledger.identity;
    if (name !== identity.ledgerId) {
      throw new HttpError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.ConfidentialLedger/ledgers/${name}' under resource group '${resourceGroup}' was not found.`,
      );
    }
    const users = this.ledger.users();
    const isCertificate = (id: string) => /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(id);
    return {
      body: {
        id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ConfidentialLedger/ledgers/${name}`,
        name,
        type: 'Microsoft.ConfidentialLedger/ledgers',
        location: 'local',
        properties: {
          ledgerName: name,
          ledgerUri: this.endpoint,
          identityServiceUri: this.identityServiceUrl,
          ledgerInternalNamespace: identity.nodeId.slice(0, 16),
          ledgerType: 'Private',
          provisioningState: 'Succeeded',
          runningState: 'Active',
          aadBasedSecurityPrincipals: users
            .filter(([id]) => !isCertificate(id))
            .map(([principalId, ledgerRoleName]) => ({ principalId, ledgerRoleName })),
          certBasedSecurityPrincipals: users
            .filter(([id]) => isCertificate(id))
            .map(([cert, ledgerRoleName]) => ({ cert, ledgerRoleName })),
        },
      },
    };
  }
}

/** The request target as a URL; a target no URL parser accepts is the client's error. */
function parseTarget(target: string | undefined): URL {
  try {
    // a path that starts with '//' would otherwise be read as a host name.
    return new URL(`https://ledger${target?.startsWith('/') ? target : `/${target ?? ''}`}`);
  } catch {
    throw new HttpError(400, 'InvalidRequestTarget', 'The request target is not a valid URL path.');
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'InvalidRequestTarget', `The path segment '${segment}' is not valid percent-encoding.`);
  }
}

async function readJson(req: IncomingMessage, contentTypes: readonly string[]): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (!contentTypes.includes(type)) {
    req.resume();
    throw new HttpError(400, 'UnsupportedContentType', `Content-Type must be ${contentTypes.join(' or ')}, not '${type || 'none'}'.`);
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw new HttpError(413, 'PayloadTooLarge', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      req.destroy();
      throw new HttpError(413, 'PayloadTooLarge', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new HttpError(400, 'InvalidJson', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
