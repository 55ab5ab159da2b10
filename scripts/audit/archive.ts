import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { VerifierPool, type BulkItem } from '../../receipts/bulk-verify';
import { ARCHIVE_FILES, AUDIT_SCHEMA, fileDigest, jsonLines, parseTransactionId } from './files';

/** One thing wrong with an archive: the file (and line), the check that failed, and why. */
export interface ArchiveProblem {
  readonly file: string;
  readonly line?: number;
  readonly check: string;
  readonly message: string;
}

export interface CollectionFacts {
  readonly collectionId: string;
  readonly count: number;
  readonly first: string;
  readonly last: string;
}

/** What an archive's entries and receipts show, computed from the files alone. */
export interface ArchiveFacts {
  readonly entries: number;
  readonly receipts: number;
  readonly verified: number;
  readonly first?: string;
  readonly last?: string;
  readonly collections: CollectionFacts[];
  /** transaction ids up to the export's bound that hold no entry (signatures, user changes). */
  readonly transactionsWithoutEntry: number;
  readonly problems: ArchiveProblem[];
}

export interface Manifest {
  readonly schema: typeof AUDIT_SCHEMA;
  readonly environment: string;
  readonly ledgerId: string;
  readonly ledgerEndpoint: string;
  readonly exportedAt: string;
  /** the ledger's committed transaction id when the export began; nothing later is included. */
  readonly upTo: string;
  readonly facts: Omit<ArchiveFacts, 'problems' | 'verified'> & { readonly receiptsVerified: number };
  /** every other file of the archive: SHA-256 (hex) and size. */
  readonly files: Record<string, { readonly sha256: string; readonly bytes: number }>;
}

const BATCH = 4096;

interface Entry {
  readonly collectionId: string;
  readonly transactionId: string;
  readonly contents: string;
}

/**
 * Checks an archive's entries and receipts: every line readable, the i-th receipt for the i-th
 * entry, each collection one block with strictly increasing transaction ids up to `upTo`, no id
 * twice, and every receipt verifying against the service certificate.
 */
export async function checkContents(
  dir: string,
  upTo: string,
  pool: VerifierPool,
  onProgress: (receipts: number) => void = () => undefined,
): Promise<ArchiveFacts> {
  const problems: ArchiveProblem[] = [];
  const bound = parseTransactionId(upTo)?.seqno ?? 0;
  const collections: { collectionId: string; count: number; first: string; last: string; lastSeqno: number }[] = [];
  const done = new Set<string>();
  const seen = new Set<number>();
  let entries = 0;
  let receipts = 0;
  let verified = 0;
  let first: { id: string; seqno: number } | undefined;
  let last: { id: string; seqno: number } | undefined;

  const receiptLines = jsonLines(join(dir, ARCHIVE_FILES.receipts))[Symbol.asyncIterator]();
  let batch: (BulkItem & { line: number })[] = [];
  // batches are verified while the next ones are read: at most two in flight.
  const inFlight: Promise<void>[] = [];
  const flush = async () => {
    const sent = batch;
    batch = [];
    inFlight.push(
      pool.verify(sent).then((results) => {
        results.forEach((result, i) => {
          if (result.ok) verified++;
          else
            problems.push({
              file: ARCHIVE_FILES.receipts,
              line: sent[i].line,
              check: result.check,
              message: `transaction ${sent[i].transactionId}: ${result.message.replace(/^receipt check '[^']+' failed: /, '')}`,
            });
        });
        onProgress(verified + problems.length);
      }),
    );
    if (inFlight.length > 2) await inFlight.shift();
  };

  for await (const { line, text } of jsonLines(join(dir, ARCHIVE_FILES.entries))) {
    const problem = (check: string, message: string) => problems.push({ file: ARCHIVE_FILES.entries, line, check, message });
    let entry: Entry;
    try {
      entry = JSON.parse(text);
    } catch {
      problem('format', 'is not JSON');
      continue;
    }
    const id = parseTransactionId(entry?.transactionId);
    if (!id || typeof entry.collectionId !== 'string' || typeof entry.contents !== 'string') {
      problem('format', 'must be {"collectionId", "transactionId": "<view>.<seqno>", "contents"}');
      continue;
    }
    entries++;
    if (!first || id.seqno < first.seqno) first = { id: entry.transactionId, seqno: id.seqno };
    if (!last || id.seqno > last.seqno) last = { id: entry.transactionId, seqno: id.seqno };
    if (id.seqno > bound) problem('range', `transaction ${entry.transactionId} is after ${upTo}, where the export stopped`);
    if (seen.has(id.seqno)) problem('duplicate', `transaction ${entry.transactionId} appears twice`);
    seen.add(id.seqno);
    let current = collections.at(-1);
    if (current?.collectionId !== entry.collectionId) {
      if (done.has(entry.collectionId)) problem('order', `collection ${entry.collectionId} is split: its entries must form one block`);
      if (current) done.add(current.collectionId);
      current = { collectionId: entry.collectionId, count: 0, first: entry.transactionId, last: entry.transactionId, lastSeqno: 0 };
      collections.push(current);
    }
    if (id.seqno <= current.lastSeqno) {
      problem('order', `transaction ${entry.transactionId} follows ${current.last}: ids within a collection must increase`);
    }
    current.count++;
    current.last = entry.transactionId;
    current.lastSeqno = id.seqno;

    const next = await receiptLines.next();
    if (next.done) {
      problem('pairing', `transaction ${entry.transactionId} has no receipt (${ARCHIVE_FILES.receipts} ends early)`);
      continue;
    }
    receipts++;
    // the receipt names its transaction, and its claims (where present) must bind this entry's contents.
    batch.push({
      json: next.value.text,
      transactionId: entry.transactionId,
      entry: { collectionId: entry.collectionId, contents: entry.contents },
      line: next.value.line,
    });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await Promise.all(inFlight);
  problems.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
  for (let extra = await receiptLines.next(); !extra.done; extra = await receiptLines.next()) {
    problems.push({ file: ARCHIVE_FILES.receipts, line: extra.value.line, check: 'pairing', message: 'has no entry in the same place' });
  }
  return {
    entries,
    receipts,
    verified,
    first: first?.id,
    last: last?.id,
    collections: collections.map(({ collectionId, count, first: f, last: l }) => ({ collectionId, count, first: f, last: l })),
    transactionsWithoutEntry: Math.max(0, bound - seen.size),
    problems,
  };
}

/** The archive's manifest, or a problem saying why it cannot be read. */
export function readManifest(dir: string): Manifest | ArchiveProblem {
  const path = join(dir, ARCHIVE_FILES.manifest);
  if (!existsSync(path)) {
    const incomplete = existsSync(join(dir, ARCHIVE_FILES.state));
    return {
      file: ARCHIVE_FILES.manifest,
      check: 'manifest',
      message: incomplete ? 'is missing: the export did not finish; run the audit again to resume it' : 'is missing',
    };
  }
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    if (manifest.schema !== AUDIT_SCHEMA) throw new Error(`schema is ${JSON.stringify(manifest.schema)}, not ${AUDIT_SCHEMA}`);
    return manifest;
  } catch (error) {
    return { file: ARCHIVE_FILES.manifest, check: 'manifest', message: `cannot be read (${(error as Error).message})` };
  }
}

/** Files whose SHA-256 or size differ from the manifest, and files it does not list. */
export async function checkFiles(dir: string, manifest: Manifest): Promise<ArchiveProblem[]> {
  const problems: ArchiveProblem[] = [];
  const expected = [ARCHIVE_FILES.entries, ARCHIVE_FILES.receipts, ARCHIVE_FILES.serviceCertificate, ARCHIVE_FILES.summary];
  for (const file of expected) {
    const listed = manifest.files[file];
    if (!listed) {
      problems.push({ file, check: 'manifest', message: 'is not listed in manifest.json' });
      continue;
    }
    if (!existsSync(join(dir, file))) {
      problems.push({ file, check: 'missing', message: 'is listed in manifest.json but absent' });
      continue;
    }
    const actual = await fileDigest(join(dir, file));
    if (actual.sha256 !== listed.sha256) {
      problems.push({ file, check: 'sha256', message: `has SHA-256 ${actual.sha256}; manifest.json records ${listed.sha256}` });
    } else if (actual.bytes !== listed.bytes) {
      problems.push({ file, check: 'size', message: `has ${actual.bytes} bytes; manifest.json records ${listed.bytes}` });
    }
  }
  return problems;
}

/** Differences between the facts the manifest records and those the files show. */
export function compareFacts(manifest: Manifest, facts: ArchiveFacts): ArchiveProblem[] {
  const recorded: Record<string, unknown> = { ...manifest.facts };
  delete recorded.receiptsVerified;
  const found = factsOf(facts);
  return isDeepStrictEqual(recorded, found)
    ? []
    : [
        {
          file: ARCHIVE_FILES.manifest,
          check: 'counts',
          message: `records ${JSON.stringify(recorded)} but the files hold ${JSON.stringify(found)}`,
        },
      ];
}

/** The facts a manifest records, without verdicts. */
export function factsOf(facts: ArchiveFacts): Omit<ArchiveFacts, 'problems' | 'verified'> {
  const rest: Record<string, unknown> = { ...facts };
  delete rest.problems;
  delete rest.verified;
  // as JSON stores it: no undefined members, so a fresh and a re-read manifest compare equal.
  return JSON.parse(JSON.stringify(rest));
}

/** A one-line description of a problem: `file:line: check 'x' failed: why`. */
export const describeProblem = (p: ArchiveProblem): string =>
  `${p.file}${p.line ? `:${p.line}` : ''}: check '${p.check}' failed: ${p.message}`;

/** True when `path` is an audit archive folder (finished or not). */
export const isArchive = (path: string): boolean =>
  existsSync(join(path, ARCHIVE_FILES.manifest)) || existsSync(join(path, ARCHIVE_FILES.state));

/**
 * Re-verifies an archive offline: the files against the manifest's SHA-256, then every entry and
 * receipt as the export did, and the manifest's counts against what the files hold. Checks against
 * `serviceCertificate` when given (an independent copy), else the archive's own.
 */
export async function verifyArchive(
  dir: string,
  options: { serviceCertificate?: string; threads?: number; onProgress?: (receipts: number) => void } = {},
): Promise<{ problems: ArchiveProblem[]; manifest?: Manifest; facts?: ArchiveFacts }> {
  const manifest = readManifest(dir);
  if ('check' in manifest) return { problems: [manifest] };
  const problems = await checkFiles(dir, manifest);
  const certificatePath = join(dir, ARCHIVE_FILES.serviceCertificate);
  const serviceCertificate =
    options.serviceCertificate ?? (existsSync(certificatePath) ? readFileSync(certificatePath, 'utf8') : undefined);
  if (!serviceCertificate) return { problems, manifest };
  const pool = new VerifierPool({ serviceCertificate, threads: options.threads });
  try {
    const facts = await checkContents(dir, manifest.upTo, pool, options.onProgress);
    return { problems: [...problems, ...facts.problems, ...compareFacts(manifest, facts)], manifest, facts };
  } finally {
    await pool.close();
  }
}

/** Verifies audit archives for the verify-receipt command; returns how many failed. */
export async function verifyArchives(
  dirs: readonly string[],
  serviceCertificate: string | undefined,
  report: (line: string) => void,
): Promise<number> {
  let failed = 0;
  for (const dir of dirs) {
    const { problems, facts } = await verifyArchive(dir, { serviceCertificate });
    problems.forEach((p) => report(`✗ ${dir}/${describeProblem(p)}`));
    if (problems.length) failed++;
    else report(`✓ ${dir}: ${facts!.entries} entries, ${facts!.verified} receipts verified, every file matches manifest.json`);
  }
  return failed;
}
