import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tags } from '../../constructs/governance';
import type { ConfidentialLedgerProps, EntraLedgerPrincipal } from '../../constructs/ledger';
import type { LedgerAlertsProps } from '../../constructs/monitoring';

export const TENANT = '2c4e6a8b-0d1f-4a3c-b5e7-9f1a3c5e7b00';
export const ADMIN: EntraLedgerPrincipal = {
  kind: 'entra',
  objectId: '5c2a9d4e-1f7b-4e3a-8c6d-0b9e2f4a7d11',
  tenantId: TENANT,
  role: 'Administrator',
};
export const READER: EntraLedgerPrincipal = {
  kind: 'entra',
  objectId: '0d6f2e8a-4b1c-4f9d-a7e3-5c8b2d1f6e31',
  tenantId: TENANT,
  role: 'Reader',
};
export const TAGS: Tags = { environment: 'unit', owner: 'platform', 'cost-center': 'CC-1', 'data-classification': 'internal' };

export const certificatePem = (name: 'alice' | 'bob'): string =>
  readFileSync(join(__dirname, '..', 'fixtures', 'certs', `${name}.pem`), 'utf8');

export const ledgerProps = (overrides: Partial<ConfidentialLedgerProps> = {}): ConfidentialLedgerProps => ({
  name: 'contoso-acl-unit',
  resourceGroupName: 'rg-unit',
  location: 'eastus',
  dataPlanePrincipals: [ADMIN],
  tags: TAGS,
  ...overrides,
});

export const WORKSPACE_ID =
  '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law';
export const SUBNET_ID =
  '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/snet-pe';
export const ZONE_ID =
  '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net';
export const VNET_ID =
  '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-a';

/** Alerts on a ledger and vault that satisfy guardrail ACL-M1. */
export const alertProps = (ledgerResourceId: string, vaultResourceId: string, workspaceResourceId = WORKSPACE_ID): LedgerAlertsProps => ({
  resourceGroupName: 'rg-unit',
  location: 'eastus',
  resourceGroupId: '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-unit',
  workspaceResourceId,
  ledgerName: 'contoso-acl-unit',
  ledgerResourceId,
  vaultResourceId,
  actionGroup: {
    mode: 'create',
    name: 'ag-unit',
    shortName: 'acl-unit',
    emails: [{ name: 'oncall', address: 'oncall@contoso.example' }],
    webhooks: [],
  },
  logAlerts: { authorizationFailures: { threshold: 10, windowDuration: 'PT15M', evaluationFrequency: 'PT5M', severity: 2 } },
  resourceChanges: true,
  tags: TAGS,
});
