import type { ConfidentialLedgerClient } from '@azure-rest/confidential-ledger';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VerifierPool } from '../../receipts/bulk-verify';
import { fetchLedgerIdentity } from '../../receipts/ledger-identity';
import {
  API_VERSION,
  FALLBACK_API_VERSION,
  ledgerClient,
  versionUnavailable,
  type LedgerCredential,
  type SmokeTarget,
} from '../smoke/protocol';
import { checkContents, describeProblem, factsOf, type ArchiveFacts, type Manifest } from './archive';
import { ARCHIVE_FILES, AUDIT_SCHEMA, fileDigest, jsonLines, parseTransactionId, replaceFile } from './files';
import type { Progress } from './progress';
import { AuditRequestError, mapBounded, readReady, readWithRetry, type Answer, type RetryPolicy } from './requests';
import { writeSummary } from './summary';

export interface AuditOptions {
  readonly environment: string;
  /** the archive folder; an unfinished export there is resumed. */
  readonly out: string;
  readonly target: SmokeTarget;
  readonly credential: LedgerCredential;
  /** receipts fetched at once. @default 32 */
  readonly concurrency?: number;
  /** verification threads. @default os.availableParallelism() */
  readonly threads?: number;
  readonly retry?: RetryPolicy;
  readonly progress: Progress;
  /** stops the export after the page in progress is recorded; a later run resumes it. */
  readonly signal?: AbortSignal;
  /** per-request deadline in ms. @default 60000 */
  readonly requestTimeoutMs?: number;
}

export interface AuditResult {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly facts: ArchiveFacts;
  /** true when this run continued an interrupted export. */
  readonly resumed: boolean;
}

/** The export was stopped (signal) before it finished; its state is saved for a resume. */
export class AuditInterrupted extends Error {
  constructor(readonly entries: number) {
    super(`the export stopped after ${entries} entries; run it again to resume`);
    this.name = 'AuditInterrupted';
  }
}

/** A finding that makes the export unfit as evidence (not a transport failure). */
export class AuditFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditFailed';
  }
}

/** What an unfinished export has durably recorded; written after every page. */
interface ExportState {
  readonly schema: typeof AUDIT_SCHEMA;
  readonly ledgerEndpoint: string;
  readonly upTo: string;
  readonly serviceCertificateSha256: string;
  readonly collections: readonly string[];
  /** the collection being read, and the link to its next page (undefined: its first page). */
  readonly collection: number;
  readonly nextLink?: string;
  /** the last transaction id recorded for the current collection. */
  readonly lastInCollection?: string;
  readonly entries: number;
  readonly entriesBytes: number;
  readonly receiptsBytes: number;
}

interface LedgerEntry {
  readonly collectionId: string;
  readonly transactionId: string;
  readonly contents: string;
}

/**
 * Exports every entry of a ledger up to the transaction committed when the export began, with each
 * entry's receipt, and verifies the result. Entries and receipts are appended page by page and made
 * durable before the state that points past them, so an interrupted export (killed, stopped, a
 * failing network) resumes where it was and an archive never holds half a page.
 */
export async function exportLedger(options: AuditOptions): Promise<AuditResult> {
  const dir = resolve(options.out);
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, ARCHIVE_FILES.manifest))) {
    throw new AuditFailed(`${dir} already holds a finished archive (manifest.json); choose an empty folder for a new export`);
  }
  const statePath = join(dir, ARCHIVE_FILES.state);
  const previous = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as ExportState) : undefined;
  if (!previous && existsSync(join(dir, ARCHIVE_FILES.entries))) {
    throw new AuditFailed(`${dir} holds entries but no export state; choose an empty folder`);
  }

  const serviceCertificate = await fetchLedgerIdentity(options.target.identityUrl, options.target.identityCa);
  const certificateSha256 = createHash('sha256').update(serviceCertificate).digest('hex');
  if (previous && (previous.serviceCertificateSha256 !== certificateSha256 || previous.ledgerEndpoint !== options.target.ledgerEndpoint)) {
    throw new AuditFailed(
      `${dir} holds an unfinished export of ${previous.ledgerEndpoint} under another service certificate; a resumed export must read the same ledger identity`,
    );
  }
  replaceFile(join(dir, ARCHIVE_FILES.serviceCertificate), serviceCertificate);
  // started now, the verification threads are ready (modules loaded) by the time the export ends.
  const pool = new VerifierPool({ serviceCertificate, threads: options.threads });
  try {
    return await exportWith(options, dir, statePath, previous, serviceCertificate, certificateSha256, pool);
  } finally {
    await pool.close();
  }
}

async function exportWith(
  options: AuditOptions,
  dir: string,
  statePath: string,
  previous: ExportState | undefined,
  serviceCertificate: string,
  certificateSha256: string,
  pool: VerifierPool,
): Promise<AuditResult> {
  const retry: RetryPolicy = {
    ...options.retry,
    onRetry: options.retry?.onRetry ?? ((what, why, ms) => options.progress.note(`retrying ${what} in ${ms} ms (${why})`)),
  };
  // receipts at the newest api-version carry application claims, which bind each entry's contents;
  // an older ledger that says it does not offer that version is read at the fallback.
  const open = async (apiVersion: string) => {
    const opened = ledgerClient(options.target, serviceCertificate, options.credential, options.requestTimeoutMs ?? 60_000, apiVersion);
    return {
      opened,
      answer: await readWithRetry('collections', () => opened.path('/app/collections').get() as PromiseLike<Answer>, retry),
    };
  };
  const preferred = await open(API_VERSION);
  const client = versionUnavailable(preferred.answer) ? (await open(FALLBACK_API_VERSION)).opened : preferred.opened;
  const get = (what: string, path: string) =>
    readReady<Record<string, unknown>>(what, () => client.pathUnchecked(path).get() as PromiseLike<Answer>, retry);

  let state = previous ?? (await beginExport(client, get, retry, options.target.ledgerEndpoint, certificateSha256));
  const entriesFd = openSync(join(dir, ARCHIVE_FILES.entries), previous ? 'r+' : 'w');
  const receiptsFd = openSync(join(dir, ARCHIVE_FILES.receipts), previous ? 'r+' : 'w');
  try {
    // anything written after the last recorded state belongs to a page that was never finished.
    ftruncateSync(entriesFd, state.entriesBytes);
    ftruncateSync(receiptsFd, state.receiptsBytes);
    replaceFile(statePath, JSON.stringify(state));
    const bound = parseTransactionId(state.upTo)!.seqno;
    options.progress.start('export', state.collections.length * bound, 'tx ids');
    const pageAt = (collection: number, nextLink?: string) => {
      const collectionId = state.collections[collection];
      const path =
        nextLink ??
        `/app/transactions?${new URLSearchParams({ collectionId, fromTransactionId: firstId(state.upTo), toTransactionId: state.upTo })}`;
      return get(`entries of ${collectionId}`, path);
    };
    let pending = state.collection < state.collections.length ? pageAt(state.collection, state.nextLink) : undefined;
    while (state.collection < state.collections.length) {
      if (options.signal?.aborted) {
        pending?.catch(() => undefined);
        throw new AuditInterrupted(state.entries);
      }
      const collectionId = state.collections[state.collection];
      const page = await pending!;
      // the next page is read while this one's receipts are fetched.
      const nextLink = typeof page.nextLink === 'string' ? page.nextLink : undefined;
      const nextCollection = nextLink ? state.collection : state.collection + 1;
      pending = nextCollection < state.collections.length ? pageAt(nextCollection, nextLink) : undefined;
      const entries = checkPage(page, collectionId, state);
      const receipts = await mapBounded(entries, options.concurrency ?? 32, (entry) =>
        get(`receipt of ${entry.transactionId}`, `/app/transactions/${encodeURIComponent(entry.transactionId)}/receipt`),
      );
      const entryText = entries
        .map((e) => JSON.stringify({ collectionId: e.collectionId, transactionId: e.transactionId, contents: e.contents }) + '\n')
        .join('');
      const receiptText = receipts.map((r) => JSON.stringify(r) + '\n').join('');
      writeSync(entriesFd, entryText, state.entriesBytes);
      writeSync(receiptsFd, receiptText, state.receiptsBytes);
      fsyncSync(entriesFd);
      fsyncSync(receiptsFd);
      state = {
        ...state,
        collection: nextCollection,
        nextLink,
        lastInCollection: nextLink ? (entries.at(-1)?.transactionId ?? state.lastInCollection) : undefined,
        entries: state.entries + entries.length,
        entriesBytes: state.entriesBytes + Buffer.byteLength(entryText),
        receiptsBytes: state.receiptsBytes + Buffer.byteLength(receiptText),
      };
      replaceFile(statePath, JSON.stringify(state));
      const reached = nextLink ? (parseTransactionId(new URLSearchParams(nextLink.split('?')[1]).get('fromTransactionId'))?.seqno ?? 0) : 0;
      options.progress.update(Math.min(state.collection * bound + reached, state.collections.length * bound));
    }
    options.progress.stop();
  } finally {
    closeSync(entriesFd);
    closeSync(receiptsFd);
  }
  await checkCompleteness(get, dir, state);
  return finish(dir, state, options, pool, previous !== undefined);
}

/** The bound, the collections and a fresh state: the snapshot every later page is read against. */
async function beginExport(
  client: ConfidentialLedgerClient,
  get: (what: string, path: string) => Promise<Record<string, unknown>>,
  retry: RetryPolicy,
  ledgerEndpoint: string,
  serviceCertificateSha256: string,
): Promise<ExportState> {
  // a successful answer's x-ms-ccf-transaction-id is the state it was served from: the export's bound.
  const first = await readWithRetry('collections', () => client.path('/app/collections').get() as PromiseLike<Answer>, retry);
  if (first.status !== '200')
    throw new AuditRequestError('collections', `HTTP ${first.status} ${JSON.stringify(first.body).slice(0, 200)}`);
  const upTo = first.headers['x-ms-ccf-transaction-id'];
  if (!parseTransactionId(upTo)) throw new AuditFailed(`the ledger's answer carries no x-ms-ccf-transaction-id (${String(upTo)})`);
  const collections: string[] = [];
  let body = first.body as Record<string, unknown>;
  for (;;) {
    collections.push(...((body.collections as { collectionId: string }[] | undefined) ?? []).map((c) => c.collectionId));
    if (typeof body.nextLink !== 'string') break;
    body = await get('collections', body.nextLink);
  }
  return {
    schema: AUDIT_SCHEMA,
    ledgerEndpoint,
    upTo: upTo!,
    serviceCertificateSha256,
    collections: [...new Set(collections)].sort(),
    collection: 0,
    entries: 0,
    entriesBytes: 0,
    receiptsBytes: 0,
  };
}

/** `<view>.1`: the first transaction id of the bound's view numbering (seqnos are global). */
const firstId = (upTo: string): string => `${parseTransactionId(upTo)!.view}.1`;

/** A page's entries, after checking they continue the range read so far without gaps in order. */
function checkPage(page: Record<string, unknown>, collectionId: string, state: ExportState): LedgerEntry[] {
  const entries = (page.entries ?? []) as LedgerEntry[];
  if (!Array.isArray(entries)) throw new AuditFailed(`a page of ${collectionId} holds no entries list`);
  const bound = parseTransactionId(state.upTo)!.seqno;
  let last = parseTransactionId(state.lastInCollection)?.seqno ?? 0;
  for (const entry of entries) {
    const id = parseTransactionId(entry.transactionId);
    if (!id || typeof entry.contents !== 'string')
      throw new AuditFailed(`a page of ${collectionId} holds a malformed entry: ${JSON.stringify(entry).slice(0, 200)}`);
    if (entry.collectionId !== undefined && entry.collectionId !== collectionId) {
      throw new AuditFailed(`a page of ${collectionId} holds entry ${entry.transactionId} of collection ${entry.collectionId}`);
    }
    if (id.seqno <= last)
      throw new AuditFailed(`${collectionId}: entry ${entry.transactionId} does not follow the previous one (ids must increase)`);
    if (id.seqno > bound)
      throw new AuditFailed(`${collectionId}: entry ${entry.transactionId} is beyond the requested range (up to ${state.upTo})`);
    last = id.seqno;
  }
  if (typeof page.nextLink === 'string') {
    const from = parseTransactionId(new URLSearchParams(page.nextLink.split('?')[1]).get('fromTransactionId'));
    if (from && from.seqno <= last)
      throw new AuditFailed(`${collectionId}: the next page starts at ${from.seqno}, not after ${last}: ranges overlap`);
  }
  return entries.map((e) => ({ ...e, collectionId }));
}

/** Each collection's latest entry, if within the bound, must be the last one read: nothing was skipped at the end. */
async function checkCompleteness(get: (what: string, path: string) => Promise<Record<string, unknown>>, dir: string, state: ExportState) {
  const lastRead = new Map<string, number>();
  for await (const { text } of jsonLines(join(dir, ARCHIVE_FILES.entries))) {
    const entry = JSON.parse(text) as LedgerEntry;
    lastRead.set(entry.collectionId, parseTransactionId(entry.transactionId)!.seqno);
  }
  const bound = parseTransactionId(state.upTo)!.seqno;
  for (const collectionId of state.collections) {
    const current = await get(`latest entry of ${collectionId}`, `/app/transactions/current?${new URLSearchParams({ collectionId })}`);
    const latest = parseTransactionId(current.transactionId)?.seqno;
    if (latest !== undefined && latest <= bound && latest !== lastRead.get(collectionId)) {
      throw new AuditFailed(
        `${collectionId}: its latest entry is ${String(current.transactionId)} but the export read up to ${lastRead.get(collectionId) ?? 'nothing'}`,
      );
    }
  }
}

/** Verifies what was written, then writes the summary and the manifest; removes the export state. */
async function finish(dir: string, state: ExportState, options: AuditOptions, pool: VerifierPool, resumed: boolean): Promise<AuditResult> {
  options.progress.start('verify', state.entries, 'receipts');
  const facts = await checkContents(dir, state.upTo, pool, (n) => options.progress.update(n));
  options.progress.stop();
  const partial: Omit<Manifest, 'files'> = {
    schema: AUDIT_SCHEMA,
    environment: options.environment,
    ledgerId: options.target.ledgerId,
    ledgerEndpoint: options.target.ledgerEndpoint,
    exportedAt: new Date().toISOString(),
    upTo: state.upTo,
    facts: { ...factsOf(facts), receiptsVerified: facts.verified },
  };
  writeSummary(dir, partial, facts.problems);
  if (facts.problems.length) {
    throw new AuditFailed(
      `the exported ledger failed ${facts.problems.length} check(s):\n${facts.problems.slice(0, 20).map(describeProblem).join('\n')}`,
    );
  }
  const files: Manifest['files'] = {};
  for (const file of [ARCHIVE_FILES.entries, ARCHIVE_FILES.receipts, ARCHIVE_FILES.serviceCertificate, ARCHIVE_FILES.summary]) {
    files[file] = await fileDigest(join(dir, file));
  }
  const manifest: Manifest = { ...partial, files };
  replaceFile(join(dir, ARCHIVE_FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
  rmSync(join(dir, ARCHIVE_FILES.state));
  return { dir, manifest, facts, resumed };
}
