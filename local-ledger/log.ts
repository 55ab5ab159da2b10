import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, truncateSync, type PathLike } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { LedgerRole } from '../constructs/ledger/ledger-roles';

/*
 * The ledger's append-only log: one file of frames `[u32 length][JSON payload][SHA-256(payload)]`.
 * A frame is acknowledged only after the write that holds it is fsynced, so after a crash only an
 * unacknowledged tail can be incomplete.
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

const HEADER = 4;
const CHECKSUM = 32;
/** a frame larger than this cannot have been written by the ledger (entries are at most 8 KiB). */
const MAX_PAYLOAD = 1 << 20;

/** The log is damaged somewhere other than an unacknowledged tail; the ledger must not serve. */
export class LogCorruptError extends Error {
  constructor(
    readonly offset: number,
    readonly transactionId: string,
    detail: string,
  ) {
    super(`ledger log corrupt at byte ${offset}: transaction ${transactionId} ${detail}`);
    this.name = 'LogCorruptError';
  }
}

export interface ReadLog {
  readonly records: LogRecord[];
  /** bytes of an incomplete tail cut off (a write interrupted by a crash, never acknowledged). */
  readonly tornBytes: number;
}

/**
 * Reads every frame, checking lengths and checksums. An incomplete frame at the very end (short,
 * or zero-filled) is a torn tail and is cut off; any other damage throws {@link LogCorruptError}
 * naming the first bad transaction.
 */
export function readLog(path: string, view: number): ReadLog {
  if (!existsSync(path)) return { records: [], tornBytes: 0 };
  const data = readFileSync(path);
  const records: LogRecord[] = [];
  let offset = 0;
  while (offset < data.length) {
    const expectedId = `${view}.${(records.at(-1)?.s ?? 0) + 1}`;
    const rest = data.subarray(offset);
    const length = rest.length >= HEADER ? rest.readUInt32BE(0) : -1;
    const complete = length >= 0 && length <= MAX_PAYLOAD && rest.length >= HEADER + length + CHECKSUM;
    if (!complete || length === 0) {
      if (isTornTail(rest, length)) {
        truncateSync(path, offset);
        return { records, tornBytes: rest.length };
      }
      throw new LogCorruptError(offset, expectedId, `has an impossible frame length ${length}`);
    }
    const payload = rest.subarray(HEADER, HEADER + length);
    const checksum = rest.subarray(HEADER + length, HEADER + length + CHECKSUM);
    if (!createHash('sha256').update(payload).digest().equals(checksum)) {
      throw new LogCorruptError(offset, expectedId, 'does not match its checksum (a byte was changed)');
    }
    let record: LogRecord;
    try {
      record = JSON.parse(payload.toString('utf8')) as LogRecord;
    } catch {
      throw new LogCorruptError(offset, expectedId, 'is not a readable record');
    }
    if (`${view}.${record.s}` !== expectedId) {
      throw new LogCorruptError(offset, expectedId, `is out of order (found sequence number ${record.s})`);
    }
    records.push(record);
    offset += HEADER + length + CHECKSUM;
  }
  return { records, tornBytes: 0 };
}

/** A crash leaves a short frame, or a frame whose bytes were never filled in (zeros). */
function isTornTail(rest: Buffer, length: number): boolean {
  if (length >= 0 && length <= MAX_PAYLOAD && rest.length < HEADER + length + CHECKSUM && length > 0) return true;
  return rest.every((byte) => byte === 0) || rest.length < HEADER;
}

export function encodeRecord(record: LogRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const frame = Buffer.allocUnsafe(HEADER + payload.length + CHECKSUM);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, HEADER);
  createHash('sha256')
    .update(payload)
    .digest()
    .copy(frame, HEADER + payload.length);
  return frame;
}

/** Appends batches of frames, each made durable (fdatasync) before the call returns. */
export class LogWriter {
  static async open(path: PathLike): Promise<LogWriter> {
    closeSync(openSync(path, 'a'));
    const handle = await open(path, 'r+');
    const { size } = await handle.stat();
    return new LogWriter(handle, size);
  }

  private constructor(
    private readonly handle: FileHandle,
    private size: number,
  ) {}

  /**
   * Writes the records and syncs them. On failure (disk full, I/O error) the file is cut back to
   * where it was, so a failed batch leaves no trace, and the error is rethrown.
   */
  async append(records: readonly LogRecord[]): Promise<void> {
    const frames = Buffer.concat(records.map(encodeRecord));
    try {
      let written = 0;
      while (written < frames.length) {
        const { bytesWritten } = await this.handle.write(frames, written, frames.length - written, this.size + written);
        written += bytesWritten;
      }
      await this.handle.datasync();
      this.size += frames.length;
    } catch (error) {
      await this.handle.truncate(this.size).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
