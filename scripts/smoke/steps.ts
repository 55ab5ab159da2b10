import { exitCode } from '../cli/exit-codes';

/** The smoke test's steps in order, each with its own exit code (scripts/cli/exit-codes.ts), so a pipeline can tell them apart. */
export const SMOKE_STEPS = {
  resolve: { exitCode: exitCode('step-resolve'), title: 'resolve the ledger from the environment' },
  identity: { exitCode: exitCode('step-identity'), title: "fetch and pin the ledger's identity certificate" },
  authenticate: { exitCode: exitCode('step-authenticate'), title: 'authenticate to the ledger' },
  append: { exitCode: exitCode('step-append'), title: 'append the entry' },
  commit: { exitCode: exitCode('step-commit'), title: 'wait for the entry to commit' },
  'read-back': { exitCode: exitCode('step-read-back'), title: 'read the entry back' },
  receipt: { exitCode: exitCode('step-receipt'), title: 'fetch and verify the receipt' },
  'role-separation': { exitCode: exitCode('step-role-separation'), title: 'check that a reader can read and cannot write' },
  evidence: { exitCode: exitCode('step-evidence'), title: 'write the evidence package' },
} as const;
export type SmokeStepName = keyof typeof SMOKE_STEPS;

/** A step that failed: what went wrong and what to check. */
export class StepFailure extends Error {
  constructor(
    readonly step: SmokeStepName,
    readonly reason: string,
    readonly hint: string,
  ) {
    super(`step '${step}' (${SMOKE_STEPS[step].title}) failed: ${reason}\n  check: ${hint}`);
    this.name = 'StepFailure';
  }

  get exitCode(): number {
    return SMOKE_STEPS[this.step].exitCode;
  }
}

export interface StepResult {
  readonly name: SmokeStepName;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly durationMs: number;
  readonly detail: string;
}

/** Runs steps in order, reporting each as it goes, and stops at the first failure. */
export class StepRunner {
  readonly results: StepResult[] = [];

  constructor(private readonly report: (line: string) => void) {}

  async run<T>(name: SmokeStepName, body: () => Promise<{ value: T; detail: string }>): Promise<T> {
    const started = performance.now();
    this.report(`… ${SMOKE_STEPS[name].title}`);
    try {
      const { value, detail } = await body();
      const durationMs = Math.round(performance.now() - started);
      this.results.push({ name, status: 'passed', durationMs, detail });
      this.report(`✓ ${name}: ${detail} (${durationMs} ms)`);
      return value;
    } catch (error) {
      const failure = error instanceof StepFailure ? error : new StepFailure(name, (error as Error).message, 'the message above');
      const durationMs = Math.round(performance.now() - started);
      this.results.push({ name, status: 'failed', durationMs, detail: `${failure.reason} (check: ${failure.hint})` });
      this.report(`✗ ${name}: ${failure.reason}`);
      throw failure;
    }
  }

  skip(name: SmokeStepName, reason: string): void {
    this.results.push({ name, status: 'skipped', durationMs: 0, detail: reason });
    this.report(`- ${name}: skipped (${reason})`);
  }
}

/** How long to wait before retrying after an answer: its Retry-After when given, else the backoff. */
export function retryDelayMs(headers: Record<string, string | undefined>, backoffMs: number): number {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  }
  return backoffMs;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
