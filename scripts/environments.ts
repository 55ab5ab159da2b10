/**
 * `npm run environments`: the environments in promotion order, for people (a table) and for
 * pipelines (`--json`). `--write-azure-devops` regenerates the Azure DevOps parameter file
 * (pipelines/environments.yml) from the same listing; a test fails when that file is out of step.
 * Exit 0 listed, 2 bad usage or invalid environment files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isStrictTier } from '../constructs/governance';
import { EnvironmentConfigError, loadEnvironments } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { promotionOrder } from '../stacks/promotion-graph';
import { UsageError, createCli, runCli } from './cli/command';
import { exitCode } from './cli/exit-codes';
import { environmentsDirOption } from './cli-options';

/** One environment as pipelines use it (the shared contract of `--json`). */
export interface ListedEnvironment {
  readonly name: string;
  readonly file: string;
  readonly stack: string;
  readonly promotesFrom: readonly string[];
  /** depth in the promotion graph: 0 for a first environment, else 1 + its deepest predecessor's. */
  readonly wave: number;
  /** prod-like guardrails: every rule passes, nothing suppressed. */
  readonly strict: boolean;
  readonly github: { readonly planEnvironment: string; readonly deployEnvironment: string };
  readonly azureDevOps: {
    readonly planServiceConnection: string;
    readonly deployServiceConnection: string;
    readonly environment: string;
  };
}

export interface EnvironmentListing {
  /** in promotion order: by wave, ties by name. */
  readonly environments: readonly ListedEnvironment[];
  /** names per wave; the environments of one wave deploy in parallel. */
  readonly waves: readonly (readonly string[])[];
}

/** The checked-in Azure DevOps parameter file, relative to the repository. */
export const AZURE_DEVOPS_FILE = join('pipelines', 'environments.yml');
export const REGENERATE_COMMAND = 'npm run environments -- --write-azure-devops';

/** Loads and validates the environment files and lists them in promotion order. */
export function listEnvironments(environmentsDir: string): EnvironmentListing {
  const { order, waves } = promotionOrder(loadEnvironments(environmentsDir));
  return {
    environments: order.map((env) => ({
      name: env.name,
      file: env.file,
      stack: stackName(env.name),
      promotesFrom: env.promotesFrom,
      wave: env.wave,
      strict: isStrictTier(env.tier),
      // the pipeline identities follow from the name: see docs/environments.md.
      github: { planEnvironment: `${env.name}-plan`, deployEnvironment: env.name },
      azureDevOps: {
        planServiceConnection: `acl-${env.name}-plan`,
        deployServiceConnection: `acl-${env.name}`,
        environment: `acl-${env.name}`,
      },
    })),
    waves,
  };
}

/** Azure DevOps identifiers (stages, matrix jobs, variables) take letters, digits and `_` only. */
const adoId = (name: string) => name.replace(/-/g, '_');

/**
 * The Azure DevOps parameter file: a stages template whose `environments` parameter defaults to
 * the listing, passed on to templates/environment-stages.yml, which plans and deploys them.
 */
export function azureDevOpsFile(listing: EnvironmentListing): string {
  const environments = listing.environments.map((env) => ({
    name: env.name,
    id: adoId(env.name),
    promotesFrom: [...env.promotesFrom],
    dependsOn: env.promotesFrom.length ? env.promotesFrom.map((p) => `Deploy_${adoId(p)}`) : ['Plan'],
    planServiceConnection: env.azureDevOps.planServiceConnection,
    planServiceConnectionIdVariable: `SERVICE_CONNECTION_ID_${adoId(env.name).toUpperCase()}_PLAN`,
  }));
  // one list for both pipelines: azure-pipelines.yml deploys it, drift.yml (stages: drift) checks it for drift.
  const stagesOf = (kind: string, file: string) => ({
    [`\${{ if eq(parameters.stages, '${kind}') }}`]: [{ template: file, parameters: { environments: '${{ parameters.environments }}' } }],
  });
  const template = {
    parameters: [
      { name: 'environments', type: 'object', default: environments },
      { name: 'stages', type: 'string', default: 'deploy', values: ['deploy', 'drift'] },
    ],
    stages: [stagesOf('deploy', 'templates/environment-stages.yml'), stagesOf('drift', 'templates/drift-stages.yml')],
  };
  return (
    `# GENERATED from environments/ by \`${REGENERATE_COMMAND}\`; do not edit (a test keeps it in step).\n` +
    `# The environments in promotion order: waves ${listing.waves.map((w) => `[${w.join(', ')}]`).join(' → ')}.\n` +
    stringify(template, { lineWidth: 0 })
  );
}

/** A table for people: one row per environment, in promotion order. */
export function environmentsTable(listing: EnvironmentListing): string {
  const rows = [
    ['wave', 'environment', 'promoted from', 'strict', 'stack', 'file'],
    ...listing.environments.map((e) => [
      String(e.wave),
      e.name,
      e.promotesFrom.join(', ') || '(first)',
      e.strict ? 'yes' : 'no',
      e.stack,
      e.file,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

interface EnvironmentsValues {
  readonly json?: boolean;
  readonly writeAzureDevops?: string | boolean;
  readonly environmentsDir: string;
}

function environmentsCli() {
  return createCli({
    name: 'environments',
    summary:
      'Lists the environments in promotion order with their stack, predecessors, wave and pipeline identities; pipelines build their matrices from --json. --write-azure-devops regenerates the Azure DevOps parameter file.',
    examples: [
      ['npm run environments', 'a table in promotion order, and the waves'],
      ['npm run environments -- --json', 'the same as JSON, for pipelines'],
      ['npm run environments -- --write-azure-devops', `regenerate ${AZURE_DEVOPS_FILE} after adding an environment`],
    ],
  })
    .option('--json', 'print the environments, graph and waves as JSON')
    .option('--write-azure-devops [file]', `regenerate the Azure DevOps parameter file (default ${AZURE_DEVOPS_FILE})`)
    .addOption(environmentsDirOption());
}

function main(values: EnvironmentsValues): number {
  if (values.json && values.writeAzureDevops) throw new UsageError('--json and --write-azure-devops go separately');
  const listing = listEnvironments(values.environmentsDir);
  if (values.json) {
    console.log(JSON.stringify(listing, null, 2));
  } else if (values.writeAzureDevops) {
    const file = typeof values.writeAzureDevops === 'string' ? values.writeAzureDevops : AZURE_DEVOPS_FILE;
    const text = azureDevOpsFile(listing);
    const unchanged = readIfExists(file) === text;
    if (!unchanged) writeFileSync(file, text);
    console.log(`${unchanged ? 'unchanged' : 'wrote'} ${file} (${listing.environments.length} environments)`);
  } else {
    console.log(environmentsTable(listing));
    console.log(`\nwaves: ${listing.waves.map((w) => w.join(' + ')).join(' → ')}`);
  }
  return exitCode('ok');
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

if (require.main === module) runCli(environmentsCli(), main, [[EnvironmentConfigError, 'usage', 'environments refused']]);
