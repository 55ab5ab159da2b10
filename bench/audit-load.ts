import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startLocalLedger, type LocalLedgerInfo } from '../local-ledger';
import { verifyArchive } from '../scripts/audit/archive';
import { exportLedger } from '../scripts/audit/export';
import type { Progress } from '../scripts/audit/progress';

const REPO = join(__dirname, '..');

export interface AuditFigures {
  readonly entries: number;
  /** the whole `npm run audit` work: export with receipts, verification, manifest. */
  readonly totalMs: number;
  readonly exportMs: number;
  readonly verifyMs: number;
  /** re-verifying the archive offline (`verify-receipt <archive>`) on a worker per core, and on one thread. */
  readonly reverifyMs: number;
  readonly reverifyOneThreadMs: number;
}

/**
 * An audit of a local ledger holding `count` entries in two collections: the ledger runs as its own
 * process, as users run it, answering history reads at once (`--loading-polls 0`, as the ledger
 * benchmark does); the export runs as `npm run audit` does.
 */
export async function measureAudit(count = 100_000): Promise<AuditFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'acl-bench-audit-'));
  const filling = await startLocalLedger({ dataDir });
  await Promise.all(Array.from({ length: count }, (_, i) => filling.ledger.append(i % 2 ? 'subledger:0' : 'audit-trail', `entry ${i}`)));
  await filling.stop();

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO, 'local-ledger', 'cli.ts'), '--data', dataDir, '--port', '0', '--loading-polls', '0'],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const info: LocalLedgerInfo = JSON.parse(
      await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    );
    const phases: Record<string, number> = {};
    const progress: Progress = {
      start: (phase) => (phases[phase] = performance.now()),
      update: () => undefined,
      note: () => undefined,
      stop: () => undefined,
    };
    const out = join(mkdtempSync(join(tmpdir(), 'acl-bench-archive-')), 'archive');
    const started = performance.now();
    const result = await exportLedger({
      environment: 'local',
      out,
      target: {
        ledgerId: info.ledgerId,
        ledgerEndpoint: info.ledgerEndpoint,
        identityUrl: info.identityServiceUrl,
        identityCa: readFileSync(info.serviceCertificatePath, 'utf8'),
      },
      credential: {
        kind: 'certificate',
        certificatePem: readFileSync(info.adminCertificatePath, 'utf8'),
        keyPem: readFileSync(info.adminKeyPath, 'utf8'),
        description: 'bench administrator',
      },
      progress,
    });
    const finished = performance.now();
    if (result.manifest.facts.entries !== count || result.facts.verified !== count)
      throw new Error(`the audit read ${result.manifest.facts.entries} entries`);
    const reverify = async (threads?: number) => {
      const at = performance.now();
      const { problems } = await verifyArchive(out, { threads });
      if (problems.length) throw new Error(`the benchmark archive failed ${problems.length} checks`);
      return Math.round(performance.now() - at);
    };
    return {
      entries: count,
      totalMs: Math.round(finished - started),
      exportMs: Math.round(phases.verify - phases.export),
      verifyMs: Math.round(finished - phases.verify),
      reverifyMs: await reverify(),
      reverifyOneThreadMs: await reverify(0),
    };
  } finally {
    child.kill();
  }
}

if (require.main === module) {
  measureAudit(Number(process.argv[2] ?? 100_000)).then((f) => console.log(JSON.stringify(f)));
}
