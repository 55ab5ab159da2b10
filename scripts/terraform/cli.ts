import { createInterface } from 'node:readline/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EnvironmentConfigError } from '../../stacks/environment-config';
import { SynthError } from '../../stacks/synth';
import { environmentName } from '../cli-options';
import { EXIT, TerraformRunError, applySavedPlan, planStack, type TerraformRunOptions } from './run';

/** The options of every command that drives terraform in one environment's stack (plan, deploy, drift). */
export const TERRAFORM_OPTIONS = {
  env: { type: 'string' },
  'environments-dir': { type: 'string', default: process.env.ACL_ENVIRONMENTS_DIR ?? 'environments' },
  'cdktf-out': { type: 'string', default: process.env.CDKTF_OUTDIR ?? 'cdktf.out' },
  terraform: { type: 'string', default: 'terraform' },
} as const satisfies ParseArgsConfig['options'];

/** The command line of `plan` and `deploy`; exits with {@link EXIT}'s codes. */
export function terraformCli(command: 'plan' | 'deploy'): void {
  const usage =
    `usage: ${command} --env <name> [--environments-dir environments] [--cdktf-out cdktf.out] [--terraform terraform]` +
    (command === 'deploy' ? ' [--auto-approve]' : '') +
    `\nexit codes: 0 done, 2 usage or a refused synth, 3 terraform missing or outside the required version, 4 a terraform step failed`;
  let options: TerraformRunOptions;
  let autoApprove = false;
  try {
    const { values } = parseArgs({
      options: {
        ...TERRAFORM_OPTIONS,
        ...(command === 'deploy' ? { 'auto-approve': { type: 'boolean' as const, default: false } } : {}),
      },
    });
    autoApprove = Boolean((values as { 'auto-approve'?: boolean })['auto-approve']);
    options = {
      environment: environmentName('env', values.env),
      environmentsDir: values['environments-dir']!,
      cdktfOut: values['cdktf-out']!,
      terraform: values.terraform!,
      report: (line) => console.log(line),
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(EXIT.usage);
  }
  main(options, command === 'deploy', autoApprove).then(
    (code) => process.exit(code),
    (error: Error) => {
      if (error instanceof EnvironmentConfigError || error instanceof SynthError) {
        console.error(`synth refused:\n${error.message}`);
        process.exit(EXIT.usage);
      }
      console.error(`${command}: ${error.message}`);
      process.exit(error instanceof TerraformRunError ? error.exitCode : 1);
    },
  );
}

async function main(options: TerraformRunOptions, deploy: boolean, autoApprove: boolean): Promise<number> {
  const stackDir = planStack(options);
  if (!deploy) return EXIT.ok;
  if (!autoApprove && !(await confirmed())) {
    console.error('deploy: not applied (answer "yes" to apply, or pass --auto-approve)');
    return EXIT.usage;
  }
  applySavedPlan(options, stackDir);
  return EXIT.ok;
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
