/** A request the ledger kept refusing, or a transport failure that outlived its retries. */
export class AuditRequestError extends Error {
  constructor(
    readonly what: string,
    message: string,
  ) {
    super(`${what}: ${message}`);
    this.name = 'AuditRequestError';
  }
}

export interface RetryPolicy {
  /** attempts per request, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** the longest wait honoured from a Retry-After header, in ms. @default 60000 */
  readonly maxDelayMs?: number;
  /** called before each wait, for progress output. */
  readonly onRetry?: (what: string, status: string, delayMs: number) => void;
}

export interface Answer {
  readonly status: string;
  readonly headers: Record<string, string | undefined>;
  readonly body: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Sends an idempotent read until it gets an answer other than 429 or 503: it waits as long as
 * Retry-After says (else backs off exponentially from 250 ms), and retries transport failures the
 * same way. Every call here is a GET, so repeating one can never change the ledger.
 */
export async function readWithRetry(what: string, send: () => PromiseLike<Answer>, policy: RetryPolicy = {}): Promise<Answer> {
  const maxAttempts = policy.maxAttempts ?? 8;
  const maxDelayMs = policy.maxDelayMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    let answer: Answer | undefined;
    let failure: string;
    try {
      answer = await send();
      if (answer.status !== '429' && answer.status !== '503') return answer;
      failure = `HTTP ${answer.status}`;
    } catch (error) {
      failure = (error as Error).message;
    }
    if (attempt >= maxAttempts) throw new AuditRequestError(what, `gave up after ${attempt} attempts (last: ${failure})`);
    const asked = retryAfterMs(answer?.headers['retry-after']);
    const delay = Math.min(maxDelayMs, asked ?? 250 * 2 ** (attempt - 1));
    policy.onRetry?.(what, failure, delay);
    await sleep(delay);
  }
}

/** A GET that must end in 200 with a `Ready` state; `Loading` answers are polled through. */
export async function readReady<T>(what: string, send: () => PromiseLike<Answer>, policy: RetryPolicy): Promise<T> {
  for (let poll = 0; poll < 200; poll++) {
    const answer = await readWithRetry(what, send, policy);
    const body = answer.body as { state?: string; error?: { code?: string; message?: string } };
    // 406: not committed yet; history still loading: both settle on their own.
    if (answer.status === '200' && body.state !== 'Loading') return answer.body as T;
    if (answer.status !== '200' && answer.status !== '406') {
      throw new AuditRequestError(what, `HTTP ${answer.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`.trim());
    }
    // the first re-poll goes out at once: history usually loads within one round trip.
    await sleep(poll === 0 ? 0 : Math.min(1000, 5 * 2 ** Math.min(poll, 8)));
  }
  throw new AuditRequestError(what, 'still Loading after 200 polls');
}

/**
 * Runs `task` for every item with at most `limit` in flight; resolves in input order. The first
 * failure stops new tasks from starting and rejects once the running ones settle.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const runner = async () => {
    while (failed === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index]);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  if (failed !== undefined) throw failed;
  return results;
}
