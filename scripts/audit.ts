/**
 * `npm run audit -- --env <name> --out <dir>`: exports every entry of an environment's ledger with
 * its receipt into a self-contained archive, verifies it, and writes a manifest and a summary. Run
 * it again on the same folder to resume an interrupted export. `--env local` uses (or starts) the
 * local ledger. Exit codes: scripts/cli/exit-codes.ts (`--help` lists them).
 */
import { EnvironmentConfigError } from '../stacks/environment-config';
import { createCli, environmentNameArg, runCli, wholeNumber } from './cli/command';
import { addCommonOptions, commonSettings, type CommonValues } from './cli-options';
import { exitCode } from './cli/exit-codes';
import { AuditFailed, AuditInterrupted, exportLedger } from './audit/export';
import { barProgress, lineProgress } from './audit/progress';
import { AuditRequestError } from './audit/requests';
import { StepFailure } from './smoke/steps';
import { connectEnvironment } from './smoke/targets';

interface AuditValues extends CommonValues {
  readonly env: string;
  readonly out: string;
  readonly concurrency?: number;
  readonly threads?: number;
  readonly progressIntervalMs?: number;
}

function auditCli() {
  return addCommonOptions(
    createCli({
      name: 'audit',
      summary:
        "Exports every entry of an environment's ledger with its receipt into a self-contained archive, verifies it, and writes a manifest and a summary; run it again on the same folder to resume.",
      examples: [
        ['npm run audit -- --env local --out audit-local', 'export and verify the local ledger (started on .local-ledger/ when none runs)'],
        ['npm run audit -- --env prod --out audit-prod --concurrency 16', "export prod's Azure ledger with at most 16 requests in flight"],
        ['npm run verify-receipt -- audit-prod', 'check the archive again later, offline'],
      ],
    })
      .requiredOption('--env <name>', 'the environment, or local', environmentNameArg)
      .requiredOption('--out <dir>', 'the folder the archive is written to (resumed when it holds one)')
      .option('--concurrency <n>', 'requests in flight', wholeNumber(1))
      .option('--threads <n>', 'worker threads verifying receipts (0: on the main thread)', wholeNumber(0))
      .option('--progress-interval-ms <ms>', 'how often progress is printed when not on a terminal', wholeNumber(0)),
  );
}

async function main(values: AuditValues): Promise<number> {
  const common = commonSettings(values);
  const parsed = {
    env: values.env,
    out: values.out,
    connect: { ...common, localData: common.localData ?? (values.env === 'local' ? '.local-ledger' : undefined) },
  };
  const progress = process.stderr.isTTY
    ? barProgress(process.stderr)
    : lineProgress((line) => console.log(line), values.progressIntervalMs);
  const connection = await connectEnvironment(parsed.env, parsed.connect);
  try {
    const target = await connection.resolveTarget();
    const result = await exportLedger({
      environment: parsed.env,
      out: parsed.out,
      target,
      credential: connection.reader ?? connection.credential,
      concurrency: values.concurrency,
      threads: values.threads,
      progress,
    });
    const f = result.manifest.facts;
    console.log(
      `${result.resumed ? 'resumed and ' : ''}exported ${f.entries} entries in ${f.collections.length} collection(s) up to ${result.manifest.upTo}; ${f.receiptsVerified} receipts verified\narchive: ${result.dir}`,
    );
    return exitCode('ok');
  } catch (error) {
    progress.stop();
    if (error instanceof AuditFailed) {
      console.error(`audit FAILED: ${error.message}`);
      return exitCode('failed');
    }
    if (error instanceof AuditInterrupted || error instanceof AuditRequestError) {
      console.error(`audit not finished: ${error.message}\nrun the same command again to resume`);
      return exitCode('audit-unfinished');
    }
    throw error;
  } finally {
    await connection.stop();
  }
}

if (require.main === module) {
  runCli(auditCli(), main, [
    [EnvironmentConfigError, 'usage', 'audit refused'],
    // the ledger could not be resolved or reached: nothing is lost, the same command resumes.
    [StepFailure, 'audit-unfinished', 'audit not finished (run the same command again to resume)'],
  ]);
}
