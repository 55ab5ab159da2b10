/**
 * `npm run preflight -- --env <name> [--identity plan|deploy] [--local-data <dir>]`: before plan,
 * reads Azure Resource Manager with the official SDKs and the smoke test's credential chain, and
 * checks what a deploy needs: resource providers registered, the region offering ledgers, the
 * ledger quota, the ledger name (available, or an existing ledger that is ours) and, for the deploy
 * identity, permission to write role assignments and locks. Each failure names its fix.
 * Exit 0 ready, 1 a prerequisite is missing, 2 bad usage.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ConfidentialLedgerClient } from '@azure/arm-confidentialledger';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EnvironmentConfigError, loadEnvironmentFile } from '../stacks/environment-config';
import { stackRequirements } from '../stacks/ledger-stack';
import { environmentName } from './cli-options';
import { preflightChecks, type ArmClients } from './preflight/checks';
import { prepareLocalSmoke } from './smoke/targets';

const USAGE =
  'usage: preflight --env <name> [--identity deploy|plan] [--environments-dir environments]\n' +
  "  [--local-data <dir>: the local ledger's ARM stand-in instead of Azure]\nexit codes: 0 ready, 1 a prerequisite is missing, 2 usage";

function clients(credential: TokenCredential, subscriptionId: string, options: object = {}): ArmClients {
  return {
    resources: new ResourceManagementClient(credential, subscriptionId, options),
    authorization: new AuthorizationManagementClient(credential, subscriptionId, options),
    ledgers: new ConfidentialLedgerClient(credential, subscriptionId, options),
  };
}

async function main(): Promise<number> {
  let env, identity: 'plan' | 'deploy', localData: string | undefined;
  try {
    const { values } = parseArgs({
      options: {
        env: { type: 'string' },
        identity: { type: 'string', default: 'deploy' },
        'environments-dir': { type: 'string', default: process.env.ACL_ENVIRONMENTS_DIR ?? 'environments' },
        'local-data': { type: 'string' },
      },
    });
    if (values.identity !== 'plan' && values.identity !== 'deploy')
      throw new Error(`--identity '${values.identity}' must be plan or deploy`);
    identity = values.identity;
    localData = values['local-data'];
    env = loadEnvironmentFile(join(values['environments-dir']!, `${environmentName('env', values.env)}.json`));
  } catch (error) {
    console.error(
      `${error instanceof EnvironmentConfigError ? `preflight refused:\n${error.message}` : (error as Error).message}\n${USAGE}`,
    );
    return 2;
  }
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
    return failed ? 1 : 0;
  } finally {
    await local?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`preflight: ${error.message}`);
    process.exit(1);
  },
);
