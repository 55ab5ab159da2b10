import ConfidentialLedger, { type ConfidentialLedgerClient } from '@azure-rest/confidential-ledger';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { LocalLedgerInfo } from '../../local-ledger';
import { REPO_ROOT } from './environments';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LedgerProcess {
  readonly child: ChildProcess;
  readonly info: LocalLedgerInfo;
  /** settles when the process has exited; listened for from the start, so an early exit is never missed. */
  readonly exited: Promise<Exit>;
  readonly stderr: () => string;
}

/**
 * Runs the ledger CLI as its own process (node itself, so SIGKILL reaches the server) and waits
 * for the JSON line it prints when it serves. `shellPrefix` runs it through `sh -c` (e.g. to set a umask);
 * `script` runs another command than local-ledger/cli.ts (e.g. scripts/ledger-local.ts).
 */
export async function spawnLedger(
  dataDir: string,
  options: { shellPrefix?: string; args?: string[]; script?: string } = {},
): Promise<LedgerProcess> {
  const script = join(REPO_ROOT, options.script ?? join('local-ledger', 'cli.ts'));
  const args = ['--import', 'tsx', script, '--data', dataDir, '--port', '0', ...(options.args ?? [])];
  const child = options.shellPrefix
    ? spawn('sh', ['-c', `${options.shellPrefix} && exec "$0" "$@"`, process.execPath, ...args], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    // settles nothing once the line was read: a later exit is the caller's to await.
    void exited.then((exit) => reject(new Error(`the ledger exited with ${exit.code ?? exit.signal}: ${stderr.trim()}`)));
  });
  return { child, info: JSON.parse(firstLine), exited, stderr: () => stderr };
}

/** Stops a ledger process with SIGTERM and waits for it. */
export async function stopLedger(ledger: LedgerProcess): Promise<Exit> {
  ledger.child.kill('SIGTERM');
  return ledger.exited;
}

export function adminClient(info: LocalLedgerInfo): ConfidentialLedgerClient {
  return ConfidentialLedger(info.ledgerEndpoint, readFileSync(info.serviceCertificatePath, 'utf8'), {
    tlsOptions: { cert: readFileSync(info.adminCertificatePath, 'utf8'), key: readFileSync(info.adminKeyPath, 'utf8') },
    retryOptions: { maxRetries: 0 },
  });
}

/** A small deterministic generator, so a failing run can be repeated from its printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
}
