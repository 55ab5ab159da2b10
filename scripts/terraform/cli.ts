import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { EnvironmentConfigError } from '../../stacks/environment-config';
import { SynthError } from '../../stacks/synth';
import { createCli, environmentNameArg, runCli } from '../cli/command';
import { exitCode } from '../cli/exit-codes';
import { cdktfOutOption, environmentsDirOption } from '../cli-options';
import { applySavedPlan, planStack, type TerraformRunOptions } from './run';

/** The options of every command that drives terraform in one environment's stack (plan, deploy, drift). */
export function addTerraformOptions(command: Command): Command {
  return command
    .requiredOption('--env <name>', 'the environment (an environments/<name>.json)', environmentNameArg)
    .addOption(environmentsDirOption())
    .addOption(cdktfOutOption())
    .option('--terraform <path>', 'the terraform executable', 'terraform');
}

/** What {@link addTerraformOptions} parses to. */
export interface TerraformValues {
  readonly env: string;
  readonly environmentsDir: string;
  readonly cdktfOut: string;
  readonly terraform: string;
  readonly autoApprove?: boolean;
}

/** The command line of `plan` and `deploy`. */
export function terraformCli(command: 'plan' | 'deploy'): void {
  const cli = createCli(
    command === 'plan'
      ? {
          name: 'plan',
          summary:
            "Synthesizes every environment, then runs terraform init, plan (saved to tfplan) and show in the environment's stack folder, as the pipelines do. No cdktf CLI involved.",
          examples: [
            ['npm run plan -- --env dev', 'plan dev with the terraform on PATH'],
            ['npm run plan -- --env prod --terraform /opt/terraform-1.15/terraform', 'plan prod with a pinned terraform'],
          ],
        }
      : {
          name: 'deploy',
          summary: 'Runs npm run plan, then applies exactly the plan it showed, after a typed "yes" (or --auto-approve).',
          examples: [
            ['npm run deploy -- --env dev', 'plan dev, show the plan, apply it after you type yes'],
            ['npm run deploy -- --env dev --auto-approve', 'plan and apply without asking (pipelines)'],
          ],
        },
  );
  addTerraformOptions(cli);
  if (command === 'deploy') cli.option('--auto-approve', 'apply without asking');
  runCli<TerraformValues>(
    cli,
    (values) =>
      main(
        {
          environment: values.env,
          environmentsDir: values.environmentsDir,
          cdktfOut: values.cdktfOut,
          terraform: values.terraform,
          report: (line) => console.log(line),
        },
        command === 'deploy',
        values.autoApprove ?? false,
      ),
    [
      [EnvironmentConfigError, 'usage', 'synth refused'],
      [SynthError, 'usage', 'synth refused'],
    ],
  );
}

async function main(options: TerraformRunOptions, deploy: boolean, autoApprove: boolean): Promise<number> {
  const stackDir = planStack(options);
  if (!deploy) return exitCode('ok');
  if (!autoApprove && !(await confirmed())) {
    console.error('deploy: not applied (answer "yes" to apply, or pass --auto-approve)');
    return exitCode('usage');
  }
  applySavedPlan(options, stackDir);
  return exitCode('ok');
}

async function confirmed(): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question('Apply this plan? Only "yes" applies: ')).trim() === 'yes';
  } finally {
    rl.close();
  }
}
