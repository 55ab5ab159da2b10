import { createHash } from 'node:crypto';
import { LEDGER_ROLES, type LedgerRole } from '../vocabulary';
import { negotiateApiVersion, type ApiVersionTraits } from './api-versions';
import { HttpError, isObject, readJson, route, type Handler, type Reply, type Request, type Route } from './http';
import { DEFAULT_COLLECTION, type LocalLedger } from './ledger';

export interface DataPlaneOptions {
  /**
   * How many times a transaction's entry or receipt answers `Loading` before `Ready`, as a real
   * node does while it fetches history; 0 answers `Ready` at once.
   * @default 1
   */
  readonly loadingPolls?: number;
  /** entries per page of a ranged read. @default 100 */
  readonly pageSize?: number;
  /** the data-plane api-versions answered; others are refused as the service does. @default - all of {@link API_VERSIONS} */
  readonly apiVersions?: readonly string[];
}

/** The data plane of Azure confidential ledger (`/app/...`): entries, receipts, collections, users. */
export class DataPlane {
  private readonly loads = new Map<string, number>();

  constructor(
    private readonly ledger: LocalLedger,
    private readonly options: DataPlaneOptions,
  ) {}

  routes(): Route[] {
    const tx = '([^/]+)';
    // the data plane answers only the api-versions it offers.
    const r = (method: string, path: string, access: LedgerRole, handler: Handler): Route =>
      route(method, path, access, (req, params) => (this.apiVersion(req), handler(req, params)));
    return [
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
    ];
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
}
