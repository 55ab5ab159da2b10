/**
 * `npm run audit -- --env <name> --out <dir>`: exports every entry of an environment's ledger with
 * its receipt into a self-contained archive, verifies it, and writes a manifest and a summary. Run
 * it again on the same folder to resume an interrupted export. `--env local` uses (or starts) the
 * local ledger. Exit 0 when the archive is complete and verified, 1 when a check failed, 2 for bad
 * usage, 3 when the export could not finish (run it again to resume).
 */
import { parseArgs } from 'node:util';
import { EnvironmentConfigError } from '../stacks/environment-config';
import { COMMON_OPTIONS, commonSettings, environmentName } from './cli-options';
import { AuditFailed, AuditInterrupted, exportLedger } from './audit/export';
import { barProgress, lineProgress } from './audit/progress';
import { AuditRequestError } from './audit/requests';
import { connectEnvironment } from './smoke/targets';

const USAGE = `usage: audit --env <name|local> --out <dir> [--concurrency 32] [--threads <n>] [--progress-interval-ms 5000]
  [--environments-dir environments] [--local-data <dir>] [--client-cert <pem> --client-key <pem>]
exit codes: 0 exported and verified, 1 a check failed, 2 usage, 3 not finished (run again to resume)`;

function positive(name: string, value: string | undefined, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`--${name} must be a whole number ${allowZero ? '≥ 0' : '≥ 1'}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...COMMON_OPTIONS,
        env: { type: 'string' },
        out: { type: 'string' },
        concurrency: { type: 'string' },
        threads: { type: 'string' },
        'progress-interval-ms': { type: 'string' },
      },
    });
    const env = environmentName('env', values.env);
    if (!values.out) throw new Error('--out is required: the folder the archive is written to');
    const common = commonSettings(values);
    parsed = {
      env,
      out: values.out,
      concurrency: positive('concurrency', values.concurrency),
      threads: positive('threads', values.threads, true),
      progressIntervalMs: positive('progress-interval-ms', values['progress-interval-ms'], true),
      connect: { ...common, localData: common.localData ?? (env === 'local' ? '.local-ledger' : undefined) },
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const progress = process.stderr.isTTY
    ? barProgress(process.stderr)
    : lineProgress((line) => console.log(line), parsed.progressIntervalMs);
  const connection = await connectEnvironment(parsed.env, parsed.connect);
  try {
    const target = await connection.resolveTarget();
    const result = await exportLedger({
      environment: parsed.env,
      out: parsed.out,
      target,
      credential: connection.reader ?? connection.credential,
      concurrency: parsed.concurrency,
      threads: parsed.threads,
      progress,
    });
    const f = result.manifest.facts;
    console.log(
      `${result.resumed ? 'resumed and ' : ''}exported ${f.entries} entries in ${f.collections.length} collection(s) up to ${result.manifest.upTo}; ${f.receiptsVerified} receipts verified\narchive: ${result.dir}`,
    );
    return 0;
  } catch (error) {
    progress.stop();
    if (error instanceof AuditFailed) {
      console.error(`audit FAILED: ${error.message}`);
      return 1;
    }
    if (error instanceof AuditInterrupted || error instanceof AuditRequestError) {
      console.error(`audit not finished: ${error.message}\nrun the same command again to resume`);
      return 3;
    }
    throw error;
  } finally {
    await connection.stop();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error instanceof EnvironmentConfigError ? `audit refused:\n${error.message}` : `audit: ${error.message}`);
      process.exit(error instanceof EnvironmentConfigError ? 2 : 3);
    },
  );
}
