import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { ACL_REGIONS, REGION_DISPLAY_NAMES } from '../vocabulary';
import { HttpError } from './http';
import type { LedgerIdentity } from './identity';
import type { LocalLedger } from './ledger';

/*
 * The ARM reads `npm run preflight` makes, answered for the local ledger: resource-provider
 * registration and regions, the ledgers in the subscription, ledger name availability and the
 * caller's permissions on a resource group. By default every prerequisite is met; editing
 * `<data>/arm-stand-in.json` takes one away, on a running ledger too (it is read per request).
 */

/** What the stand-in reports; every field is optional. */
export interface ArmStandInState {
  /** resource providers reported `NotRegistered`. @default none */
  readonly unregisteredProviders?: readonly string[];
  /** display names of the regions offering `Microsoft.ConfidentialLedger/ledgers`. @default every ACL region */
  readonly ledgerLocations?: readonly string[];
  /** ledgers in the subscription besides the local one. @default none */
  readonly otherLedgers?: readonly { readonly name: string; readonly resourceGroup: string }[];
  /** names `checkNameAvailability` reports taken, besides every ledger above. @default none */
  readonly takenNames?: readonly string[];
  /** the caller's permissions on every resource group. @default `*` */
  readonly permissions?: { readonly actions: readonly string[]; readonly notActions: readonly string[] };
}

export const ARM_STAND_IN_FILE = 'arm-stand-in.json';

/** The stand-in's state file in a local ledger's data folder. */
export const armStandInPath = (dataDir: string): string => join(dataDir, ARM_STAND_IN_FILE);

/** One route, registered by the server with ARM authentication. */
export interface ArmStandInRoute {
  readonly method: 'GET' | 'POST';
  /** regular expression source for the path. */
  readonly path: string;
  readonly handler: (params: string[], request: IncomingMessage) => Promise<{ status?: number; body?: unknown }>;
}

const LEDGER_TYPE = 'Microsoft.ConfidentialLedger/ledgers';

export function armStandInRoutes(identity: LedgerIdentity): ArmStandInRoute[] {
  // the identity lives in `<data>/identity/` (identityPaths), the state file beside it.
  const file = armStandInPath(dirname(dirname(identity.serviceCertificatePath)));
  const state = (): ArmStandInState => {
    if (!existsSync(file)) return {};
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as ArmStandInState;
    } catch (error) {
      throw new Error(`${file} is not valid JSON (${(error as Error).message})`);
    }
  };
  const ledgers = (subscriptionId: string) =>
    [{ name: identity.ledgerId, resourceGroup: 'local' }, ...(state().otherLedgers ?? [])].map(({ name, resourceGroup }) => ({
      id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${LEDGER_TYPE}/${name}`,
      name,
      type: LEDGER_TYPE,
      properties: { ledgerName: name, provisioningState: 'Succeeded' },
    }));
  return [
    {
      method: 'GET',
      path: '/subscriptions/([^/]+)/providers/Microsoft\\.ConfidentialLedger/ledgers',
      handler: async ([subscriptionId]) => ({ body: { value: ledgers(subscriptionId) } }),
    },
    {
      method: 'POST',
      path: '/subscriptions/([^/]+)/providers/Microsoft\\.ConfidentialLedger/checkNameAvailability',
      handler: async ([subscriptionId], request) => {
        const { name } = (await readBody(request)) as { name?: string };
        const taken = [...ledgers(subscriptionId).map((l) => l.name), ...(state().takenNames ?? [])].includes(name ?? '');
        return {
          body: taken
            ? { nameAvailable: false, reason: 'AlreadyExists', message: `The name '${name}' is already in use.` }
            : { nameAvailable: true },
        };
      },
    },
    {
      method: 'GET',
      path: '/subscriptions/([^/]+)/providers/([^/]+)',
      handler: async ([subscriptionId, namespace]) => {
        const registered = !(state().unregisteredProviders ?? []).some((p) => p.toLowerCase() === namespace.toLowerCase());
        const locations = state().ledgerLocations ?? ACL_REGIONS.map((r) => REGION_DISPLAY_NAMES[r]);
        return {
          body: {
            id: `/subscriptions/${subscriptionId}/providers/${namespace}`,
            namespace,
            registrationState: registered ? 'Registered' : 'NotRegistered',
            resourceTypes: namespace.toLowerCase() === 'microsoft.confidentialledger' ? [{ resourceType: 'ledgers', locations }] : [],
          },
        };
      },
    },
    {
      method: 'GET',
      // the SDK writes `resourcegroups` here, ARM accepts any case.
      path: '/subscriptions/([^/]+)/[Rr]esource[Gg]roups/([^/]+)/providers/Microsoft\\.Authorization/permissions',
      handler: async () => ({ body: { value: [state().permissions ?? { actions: ['*'], notActions: [] }] } }),
    },
  ];
}

/**
 * The ARM read of the local ledger resource itself, as `@azure/arm-confidentialledger` makes it
 * (the smoke test resolves its target through it, exactly as for an Azure ledger).
 */
export function armLedgerRoute(ledger: LocalLedger, endpoint: () => string, identityServiceUrl: () => string): ArmStandInRoute {
  const identity = ledger.identity;
  return {
    method: 'GET',
    path: '/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\\.ConfidentialLedger/ledgers/([^/]+)',
    handler: async ([subscriptionId, resourceGroup, name]) => {
      if (name !== identity.ledgerId) {
        throw new HttpError(
          404,
          'ResourceNotFound',
          `The Resource 'Microsoft.ConfidentialLedger/ledgers/${name}' under resource group '${resourceGroup}' was not found.`,
        );
      }
      const users = ledger.users();
      const isCertificate = (id: string) => /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(id);
      return {
        body: {
          id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ConfidentialLedger/ledgers/${name}`,
          name,
          type: 'Microsoft.ConfidentialLedger/ledgers',
          location: 'local',
          properties: {
            ledgerName: name,
            ledgerUri: endpoint(),
            identityServiceUri: identityServiceUrl(),
            ledgerInternalNamespace: identity.nodeId.slice(0, 16),
            ledgerType: 'Private',
            provisioningState: 'Succeeded',
            runningState: 'Active',
            aadBasedSecurityPrincipals: users
              .filter(([id]) => !isCertificate(id))
              .map(([principalId, ledgerRoleName]) => ({ principalId, ledgerRoleName })),
            certBasedSecurityPrincipals: users
              .filter(([id]) => isCertificate(id))
              .map(([cert, ledgerRoleName]) => ({ cert, ledgerRoleName })),
          },
        },
      };
    },
  };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > 64 * 1024) throw new Error('request body too large');
  }
  return text ? JSON.parse(text) : {};
}
