import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Environment files generated for a test, independent of the shipped `environments/`: each passes
 * every guardrail without a suppression, and names, subscriptions and state keys differ per name.
 */

/** A deterministic GUID from a label, so that each environment gets its own subscription. */
export function guidFor(label: string): string {
  let hex = '';
  for (let i = 0; hex.length < 32; i++) hex += ((label.charCodeAt(i % label.length) * 31 + i * 7) % 256).toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const TENANT_ID = '11111111-2222-4333-8444-555555555555';
export const ADMIN_OBJECT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const HUB = guidFor('hub');

/** One valid environment file's content; `tier` defaults to prod, the strictest; a root unless `promotesFrom` says otherwise. */
export function environmentFile(name: string, tier: 'dev' | 'test' | 'prod' = 'prod', promotesFrom: readonly string[] = []): any {
  const subscriptionId = guidFor(name);
  return {
    tier,
    promotesFrom,
    subscriptionId,
    tenantId: TENANT_ID,
    location: 'westeurope',
    resourceGroup: { name: `rg-acl-${name}`, create: true },
    tags: { owner: 'platform', costCenter: 'CC-1', dataClassification: 'confidential' },
    ledger: {
      name: `acl-gen-${name}`,
      type: 'Private',
      allowedGeographies: ['europe'],
      lock: 'CanNotDelete',
      preventDestroy: true,
      principals: [{ kind: 'entra', objectId: ADMIN_OBJECT_ID, tenantId: TENANT_ID, role: 'Administrator' }],
      roleAssignments: {
        auditors: { principalId: guidFor(`${name}-auditors`), roleDefinitionIdOrName: 'Reader', principalType: 'Group' },
      },
    },
    keyVault: {
      name: `kv-gen-${name}`,
      lock: 'CanNotDelete',
      privateEndpoint: {
        subnetId: `/subscriptions/${subscriptionId}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-pe`,
        privateDnsZone: {
          mode: 'existing',
          zoneId: `/subscriptions/${HUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net`,
        },
      },
    },
    logAnalytics: {
      mode: 'existing',
      workspaceId: `/subscriptions/${HUB}/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/law-hub`,
    },
    alerts: {
      actionGroup: {
        mode: 'existing',
        actionGroupId: `/subscriptions/${HUB}/resourceGroups/rg-ops/providers/Microsoft.Insights/actionGroups/ag-platform`,
      },
    },
  };
}

/** Writes environment files into a fresh temp folder and returns it. */
export function writeEnvironmentSet(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'acl-envset-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(content, null, 2));
  return dir;
}

/**
 * Writes a generated set shaped as a promotion graph, each environment mapped to its predecessors:
 * `{ dev: [], test: ['dev'], 'prod-weu': ['test'], 'prod-neu': ['test'] }`.
 */
export function writeEnvironmentGraph(graph: Record<string, readonly string[]>): string {
  return writeEnvironmentSet(Object.fromEntries(Object.entries(graph).map(([name, from]) => [name, environmentFile(name, 'prod', from)])));
}
