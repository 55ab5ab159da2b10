import ConfidentialLedger, { isUnexpected, paginate, type ConfidentialLedgerClient } from '@azure-rest/confidential-ledger';
import type { TokenCredential } from '@azure/core-auth';
import { parseEntryContents } from './entries';
import { StepFailure, retryDelayMs, sleep } from './steps';

/*
 * Talking to a ledger with the official SDK: clients, api-version negotiation, idempotent appends,
 * polling, and what an answer means in the user's terms. The smoke steps (run-smoke.ts), the audit
 * and promotion use it.
 */

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

/** An answer as the SDK returns it. */
interface Answer {
  readonly status: string;
  readonly body: unknown;
  readonly headers: Record<string, string | undefined>;
}

type PollStep = 'commit' | 'receipt' | 'read-back' | 'role-separation';

export interface AppendOptions {
  readonly runId: string;
  readonly credential: LedgerCredential;
  /** how long an ambiguous append may be retried. @default 60000 */
  readonly commitTimeoutMs?: number;
  /** how long an ambiguous append is given to show up before it is sent again. @default 3000 */
  readonly settleMs?: number;
  readonly report: (line: string) => void;
}

/**
 * Appends the entry unless this run already did. After an ambiguous failure (no answer, 5xx,
 * 429), it looks the run id up before trying again, so a retry never makes a duplicate.
 */
export async function appendOnce(
  client: ConfidentialLedgerClient,
  collectionId: string,
  contents: string,
  options: AppendOptions,
): Promise<{ id: string; reused?: string }> {
  const deadline = Date.now() + (options.commitTimeoutMs ?? 60_000);
  for (let attempt = 0, backoff = 500; ; attempt++, backoff = Math.min(backoff * 2, 8000)) {
    // first look: a re-run of the same pipeline run may have recorded it already. Later looks, after
    // an ambiguous failure, also give a just-made append time to commit.
    const found = await findRun(client, collectionId, options.runId, attempt === 0 ? 0 : (options.settleMs ?? 3000));
    if (found) return { id: found.transactionId, reused: found.contents };
    let response;
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
    if (!isUnexpected(response)) return { id: response.headers['x-ms-ccf-transaction-id']! };
    const retriable = response.status === '429' || response.status.startsWith('5');
    if (!retriable || Date.now() > deadline) throw accessFailure('append', response, options.credential.description);
    const wait = retryDelayMs(response.headers, backoff);
    options.report(`  append answered ${response.status}; retrying in ${wait} ms after looking the run up`);
    await sleep(wait);
  }
}

/**
 * Looks for this run's entry among a collection's committed entries (following the pages with the
 * SDK's paginate()), giving a pending one time to commit. A page the ledger will not serve yet
 * (not 200, or still Loading) ends the look, as a missing entry does; no answer at all fails the step.
 */
async function findRun(client: ConfidentialLedgerClient, collectionId: string, runId: string, settleMs: number) {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const first = await send(() => client.path('/app/transactions').get({ queryParameters: { collectionId } }), 'append');
    if (!isUnexpected(first) && first.body.entries) {
      try {
        for await (const entry of paginate(client, first)) {
          if (entry.transactionId && parseEntryContents(entry.contents)?.runId === runId) {
            return { transactionId: entry.transactionId, contents: entry.contents };
          }
        }
      } catch (error) {
        if (!unservedPage(error)) throw transportFailure(error, 'append');
      }
    }
    if (Date.now() > deadline) return undefined;
    await sleep(Math.min(250, settleMs));
  }
}

/** paginate()'s refusal of a page that is not a 2xx answer or holds no entries (still Loading). */
function unservedPage(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode !== undefined || /Couldn't paginate/.test((error as Error).message);
}

export async function readEntry(
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
    if (isUnexpected(response)) return retryOrFail(step, response, who);
    const body = response.body;
    if (body.state !== 'Ready' || !body.entry) return { done: false };
    entry = body.entry;
    return { done: true };
  });
  return entry!;
}

type Poll = { done: boolean; waitMs?: number };

/** Polls with backoff (honouring a given wait) until done or the timeout passes. */
export async function pollUntil(step: PollStep, timeoutMs: number, poll: () => Promise<Poll>): Promise<void> {
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
export function retryOrFail(step: PollStep, response: Pick<Answer, 'status' | 'body' | 'headers'>, who: string): Poll {
  if (response.status === '429' || response.status === '503') return { done: false, waitMs: retryDelayMs(response.headers, 1000) };
  throw accessFailure(step, response, who);
}

export function accessFailure(step: StepFailure['step'], response: Pick<Answer, 'status' | 'body'>, who: string): StepFailure {
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
export async function send<T>(call: () => PromiseLike<T>, step: StepFailure['step']): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw transportFailure(error, step);
  }
}

function transportFailure(error: unknown, step: StepFailure['step']): StepFailure {
  const message = (error as Error).message;
  const pinning = /certificate|self[- ]signed|unable to verify|CERT_/i.test(message);
  return new StepFailure(
    step,
    `no answer: ${message}`,
    pinning
      ? "the pinned identity certificate: after the ledger's certificate rotates, fetch it again from the identity service"
      : 'network reachability of the ledger endpoint from this agent',
  );
}

/**
 * A client at {@link API_VERSION}, proven to authenticate; at {@link FALLBACK_API_VERSION} only
 * when the ledger answers that the newer version is not available.
 */
export async function openLedger(
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
    !isUnexpected(preferred.response) || !versionUnavailable(preferred.response) ? preferred : await attempt(FALLBACK_API_VERSION);
  if (isUnexpected(answered.response)) throw accessFailure(step, answered.response, credential.description);
  return answered;
}

/** The service's answer to an api-version it does not offer (400 QueryParameterError, "… is not available"). */
export function versionUnavailable(response: Pick<Answer, 'status' | 'body'>): boolean {
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
