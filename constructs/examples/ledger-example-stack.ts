import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { TerraformStack, type Construct } from '../core';
import { Guardrails } from '../governance';
import { KeyVault } from '../key-vault';
import { ConfidentialLedger } from '../ledger';
import { LedgerAlerts, LogAnalyticsWorkspace } from '../monitoring';
import { PrivateDnsZone, privateDnsZoneName } from '../networking';

export interface LedgerExampleStackProps {
  readonly subscriptionId: string;
  readonly tenantId: string;
  /** an Azure region that offers confidential ledger, for example westeurope. */
  readonly location: string;
  /** the Entra object id of whoever administers the ledger's users. */
  readonly adminObjectId: string;
  readonly oncallEmail: string;
}

/** A confidential ledger with its vault, network, logs and alerts, wired in code: no environment file. */
export class LedgerExampleStack extends TerraformStack {
  readonly ledger: ConfidentialLedger;
  readonly guardrails: Guardrails;

  constructor(scope: Construct, id: string, props: LedgerExampleStackProps) {
    super(scope, id);
    const { location, tenantId } = props;
    new AzurermProvider(this, 'azurerm', { features: [{}], subscriptionId: props.subscriptionId, tenantId });
    const tags = { owner: 'platform', 'cost-center': 'CC-1234', environment: 'example', 'data-classification': 'confidential' };

    // what a landing zone would usually provide; here, resources of the same stack whose ids are references.
    const group = new ResourceGroup(this, 'Group', { name: 'rg-ledger-example', location, tags });
    const resourceGroupName = group.name;
    const vnet = new VirtualNetwork(this, 'Vnet', {
      name: 'vnet-example',
      resourceGroupName,
      location,
      addressSpace: ['10.20.0.0/16'],
      tags,
    });
    const subnet = new Subnet(this, 'Endpoints', {
      name: 'snet-endpoints',
      resourceGroupName,
      virtualNetworkName: vnet.name,
      addressPrefixes: ['10.20.1.0/24'],
    });
    const logs = new LogAnalyticsWorkspace(this, 'Logs', {
      name: 'log-ledger-example',
      resourceGroupName,
      location,
      retentionInDays: 365,
      tags,
    });
    const writer = new UserAssignedIdentity(this, 'Writer', { name: 'id-ledger-writer', resourceGroupName, location, tags });

    this.ledger = new ConfidentialLedger(this, 'Ledger', {
      name: 'contoso-ledger-example',
      resourceGroupName,
      location,
      allowedGeographies: ['europe'],
      dataPlanePrincipals: [{ kind: 'entra', objectId: props.adminObjectId, tenantId, role: 'Administrator' }],
      diagnosticSettings: { logs: { workspaceResourceId: logs.resourceId } },
      lock: 'CanNotDelete',
      preventDestroy: true,
      tags,
    });
    // the writer's ids are only known after apply: the ledger takes them as references.
    this.ledger.grantDataPlane({ kind: 'entra', objectId: writer.principalId, tenantId: writer.tenantId, role: 'Contributor' });

    const zone = new PrivateDnsZone(this, 'VaultZone', {
      name: privateDnsZoneName(KeyVault.RESOURCE_TYPE)!,
      resourceGroupName,
      virtualNetworkLinks: { example: { virtualNetworkId: vnet.id } },
      tags,
    });
    const vault = new KeyVault(this, 'Vault', {
      name: 'kv-ledger-example',
      resourceGroupName,
      location,
      tenantId,
      roleAssignments: {
        writer: { principalId: writer.principalId, roleDefinitionIdOrName: 'Key Vault Secrets User', principalType: 'ServicePrincipal' },
      },
      diagnosticSettings: { logs: { workspaceResourceId: logs.resourceId } },
      privateEndpoints: { endpoints: { subnetId: subnet.id, privateDnsZoneResourceIds: [zone.resourceId] } },
      lock: 'CanNotDelete',
      tags,
    });

    new LedgerAlerts(this, 'Alerts', {
      resourceGroupName,
      location,
      resourceGroupId: group.id,
      workspaceResourceId: logs.resourceId,
      ledgerName: this.ledger.name,
      ledgerResourceId: this.ledger.resourceId,
      vaultResourceId: vault.resourceId,
      actionGroup: {
        mode: 'create',
        name: 'ag-ledger-example',
        shortName: 'ledger',
        emails: [{ name: 'oncall', address: props.oncallEmail }],
        webhooks: [],
      },
      logAlerts: { authorizationFailures: { threshold: 10, windowDuration: 'PT15M', evaluationFrequency: 'PT5M', severity: 2 } },
      resourceChanges: true,
      tags,
    });

    // the same checks the project's prod stacks pass, as a cdk-nag-style aspect.
    this.guardrails = Guardrails.of(this, { tier: 'prod' });
  }
}
