import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { p256 } from '@noble/curves/nist.js';
import type { LedgerRole } from '../vocabulary';
import { claimsDigest, ledgerEntryClaim, type LedgerEntryClaim } from '../receipts/claims';
import { MerkleTree, leafHash, sha256, type LeafComponents, type ProofStep } from '../receipts/merkle';
import { verifyReceipt } from '../receipts/verify';
import { loadIdentity, type LedgerIdentity } from './identity';
import {
  chainKeyOf,
  LogCorruptError,
  logPaths,
  LogStateUnknownError,
  LogWriter,
  readLog,
  readWatermark,
  WatermarkWriter,
  type LogRecord,
  type ReadLog,
  type SignatureRecord,
  type StorageHooks,
  type UserRecord,
  type Watermark,
  type WriteRecord,
} from './log';

/** The view every transaction id carries (`<view>.<seqno>`); a single-node ledger never changes it. */
export const VIEW = 2;
export const DEFAULT_COLLECTION = 'subledger:0';
const ZERO_CLAIMS = '0'.repeat(64);

/** Service limits; exceeding one is refused with the service's error code. */
export interface ServiceLimits {
  /** EntrySizeCapacityExceeded beyond this. */
  readonly maxEntryBytes: number;
  /** CollectionIdTooLong beyond this. */
  readonly maxCollectionIdBytes: number;
  /** CollectionCapacityExceeded when a write would create one more collection. */
  readonly maxCollections: number;
}

/** The documented limits of the real service (docs/local-ledger.md); tests inject smaller ones. */
export const DEFAULT_LIMITS: ServiceLimits = {
  maxEntryBytes: 8192,
  maxCollectionIdBytes: 256,
  maxCollections: 5000,
};

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

/** How much each data-plane role may do: a role allows everything a lower one does. */
const ROLE_RANK: Record<LedgerRole, number> = { Reader: 1, Contributor: 2, Administrator: 3 };

/** Who asks for a change, and the least role it needs; checked when the change takes its place in the log. */
export interface Actor {
  readonly userId: string;
  readonly needs: LedgerRole;
}

/** The actor had lost its role (or enough of it) by the time its change was ordered. */
export class LedgerAccessError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

/** Why `actor`, holding `role`, may not do what it asks; undefined when it may. */
export function accessRefusal(actor: Actor, role: LedgerRole | null | undefined): LedgerAccessError | undefined {
  if (!role) return new LedgerAccessError(401, `${actor.userId} is not a user of this ledger.`);
  if (ROLE_RANK[role] < ROLE_RANK[actor.needs]) {
    return new LedgerAccessError(403, `User ${actor.userId} has the ${role} role; this operation needs ${actor.needs}.`);
  }
  return undefined;
}

/**
 * The log could not be written (disk full, read-only folder): nothing was acknowledged. With
 * `outcomeUnknown`, the failed write could not be removed either and may be there after a restart.
 */
export class LedgerUnavailableError extends Error {
  constructor(
    message: string,
    readonly outcomeUnknown = false,
  ) {
    super(message);
  }
}

/**
 * The log must hold the record the commit watermark names, exactly: a log that ends before it lost
 * acknowledged records (cut, restored from an old copy), and another record there means the log
 * was replaced.
 */
function checkWatermark(log: ReadLog, watermark: Watermark): void {
  if (watermark.seqno === 0) return;
  const id = `${VIEW}.${watermark.seqno}`;
  const index = watermark.seqno - 1;
  if (index >= log.records.length) {
    throw LogCorruptError.at(
      log.end,
      id,
      `was acknowledged (commit watermark) but the log ends before it, after transaction ${VIEW}.${log.records.length}: acknowledged transactions are missing`,
    );
  }
  if (!log.macs[index].equals(watermark.mac)) {
    throw LogCorruptError.at(log.offsets[index], id, 'is not the record the commit watermark recorded (the log was replaced or rewritten)');
  }
}

/** Reads and checks the log of the (stopped or running) ledger in `dataDir`, for inspection. */
export function readLedgerLog(dataDir: string): ReadLog {
  return readLog(logPaths(dataDir).log, VIEW, chainKeyOf(loadIdentity(dataDir).ledgerSecret));
}

interface Pending {
  readonly record: Omit<WriteRecord, 's'> | Omit<UserRecord, 's'>;
  readonly actor?: Actor;
  readonly resolve: (seqno: number) => void;
  readonly reject: (error: Error) => void;
}

export interface LedgerOptions {
  /** @default {@link DEFAULT_SIGNING} */
  readonly signing?: SigningPolicy;
  /** a seam for fault tests: fail or hold the log's and the watermark's writes and syncs. */
  readonly storageHooks?: StorageHooks;
  /** @default {@link DEFAULT_LIMITS} */
  readonly limits?: Partial<ServiceLimits>;
}

/**
 * The ledger itself: transactions, the Merkle tree over them, signatures and users, kept in an
 * append-only log. Writes are batched: each batch is one write and one fsync, and a signature
 * transaction (one pre-hashed ECDSA signature) covers every transaction since the previous one.
 *
 * A batch is first *staged* (its records appended to the tree, so a signature can cover them) and
 * *published* only once durable: no read, status, receipt, user role or collection reflects a
 * transaction before its batch is fsynced, and no transaction is Committed before the signature
 * covering it is fsynced. The commit watermark follows each batch (see markAcknowledged). A batch that fails is
 * unstaged and removed from the log; nobody saw it, so its sequence numbers are free again.
 */
export class LocalLedger {
  /**
   * Opens the ledger in `dataDir` (see {@link createLogFiles} for a new one), checking every stored
   * transaction and signature against the chain, the signatures and the commit watermark. Any
   * damage other than an incomplete final frame refuses with {@link LogCorruptError}; nothing is cut.
   */
  static async open(dataDir: string, identity: LedgerIdentity, options: LedgerOptions = {}): Promise<LocalLedger> {
    const paths = logPaths(dataDir);
    for (const [file, path] of Object.entries(paths)) {
      if (!existsSync(path)) {
        throw new LogCorruptError(
          `${path} is missing although the ledger's identity exists: its ${file === 'log' ? 'history' : 'commit watermark'} was removed`,
        );
      }
    }
    const chainKey = chainKeyOf(identity.ledgerSecret);
    const log = readLog(paths.log, VIEW, chainKey);
    const watermark = readWatermark(paths.watermark, chainKey);
    if (!watermark) throw new LogCorruptError(`${paths.watermark} is damaged: neither of its slots is intact`);
    checkWatermark(log, watermark);
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const ledger = new LocalLedger(identity, options.signing ?? DEFAULT_SIGNING, limits, { bytes: log.tornBytes, at: log.tornAt });
    const offsetOf = (seqno: number) => log.offsets[seqno - 1];
    for (const record of log.records) ledger.replay(record, offsetOf);
    ledger.verifyLatestSignature(offsetOf);
    ledger.writer = await LogWriter.open(paths.log, chainKey, log.end, log.macs.at(-1), options.storageHooks);
    ledger.watermark = await WatermarkWriter.open(paths.watermark, chainKey, watermark, options.storageHooks);
    try {
      // only now, with everything before it checked, is an incomplete final frame cut off.
      if (log.tornAt !== undefined) await ledger.writer.undo(ledger.writer.position, new Error('cutting a torn tail'));
      // transactions made durable but not signed before a crash get their signature now.
      if (ledger.hasUnsigned) await ledger.flush();
    } catch (error) {
      await ledger.closeFiles();
      throw error;
    }
    return ledger;
  }

  /** bytes of an unacknowledged final frame cut off at open, and where it started. */
  readonly tornBytesRecovered: number;
  readonly tornAt: number | undefined;

  private writer!: LogWriter;
  private watermark!: WatermarkWriter;
  /** the latest acknowledged record the watermark should name, and its write in flight. */
  private watermarkTarget: { seqno: number; mac: Buffer } | undefined;
  private watermarkWriting: Promise<void> | undefined;
  private readonly tree = new MerkleTree();
  /** per sequence number, staged and published: the record, its leaf index (-1 for signatures). */
  private readonly records: LogRecord[] = [];
  private readonly leafIndex: number[] = [];
  /** how many records are durable, and so visible. */
  private published = 0;
  /** the signatures that are durable and named by the commit watermark. */
  private readonly signatures: SignatureRecord[] = [];
  private readonly latestByCollection = new Map<string, number>();
  private readonly roles = new Map<string, LedgerRole>();
  private queue: Pending[] = [];
  /** collections that queued or in-flight writes would create, counted against the collection limit. */
  private queuedCollections = new Set<string>();
  private inFlightCollections = new Set<string>();
  private flushing: Promise<void> | undefined;
  private signTimer: NodeJS.Timeout | undefined;
  private oldestUnsignedAt = 0;
  private closed = false;
  /** set when a failed batch could not be removed from the log: no more writes until a restart. */
  private broken: Error | undefined;

  private constructor(
    readonly identity: LedgerIdentity,
    private readonly signing: SigningPolicy,
    private readonly limits: ServiceLimits,
    torn: { bytes: number; at?: number },
  ) {
    this.tornBytesRecovered = torn.bytes;
    this.tornAt = torn.at;
  }

  /** The latest durable sequence number. */
  get lastSeqno(): number {
    return this.published;
  }

  /** The latest sequence number covered by a durable signature. */
  get lastCommittedSeqno(): number {
    return this.signatures.at(-1)?.s ?? 0;
  }

  /** True when staged or durable transactions wait for a signature (e.g. after recovering an unsigned tail). */
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
   * log record, so its receipt's claims digest binds its collection id and contents. With an
   * `actor`, the write is refused unless the actor still has the role when the write is ordered.
   */
  append(collectionId: string, contents: string, options: { applicationClaims?: boolean; actor?: Actor } = {}): Promise<number> {
    if (Buffer.byteLength(contents, 'utf8') > this.limits.maxEntryBytes) {
      throw new LedgerLimitError('EntrySizeCapacityExceeded', `The entry is larger than ${this.limits.maxEntryBytes} bytes.`);
    }
    if (Buffer.byteLength(collectionId, 'utf8') > this.limits.maxCollectionIdBytes) {
      throw new LedgerLimitError('CollectionIdTooLong', `The collection id is longer than ${this.limits.maxCollectionIdBytes} bytes.`);
    }
    const known = (c: string) => this.latestByCollection.has(c) || this.queuedCollections.has(c) || this.inFlightCollections.has(c);
    if (!known(collectionId)) {
      if (this.latestByCollection.size + this.queuedCollections.size + this.inFlightCollections.size >= this.limits.maxCollections) {
        throw new LedgerLimitError('CollectionCapacityExceeded', `The ledger already holds ${this.limits.maxCollections} collections.`);
      }
      this.queuedCollections.add(collectionId);
    }
    const claimKey = options.applicationClaims ? { k: randomBytes(32).toString('base64') } : {};
    return this.enqueue({ t: 'w', c: collectionId, d: contents, ...claimKey }, options.actor);
  }

  /** Sets (or with null removes) a user's data-plane role; resolves once durable. See {@link append} for `actor`. */
  setUser(userId: string, role: LedgerRole | null, actor?: Actor): Promise<number> {
    return this.enqueue({ t: 'u', id: userId, role }, actor);
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
    if (seqno > this.lastSeqno) return undefined;
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
      if (this.broken) throw this.broken;
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
    await this.closeFiles();
  }

  private async closeFiles(): Promise<void> {
    clearTimeout(this.signTimer);
    // a stopped ledger's watermark names everything it acknowledged.
    await this.watermarkWriting;
    if (this.watermarkTarget && this.watermark && this.watermarkTarget.seqno > this.watermark.seqno) await this.writeWatermarks();
    await this.writer?.close();
    await this.watermark?.close();
  }

  private enqueue(record: Pending['record'], actor: Actor | undefined): Promise<number> {
    if (this.closed) return Promise.reject(new LedgerUnavailableError('the ledger is shutting down'));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.queue.push({ record, actor, resolve, reject });
      this.scheduleBatch();
    });
  }

  private scheduleBatch(): void {
    if (this.flushing) return;
    // one batch at a time: writes that arrive while it runs form the next batch (group commit).
    this.flushing = new Promise((resolve) => setImmediate(resolve)).then(() => this.runBatch(false).then(() => undefined));
  }

  /** Stages, writes and syncs one batch, then publishes it; false when it failed and was undone. */
  private async runBatch(forceSignature: boolean): Promise<boolean> {
    const batch = this.admitted(this.queue);
    this.queue = [];
    this.inFlightCollections = this.queuedCollections;
    this.queuedCollections = new Set();
    const firstSeqno = this.records.length + 1;
    const treeSize = this.tree.size;
    const records: LogRecord[] = batch.map((p, i) => ({ ...p.record, s: firstSeqno + i }) as LogRecord);
    records.forEach((r) => this.stage(r));
    if (this.hasUnsigned && this.oldestUnsignedAt === 0) this.oldestUnsignedAt = Date.now();
    const unsigned = this.tree.size - (this.signatures.at(-1)?.n ?? 0);
    const due =
      unsigned > 0 &&
      (forceSignature || unsigned >= this.signing.everyTransactions || Date.now() - this.oldestUnsignedAt >= this.signing.everyMs);
    if (due) {
      const signature = this.sign(this.records.length + 1);
      this.stage(signature);
      records.push(signature);
    }
    let lastMac: Buffer | undefined;
    try {
      if (records.length) lastMac = (await this.writer.append(records)).at(-1);
    } catch (error) {
      // nothing of this batch became visible: unstage it, so memory matches the log again.
      this.records.length = this.leafIndex.length = firstSeqno - 1;
      this.tree.truncate(treeSize);
      this.inFlightCollections = new Set();
      const failure = this.failure(error as Error);
      batch.forEach((p) => p.reject(failure));
      this.flushing = undefined;
      if (this.broken) this.queue.splice(0).forEach((p) => p.reject(this.broken!));
      else if (this.queue.length) this.scheduleBatch();
      // durable transactions of earlier batches still wait for a signature.
      else this.scheduleSignature();
      return false;
    }
    records.forEach((r) => this.publish(r));
    this.inFlightCollections = new Set();
    if (lastMac) this.markAcknowledged(records.at(-1)!.s, lastMac);
    if (due) this.oldestUnsignedAt = this.hasUnsigned ? Date.now() : 0;
    batch.forEach((p, i) => p.resolve(firstSeqno + i));
    this.flushing = undefined;
    if (this.queue.length) this.scheduleBatch();
    else this.scheduleSignature();
    return true;
  }

  /** Arms the timer that signs durable, unsigned transactions once the oldest has waited `everyMs`. */
  private scheduleSignature(): void {
    if (!this.hasUnsigned || this.signTimer || this.closed || this.broken) return;
    if (this.oldestUnsignedAt === 0) this.oldestUnsignedAt = Date.now();
    const wait = Math.max(0, this.signing.everyMs - (Date.now() - this.oldestUnsignedAt));
    this.signTimer = setTimeout(() => {
      this.signTimer = undefined;
      if (!this.flushing && this.hasUnsigned && !this.broken) this.flushing = this.runBatch(true).then(() => undefined);
    }, wait);
  }

  /**
   * The queued changes whose actors hold the role they need at the change's place in the order,
   * role changes earlier in the same batch included; the others are refused. Earlier batches are
   * all published by now, so `roles` is the order's state before this batch.
   */
  private admitted(queue: Pending[]): Pending[] {
    const changed = new Map<string, LedgerRole | null>();
    return queue.filter((p) => {
      if (p.actor) {
        const { userId } = p.actor;
        const refusal = accessRefusal(p.actor, changed.has(userId) ? changed.get(userId) : this.roles.get(userId));
        if (refusal) {
          p.reject(refusal);
          return false;
        }
      }
      if (p.record.t === 'u') changed.set(p.record.id, p.record.role);
      return true;
    });
  }

  /**
   * Moves the commit watermark up to a durable record, beside the next batch's own write and sync
   * rather than in series with them (that second sync in every batch cost a fifth of the committed
   * writes per second). It only ever names a record whose batch is already fsynced, so a crash can
   * never leave it ahead of the log; it lags the latest acknowledged batch by at most that batch's
   * own watermark write. Writes coalesce: one in flight, the newest target wins.
   */
  private markAcknowledged(seqno: number, mac: Buffer): void {
    this.watermarkTarget = { seqno, mac };
    this.watermarkWriting ??= this.writeWatermarks().finally(() => (this.watermarkWriting = undefined));
  }

  private async writeWatermarks(): Promise<void> {
    for (let target = this.watermarkTarget; target && target.seqno > this.watermark.seqno; target = this.watermarkTarget) {
      try {
        await this.watermark.advance(target.seqno, target.mac);
      } catch {
        // a failed or torn slot is ignored at start (its checksum) or names a durable record: the
        // next batch tries again, and the watermark lags meanwhile.
        return;
      }
    }
  }

  /** What clients are told about a failed batch; a log left in an unknown state stops all writes. */
  private failure(error: Error): Error {
    if (error instanceof LogStateUnknownError) {
      this.broken = new LedgerUnavailableError(
        `the ledger stopped taking writes after a storage failure it could not undo (${error.message}); restart the local ledger`,
      );
      return new LedgerUnavailableError(
        `the ledger log could not be written, nor the failed write removed (${error.message}); restart the local ledger`,
        true,
      );
    }
    return new LedgerUnavailableError(`the ledger log could not be written: ${error.message}`);
  }

  private sign(seqno: number): SignatureRecord {
    const n = this.tree.size;
    const root = this.tree.root(n);
    const signature = p256.sign(root, this.identity.nodeSigningKey, { prehash: false, format: 'der' });
    return { t: 's', s: seqno, n, r: root.toString('hex'), sig: Buffer.from(signature).toString('base64') };
  }

  /** Applies a record read back from the log; a signature's root must match the rebuilt tree. */
  private replay(record: LogRecord, offsetOf: (seqno: number) => number): void {
    this.stage(record);
    this.publish(record);
    if (record.t !== 's') return;
    if (record.n > this.tree.size || this.tree.root(record.n).toString('hex') !== record.r) {
      const first = this.firstMismatch();
      throw LogCorruptError.at(
        offsetOf(first),
        this.txId(first),
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
  private verifyLatestSignature(offsetOf: (seqno: number) => number): void {
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
      throw LogCorruptError.at(
        offsetOf(signature.s),
        this.txId(signature.s),
        `carries a signature that does not verify (${(error as Error).message})`,
      );
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

  /** Adds a record to the tree and the record list; nothing reads it before {@link publish}. */
  private stage(record: LogRecord): void {
    this.records.push(record);
    this.leafIndex.push(record.t === 's' ? -1 : this.tree.append(leafHash(this.leafComponents(record))));
  }

  /** Makes a durable record visible: its entry, collection, user role or signature. */
  private publish(record: LogRecord): void {
    this.published = record.s;
    if (record.t === 's') this.signatures.push(record);
    else if (record.t === 'w') this.latestByCollection.set(record.c, record.s);
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
