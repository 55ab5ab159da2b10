import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import type { LedgerRole } from '../constructs/ledger/ledger-roles';
import { claimsDigest, ledgerEntryClaim, type LedgerEntryClaim } from '../receipts/claims';
import { MerkleTree, leafHash, sha256, type LeafComponents, type ProofStep } from '../receipts/merkle';
import { verifyReceipt } from '../receipts/verify';
import type { LedgerIdentity } from './identity';
import { LogCorruptError, LogWriter, readLog, type LogRecord, type SignatureRecord, type UserRecord, type WriteRecord } from './log';

/** The view every transaction id carries (`<view>.<seqno>`); a single-node ledger never changes it. */
export const VIEW = 2;
export const DEFAULT_COLLECTION = 'subledger:0';
const ZERO_CLAIMS = '0'.repeat(64);

/** The service's limits, with the error codes it answers when they are exceeded. */
export const LIMITS = {
  maxEntryBytes: 8192,
  maxCollectionIdBytes: 256,
  maxCollections: 5000,
} as const;

export interface SigningPolicy {
  /** sign once this many transactions wait for a signature. */
  readonly everyTransactions: number;
  /** or once the oldest unsigned transaction has waited this long. */
  readonly everyMs: number;
}

export const DEFAULT_SIGNING: SigningPolicy = { everyTransactions: 1000, everyMs: 5 };

export type TransactionState = 'Pending' | 'Committed';

export interface Entry {
  readonly collectionId: string;
  readonly contents: string;
  readonly transactionId: string;
}

export interface ReceiptParts {
  readonly cert: string;
  readonly nodeId: string;
  readonly serviceEndorsements: string[];
  readonly leafComponents: LeafComponents;
  readonly proof: ProofStep[];
  readonly signature: string;
  /** the entry's application claims, when it was written with them. */
  readonly applicationClaims?: LedgerEntryClaim[];
}

/** A write refused by a service limit; carries the service's error code. */
export class LedgerLimitError extends Error {
  constructor(
    readonly code: 'EntrySizeCapacityExceeded' | 'CollectionIdTooLong' | 'CollectionCapacityExceeded',
    message: string,
  ) {
    super(message);
  }
}

/** The log could not be written (disk full, read-only folder): nothing was acknowledged. */
export class LedgerUnavailableError extends Error {}

interface Pending {
  readonly record: Omit<WriteRecord, 's'> | Omit<UserRecord, 's'>;
  readonly resolve: (seqno: number) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The ledger itself: transactions, the Merkle tree over them, signatures and users, kept in an
 * append-only log. Writes are batched: each batch is one write and one fsync, and a signature
 * transaction (one pre-hashed ECDSA signature) covers every transaction since the previous one.
 */
export class LocalLedger {
  /** Opens the ledger in `dataDir`, replaying and checking every stored transaction and signature. */
  static async open(dataDir: string, identity: LedgerIdentity, signing: SigningPolicy = DEFAULT_SIGNING): Promise<LocalLedger> {
    const path = join(dataDir, 'ledger.log');
    const { records, tornBytes } = readLog(path, VIEW);
    const ledger = new LocalLedger(identity, signing, await LogWriter.open(path), tornBytes);
    try {
      for (const record of records) ledger.replay(record);
      ledger.verifyLatestSignature();
      // transactions made durable but not signed before a crash get their signature now.
      if (ledger.hasUnsigned) await ledger.flush();
    } catch (error) {
      await ledger.writer.close();
      throw error;
    }
    return ledger;
  }

  /** bytes of an unacknowledged tail cut off at open. */
  readonly tornBytesRecovered: number;

  private readonly tree = new MerkleTree();
  /** per sequence number: the record, its leaf index (-1 for signatures). */
  private readonly records: LogRecord[] = [];
  private readonly leafIndex: number[] = [];
  private readonly signatures: SignatureRecord[] = [];
  private readonly latestByCollection = new Map<string, number>();
  private readonly roles = new Map<string, LedgerRole>();
  private queue: Pending[] = [];
  /** collections that queued writes would create, counted against the collection limit. */
  private queuedCollections = new Set<string>();
  private flushing: Promise<void> | undefined;
  private signTimer: NodeJS.Timeout | undefined;
  private oldestUnsignedAt = 0;
  private closed = false;

  private constructor(
    readonly identity: LedgerIdentity,
    private readonly signing: SigningPolicy,
    private readonly writer: LogWriter,
    tornBytes: number,
  ) {
    this.tornBytesRecovered = tornBytes;
  }

  /** The latest sequence number written. */
  get lastSeqno(): number {
    return this.records.length;
  }

  /** The latest sequence number covered by a durable signature. */
  get lastCommittedSeqno(): number {
    return this.signatures.at(-1)?.s ?? 0;
  }

  /** True when transactions wait for a signature (e.g. after recovering an unsigned tail). */
  get hasUnsigned(): boolean {
    return this.tree.size > (this.signatures.at(-1)?.n ?? 0);
  }

  txId(seqno: number): string {
    return `${VIEW}.${seqno}`;
  }

  /** Parses `<view>.<seqno>`; undefined when it cannot name a transaction of this ledger. */
  parseTxId(id: string): number | undefined {
    const match = /^(\d+)\.(\d+)$/.exec(id);
    return match && Number(match[1]) === VIEW && Number(match[2]) >= 1 ? Number(match[2]) : undefined;
  }

  /**
   * Appends an entry; resolves with its sequence number once it is durable (state Pending). With
   * `applicationClaims`, the entry gets a LedgerEntryV1 claim under a fresh random key, kept in its
   * log record, so its receipt's claims digest binds its collection id and contents.
   */
  append(collectionId: string, contents: string, applicationClaims = false): Promise<number> {
    if (Buffer.byteLength(contents, 'utf8') > LIMITS.maxEntryBytes) {
      throw new LedgerLimitError('EntrySizeCapacityExceeded', `The entry is larger than ${LIMITS.maxEntryBytes} bytes.`);
    }
    if (Buffer.byteLength(collectionId, 'utf8') > LIMITS.maxCollectionIdBytes) {
      throw new LedgerLimitError('CollectionIdTooLong', `The collection id is longer than ${LIMITS.maxCollectionIdBytes} bytes.`);
    }
    if (!this.latestByCollection.has(collectionId) && !this.queuedCollections.has(collectionId)) {
      if (this.latestByCollection.size + this.queuedCollections.size >= LIMITS.maxCollections) {
        throw new LedgerLimitError('CollectionCapacityExceeded', `The ledger already holds ${LIMITS.maxCollections} collections.`);
      }
      this.queuedCollections.add(collectionId);
    }
    const claimKey = applicationClaims ? { k: randomBytes(32).toString('base64') } : {};
    return this.enqueue({ t: 'w', c: collectionId, d: contents, ...claimKey });
  }

  /** Sets (or with null removes) a user's data-plane role; resolves once durable. */
  setUser(userId: string, role: LedgerRole | null): Promise<number> {
    return this.enqueue({ t: 'u', id: userId, role });
  }

  role(userId: string): LedgerRole | undefined {
    return this.roles.get(userId);
  }

  users(): [string, LedgerRole][] {
    return [...this.roles];
  }

  state(seqno: number): TransactionState | undefined {
    if (seqno > this.lastSeqno) return undefined;
    return seqno <= this.lastCommittedSeqno ? 'Committed' : 'Pending';
  }

  entry(seqno: number): Entry | undefined {
    const record = this.records[seqno - 1];
    return record?.t === 'w' ? { collectionId: record.c, contents: record.d, transactionId: this.txId(seqno) } : undefined;
  }

  /** The latest entry of a collection, or undefined when it has none. */
  current(collectionId: string): Entry | undefined {
    const seqno = this.latestByCollection.get(collectionId);
    return seqno === undefined ? undefined : this.entry(seqno);
  }

  collections(): string[] {
    return [...this.latestByCollection.keys()];
  }

  /** Committed entries of a collection with `from ≤ seqno ≤ to`, at most `limit`, and where to resume. */
  range(collectionId: string, from: number, to: number, limit: number): { entries: Entry[]; next?: number } {
    const entries: Entry[] = [];
    const last = Math.min(to, this.lastCommittedSeqno);
    for (let s = Math.max(1, from); s <= last; s++) {
      const record = this.records[s - 1];
      if (record.t !== 'w' || record.c !== collectionId) continue;
      if (entries.length === limit) return { entries, next: s };
      entries.push({ collectionId: record.c, contents: record.d, transactionId: this.txId(s) });
    }
    return { entries };
  }

  /** The receipt of a committed transaction (entry or user change); undefined while Pending. */
  receipt(seqno: number): ReceiptParts | undefined {
    const leaf = this.leafIndex[seqno - 1];
    if (leaf === undefined || leaf < 0 || this.state(seqno) !== 'Committed') return undefined;
    return this.receiptAt(seqno, this.signatureCovering(leaf));
  }

  /** Signs now if anything is unsigned, and waits until every queued write is durable. */
  async flush(): Promise<void> {
    while (this.flushing || this.queue.length || this.hasUnsigned) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      const batch = this.runBatch(true);
      this.flushing = batch.then(() => undefined);
      if (!(await batch)) throw new LedgerUnavailableError('the ledger log could not be written');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    this.closed = true;
    clearTimeout(this.signTimer);
    await this.writer.close();
  }

  private enqueue(record: Pending['record']): Promise<number> {
    if (this.closed) return Promise.reject(new LedgerUnavailableError('the ledger is shutting down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.scheduleBatch();
    });
  }

  private scheduleBatch(): void {
    if (this.flushing) return;
    // one batch at a time: writes that arrive while it runs form the next batch (group commit).
    this.flushing = new Promise((resolve) => setImmediate(resolve)).then(() => this.runBatch(false).then(() => undefined));
  }

  private async runBatch(forceSignature: boolean): Promise<boolean> {
    const batch = this.queue;
    this.queue = [];
    // the batch's new collections are either applied below or, if it fails, never created.
    this.queuedCollections = new Set();
    const firstSeqno = this.lastSeqno + 1;
    const treeSize = this.tree.size;
    const records: LogRecord[] = batch.map((p, i) => ({ ...p.record, s: firstSeqno + i }) as LogRecord);
    // what each record replaces, to undo the batch if it cannot be made durable.
    const undo = records.map((r) => this.undoOf(r));
    records.forEach((r) => this.apply(r));
    if (this.hasUnsigned && this.oldestUnsignedAt === 0) this.oldestUnsignedAt = Date.now();
    const unsigned = this.tree.size - (this.signatures.at(-1)?.n ?? 0);
    const due =
      unsigned > 0 &&
      (forceSignature || unsigned >= this.signing.everyTransactions || Date.now() - this.oldestUnsignedAt >= this.signing.everyMs);
    if (due) {
      const signature = this.sign(this.lastSeqno + 1);
      this.apply(signature);
      records.push(signature);
    }
    try {
      if (records.length) await this.writer.append(records);
    } catch (error) {
      // nothing of this batch is durable: forget it, so memory matches the log again.
      this.records.length = this.leafIndex.length = firstSeqno - 1;
      this.tree.truncate(treeSize);
      if (due) this.signatures.pop();
      undo.reverse().forEach((restore) => restore());
      const failure = new LedgerUnavailableError(`the ledger log could not be written: ${(error as Error).message}`);
      batch.forEach((p) => p.reject(failure));
      this.flushing = undefined;
      if (this.queue.length) this.scheduleBatch();
      return false;
    }
    if (due) this.oldestUnsignedAt = this.hasUnsigned ? Date.now() : 0;
    batch.forEach((p, i) => p.resolve(firstSeqno + i));
    this.flushing = undefined;
    if (this.queue.length) this.scheduleBatch();
    else if (this.hasUnsigned && !this.signTimer && !this.closed) {
      const wait = Math.max(0, this.signing.everyMs - (Date.now() - this.oldestUnsignedAt));
      this.signTimer = setTimeout(() => {
        this.signTimer = undefined;
        if (!this.flushing && this.hasUnsigned) this.flushing = this.runBatch(true).then(() => undefined);
      }, wait);
    }
    return true;
  }

  /** A function that restores the collection or user state a record is about to change. */
  private undoOf(record: LogRecord): () => void {
    const restore = <K, V>(map: Map<K, V>, key: K) => {
      const previous = map.get(key);
      return () => (previous === undefined ? map.delete(key) : map.set(key, previous));
    };
    if (record.t === 'w') return restore(this.latestByCollection, record.c);
    if (record.t === 'u') return restore(this.roles, record.id);
    return () => undefined;
  }

  private sign(seqno: number): SignatureRecord {
    const n = this.tree.size;
    const root = this.tree.root(n);
    const signature = p256.sign(root, this.identity.nodeSigningKey, { prehash: false, format: 'der' });
    return { t: 's', s: seqno, n, r: root.toString('hex'), sig: Buffer.from(signature).toString('base64') };
  }

  /** Applies a record read back from the log; a signature's root must match the rebuilt tree. */
  private replay(record: LogRecord): void {
    this.apply(record);
    if (record.t !== 's') return;
    if (record.n > this.tree.size || this.tree.root(record.n).toString('hex') !== record.r) {
      throw new LogCorruptError(
        -1,
        this.txId(this.firstMismatch()),
        `is not what signature transaction ${this.txId(record.s)} signed (a transaction was altered)`,
      );
    }
  }

  /**
   * Verifies the latest signature exactly as a client verifies a receipt. Its root covers every
   * earlier leaf, so with every other signature's root matched against the rebuilt tree and every
   * frame's checksum checked, one signature verification (~2.5 ms) vouches for the whole log, and
   * start-up does not grow by a verification per signature ever made.
   */
  private verifyLatestSignature(): void {
    const signature = this.signatures.at(-1);
    if (!signature) return;
    let seqno = signature.s - 1;
    while (seqno > 1 && this.leafIndex[seqno - 1] !== signature.n - 1) seqno--;
    try {
      verifyReceipt(this.receiptAt(seqno, signature), {
        serviceCertificate: this.identity.serviceCertificatePem,
        transactionId: this.txId(seqno),
      });
    } catch (error) {
      throw new LogCorruptError(-1, this.txId(signature.s), `carries a signature that does not verify (${(error as Error).message})`);
    }
  }

  /** The first transaction covered by the latest signature; an altered one can only be narrowed to it. */
  private firstMismatch(): number {
    const previous = this.signatures.at(-2);
    return previous ? previous.s + 1 : 1;
  }

  private receiptAt(seqno: number, signature: SignatureRecord): ReceiptParts {
    const leaf = this.leafIndex[seqno - 1];
    const record = this.records[seqno - 1];
    return {
      ...(record.t === 'w' && record.k ? { applicationClaims: [ledgerEntryClaim(record.c, record.d, record.k)] } : {}),
      cert: this.identity.nodeCertificatePem,
      nodeId: this.identity.nodeId,
      serviceEndorsements: [],
      leafComponents: this.leafComponents(this.records[seqno - 1] as WriteRecord | UserRecord),
      proof: this.tree.proof(leaf, signature.n),
      signature: signature.sig,
    };
  }

  private apply(record: LogRecord): void {
    this.records.push(record);
    if (record.t === 's') {
      this.leafIndex.push(-1);
      this.signatures.push(record);
      return;
    }
    this.leafIndex.push(this.tree.append(leafHash(this.leafComponents(record))));
    if (record.t === 'w') this.latestByCollection.set(record.c, record.s);
    else if (record.role) this.roles.set(record.id, record.role);
    else this.roles.delete(record.id);
  }

  private leafComponents(record: WriteRecord | UserRecord): LeafComponents {
    const writeSet = record.t === 'w' ? ['entry', record.c, record.d] : ['user', record.id, record.role];
    const txId = this.txId(record.s);
    return {
      writeSetDigest: sha256(Buffer.from(JSON.stringify(writeSet), 'utf8')).toString('hex'),
      commitEvidence: `ce:${txId}:${createHmac('sha256', this.identity.ledgerSecret).update(txId).digest('hex')}`,
      claimsDigest: record.t === 'w' && record.k ? claimsDigest([ledgerEntryClaim(record.c, record.d, record.k)]) : ZERO_CLAIMS,
    };
  }

  private signatureCovering(leaf: number): SignatureRecord {
    // binary search: the first signature over more than `leaf` leaves.
    let low = 0;
    let high = this.signatures.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.signatures[mid].n > leaf) high = mid;
      else low = mid + 1;
    }
    return this.signatures[low];
  }
}
