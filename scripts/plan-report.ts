/**
 * `npm run plan-report -- --plan-json plan.json [--env <name>] [--summary <file>]
 *   [--allow-replace <address> ... --override-reason "<why>"]`: reads `terraform show -json tfplan`
 * and writes a Markdown summary (drifted and changed resources; a ledger or key vault deleted or
 * replaced called out as DATA LOSS) to the step summary, and refuses such a plan unless an override
 * names each address with a reason; the override is recorded under `<evidence>/<env>/`.
 * Exit codes: {@link PLAN_EXIT_CODES}.
 */
import { parseArgs } from 'node:util';
import { defaultCommit, defaultRunId } from './smoke/run-metadata';
import { environmentName } from './cli-options';
import { detectCi, errorAnnotation, publishSummary, warningAnnotation } from './pipeline/ci';
import {
  PLAN_EXIT_CODES,
  PlanReportError,
  actor,
  guardReplacements,
  planExitCode,
  planSummary,
  readPlanReport,
  recordOverride,
  type PlanReport,
  type ReplacementOverride,
} from './pipeline/plan-report';

const USAGE = `usage: plan-report --plan-json <file: terraform show -json tfplan> [--env <name>] [--summary <file>]
  [--allow-replace <address> (repeat) --override-reason "<why>" [--evidence-dir evidence] [--run-id <id>] [--commit <sha>]]
exit codes: ${PLAN_EXIT_CODES.noChanges} no changes, ${PLAN_EXIT_CODES.changes} changes or drift, ${PLAN_EXIT_CODES.replacementRefused} a ledger or key vault deletion or replacement refused, ${PLAN_EXIT_CODES.usage} usage or an unreadable plan`;

export interface PlanCheckOptions {
  readonly planJson: string;
  readonly environment?: string;
  readonly summaryFile?: string;
  readonly override?: ReplacementOverride;
  readonly evidenceDir: string;
  readonly runId: string;
  readonly commit: string;
  readonly print: (line: string) => void;
}

export interface PlanCheckResult {
  readonly report: PlanReport;
  readonly exitCode: number;
  readonly refused: readonly string[];
  readonly overrideRecord?: string;
}

/** Reads, guards, records any override, publishes the summary and annotations; throws {@link PlanReportError} on bad input. */
export function planCheck(options: PlanCheckOptions): PlanCheckResult {
  const ci = detectCi();
  const report = readPlanReport(options.planJson);
  const outcome = guardReplacements(report, options.override);
  let overrideRecord: string | undefined;
  if (options.override && outcome.allowed.length) {
    if (!options.environment) throw new PlanReportError('--allow-replace needs --env, to record the override with that environment');
    overrideRecord = recordOverride(options.evidenceDir, {
      schema: 'acl-stack/replacement-override/v1',
      environment: options.environment,
      addresses: outcome.allowed.map((i) => i.address),
      reason: options.override.reason,
      planSha256: report.sha256,
      commit: options.commit,
      runId: options.runId,
      actor: actor(),
      recordedAt: new Date().toISOString(),
    });
  }
  const summary = planSummary(report, outcome, { environment: options.environment, override: options.override, overrideRecord });
  options.print(summary);
  publishSummary(summary, { file: options.summaryFile, ci, print: options.print });
  const where = options.environment ? ` in ${options.environment}` : '';
  if (outcome.refused.length) {
    options.print(
      errorAnnotation(
        ci,
        'data loss refused',
        `the plan${where} would delete or replace ${outcome.refused.map((i) => `${i.address} (${i.holds}, ${i.kind})`).join(', ')}; nothing applied. Override with --allow-replace <address> --override-reason "<why>".`,
      ),
    );
  }
  if (outcome.allowed.length) {
    options.print(
      warningAnnotation(
        ci,
        'data loss allowed by override',
        `${outcome.allowed.map((i) => i.address).join(', ')}${where}: "${options.override?.reason}" (recorded in ${overrideRecord})`,
      ),
    );
  }
  return { report, exitCode: planExitCode(report, outcome), refused: outcome.refused.map((i) => i.address), overrideRecord };
}

/** `--allow-replace <address>... --override-reason "<why>"`: both or neither; throws naming the flag. */
export function overrideFromFlags(addresses: string[] = [], reason: string | undefined): ReplacementOverride | undefined {
  if (reason !== undefined && !addresses.length) throw new Error('--override-reason goes with --allow-replace <address>');
  if (addresses.length && !reason?.trim()) throw new Error('--allow-replace needs --override-reason "<why>" (it is recorded)');
  return addresses.length ? { addresses, reason: reason!.trim() } : undefined;
}

export function parsePlanReportArgs(argv: string[]): Omit<PlanCheckOptions, 'print'> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'plan-json': { type: 'string' },
      env: { type: 'string' },
      summary: { type: 'string' },
      'allow-replace': { type: 'string', multiple: true },
      'override-reason': { type: 'string' },
      'evidence-dir': { type: 'string', default: 'evidence' },
      'run-id': { type: 'string' },
      commit: { type: 'string' },
    },
  });
  if (!values['plan-json']) throw new Error('--plan-json is required');
  return {
    planJson: values['plan-json'],
    environment: values.env === undefined ? undefined : environmentName('env', values.env),
    summaryFile: values.summary,
    override: overrideFromFlags(values['allow-replace'], values['override-reason']),
    evidenceDir: values['evidence-dir']!,
    runId: values['run-id'] ?? defaultRunId(),
    commit: values.commit ?? defaultCommit(),
  };
}

if (require.main === module) {
  let options: PlanCheckOptions;
  try {
    options = { ...parsePlanReportArgs(process.argv.slice(2)), print: (line) => console.log(line) };
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(PLAN_EXIT_CODES.usage);
  }
  try {
    process.exit(planCheck(options).exitCode);
  } catch (error) {
    if (!(error instanceof PlanReportError)) throw error;
    console.error(`plan-report: ${error.message}`);
    process.exit(PLAN_EXIT_CODES.usage);
  }
}
