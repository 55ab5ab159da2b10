/**
 * `npm run preflight -- --env <name> [--identity plan|deploy] [--local-data <dir>]`: before plan,
 * reads Azure Resource Manager with the official SDKs and the smoke test's credential chain, and
 * checks what a deploy needs: resource providers registered, the region offering ledgers, the
 * ledger quota, the ledger name (available, or an existing ledger that is ours) and, for the deploy
 * identity, permission to write role assignments and locks. Each failure names its fix.
 * Exit codes: scripts/cli/exit-codes.ts (`--help` lists them).
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ConfidentialLedgerClient } from '@azure/arm-confidentialledger';
import { ResourceManagementClient } from '@azure/arm-resources';
import { Option } from 'commander';
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentConfigError, loadEnvironmentFile } from '../stacks/environment-config';
import { stackRequirements } from '../stacks/ledger-stack';
import { createCli, environmentNameArg, runCli } from './cli/command';
import { environmentsDirOption } from './cli-options';
import { exitCode } from './cli/exit-codes';
import { preflightChecks, type ArmClients } from './preflight/checks';
import { prepareLocalSmoke } from './smoke/targets';

function clients(credential: TokenCredential, subscriptionId: string, options: object = {}): ArmClients {
  return {
    resources: new ResourceManagementClient(credential, subscriptionId, options),
    authorization: new AuthorizationManagementClient(credential, subscriptionId, options),
    ledgers: new ConfidentialLedgerClient(credential, subscriptionId, options),
  };
}

interface PreflightValues {
  readonly env: string;
  readonly identity: 'plan' | 'deploy';
  readonly environmentsDir: string;
  readonly localData?: string;
}

function preflightCli() {
  return createCli({
    name: 'preflight',
    summary:
      'Before plan, reads Azure Resource Manager and checks what a deploy needs: resource providers, the region, the ledger quota and name, and the deploy identity’s permissions. Each failure names its fix.',
    examples: [
      ['npm run preflight -- --env dev', 'check dev’s subscription as the deploy identity'],
      ['npm run preflight -- --env prod --identity plan', 'check prod as the read-only plan identity'],
      ['npm run preflight -- --env dev --local-data .ll-dev', "check against the local ledger's ARM stand-in instead of Azure"],
    ],
  })
    .requiredOption('--env <name>', 'the environment (an environments/<name>.json)', environmentNameArg)
    .addOption(new Option('--identity <which>', 'which pipeline identity is checked').choices(['deploy', 'plan']).default('deploy'))
    .addOption(environmentsDirOption())
    .option('--local-data <dir>', "the local ledger's ARM stand-in instead of Azure");
}

async function main(values: PreflightValues): Promise<number> {
  const { identity, localData } = values;
  const env = loadEnvironmentFile(join(values.environmentsDir, `${values.env}.json`));
  const requirements = stackRequirements(env);
  const local = localData ? await prepareLocalSmoke(localData) : undefined;
  try {
    const arm = local
      ? clients((local.credential as { credential: TokenCredential }).credential, env.subscriptionId, {
          endpoint: local.info.ledgerEndpoint,
          tlsOptions: { ca: readFileSync(local.info.serviceCertificatePath, 'utf8') },
          retryOptions: { maxRetries: 0 },
        })
      : clients(new DefaultAzureCredential(), env.subscriptionId);
    console.log(
      `preflight ${env.name} (subscription ${env.subscriptionId}, ${local ? `local ARM stand-in ${local.info.ledgerEndpoint}` : 'Azure'}, as the ${identity} identity)`,
    );
    const findings = await preflightChecks(arm, { env, ...requirements, identity });
    for (const f of findings) {
      console.log(`${f.ok ? 'ok  ' : 'FAIL'} ${f.check}: ${f.detail}`);
      if (f.fix) console.log(`     fix: ${f.fix}`);
    }
    const failed = findings.filter((f) => !f.ok).length;
    console.log(failed ? `\n${failed} prerequisite(s) missing` : '\nready to plan and deploy');
    return exitCode(failed ? 'failed' : 'ok');
  } finally {
    await local?.stop();
  }
}

if (require.main === module) runCli(preflightCli(), main, [[EnvironmentConfigError, 'usage', 'preflight refused']]);
