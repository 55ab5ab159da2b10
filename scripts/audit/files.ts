import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** The files of an audit archive, relative to its folder. */
export const ARCHIVE_FILES = {
  entries: 'entries.jsonl',
  receipts: 'receipts.jsonl',
  serviceCertificate: 'service-certificate.pem',
  summary: 'SUMMARY.md',
  manifest: 'manifest.json',
  /** present only while an export is incomplete: what a resumed export continues from. */
  state: 'export-state.json',
} as const;

export const AUDIT_SCHEMA = 'acl-stack/audit/v1';

/** Replaces a file so that after a crash it holds either the old or the new content. */
export function replaceFile(path: string, content: string): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

/** SHA-256 (hex) and size of a file, streamed. */
export async function fileDigest(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** The lines of a JSONL file with their 1-based numbers, streamed. */
export async function* jsonLines(path: string): AsyncGenerator<{ line: number; text: string }> {
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    line++;
    if (text !== '') yield { line, text };
  }
}

/** `<view>.<seqno>` as numbers; undefined for anything else. */
export function parseTransactionId(id: unknown): { view: number; seqno: number } | undefined {
  const match = typeof id === 'string' ? /^(\d+)\.(\d+)$/.exec(id) : null;
  return match ? { view: Number(match[1]), seqno: Number(match[2]) } : undefined;
}
