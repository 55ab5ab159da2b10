import type { ConfidentialLedgerClient } from '@azure/arm-confidentialledger';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { ResourceManagementClient } from '@azure/arm-resources';
import { LEDGERS_PER_SUBSCRIPTION, type Environment } from '../../stacks/environment-config';
import { normalizeRegion } from '../../vocabulary';

/** The official ARM SDK clients preflight reads with, all for the environment's subscription. */
export interface ArmClients {
  readonly resources: ResourceManagementClient;
  readonly authorization: AuthorizationManagementClient;
  readonly ledgers: ConfidentialLedgerClient;
}

export interface Finding {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
  /** what to do about a failure. */
  readonly fix?: string;
}

export interface PreflightInput {
  readonly env: Environment;
  /** namespaces the stack needs registered (stackRequirements). */
  readonly resourceProviders: readonly string[];
  /** Terraform resource types the stack emits. */
  readonly resourceTypes: readonly string[];
  /** `plan`: a read-only identity, whose write permissions are not the deploy's; `deploy`: the identity that applies. */
  readonly identity: 'plan' | 'deploy';
}

/** Authorization actions the deploying identity needs, by the resource types that need them. */
const WRITE_ACTIONS: readonly { type: string; action: string; fix: string }[] = [
  {
    type: 'azurerm_role_assignment',
    action: 'Microsoft.Authorization/roleAssignments/write',
    fix: 'grant the deploy identity "Role Based Access Control Administrator" (or User Access Administrator, or Owner) on the resource group',
  },
  {
    type: 'azurerm_management_lock',
    action: 'Microsoft.Authorization/locks/write',
    fix: 'grant the deploy identity "User Access Administrator" or Owner on the resource group (Contributor and Role Based Access Control Administrator cannot write locks)',
  },
];

/** Runs every check; failures of one check never hide the others. */
export async function preflightChecks(clients: ArmClients, input: PreflightInput): Promise<Finding[]> {
  const checks = [providers, region, ledgerName, quota, permissions];
  const findings: Finding[] = [];
  for (const check of checks) {
    try {
      findings.push(...(await check(clients, input)));
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      findings.push({
        check: check.name,
        ok: false,
        detail: `ARM refused the read: ${(error as Error).message}`,
        fix:
          status === 401 || status === 403
            ? 'give the identity Reader on the subscription (preflight only reads)'
            : 'network access to Azure Resource Manager and the credential (az login, or workload identity in pipelines)',
      });
    }
  }
  return findings;
}

async function providers({ resources }: ArmClients, { env, resourceProviders }: PreflightInput): Promise<Finding[]> {
  return Promise.all(
    resourceProviders.map(async (namespace): Promise<Finding> => {
      const state = (await resources.providers.get(namespace)).registrationState;
      return state === 'Registered'
        ? { check: 'resource provider', ok: true, detail: `${namespace} is registered` }
        : {
            check: 'resource provider',
            ok: false,
            detail: `${namespace} is ${state ?? 'not registered'} in subscription ${env.subscriptionId}; the provider registers nothing itself (resource_provider_registrations = "none")`,
            fix: `az provider register --namespace ${namespace} --subscription ${env.subscriptionId} (needs */register/action, e.g. Contributor on the subscription; once per subscription)`,
          };
    }),
  );
}

async function region({ resources }: ArmClients, { env }: PreflightInput): Promise<Finding[]> {
  const provider = await resources.providers.get('Microsoft.ConfidentialLedger');
  const offered = provider.resourceTypes?.find((t) => t.resourceType?.toLowerCase() === 'ledgers')?.locations ?? [];
  return [
    offered.some((l) => normalizeRegion(l) === env.location)
      ? { check: 'region', ok: true, detail: `${env.location} offers confidential ledgers` }
      : {
          check: 'region',
          ok: false,
          detail: `${env.location} does not offer confidential ledgers to this subscription (offered: ${offered.join(', ') || 'none'})`,
          fix: 'set location to an offered region in the environment file (and in vocabulary/regions.ts, with the date you checked)',
        },
  ];
}

/** Whether the environment's ledger already exists in its resource group: then it is ours, and counts once. */
async function existingLedger({ ledgers }: ArmClients, env: Environment): Promise<boolean> {
  try {
    await ledgers.ledger.get(env.resourceGroup.name, env.ledger.name);
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

async function ledgerName(clients: ArmClients, { env }: PreflightInput): Promise<Finding[]> {
  const name = env.ledger.name;
  if (await existingLedger(clients, env)) {
    return [
      { check: 'ledger name', ok: true, detail: `${name} exists in resource group ${env.resourceGroup.name}: ours, updated in place` },
    ];
  }
  const answer = await clients.ledgers.checkNameAvailability({ name, type: 'Microsoft.ConfidentialLedger/ledgers' });
  return [
    answer.nameAvailable
      ? { check: 'ledger name', ok: true, detail: `${name} is available` }
      : {
          check: 'ledger name',
          ok: false,
          detail: `${name} is taken (${answer.reason ?? 'no reason given'}: ${answer.message ?? ''}) and is not a ledger in resource group ${env.resourceGroup.name}`,
          fix: 'choose another ledger.name; ledger names are global DNS names (https://<name>.confidential-ledger.azure.com)',
        },
  ];
}

async function quota(clients: ArmClients, { env }: PreflightInput): Promise<Finding[]> {
  const others: string[] = [];
  for await (const ledger of clients.ledgers.ledger.listBySubscription()) {
    if (ledger.name !== env.ledger.name) others.push(`${ledger.name}`);
  }
  const creates = !(await existingLedger(clients, env));
  return [
    !creates || others.length < LEDGERS_PER_SUBSCRIPTION
      ? {
          check: 'ledger quota',
          ok: true,
          detail: `${others.length} other ledger(s) in the subscription; the default quota is ${LEDGERS_PER_SUBSCRIPTION}`,
        }
      : {
          check: 'ledger quota',
          ok: false,
          detail: `subscription ${env.subscriptionId} already holds ${others.length} ledgers (${others.join(', ')}); Azure's default quota is ${LEDGERS_PER_SUBSCRIPTION} per subscription`,
          fix: 'use a subscription per environment, or have the confidential ledger quota raised (Azure support request) first',
        },
  ];
}

async function permissions(clients: ArmClients, { env, resourceTypes, identity }: PreflightInput): Promise<Finding[]> {
  const needed = WRITE_ACTIONS.filter((w) => resourceTypes.includes(w.type));
  if (identity === 'plan') {
    return needed.map((w) => ({
      check: 'permission',
      ok: true,
      detail: `${w.action}: not the plan identity's; checked by preflight as the deploy identity`,
    }));
  }
  const granted: { actions: string[]; notActions: string[] }[] = [];
  try {
    for await (const p of clients.authorization.permissions.listForResourceGroup(env.resourceGroup.name)) {
      granted.push({ actions: p.actions ?? [], notActions: p.notActions ?? [] });
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404 && env.resourceGroup.create) {
      return [
        { check: 'permission', ok: true, detail: `resource group ${env.resourceGroup.name} does not exist yet; the stack creates it` },
      ];
    }
    throw error;
  }
  return needed.map((w) =>
    allows(granted, w.action)
      ? { check: 'permission', ok: true, detail: `${w.action} on resource group ${env.resourceGroup.name}` }
      : {
          check: 'permission',
          ok: false,
          detail: `this identity may not ${w.action} on resource group ${env.resourceGroup.name}`,
          fix: w.fix,
        },
  );
}

/** Azure RBAC's rule: some grant whose actions match and whose notActions do not (`*` matches anything). */
export function allows(grants: readonly { actions: readonly string[]; notActions: readonly string[] }[], action: string): boolean {
  const matches = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
        .join('.*')}$`,
      'i',
    ).test(action);
  return grants.some((g) => g.actions.some(matches) && !g.notActions.some(matches));
}
