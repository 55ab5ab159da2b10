import ConfidentialLedger, { type ConfidentialLedgerClient } from '@azure-rest/confidential-ledger';
import type { TokenCredential } from '@azure/core-auth';
import { fetchLedgerIdentity } from '../../receipts/ledger-identity';
import { ReceiptVerificationError, verifyReceipt, type VerifiedReceipt } from '../../receipts/verify';
import { certificateSha256, writeEvidence, type Evidence, type EvidenceDraft, type EvidenceKind } from './evidence';
import { StepFailure, StepRunner, retryDelayMs, sleep, type StepResult } from './steps';

export const SMOKE_SCHEMA = 'acl-stack/smoke/v1';
export const SMOKE_COLLECTION = 'acl-stack-smoke';
/** Entries written and receipts fetched at this version carry application claims that bind the contents. */
export const API_VERSION = '2026-02-23';
/** Used only when the ledger answers that {@link API_VERSION} is not available (an older ledger). */
export const FALLBACK_API_VERSION = '2022-05-13';

/** Where the ledger under test lives. */
export interface SmokeTarget {
  readonly ledgerId: string;
  readonly ledgerEndpoint: string;
  /** `…/ledgerIdentity/<ledgerId>` on the identity service. */
  readonly identityUrl: string;
  /** a CA to trust for the identity service besides the system's (the local ledger's own). */
  readonly identityCa?: string;
  /** a local ledger standing in for the environment's; its evidence never counts for Azure. */
  readonly standIn?: boolean;
}

/** How the smoke test proves who it is: a token credential (Entra ID) or a client certificate. */
export type LedgerCredential =
  | { readonly kind: 'token'; readonly credential: TokenCredential; readonly description: string }
  | { readonly kind: 'certificate'; readonly certificatePem: string; readonly keyPem: string; readonly description: string };

export interface SmokeOptions {
  readonly environment: string;
  /** what the run records, for its evidence's headings and test suites. @default 'smoke' */
  readonly kind?: EvidenceKind;
  /** finds the ledger: an ARM lookup for Azure environments, the local ledger otherwise. */
  readonly resolveTarget: () => Promise<SmokeTarget>;
  readonly credential: LedgerCredential;
  /** a principal with the Reader role, to prove it can read and cannot write. @default - step skipped */
  readonly reader?: LedgerCredential;
  /** idempotency key: a retried run with the same id never appends twice. */
  readonly runId: string;
  readonly commit: string;
  /** SHA-256 of the synthesized stack this deployment came from; null when unknown. */
  readonly stackSha256: string | null;
  /** the alert rules that stack deploys, for the evidence to name; null when unknown. */
  readonly alertRules?: readonly string[] | null;
  readonly evidenceRoot: string;
  /** @default 60000 */
  readonly commitTimeoutMs?: number;
  /** @default 60000 */
  readonly receiptTimeoutMs?: number;
  /** how long an ambiguous append is given to show up before it is sent again. @default 3000 */
  readonly settleMs?: number;
  /** how long one request may take before it counts as unanswered. @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * The entry to record instead of the smoke entry (an attestation); it must be JSON carrying
   * `runId`, which makes its append idempotent.
   * @default - the `acl-stack/smoke/v1` entry in collection `acl-stack-smoke`
   */
  readonly entry?: { readonly collectionId: string; readonly contents: string };
  /** the evidence folder's name under `<evidenceRoot>/<environment>/`. @default - the run id */
  readonly evidenceName?: string;
  readonly report: (line: string) => void;
}

export interface SmokeResult {
  readonly ok: boolean;
  readonly exitCode: number;
  readonly transactionId?: string;
  readonly evidenceDir?: string;
  readonly steps: readonly StepResult[];
  readonly failure?: StepFailure;
}

interface Response {
  readonly status: string;
  readonly body: unknown;
  readonly headers: Record<string, string | undefined>;
}

/**
 * The post-deploy proof: append → commit → read back → receipt verified against the pinned
 * identity → (reader can read, cannot write) → evidence. Never throws: failures come back with
 * the step, cause and exit code, and the evidence package records them too.
 */
export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const runner = new StepRunner(options.report);
  const evidence: EvidenceDraft = {
    schema: 'acl-stack/evidence/v1',
    kind: options.kind ?? 'smoke',
    environment: options.environment,
    runId: options.runId,
    commit: options.commit,
    stackSha256: options.stackSha256,
    alertRules: options.alertRules ?? null,
    startedAt: new Date().toISOString(),
  };
  let failure: StepFailure | undefined;
  try {
    await smokeSteps(options, runner, evidence);
  } catch (error) {
    failure = error instanceof StepFailure ? error : new StepFailure('resolve', (error as Error).message, 'the message above');
  }
  let evidenceDir: string | undefined;
  try {
    evidenceDir = await runner.run('evidence', async () => {
      const dir = writeEvidence(
        options.evidenceRoot,
        { ...(evidence as Evidence), finishedAt: new Date().toISOString(), steps: runner.results, ok: !failure },
        options.evidenceName ?? options.runId,
      );
      return { value: dir, detail: dir };
    });
  } catch (error) {
    failure ??= error as StepFailure;
  }
  return {
    ok: !failure,
    exitCode: failure ? failure.exitCode : 0,
    transactionId: evidence.transactionId,
    evidenceDir,
    steps: runner.results,
    failure,
  };
}

async function smokeSteps(options: SmokeOptions, runner: StepRunner, evidence: EvidenceDraft): Promise<void> {
  const commitTimeoutMs = options.commitTimeoutMs ?? 60_000;
  const receiptTimeoutMs = options.receiptTimeoutMs ?? 60_000;

  const target = await runner.run('resolve', async () => {
    const value = await options.resolveTarget();
    evidence.ledger = {
      ledgerId: value.ledgerId,
      ledgerEndpoint: value.ledgerEndpoint,
      identityUrl: value.identityUrl,
      standIn: value.standIn ?? false,
    };
    const label = value.standIn ? ' (STAND-IN: a local ledger, not Azure)' : '';
    return { value, detail: `${value.ledgerId} at ${value.ledgerEndpoint}${label}` };
  });

  const serviceCertificate = await runner.run('identity', async () => {
    const document = await fetchLedgerIdentity(target.identityUrl, target.identityCa).catch((error: Error) => {
      throw new StepFailure('identity', error.message, `the ledger id '${target.ledgerId}' and network access to the identity service`);
    });
    evidence.serviceCertificate = document;
    evidence.ledger = { ...evidence.ledger!, serviceCertificateSha256: certificateSha256(document) };
    return { value: document, detail: `pinned the certificate from ${target.identityUrl}` };
  });

  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const { client, apiVersion } = await runner.run('authenticate', async () => {
    const opened = await openLedger(target, serviceCertificate, options.credential, requestTimeoutMs, 'authenticate');
    evidence.apiVersion = opened.apiVersion;
    const fallback =
      opened.apiVersion === API_VERSION
        ? ''
        : `; the ledger does not offer api-version ${API_VERSION}, so its receipt will not bind the entry's contents`;
    return { value: opened, detail: `as ${options.credential.description} at api-version ${opened.apiVersion}${fallback}` };
  });

  const { collectionId, contents } = options.entry ?? {
    collectionId: SMOKE_COLLECTION,
    contents: JSON.stringify({
      schema: SMOKE_SCHEMA,
      environment: options.environment,
      runId: options.runId,
      commit: options.commit,
      time: new Date().toISOString(),
      stackSha256: options.stackSha256,
    }),
  };
  const transactionId = await runner.run('append', async () => {
    const { id, reused } = await appendOnce(client, collectionId, contents, options);
    evidence.transactionId = id;
    evidence.entry = { collectionId, contents: reused ?? contents };
    return { value: id, detail: reused ? `run ${options.runId} was already recorded as ${id}; not appended again` : `transaction ${id}` };
  });
  const expectedContents = evidence.entry!.contents;

  await runner.run('commit', async () => {
    await pollUntil('commit', commitTimeoutMs, async () => {
      const response = await send(() => client.path('/app/transactions/{transactionId}/status', transactionId).get(), 'commit');
      if (response.status !== '200') return retryOrFail('commit', response, options.credential.description);
      return (response.body as { state?: string }).state === 'Committed' ? { done: true } : { done: false };
    });
    return { value: undefined, detail: `${transactionId} is Committed` };
  });

  await runner.run('read-back', async () => {
    const entry = await readEntry(client, transactionId, collectionId, receiptTimeoutMs, 'read-back', options.credential.description);
    if (!Buffer.from(entry.contents, 'utf8').equals(Buffer.from(expectedContents, 'utf8'))) {
      throw new StepFailure(
        'read-back',
        `the ledger returned different contents for ${transactionId}`,
        'that nothing rewrites entries between the pipeline and the ledger (a proxy, a wrong endpoint)',
      );
    }
    return { value: undefined, detail: `${Buffer.byteLength(entry.contents)} bytes match` };
  });

  await runner.run('receipt', async () => {
    let receipt: unknown;
    await pollUntil('receipt', receiptTimeoutMs, async () => {
      const response = await send(() => client.path('/app/transactions/{transactionId}/receipt', transactionId).get(), 'receipt');
      if (response.status === '406') return { done: false };
      if (response.status !== '200') return retryOrFail('receipt', response, options.credential.description);
      if ((response.body as { state?: string }).state !== 'Ready') return { done: false };
      receipt = response.body;
      return { done: true };
    });
    evidence.receipt = receipt;
    let verified: VerifiedReceipt;
    try {
      verified = verifyReceipt(receipt, { serviceCertificate, transactionId, entry: { collectionId, contents: expectedContents } });
    } catch (error) {
      if (!(error instanceof ReceiptVerificationError)) throw error;
      throw new StepFailure(
        'receipt',
        error.message,
        "that the pinned certificate is this ledger's current identity (after a rotation, fetch it again) and that nothing altered the receipt",
      );
    }
    evidence.verification = { ...verified, checks: 'endorsement, node-id, commit-evidence, claims-digest, proof, signature' };
    const binding = verified.contentsBound
      ? 'its claims digest binds the entry'
      : `it does NOT bind the entry's contents (claims digest zeros at api-version ${apiVersion})`;
    return {
      value: undefined,
      detail: `root ${verified.root.slice(0, 16)}… signed by node ${verified.nodeId.slice(0, 16)}…; ${binding}`,
    };
  });

  if (!options.reader) {
    runner.skip('role-separation', 'no reader principal was given');
    return;
  }
  const reader = options.reader;
  await runner.run('role-separation', async () => {
    const readerClient = ledgerClient(target, serviceCertificate, reader, requestTimeoutMs, apiVersion);
    const entry = await readEntry(readerClient, transactionId, collectionId, receiptTimeoutMs, 'role-separation', reader.description);
    if (entry.contents !== expectedContents)
      throw new StepFailure('role-separation', 'the reader saw different contents', 'the reader principal and endpoint');
    const probe = JSON.stringify({
      schema: 'acl-stack/smoke-probe/v1',
      note: 'a reader must never be able to write this',
      runId: options.runId,
    });
    const write = await send(
      () =>
        readerClient
          .path('/app/transactions')
          .post({ body: { contents: probe }, queryParameters: { collectionId: `${SMOKE_COLLECTION}-probe` } }),
      'role-separation',
    );
    if (write.status !== '403') {
      throw new StepFailure(
        'role-separation',
        `a write as the reader answered ${write.status}, not 403`,
        `the ledger roles in the environment file: ${reader.description} must hold only Reader`,
      );
    }
    return { value: undefined, detail: `${reader.description} read the entry and was refused a write (403)` };
  });
}

/**
 * Appends the entry unless this run already did. After an ambiguous failure (no answer, 5xx,
 * 429), it looks the run id up before trying again, so a retry never makes a duplicate.
 */
async function appendOnce(
  client: ConfidentialLedgerClient,
  collectionId: string,
  contents: string,
  options: SmokeOptions,
): Promise<{ id: string; reused?: string }> {
  const deadline = Date.now() + (options.commitTimeoutMs ?? 60_000);
  for (let attempt = 0, backoff = 500; ; attempt++, backoff = Math.min(backoff * 2, 8000)) {
    // first look: a re-run of the same pipeline run may have recorded it already. Later looks, after
    // an ambiguous failure, also give a just-made append time to commit.
    const found = await findRun(client, collectionId, options.runId, attempt === 0 ? 0 : (options.settleMs ?? 3000));
    if (found) return { id: found.transactionId, reused: found.contents };
    let response: Response;
    try {
      response = await send(
        () => client.path('/app/transactions').post({ body: { contents }, queryParameters: { collectionId } }),
        'append',
      );
    } catch (error) {
      if (Date.now() > deadline) throw error;
      options.report(`  append got no answer (${(error as StepFailure).reason}); looking the run up before retrying`);
      await sleep(backoff);
      continue;
    }
    if (response.status === '200') return { id: response.headers['x-ms-ccf-transaction-id']! };
    const retriable = response.status === '429' || response.status.startsWith('5');
    if (!retriable || Date.now() > deadline) throw accessFailure('append', response, options.credential.description);
    const wait = retryDelayMs(response.headers, backoff);
    options.report(`  append answered ${response.status}; retrying in ${wait} ms after looking the run up`);
    await sleep(wait);
  }
}

/** Looks for this run's entry among a collection's committed entries, giving a pending one time to commit. */
async function findRun(client: ConfidentialLedgerClient, collectionId: string, runId: string, settleMs: number) {
  const deadline = Date.now() + settleMs;
  for (;;) {
    let next: string | undefined = undefined;
    let response = await send(() => client.path('/app/transactions').get({ queryParameters: { collectionId } }), 'append');
    for (;;) {
      if (response.status !== '200') break;
      const page = response.body as { entries?: { contents: string; transactionId: string }[]; nextLink?: string };
      const hit = page.entries?.find((e) => parseEntryContents(e.contents)?.runId === runId);
      if (hit) return hit;
      next = page.nextLink;
      if (!next) break;
      const url = new URL(next, 'https://ledger');
      response = await send(
        () =>
          client
            .path('/app/transactions')
            .get({ queryParameters: Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'api-version')) }),
        'append',
      );
    }
    if (Date.now() > deadline) return undefined;
    await sleep(Math.min(250, settleMs));
  }
}

async function readEntry(
  client: ConfidentialLedgerClient,
  transactionId: string,
  collectionId: string,
  timeoutMs: number,
  step: 'read-back' | 'role-separation',
  who: string,
) {
  let entry: { contents: string } | undefined;
  await pollUntil(step, timeoutMs, async () => {
    const response = await send(
      () => client.path('/app/transactions/{transactionId}', transactionId).get({ queryParameters: { collectionId } }),
      step,
    );
    if (response.status !== '200') return retryOrFail(step, response, who);
    const body = response.body as { state?: string; entry?: { contents: string } };
    if (body.state !== 'Ready' || !body.entry) return { done: false };
    entry = body.entry;
    return { done: true };
  });
  return entry!;
}

type Poll = { done: boolean; waitMs?: number };

/** Polls with backoff (honouring a given wait) until done or the timeout passes. */
async function pollUntil(
  step: 'commit' | 'receipt' | 'read-back' | 'role-separation',
  timeoutMs: number,
  poll: () => Promise<Poll>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let backoff = 10; ; backoff = Math.min(backoff * 2, 2000)) {
    const outcome = await poll();
    if (outcome.done) return;
    if (Date.now() + (outcome.waitMs ?? backoff) > deadline) {
      throw new StepFailure(
        step,
        `gave up after ${timeoutMs} ms`,
        step === 'commit'
          ? 'the ledger running state in the Azure portal (Active?), and raise --commit-timeout-ms for a busy ledger'
          : 'the ledger health; a receipt needs the transaction committed and its history loaded',
      );
    }
    await sleep(outcome.waitMs ?? backoff);
  }
}

/** A 429 or 503 is waited out (Retry-After honoured); anything else fails the step. */
function retryOrFail(step: 'commit' | 'receipt' | 'read-back' | 'role-separation', response: Response, who: string): Poll {
  if (response.status === '429' || response.status === '503') return { done: false, waitMs: retryDelayMs(response.headers, 1000) };
  throw accessFailure(step, response, who);
}

function accessFailure(step: StepFailure['step'], response: Response, who: string): StepFailure {
  const error = (response.body as { error?: { code?: string; message?: string } })?.error;
  const cause = `HTTP ${response.status}${error?.code ? ` ${error.code}` : ''}${error?.message ? `: ${error.message}` : ''}`;
  const hints: Record<string, string> = {
    '401': `the ledger does not know ${who}: is it listed in ledger.principals of the environment file, and was the stack deployed since?`,
    '403': `${who} is known to the ledger but its ledger role is too weak (Azure RBAC on the resource grants nothing inside the ledger): give it Contributor in ledger.principals`,
    '404': 'the ledger name and endpoint; a just-created ledger can take minutes to answer',
  };
  return new StepFailure(step, cause, hints[response.status] ?? 'the ledger health and the error above');
}

/** Sends a request; a transport failure (reset, TLS) becomes the step's failure with the cause. */
async function send(
  call: () => PromiseLike<{ status: string; body: unknown; headers: unknown }>,
  step: StepFailure['step'],
): Promise<Response> {
  try {
    const response = await call();
    return { status: response.status, body: response.body, headers: response.headers as Record<string, string | undefined> };
  } catch (error) {
    const message = (error as Error).message;
    const pinning = /certificate|self[- ]signed|unable to verify|CERT_/i.test(message);
    throw new StepFailure(
      step,
      `no answer: ${message}`,
      pinning
        ? "the pinned identity certificate: after the ledger's certificate rotates, fetch it again from the identity service"
        : 'network reachability of the ledger endpoint from this agent',
    );
  }
}

/**
 * A client at {@link API_VERSION}, proven to authenticate; at {@link FALLBACK_API_VERSION} only
 * when the ledger answers that the newer version is not available.
 */
async function openLedger(
  target: Pick<SmokeTarget, 'ledgerEndpoint'>,
  serviceCertificate: string,
  credential: LedgerCredential,
  requestTimeoutMs: number,
  step: 'authenticate' | 'read-back',
): Promise<{ client: ConfidentialLedgerClient; apiVersion: string }> {
  const attempt = async (apiVersion: string) => {
    const client = ledgerClient(target, serviceCertificate, credential, requestTimeoutMs, apiVersion);
    return { client, apiVersion, response: await send(() => client.path('/app/collections').get(), step) };
  };
  const preferred = await attempt(API_VERSION);
  const answered =
    preferred.response.status === '200' || !versionUnavailable(preferred.response) ? preferred : await attempt(FALLBACK_API_VERSION);
  if (answered.response.status !== '200') throw accessFailure(step, answered.response, credential.description);
  return answered;
}

/** The service's answer to an api-version it does not offer (400 QueryParameterError, "… is not available"). */
export function versionUnavailable(response: Response): boolean {
  const error = (response.body as { error?: { code?: string; message?: string } })?.error;
  return response.status === '400' && error?.code === 'QueryParameterError' && /api-version .* is not available/i.test(error.message ?? '');
}

/**
 * Reads an entry again from its ledger (pinned to `serviceCertificate`), for evidence whose receipt
 * does not bind the contents. Throws {@link StepFailure} saying why it could not.
 */
export async function rereadEntry(
  target: Pick<SmokeTarget, 'ledgerEndpoint'>,
  serviceCertificate: string,
  credential: LedgerCredential,
  entry: { readonly transactionId: string; readonly collectionId: string },
  timeoutMs = 30_000,
): Promise<string> {
  const { client } = await openLedger(target, serviceCertificate, credential, timeoutMs, 'read-back');
  return (await readEntry(client, entry.transactionId, entry.collectionId, timeoutMs, 'read-back', credential.description)).contents;
}

export function ledgerClient(
  target: Pick<SmokeTarget, 'ledgerEndpoint'>,
  serviceCertificate: string,
  credential: LedgerCredential,
  requestTimeoutMs: number,
  apiVersion: string,
): ConfidentialLedgerClient {
  // the SDK must not retry on its own: a blindly retried append could write twice.
  const options = { retryOptions: { maxRetries: 0 }, apiVersion };
  const client =
    credential.kind === 'token'
      ? ConfidentialLedger(target.ledgerEndpoint, serviceCertificate, credential.credential, options)
      : ConfidentialLedger(target.ledgerEndpoint, serviceCertificate, {
          ...options,
          tlsOptions: { cert: credential.certificatePem, key: credential.keyPem },
        });
  // a ledger that never answers must not hang the pipeline: every request gets a deadline.
  client.pipeline.addPolicy({
    name: 'acl-stack-request-timeout',
    sendRequest: (request, next) => {
      request.timeout = requestTimeoutMs;
      return next(request);
    },
  });
  return client;
}

/** An entry's contents as the JSON object this project writes; undefined for anything else. */
export function parseEntryContents(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
