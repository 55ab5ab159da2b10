import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { AzurermBackend, LocalBackend, TerraformOutput, TerraformStack, type Construct } from '../constructs/core';
import { Guardrails, renderTags, type TagSet } from '../constructs/governance';
import { KeyVault } from '../constructs/key-vault';
import { ConfidentialLedger } from '../constructs/ledger';
import { LedgerAlerts, LogAnalyticsWorkspace } from '../constructs/monitoring';
import { enabledLogAlerts } from './alerts-config';
import { PrivateEndpoint } from '../constructs/networking';
import type { Environment } from './environment-config';

/** The stack name of an environment: `acl-<environment>`. */
export const stackName = (environment: string): string => `acl-${environment}`;

/**
 * One environment's confidential ledger and what surrounds it. Composition only: every
 * difference between environments comes from the environment file.
 */
export class LedgerStack extends TerraformStack {
  readonly ledger: ConfidentialLedger;
  readonly keyVault: KeyVault;
  readonly guardrails: Guardrails;
  readonly alerts: LedgerAlerts;

  constructor(scope: Construct, env: Environment) {
    super(scope, stackName(env.name));

    new AzurermProvider(this, 'azurerm', {
      features: [{}],
      subscriptionId: env.subscriptionId,
      tenantId: env.tenantId,
      // pipelines authenticate with OIDC workload identity through ARM_USE_OIDC / ARM_CLIENT_ID.
      storageUseAzuread: true,
    });
    if (env.backend) {
      new AzurermBackend(this, { ...env.backend, subscriptionId: env.subscriptionId, tenantId: env.tenantId, useAzureadAuth: true });
    } else {
      new LocalBackend(this, { path: `terraform.${stackName(env.name)}.tfstate` });
    }

    const tags: TagSet = {
      environment: env.name,
      owner: env.tags.owner,
      costCenter: env.tags.costCenter,
      dataClassification: env.tags.dataClassification,
      extra: env.tags.extra,
    };
    const location = env.location;
    const resourceGroupName = env.resourceGroup.create
      ? new ResourceGroup(this, 'ResourceGroup', { name: env.resourceGroup.name, location, tags: renderTags(this, tags) }).name
      : env.resourceGroup.name;

    const workspaceResourceId =
      env.logAnalytics.mode === 'create'
        ? new LogAnalyticsWorkspace(this, 'Logs', {
            name: env.logAnalytics.name,
            resourceGroupName,
            location,
            retentionInDays: env.logAnalytics.retentionInDays,
            tags,
          }).resourceId
        : env.logAnalytics.workspaceId;

    this.ledger = new ConfidentialLedger(this, 'Ledger', {
      name: env.ledger.name,
      resourceGroupName,
      location,
      ledgerType: env.ledger.type,
      allowedGeographies: env.ledger.allowedGeographies,
      dataPlanePrincipals: env.ledger.principals,
      roleAssignments: env.ledger.roleAssignments,
      lock: env.ledger.lock,
      preventDestroy: env.ledger.preventDestroy,
      tags,
    });
    this.ledger.addDiagnosticSetting('logs', { workspaceResourceId });
    if (env.ledger.privateEndpoint) {
      // refused with the reason by the construct: ACL offers no private-link sub-resource.
      new PrivateEndpoint(this, 'LedgerPrivateEndpoint', {
        ...env.ledger.privateEndpoint,
        name: `pe-${env.ledger.name}`,
        resourceGroupName,
        location,
        targetResourceId: this.ledger.resourceId,
        targetResourceType: ConfidentialLedger.RESOURCE_TYPE,
        tags,
      });
    }

    this.keyVault = new KeyVault(this, 'KeyVault', {
      name: env.keyVault.name,
      resourceGroupName,
      location,
      tenantId: env.tenantId,
      skuName: env.keyVault.skuName,
      softDeleteRetentionDays: env.keyVault.softDeleteRetentionDays,
      publicNetworkAccessEnabled: env.keyVault.publicNetworkAccessEnabled,
      allowedIpRanges: env.keyVault.allowedIpRanges,
      lock: env.keyVault.lock,
      tags,
    });
    this.keyVault.addDiagnosticSetting('logs', { workspaceResourceId });
    if (env.keyVault.privateEndpoint) this.keyVault.addPrivateEndpoint('default', env.keyVault.privateEndpoint);

    this.alerts = new LedgerAlerts(this, 'Alerts', {
      resourceGroupName,
      location,
      resourceGroupId: `/subscriptions/${env.subscriptionId}/resourceGroups/${resourceGroupName}`,
      workspaceResourceId,
      ledgerName: env.ledger.name,
      ledgerResourceId: this.ledger.resourceId,
      vaultResourceId: this.keyVault.resourceId,
      actionGroup: env.alerts.actionGroup,
      logAlerts: enabledLogAlerts(env.alerts),
      resourceChanges: env.alerts.resourceChanges.enabled,
      tags,
    });

    this.guardrails = Guardrails.of(this, { tier: env.tier, suppressions: env.guardrails.suppressions });

    new TerraformOutput(this, 'ledger_name', { value: this.ledger.name });
    new TerraformOutput(this, 'ledger_resource_id', { value: this.ledger.resourceId });
    new TerraformOutput(this, 'ledger_endpoint', { value: this.ledger.ledgerEndpoint });
    new TerraformOutput(this, 'identity_service_endpoint', { value: this.ledger.identityServiceEndpoint });
    new TerraformOutput(this, 'key_vault_uri', { value: this.keyVault.vaultUri });
    new TerraformOutput(this, 'alert_rule_names', { value: this.alerts.ruleNames });
  }
}
