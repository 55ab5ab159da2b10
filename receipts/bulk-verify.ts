import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { foldProof, leafHash } from './merkle';
import { PrecomputedKeys } from './precomputed-keys';
import {
  ReceiptVerificationError,
  VerificationCache,
  normalizeReceipt,
  signedRootKey,
  verifyReceipt,
  type ReceiptCheck,
  type ReceiptEntry,
} from './verify';

/** One receipt to verify: its JSON text as the ledger returned it (bare or whole response). */
export interface BulkItem {
  readonly json: string;
  /** when given, the receipt must be for this transaction. */
  readonly transactionId?: string;
  /** when given, a receipt with application claims must bind this entry (see {@link verifyReceipt}). */
  readonly entry?: ReceiptEntry;
}

export type BulkResult =
  | { readonly ok: true; readonly transactionId: string; readonly root: string; readonly nodeId: string }
  | { readonly ok: false; readonly check: ReceiptCheck; readonly message: string };

/**
 * Verifies receipts against one service certificate, remembering what they share: endorsed node
 * certificates, signed roots, proof hashes and each node key's precomputed tables. The signature
 * over a root is checked here with the precomputed key first; {@link verifyReceipt} then runs every
 * check as usual and skips only a signature this verifier has already proven.
 */
export class ReceiptBatchVerifier {
  private readonly cache = new VerificationCache();
  private readonly keys = new PrecomputedKeys();
  /** `cert ‖ signature` pairs whose root is already in the cache: later receipts under it skip the pre-check. */
  private readonly proven = new Set<string>();

  constructor(private readonly serviceCertificate: string) {}

  verify(items: readonly BulkItem[]): BulkResult[] {
    return items.map((item) => this.verifyOne(item));
  }

  private verifyOne(item: BulkItem): BulkResult {
    try {
      let input: unknown;
      try {
        input = JSON.parse(item.json);
      } catch (error) {
        throw new ReceiptVerificationError('format', `the receipt is not JSON (${(error as Error).message})`);
      }
      this.proveSignature(input);
      const verified = verifyReceipt(input, {
        serviceCertificate: this.serviceCertificate,
        transactionId: item.transactionId,
        entry: item.entry,
        cache: this.cache,
      });
      return { ok: true, ...verified };
    } catch (error) {
      if (error instanceof ReceiptVerificationError) return { ok: false, check: error.check, message: error.message };
      throw error;
    }
  }

  /** Checks the root's signature with the node's precomputed key; anything odd is left to verifyReceipt. */
  private proveSignature(input: unknown): void {
    const body =
      (input as { receipt?: { cert?: unknown; signature?: unknown } })?.receipt ?? (input as { cert?: unknown; signature?: unknown });
    const pair = `${String(body?.cert)}\n${String(body?.signature)}`;
    if (this.proven.has(pair)) return;
    let receipt;
    try {
      receipt = normalizeReceipt(input).receipt;
    } catch {
      return;
    }
    const key = this.keys.key(receipt.cert);
    if (!key) return;
    const root = foldProof(leafHash(receipt.leafComponents), receipt.proof, this.cache.proofNodes);
    const signed = signedRootKey(root.toString('hex'), receipt.signature, key.nodeId);
    if (this.cache.signedRoots.has(signed) || this.keys.verify(key, root, receipt.signature)) {
      this.cache.signedRoots.add(signed);
      this.proven.add(pair);
    }
  }
}

export interface VerifierPoolOptions {
  readonly serviceCertificate: string;
  /** worker threads; 0 verifies on the calling thread. @default os.availableParallelism() */
  readonly threads?: number;
  /** receipts per unit of work a worker takes from the queue. @default 64 */
  readonly chunkSize?: number;
}

interface Chunk {
  readonly items: readonly BulkItem[];
  readonly done: (results: BulkResult[]) => void;
  readonly fail: (error: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  busy?: Chunk;
}

/**
 * Spreads receipt verification over worker threads. Work is cut into chunks kept in one queue; a
 * worker takes the next chunk whenever it finishes one, so a slow chunk never holds back the others
 * and no worker idles while work is queued. Results come back in the order of the input, whatever
 * order the workers finish in.
 */
export class VerifierPool {
  private readonly queue: Chunk[] = [];
  private readonly workers: PoolWorker[] = [];
  private readonly inline?: ReceiptBatchVerifier;
  private readonly chunkSize: number;
  private failure?: Error;
  private closing = false;

  constructor(options: VerifierPoolOptions) {
    const threads = options.threads ?? availableParallelism();
    this.chunkSize = options.chunkSize ?? 64;
    if (threads === 0) this.inline = new ReceiptBatchVerifier(options.serviceCertificate);
    for (let i = 0; i < threads; i++) {
      const worker = startWorker(options.serviceCertificate);
      const entry: PoolWorker = { worker };
      worker.on('message', (results: BulkResult[]) => {
        const chunk = entry.busy!;
        entry.busy = undefined;
        chunk.done(results);
        this.dispatch();
      });
      worker.on('error', (error) => this.abort(error));
      worker.on('exit', (code) => this.closing || this.abort(new Error(`a verification worker stopped unexpectedly (exit code ${code})`)));
      worker.unref();
      this.workers.push(entry);
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  /** Verifies receipts; the i-th result is the i-th item's. */
  async verify(items: readonly BulkItem[]): Promise<BulkResult[]> {
    if (this.inline) return this.inline.verify(items);
    if (this.failure) throw this.failure;
    const parts: Promise<BulkResult[]>[] = [];
    for (let at = 0; at < items.length; at += this.chunkSize) {
      const slice = items.slice(at, at + this.chunkSize);
      parts.push(new Promise((done, fail) => this.queue.push({ items: slice, done, fail })));
    }
    this.dispatch();
    return (await Promise.all(parts)).flat();
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers.length = 0;
  }

  private dispatch(): void {
    for (const entry of this.workers) {
      if (entry.busy || this.queue.length === 0) continue;
      entry.busy = this.queue.shift()!;
      entry.worker.postMessage(entry.busy.items);
    }
    // keep the process alive exactly while work is outstanding.
    for (const { worker, busy } of this.workers) {
      if (busy) worker.ref();
      else worker.unref();
    }
  }

  private abort(error: Error): void {
    this.failure ??= error;
    const pending = [...this.queue.splice(0), ...this.workers.flatMap((w) => (w.busy ? [w.busy] : []))];
    this.workers.forEach((w) => (w.busy = undefined));
    pending.forEach((chunk) => chunk.fail(error));
  }
}

/** Starts `verify-worker`: the compiled file, or the TypeScript source through tsx. */
function startWorker(serviceCertificate: string): Worker {
  const file = join(__dirname, `verify-worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
  if (!file.endsWith('.ts')) return new Worker(file, { workerData: { serviceCertificate } });
  return new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`, {
    eval: true,
    workerData: { serviceCertificate },
  });
}
