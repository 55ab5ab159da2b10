/**
 * `npm run drift -- --env <name>`: what the scheduled drift workflows run for each environment with
 * its read-only (plan) identity: synth, terraform init, `plan -detailed-exitcode` (no state lock),
 * then the plan reader on `show -json`, whose summary lists the drifted and changed resources in
 * the job summary. Exit 0 the live resources match the stack, 5 drift or pending changes, 6 the plan
 * would delete or replace a ledger or key vault, 2 usage or a refused synth, 3 terraform missing,
 * 4 a terraform step failed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EnvironmentConfigError } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { SynthError, synthAll } from '../stacks/synth';
import { environmentName } from './cli-options';
import { PLAN_EXIT_CODES, PlanReportError } from './pipeline/plan-report';
import { planCheck } from './plan-report';
import { defaultCommit, defaultRunId } from './smoke/run-metadata';
import { TERRAFORM_OPTIONS } from './terraform/cli';
import {
  EXIT,
  TerraformRunError,
  captureTerraform,
  checkTerraformVersion,
  planDiffers,
  runTerraformStep,
  terraformCommands,
} from './terraform/run';

const USAGE = `usage: drift --env <name> [--environments-dir environments] [--cdktf-out cdktf.out] [--terraform terraform] [--summary <file>]
exit codes: 0 no drift, ${PLAN_EXIT_CODES.changes} drift or pending changes, ${PLAN_EXIT_CODES.replacementRefused} a ledger or key vault would be deleted or replaced, 2 usage or a refused synth, 3 terraform missing, 4 a terraform step failed`;

export interface DriftOptions {
  readonly environment: string;
  readonly environmentsDir: string;
  readonly cdktfOut: string;
  readonly terraform: string;
  readonly summaryFile?: string;
  readonly print: (line: string) => void;
}

export function drift(options: DriftOptions): number {
  const { stackDirs } = synthAll({ environmentsDir: options.environmentsDir, outdir: options.cdktfOut });
  const stackDir = stackDirs[stackName(options.environment)];
  if (!stackDir) throw new PlanReportError(`no environment '${options.environment}' in ${options.environmentsDir}/`);
  const tf = { terraform: options.terraform, report: options.print };
  const commands = terraformCommands(stackDir);
  checkTerraformVersion(options.terraform);
  runTerraformStep(tf, 'init', commands.init);
  const differs = planDiffers(tf, commands.drift);
  const planJson = join(stackDir, 'drift.json');
  writeFileSync(planJson, captureTerraform(options.terraform, 'show -json', commands.showDrift));
  const { exitCode } = planCheck({
    planJson,
    environment: options.environment,
    summaryFile: options.summaryFile,
    evidenceDir: 'evidence',
    runId: defaultRunId(),
    commit: defaultCommit(),
    print: options.print,
  });
  // terraform also counts output-only changes, which the reader does not list: still not in step.
  return exitCode === PLAN_EXIT_CODES.noChanges && differs ? PLAN_EXIT_CODES.changes : exitCode;
}

if (require.main === module) {
  let options: DriftOptions;
  try {
    const { values } = parseArgs({
      options: { ...TERRAFORM_OPTIONS, summary: { type: 'string' } },
    });
    options = {
      environment: environmentName('env', values.env),
      environmentsDir: values['environments-dir']!,
      cdktfOut: values['cdktf-out']!,
      terraform: values.terraform!,
      summaryFile: values.summary,
      print: (line) => console.log(line),
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(EXIT.usage);
  }
  try {
    process.exit(drift(options));
  } catch (error) {
    if (error instanceof TerraformRunError) {
      console.error(`drift: ${error.message}`);
      process.exit(error.exitCode);
    }
    if (error instanceof EnvironmentConfigError || error instanceof SynthError || error instanceof PlanReportError) {
      console.error(`drift refused:\n${error.message}`);
      process.exit(EXIT.usage);
    }
    throw error;
  }
}
