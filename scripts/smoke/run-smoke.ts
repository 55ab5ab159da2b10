import { isUnexpected } from '@azure-rest/confidential-ledger';
import { fetchLedgerIdentity } from '../../receipts/ledger-identity';
import { ReceiptVerificationError, verifyReceipt, type VerifiedReceipt } from '../../receipts/verify';
import { PROBE_COLLECTION, readerProbe, smokeEntry } from './entries';
import { certificateSha256, writeEvidence, type Evidence, type EvidenceDraft, type EvidenceKind } from './evidence';
import {
  API_VERSION,
  appendOnce,
  ledgerClient,
  openLedger,
  pollUntil,
  readEntry,
  retryOrFail,
  send,
  type LedgerCredential,
  type SmokeTarget,
} from './protocol';
import { StepFailure, StepRunner, type StepResult } from './steps';

/*
 * The smoke test's steps, in order; how each talks to the ledger is in protocol.ts, what it writes
 * in entries.ts.
 */

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

  const { collectionId, contents } = options.entry ?? smokeEntry(options);
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
      if (isUnexpected(response)) return retryOrFail('commit', response, options.credential.description);
      return response.body.state === 'Committed' ? { done: true } : { done: false };
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
      if (isUnexpected(response)) return retryOrFail('receipt', response, options.credential.description);
      if (response.body.state !== 'Ready') return { done: false };
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
    const write = await send(
      () =>
        readerClient
          .path('/app/transactions')
          .post({ body: { contents: readerProbe(options.runId) }, queryParameters: { collectionId: PROBE_COLLECTION } }),
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
