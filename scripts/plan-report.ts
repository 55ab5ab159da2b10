/**
 * `npm run plan-report -- --plan-json plan.json [--env <name>] [--summary <file>]
 *   [--allow-replace <address> ... --override-reason "<why>"]`: reads `terraform show -json tfplan`
 * and writes a Markdown summary (drifted and changed resources; a ledger or key vault deleted or
 * replaced called out as DATA LOSS) to the step summary, and refuses such a plan unless an override
 * names each address with a reason; the override is recorded under `<evidence>/<env>/`.
 * Exit codes: {@link PLAN_EXIT_CODES}.
 */
import type { Command } from 'commander';
import { defaultCommit, defaultRunId } from './smoke/run-metadata';
import { UsageError, createCli, environmentNameArg, readableFile, runCli } from './cli/command';
import { detectCi, errorAnnotation, publishSummary, warningAnnotation } from './pipeline/ci';
import {
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
    const { environment, override } = options;
    if (!environment) throw new PlanReportError('--allow-replace needs --env, to record the override with that environment');
    overrideRecord = writingTo('--evidence-dir', options.evidenceDir, () =>
      recordOverride(options.evidenceDir, {
        schema: 'acl-stack/replacement-override/v1',
        environment,
        addresses: outcome.allowed.map((i) => i.address),
        reason: override.reason,
        planSha256: report.sha256,
        commit: options.commit,
        runId: options.runId,
        actor: actor(),
        recordedAt: new Date().toISOString(),
      }),
    );
  }
  const summary = planSummary(report, outcome, { environment: options.environment, override: options.override, overrideRecord });
  options.print(summary);
  const publish = () => publishSummary(summary, { file: options.summaryFile, ci, print: options.print });
  if (options.summaryFile) writingTo('--summary', options.summaryFile, publish);
  else publish();
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

/** Runs a write to a path the user gave; a file-system refusal is their mistake, worded with the flag (not an unexpected error). */
function writingTo<T>(flag: string, path: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code) throw error;
    throw new PlanReportError(`${flag} ${path}: cannot write there (${code})`);
  }
}

/** `--allow-replace <address>... --override-reason "<why>"`: both or neither; throws naming the flag. */
export function overrideFromFlags(addresses: readonly string[] = [], reason: string | undefined): ReplacementOverride | undefined {
  if (reason !== undefined && !addresses.length) throw new UsageError('--override-reason goes with --allow-replace <address>');
  if (addresses.length && !reason?.trim()) throw new UsageError('--allow-replace needs --override-reason "<why>" (it is recorded)');
  return addresses.length ? { addresses: [...addresses], reason: reason!.trim() } : undefined;
}

/** Collects a repeatable option's values. */
export const repeated = (value: string, previous: readonly string[] = []): readonly string[] => [...previous, value];

/** Adds `--allow-replace` and `--override-reason` (plan-report and deploy-environment). */
export function addOverrideOptions(command: Command): Command {
  return command
    .option('--allow-replace <address>', 'a ledger or key vault address the plan may delete or replace (repeat for several)', repeated)
    .option('--override-reason <why>', 'why; recorded with the override under the evidence folder');
}

interface PlanReportValues {
  readonly planJson: string;
  readonly env?: string;
  readonly summary?: string;
  readonly allowReplace?: readonly string[];
  readonly overrideReason?: string;
  readonly evidenceDir: string;
  readonly runId?: string;
  readonly commit?: string;
}

function planReportCli() {
  return addOverrideOptions(
    createCli({
      name: 'plan-report',
      summary:
        'Reads a plan (terraform show -json), writes the drift and change summary (job summary in CI), and refuses a plan that deletes or replaces a ledger or key vault unless a recorded override names each one.',
      examples: [
        ['npm run plan-report -- --plan-json plan.json --env prod', "summarise prod's plan; refuse ledger or vault replacement"],
        [
          'npm run plan-report -- --plan-json plan.json --env dev --allow-replace azurerm_key_vault.kv --override-reason "CHG-1234 rebuild"',
          'allow one replacement, recorded under evidence/dev/',
        ],
      ],
    })
      .requiredOption('--plan-json <file>', 'the output of terraform show -json tfplan', readableFile)
      .option('--env <name>', 'the environment the plan is for', environmentNameArg)
      .option('--summary <file>', 'also write the Markdown summary here'),
  )
    .option('--evidence-dir <dir>', 'where an override is recorded', 'evidence')
    .option('--run-id <id>', 'the run recorded with an override')
    .option('--commit <sha>', 'the commit recorded with an override');
}

function main(values: PlanReportValues): number {
  return planCheck({
    planJson: values.planJson,
    environment: values.env,
    summaryFile: values.summary,
    override: overrideFromFlags(values.allowReplace, values.overrideReason),
    evidenceDir: values.evidenceDir,
    runId: values.runId ?? defaultRunId(),
    commit: values.commit ?? defaultCommit(),
    print: (line) => console.log(line),
  }).exitCode;
}

if (require.main === module) runCli(planReportCli(), main, [[PlanReportError, 'usage', 'plan-report refused']]);
