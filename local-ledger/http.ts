import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { Socket } from 'node:net';
import type { LedgerRole } from '../vocabulary';
import { LedgerAccessError, LedgerLimitError, LedgerUnavailableError, type Actor } from './ledger';

/*
 * HTTP plumbing shared by the services the local ledger answers: routing, the error boundary that
 * gives every failure the Azure error shape, and body reading.
 */

/** Largest request body accepted; an entry is at most 8 KiB, so this leaves room for JSON escaping. */
const MAX_BODY_BYTES = 64 * 1024;
/** Status and code for what Node's HTTP parser refuses, as Node itself would answer them. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'RequestTimeout'],
  HPE_HEADER_OVERFLOW: [431, 'RequestHeaderFieldsTooLarge'],
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Request {
  readonly query: URLSearchParams;
  readonly raw: IncomingMessage;
  /** the authenticated ledger user and the role the route needs; checked again when a change is ordered. */
  readonly actor?: Actor;
}
export interface Reply {
  readonly status?: number;
  readonly body?: unknown;
  /** the transaction id the response reflects; the latest committed one when absent. */
  readonly transactionId?: string;
}
export type Handler = (request: Request, params: string[]) => Promise<Reply>;
/** least ledger role a route needs; 'none' for the identity document, 'arm' for the ARM stand-in. */
export type Access = LedgerRole | 'none' | 'arm';
export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly access: Access;
  readonly handler: Handler;
}

export const route = (method: string, path: string, access: Access, handler: Handler): Route => ({
  method,
  pattern: new RegExp(`^${path}$`),
  access,
  handler,
});

/**
 * The route a request names, with its path parameters still percent-encoded (decoded only once the
 * caller is authorised: see {@link decodeSegment}); 404 or 405 (with `allow`) otherwise.
 */
export function matchRoute(
  routes: readonly Route[],
  req: IncomingMessage,
  res: ServerResponse,
): { route: Route; params: string[]; url: URL } {
  const url = parseTarget(req.url);
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const matches = routes.map((r) => ({ route: r, match: r.pattern.exec(path) })).filter((m) => m.match);
  if (matches.length === 0) throw new HttpError(404, 'NotFound', `No route for ${req.method} ${url.pathname}.`);
  const found = matches.find((m) => m.route.method === req.method);
  if (!found) {
    res.setHeader('allow', matches.map((m) => m.route.method).join(', '));
    throw new HttpError(405, 'MethodNotAllowed', `${req.method} is not allowed on ${url.pathname}.`);
  }
  return { route: found.route, params: found.match!.slice(1), url };
}

/**
 * The error boundary: whatever a request holds, it gets an answer in the Azure error shape and
 * the server keeps serving. A failure while answering closes that one connection. A request Node's
 * HTTP parser refuses (bad request line, header, chunking) still gets the Azure error shape, after
 * the answers to requests pipelined before it.
 */
export function serveWithErrorBoundary(
  server: Server,
  answer: (req: IncomingMessage, res: ServerResponse) => Promise<Reply>,
  send: (req: IncomingMessage, res: ServerResponse, reply: Reply) => void,
): void {
  /** per connection: answers still being prepared, and what to do once none is (see 'clientError'). */
  const answersDue = new WeakMap<Socket, { count: number; then?: () => void }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const due = answersDue.get(req.socket) ?? { count: 0 };
    answersDue.set(req.socket, due);
    due.count++;
    res.once('close', () => {
      if (--due.count === 0) due.then?.();
    });
    answer(req, res)
      .catch((error: unknown) => errorReply(error))
      .then((reply) => send(req, res, reply))
      .catch(() => res.destroy());
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const [status, code] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'BadRequest'];
    const body = JSON.stringify({ error: { code, message: `The request could not be read (${error.code ?? 'malformed'}).` } });
    const head = `HTTP/1.1 ${status} ${code}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close`;
    const write = () => socket.write(`${head}\r\n\r\n${body}`, () => socket.destroy());
    // requests pipelined before the bad one get their own answers first (a write must not go unanswered).
    const pending = answersDue.get(socket);
    if (pending?.count) pending.then = write;
    else write();
  });
}

function errorReply(error: unknown): Reply {
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

/** Writes a reply with the headers every answer of the service carries. */
export function sendReply(req: IncomingMessage, res: ServerResponse, reply: Reply, latestTransactionId: string): void {
  const status = reply.status ?? 200;
  res.setHeader('x-ms-ccf-transaction-id', reply.transactionId ?? latestTransactionId);
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

/** The request target as a URL; a target no URL parser accepts is the client's error. */
function parseTarget(target: string | undefined): URL {
  try {
    // a path that starts with '//' would otherwise be read as a host name.
    return new URL(`https://ledger${target?.startsWith('/') ? target : `/${target ?? ''}`}`);
  } catch {
    throw new HttpError(400, 'InvalidRequestTarget', 'The request target is not a valid URL path.');
  }
}

export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'InvalidRequestTarget', `The path segment '${segment}' is not valid percent-encoding.`);
  }
}

export async function readJson(req: IncomingMessage, contentTypes: readonly string[]): Promise<unknown> {
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

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
