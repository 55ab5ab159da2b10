/**
 * `npm run drift -- --env <name>`: what the scheduled drift workflows run for each environment with
 * its read-only (plan) identity: synth, terraform init, `plan -detailed-exitcode` (no state lock),
 * then the plan reader on `show -json`, whose summary lists the drifted and changed resources in
 * the job summary. Exit codes: scripts/cli/exit-codes.ts (`--help` lists them).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentConfigError } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { SynthError, synthAll } from '../stacks/synth';
import { createCli, runCli } from './cli/command';
import { PLAN_EXIT_CODES, PlanReportError } from './pipeline/plan-report';
import { planCheck } from './plan-report';
import { defaultCommit, defaultRunId } from './smoke/run-metadata';
import { addTerraformOptions, type TerraformValues } from './terraform/cli';
import { captureTerraform, checkTerraformVersion, planDiffers, runTerraformStep, terraformCommands } from './terraform/run';

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

function driftCli() {
  return addTerraformOptions(
    createCli({
      name: 'drift',
      summary:
        "Synthesizes, runs terraform init and plan -detailed-exitcode (no state lock) in the environment's stack folder, then the plan reader: the drifted and changed resources go to the job summary. The scheduled drift workflows run it with the read-only identity.",
      examples: [
        ['npm run drift -- --env prod', "check prod's live resources against its stack"],
        ['npm run drift -- --env dev --summary drift-dev.md', 'also write the summary to a file'],
      ],
    }),
  ).option('--summary <file>', 'also write the Markdown summary here');
}

if (require.main === module) {
  runCli<TerraformValues & { summary?: string }>(
    driftCli(),
    (values) =>
      drift({
        environment: values.env,
        environmentsDir: values.environmentsDir,
        cdktfOut: values.cdktfOut,
        terraform: values.terraform,
        summaryFile: values.summary,
        print: (line) => console.log(line),
      }),
    [
      [EnvironmentConfigError, 'usage', 'drift refused'],
      [SynthError, 'usage', 'drift refused'],
      [PlanReportError, 'usage', 'drift refused'],
    ],
  );
}
