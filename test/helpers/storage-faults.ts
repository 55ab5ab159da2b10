import type { StorageHooks } from '../../local-ledger/log';

type File = 'log' | 'watermark';
type Operation = 'write' | 'sync' | 'truncate';

interface Plan {
  readonly file: File;
  readonly operation: Operation;
  readonly run: () => Promise<void>;
}

export const diskFull = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/**
 * Storage faults for the ledger's writer seam, injected at exact operations: the next write, sync
 * or truncate of the log or the watermark fails, or is held until the test releases it. Tests wait
 * on the promise that says a held operation was reached, never on a timer.
 */
export class StorageFaults implements StorageHooks {
  private readonly plans: Plan[] = [];
  /** decides for each operation without a plan; used for seeded random faults. */
  chooser: ((file: File, operation: Operation) => Error | undefined) | undefined;

  /** The next `operation` on `file` fails with `error`. */
  failNext(file: File, operation: Operation, error: Error = diskFull()): void {
    this.plans.push({ file, operation, run: () => Promise.reject(error) });
  }

  /** The next `operation` on `file` waits; resolves, once it is reached, with the function that lets it go on. */
  holdNext(file: File, operation: Operation): Promise<() => void> {
    return new Promise((reached) => {
      this.plans.push({ file, operation, run: () => new Promise<void>((release) => reached(release)) });
    });
  }

  beforeWrite = (file: File) => this.run(file, 'write');
  beforeSync = (file: File) => this.run(file, 'sync');
  beforeTruncate = (file: File) => this.run(file, 'truncate');

  private run(file: File, operation: Operation): Promise<void> | undefined {
    const index = this.plans.findIndex((p) => p.file === file && p.operation === operation);
    if (index >= 0) return this.plans.splice(index, 1)[0].run();
    const error = this.chooser?.(file, operation);
    return error ? Promise.reject(error) : undefined;
  }
}
