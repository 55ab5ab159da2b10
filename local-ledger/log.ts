import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { LedgerRole } from '../vocabulary';
import { writeFileDurably } from './durable-files';

/*
 * The ledger's append-only log: an 8-byte magic, then frames
 *
 *   [u32 length][u32 CRC-32 of those 4 length bytes][JSON payload][32-byte chain MAC]
 *
 * chain MAC = HMAC-SHA256(chainKey, MAC of the previous frame ‖ payload), the first frame chaining
 * from HMAC(chainKey, magic). The header CRC tells a changed length from a write cut short by a
 * crash; the chain MAC catches any changed, removed, reordered or appended record, including a
 * well-formed one whose author did not hold the ledger's secret. A frame is acknowledged only
 * after the write holding it is fsynced, so a crash can leave only an incomplete final frame.
 */

/** An application entry. */
export interface WriteRecord {
  readonly t: 'w';
  readonly s: number;
  readonly c: string;
  readonly d: string;
  /** base64 key of the entry's LedgerEntryV1 application claim; absent for entries without claims. */
  readonly k?: string;
}
/** A change of a user's data-plane role; role null removes the user. */
export interface UserRecord {
  readonly t: 'u';
  readonly s: number;
  readonly id: string;
  readonly role: LedgerRole | null;
}
/** A signature transaction: the node's signature over the root of the first `n` leaves. */
export interface SignatureRecord {
  readonly t: 's';
  readonly s: number;
  readonly n: number;
  readonly r: string;
  readonly sig: string;
}
export type LogRecord = WriteRecord | UserRecord | SignatureRecord;

export const LOG_MAGIC = Buffer.from('ACLLOG02', 'latin1');
const HEADER = 8;
const MAC = 32;
/** a frame larger than this cannot have been written by the ledger (entries are at most 8 KiB). */
const MAX_PAYLOAD = 1 << 20;

/**
 * The log is damaged, incomplete or missing somewhere other than an unacknowledged tail; the
 * ledger must not serve, and nothing is cut.
 */
export class LogCorruptError extends Error {
  /** damage at a frame: names the byte offset and the first bad transaction. */
  static at(offset: number, transactionId: string, detail: string): LogCorruptError {
    return new LogCorruptError(`ledger log corrupt at byte ${offset}: transaction ${transactionId} ${detail}`, offset, transactionId);
  }

  constructor(
    message: string,
    readonly offset?: number,
    readonly transactionId?: string,
  ) {
    super(message);
    this.name = 'LogCorruptError';
  }
}

/** The key that chains the log's frames, derived from the ledger's secret. */
export const chainKeyOf = (ledgerSecret: Buffer): Buffer => createHmac('sha256', ledgerSecret).update('acl-stack log chain v2').digest();

const chainStart = (chainKey: Buffer): Buffer => createHmac('sha256', chainKey).update(LOG_MAGIC).digest();
const chainNext = (chainKey: Buffer, previous: Buffer, payload: Buffer): Buffer =>
  createHmac('sha256', chainKey).update(previous).update(payload).digest();
const headerCheck = (header: Buffer): number => crc32(header.subarray(0, 4));

export interface ReadLog {
  readonly records: LogRecord[];
  /** per record: the byte offset of its frame, and its chain MAC. */
  readonly offsets: number[];
  readonly macs: Buffer[];
  /** where an incomplete final frame starts (a write interrupted by a crash, never acknowledged). */
  readonly tornAt?: number;
  readonly tornBytes: number;
  /** the log's length without the torn tail. */
  readonly end: number;
}

/**
 * Reads and checks every frame; changes nothing. An incomplete final frame (short, or zero-filled
 * to the end) is reported as `tornAt`; any other damage throws {@link LogCorruptError} naming the
 * first bad transaction and its byte offset.
 */
export function readLog(path: string, view: number, chainKey: Buffer): ReadLog {
  const data = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  const records: LogRecord[] = [];
  const offsets: number[] = [];
  const macs: Buffer[] = [];
  const torn = (offset: number): ReadLog => ({ records, offsets, macs, tornAt: offset, tornBytes: data.length - offset, end: offset });
  // a crash while a new log was being created leaves a prefix of the magic.
  if (data.length < LOG_MAGIC.length && LOG_MAGIC.subarray(0, data.length).equals(data)) return torn(0);
  if (!data.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC)) {
    throw LogCorruptError.at(
      0,
      `${view}.1`,
      'is not preceded by the log format marker (a log of an older local ledger, or not a ledger log)',
    );
  }
  let previous = chainStart(chainKey);
  let offset = LOG_MAGIC.length;
  while (offset < data.length) {
    const expectedId = `${view}.${records.length + 1}`;
    const rest = data.subarray(offset);
    if (rest.every((byte) => byte === 0)) return torn(offset);
    if (rest.length < HEADER) return torn(offset);
    const length = rest.readUInt32BE(0);
    if (rest.readUInt32BE(4) !== headerCheck(rest)) {
      throw LogCorruptError.at(offset, expectedId, `has a damaged frame header (length ${length} fails its check)`);
    }
    if (length === 0 || length > MAX_PAYLOAD) throw LogCorruptError.at(offset, expectedId, `has an impossible frame length ${length}`);
    if (rest.length < HEADER + length + MAC) return torn(offset);
    const payload = rest.subarray(HEADER, HEADER + length);
    const mac = chainNext(chainKey, previous, payload);
    if (!mac.equals(rest.subarray(HEADER + length, HEADER + length + MAC))) {
      throw LogCorruptError.at(
        offset,
        expectedId,
        'fails its integrity check (a byte was changed, or the record was not written by this ledger after the one before it)',
      );
    }
    const record = parseRecord(payload);
    if (!record) throw LogCorruptError.at(offset, expectedId, 'is not a readable record');
    if (`${view}.${record.s}` !== expectedId) {
      throw LogCorruptError.at(offset, expectedId, `is out of order (found sequence number ${record.s})`);
    }
    records.push(record);
    offsets.push(offset);
    macs.push(mac);
    previous = mac;
    offset += HEADER + length + MAC;
  }
  return { records, offsets, macs, tornBytes: 0, end: data.length };
}

function parseRecord(payload: Buffer): LogRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  const r = value as Record<string, unknown>;
  if (typeof r !== 'object' || r === null || !Number.isSafeInteger(r.s)) return undefined;
  const ok =
    (r.t === 'w' && typeof r.c === 'string' && typeof r.d === 'string') ||
    (r.t === 'u' && typeof r.id === 'string' && (r.role === null || typeof r.role === 'string')) ||
    (r.t === 's' && Number.isSafeInteger(r.n) && typeof r.r === 'string' && typeof r.sig === 'string');
  return ok ? (value as LogRecord) : undefined;
}

/** Frames records after the one whose chain MAC is `previous`; returns the bytes and each record's MAC. */
export function encodeRecords(records: readonly LogRecord[], chainKey: Buffer, previous: Buffer): { bytes: Buffer; macs: Buffer[] } {
  const frames: Buffer[] = [];
  const macs: Buffer[] = [];
  for (const record of records) {
    const payload = Buffer.from(JSON.stringify(record), 'utf8');
    const frame = Buffer.allocUnsafe(HEADER + payload.length + MAC);
    frame.writeUInt32BE(payload.length, 0);
    frame.writeUInt32BE(headerCheck(frame), 4);
    payload.copy(frame, HEADER);
    previous = chainNext(chainKey, previous, payload);
    previous.copy(frame, HEADER + payload.length);
    frames.push(frame);
    macs.push(previous);
  }
  return { bytes: Buffer.concat(frames), macs };
}

/**
 * Where the log writer's bytes go. The default is the file itself; tests pass hooks that fail or
 * hold a write or a sync, to prove that nothing becomes visible before it is durable.
 */
export interface StorageHooks {
  /** called before each write; a rejection is that write's failure (nothing written). */
  beforeWrite?(file: 'log' | 'watermark'): Promise<void> | void;
  /** called after the bytes were written and before they are synced; a rejection is a failed fsync. */
  beforeSync?(file: 'log' | 'watermark'): Promise<void> | void;
  /** called before a failed batch is cut off the log again; a rejection is a failed truncate. */
  beforeTruncate?(file: 'log' | 'watermark'): Promise<void> | void;
}

/** A file written at explicit offsets, each change made durable (fdatasync) before it returns. */
export class DurableFile {
  static async open(path: string, kind: 'log' | 'watermark', hooks: StorageHooks = {}): Promise<DurableFile> {
    const handle = await open(path, 'r+');
    return new DurableFile(handle, kind, hooks);
  }

  private constructor(
    private readonly handle: FileHandle,
    private readonly kind: 'log' | 'watermark',
    private readonly hooks: StorageHooks,
  ) {}

  async writeAt(bytes: Buffer, position: number): Promise<void> {
    await this.hooks.beforeWrite?.(this.kind);
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written, position + written);
      written += bytesWritten;
    }
    await this.hooks.beforeSync?.(this.kind);
    await this.handle.datasync();
  }

  async truncate(length: number): Promise<void> {
    await this.hooks.beforeTruncate?.(this.kind);
    await this.handle.truncate(length);
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

export interface LogPosition {
  readonly length: number;
  readonly mac: Buffer;
}

/** Appends batches of frames to the log; each batch is durable when {@link append} returns. */
export class LogWriter {
  constructor(
    private readonly file: DurableFile,
    private readonly chainKey: Buffer,
    private size: number,
    private lastMac: Buffer,
  ) {}

  static async open(path: string, chainKey: Buffer, end: number, lastMac: Buffer | undefined, hooks?: StorageHooks): Promise<LogWriter> {
    return new LogWriter(await DurableFile.open(path, 'log', hooks), chainKey, end, lastMac ?? chainStart(chainKey));
  }

  /** Where the next batch goes: the log's length and the chain MAC it continues from. */
  get position(): LogPosition {
    return { length: this.size, mac: this.lastMac };
  }

  /**
   * Writes and syncs the records; returns each record's chain MAC. On failure the file is cut
   * back to where it was (and that cut synced), so a failed batch leaves no trace; if even that
   * fails, {@link LogStateUnknownError} says the log may hold the batch.
   */
  async append(records: readonly LogRecord[]): Promise<Buffer[]> {
    const { bytes, macs } = encodeRecords(records, this.chainKey, this.lastMac);
    try {
      await this.file.writeAt(bytes, this.size);
    } catch (error) {
      await this.rollBack(this.size, error as Error);
      throw error;
    }
    this.size += bytes.length;
    this.lastMac = macs.at(-1) ?? this.lastMac;
    return macs;
  }

  /** Cuts the log back to an earlier position (a batch whose commit could not be recorded, a torn tail). */
  async undo(to: LogPosition, cause: Error): Promise<void> {
    await this.rollBack(to.length, cause);
    this.size = to.length;
    this.lastMac = to.mac;
  }

  private async rollBack(length: number, cause: Error): Promise<void> {
    await this.file.truncate(length).catch((error: Error) => {
      throw new LogStateUnknownError(`${cause.message}; cutting the log back failed too (${error.message})`);
    });
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

/** A failed batch could not be removed from the log: it may or may not be there after a restart. */
export class LogStateUnknownError extends Error {}

/*
 * The commit watermark: a small file beside the log recording the last record of the latest
 * acknowledged batch (its sequence number and chain MAC). A log that ends before it, or holds
 * another record there, lost or changed acknowledged records. Two slots, written alternately, each
 * with its own checksum, so a write torn by a crash leaves the previous one readable.
 */
const SLOT = 4 + 4 + MAC + 32;

export interface Watermark {
  readonly generation: number;
  /** the sequence number of the latest acknowledged record; 0 before the first. */
  readonly seqno: number;
  readonly mac: Buffer;
}

/** A slot's checksum is keyed: a slot cannot be forged (or reset to the first one) without the ledger's secret. */
const slotMac = (chainKey: Buffer, fields: Buffer): Buffer => createHmac('sha256', chainKey).update('watermark').update(fields).digest();

export function encodeWatermark(mark: Watermark, chainKey: Buffer): Buffer {
  const slot = Buffer.alloc(SLOT);
  slot.writeUInt32BE(mark.generation, 0);
  slot.writeUInt32BE(mark.seqno, 4);
  mark.mac.copy(slot, 8);
  slotMac(chainKey, slot.subarray(0, 8 + MAC)).copy(slot, 8 + MAC);
  return slot;
}

/** The newest intact slot of a watermark file, or undefined when neither slot is intact. */
export function readWatermark(path: string, chainKey: Buffer): Watermark | undefined {
  const data = readFileSync(path);
  let newest: Watermark | undefined;
  for (let at = 0; at + SLOT <= data.length && at < 2 * SLOT; at += SLOT) {
    const slot = data.subarray(at, at + SLOT);
    if (!slotMac(chainKey, slot.subarray(0, 8 + MAC)).equals(slot.subarray(8 + MAC))) continue;
    const mark = { generation: slot.readUInt32BE(0), seqno: slot.readUInt32BE(4), mac: Buffer.from(slot.subarray(8, 8 + MAC)) };
    if (!newest || mark.generation > newest.generation) newest = mark;
  }
  return newest;
}

export class WatermarkWriter {
  constructor(
    private readonly file: DurableFile,
    private readonly chainKey: Buffer,
    private current: Watermark,
  ) {}

  static async open(path: string, chainKey: Buffer, current: Watermark, hooks?: StorageHooks): Promise<WatermarkWriter> {
    return new WatermarkWriter(await DurableFile.open(path, 'watermark', hooks), chainKey, current);
  }

  get seqno(): number {
    return this.current.seqno;
  }

  /**
   * Records a newer acknowledged (fsynced) record, in the slot the previous one is not in. After a
   * failure the slot is torn (its checksum fails, so it is ignored) or whole and naming a durable
   * record: both are safe, and the next advance writes the same slot again.
   */
  async advance(seqno: number, mac: Buffer): Promise<void> {
    const next = { generation: this.current.generation + 1, seqno, mac };
    await this.file.writeAt(encodeWatermark(next, this.chainKey), (next.generation % 2) * SLOT);
    this.current = next;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

/** The files of a ledger's history in its data folder. */
export const logPaths = (dataDir: string) => ({ log: join(dataDir, 'ledger.log'), watermark: join(dataDir, 'commit-watermark') });

/**
 * Creates the empty log and watermark of a new ledger, before its identity is complete (see
 * `loadOrCreateIdentity`), so that a ledger whose identity exists always has them: a removed log
 * is then refused, never silently restarted at transaction 1 under the same service certificate.
 */
export function createLogFiles(dataDir: string, chainKey: Buffer): void {
  const paths = logPaths(dataDir);
  if (existsSync(paths.log) && statSync(paths.log).size > LOG_MAGIC.length) {
    throw new LogCorruptError(
      `${paths.log} holds transactions but the ledger's identity is incomplete; refusing to start a new ledger over it`,
    );
  }
  writeFileDurably(paths.log, LOG_MAGIC, 0o600);
  writeFileDurably(paths.watermark, encodeWatermark({ generation: 0, seqno: 0, mac: Buffer.alloc(MAC) }, chainKey), 0o600);
}
