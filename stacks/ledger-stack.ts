import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import {
  App,
  AzurermBackend,
  Lazy,
  LocalBackend,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
  makeUniqueId,
  terraformLiterals,
  type Construct,
  type InvalidPropError,
} from '../constructs/core';
import { GUARDRAIL_RULES, Guardrails, renderTags, type GuardrailViolation } from '../constructs/governance';
import { KeyVault } from '../constructs/key-vault';
import { ConfidentialLedger, subscriptionScopedRole } from '../constructs/ledger';
import { LedgerAlerts, LogAnalyticsWorkspace } from '../constructs/monitoring';
import { enabledLogAlerts } from './alerts-config';
import { PrivateDnsZone, PrivateEndpoint, privateDnsZoneName, type PrivateEndpointOptions } from '../constructs/networking';
import type { Environment } from './environment-config';
import { AZURERM_VERSION_CONSTRAINT, TERRAFORM_REQUIRED_VERSION, requiredResourceProviders } from './terraform-requirements';

type PrivateDnsZoneConfig = NonNullable<Environment['keyVault']['privateEndpoint']>['privateDnsZone'];

/** The diagnostic settings' name on the ledger and the vault, kept from before names came from keys. */
const DIAGNOSTIC_SETTING_NAME = 'to-log-analytics';

/** The stack name of an environment: `acl-<environment>`. */
export const stackName = (environment: string): string => `acl-${environment}`;

/**
 * Where a stack without `backend` keeps its state: `state/<stack>.tfstate` beside the cdktf output
 * folder, never inside it (every synth replaces `<outdir>/stacks/`). Relative to the stack's folder,
 * where terraform runs, so the synthesized JSON is the same on every machine.
 */
const localStatePath = (stack: string): string => `../../../state/${stack}.tfstate`;

/**
 * One environment's confidential ledger and what surrounds it. Composition only: every
 * difference between environments comes from the environment file.
 */
export class LedgerStack extends TerraformStack {
  readonly ledger: ConfidentialLedger;
  readonly keyVault: KeyVault;
  readonly guardrails: Guardrails;
  readonly alerts: LedgerAlerts;

  constructor(scope: Construct, config: Environment) {
    super(scope, stackName(config.name));
    // every string below comes from an environment file: none may reach Terraform as a template.
    const env = terraformLiterals(config);

    new AzurermProvider(this, 'azurerm', {
      features: [{}],
      subscriptionId: env.subscriptionId,
      tenantId: env.tenantId,
      // pipelines authenticate with OIDC workload identity through ARM_USE_OIDC / ARM_CLIENT_ID.
      storageUseAzuread: true,
      // by default azurerm 4.x registers ~66 resource providers while configuring, i.e. during plan,
      // which a plan identity may not do; the ones this stack needs are a checked prerequisite.
      resourceProviderRegistrations: 'none',
    });
    // the prebuilt bindings write azurerm 4.55.0 exactly; see terraform-requirements.ts for why not.
    this.addOverride('terraform.required_providers.azurerm.version', AZURERM_VERSION_CONSTRAINT);
    this.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
    // read by preflight and by reviewers: what the subscription must have registered.
    this.addOverride('//.prerequisites', {
      resourceProviders: Lazy.listValue({ produce: () => requiredResourceProviders(this.resourceTypes()) }),
    });
    if (env.backend) {
      new AzurermBackend(this, { ...env.backend, tenantId: env.tenantId, useAzureadAuth: true });
    } else {
      new LocalBackend(this, { path: localStatePath(stackName(env.name)) });
    }

    const tags = renderTags(this, {
      environment: env.name,
      owner: env.tags.owner,
      costCenter: env.tags.costCenter,
      dataClassification: env.tags.dataClassification,
      extra: env.tags.extra,
    });
    const location = env.location;
    const resourceGroupName = env.resourceGroup.create
      ? new ResourceGroup(this, 'ResourceGroup', { name: env.resourceGroup.name, location, tags }).name
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
      roleAssignments: Object.fromEntries(
        Object.entries(env.ledger.roleAssignments).map(([key, a]) => [
          key,
          { ...a, roleDefinitionIdOrName: subscriptionScopedRole(a.roleDefinitionIdOrName, env.subscriptionId) },
        ]),
      ),
      lock: env.ledger.lock,
      preventDestroy: env.ledger.preventDestroy,
      tags,
    });
    this.ledger.addDiagnosticSetting('logs', { workspaceResourceId, name: DIAGNOSTIC_SETTING_NAME });
    if (env.ledger.privateEndpoint) {
      // refused with the reason by the construct: ACL offers no private-link sub-resource.
      new PrivateEndpoint(this, 'LedgerPrivateEndpoint', {
        subnetId: env.ledger.privateEndpoint.subnetId,
        manageDnsZoneGroup: false,
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
    // the ledger's diagnostics stay ours in every mode: they are the record of who read and wrote (ACL-L4).
    if (env.keyVault.diagnostics === 'create') {
      this.keyVault.addDiagnosticSetting('logs', { workspaceResourceId, name: DIAGNOSTIC_SETTING_NAME });
    } else {
      this.keyVault.leaveDiagnosticsToPolicy();
    }
    if (env.keyVault.privateEndpoint) {
      const { subnetId, privateDnsZone } = env.keyVault.privateEndpoint;
      this.keyVault.addPrivateEndpoint('default', {
        subnetId,
        name: `pe-${env.keyVault.name}`,
        ...this.dnsZoneGroup(privateDnsZone, resourceGroupName, tags),
      });
    }

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

  /**
   * The endpoint's zone group for the environment's DNS mode: a zone created here and linked to the
   * listed VNets, a zone the landing zone runs, or none (Azure Policy adds it).
   */
  private dnsZoneGroup(
    choice: PrivateDnsZoneConfig,
    resourceGroupName: string,
    tags: Record<string, string>,
  ): Pick<PrivateEndpointOptions, 'privateDnsZoneResourceIds' | 'manageDnsZoneGroup'> {
    if (choice.mode === 'policy') return { manageDnsZoneGroup: false };
    if (choice.mode === 'existing') return { privateDnsZoneResourceIds: [choice.zoneId] };
    const zone = new PrivateDnsZone(this, 'KeyVaultDnsZone', {
      name: privateDnsZoneName(KeyVault.RESOURCE_TYPE)!,
      resourceGroupName,
      tags,
    });
    // the addresses these resources had while the endpoint construct created them, so that
    // existing state still matches and no plan deletes and re-creates the zone.
    const legacyPath = ['KeyVault', 'PrivateEndpoint-default'];
    zone.resource.overrideLogicalId(makeUniqueId([...legacyPath, 'DnsZone']));
    for (const virtualNetworkId of choice.virtualNetworkIds) {
      // the schema makes these literal resource ids; their last segment is the VNet name.
      const vnetName = virtualNetworkId.split('/').pop()!;
      zone.addVirtualNetworkLink(vnetName, { virtualNetworkId }).overrideLogicalId(makeUniqueId([...legacyPath, `VnetLink-${vnetName}`]));
    }
    return { privateDnsZoneResourceIds: [zone.resourceId] };
  }

  /** The Terraform resource types this stack emits. */
  resourceTypes(): string[] {
    return [
      ...new Set(
        this.node
          .findAll()
          .filter((n): n is TerraformResource => n instanceof TerraformResource)
          .map((r) => r.terraformResourceType),
      ),
    ].sort();
  }
}

/** What deploying an environment needs from its subscription and its deploying identity (for preflight). */
export function stackRequirements(env: Environment): {
  readonly resourceProviders: readonly string[];
  readonly resourceTypes: readonly string[];
} {
  // cdktf's App creates its output folder at once; nothing is synthesized into it.
  const outdir = mkdtempSync(join(tmpdir(), 'acl-requirements-'));
  try {
    const types = new LedgerStack(new App({ outdir }), env).resourceTypes();
    return { resourceProviders: requiredResourceProviders(types), resourceTypes: types };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/*
 * Errors in the environment file's terms. A construct reports its own path and prop
 * (`acl-prod/KeyVault: name …`); the table below says where each prop came from in the file, so the
 * user reads `prod.json: keyVault.name …`. It lists the refusals the schema lets through, and follows
 * the composition above: a construct id or prop renamed there must be renamed here
 * (test/stacks/config-terms.test.ts attacks each entry; anything unmapped keeps the construct's words).
 */

/** Construct path below the stack → prop (or prop prefix) → JSON path in the environment file; `*` appends the prop. */
const CONFIG_PATHS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '': { 'tags.extra': 'tags.extra', tags: 'tags.extra', guardrails: 'guardrails' },
  Ledger: {
    name: 'ledger.name',
    location: 'location',
    dataPlanePrincipals: 'ledger.principals',
    roleAssignments: 'ledger.roleAssignments',
  },
  LedgerPrivateEndpoint: { targetResourceType: 'ledger.privateEndpoint' },
  KeyVault: { name: 'keyVault.name' },
  Logs: { name: 'logAnalytics.name' },
  Alerts: { '*': 'alerts' },
};

/** Guardrail → the setting in the environment file that decides it. */
export const GUARDRAIL_CONFIG_PATHS: Readonly<Record<string, string>> = {
  'ACL-L1': 'ledger.type',
  'ACL-L2': 'ledger.lock',
  'ACL-L3': 'ledger.preventDestroy',
  'ACL-L4': 'logAnalytics',
  'ACL-KV1': 'keyVault',
  'ACL-KV2': 'keyVault.publicNetworkAccessEnabled',
  'ACL-KV3': 'keyVault.diagnostics',
  'ACL-KV4': 'keyVault.privateEndpoint',
  'ACL-KV5': 'keyVault.lock',
  'ACL-LA1': 'logAnalytics.retentionInDays',
  'ACL-T1': 'tags',
  'ACL-M1': 'alerts',
};

/** The JSON path a construct's prop came from, or undefined when the composition does not say. */
export function configPath(env: Environment, constructPath: string, field: string): string | undefined {
  const below = constructPath === stackName(env.name) ? '' : constructPath.replace(`${stackName(env.name)}/`, '');
  const table = CONFIG_PATHS[below];
  if (!table) return undefined;
  if (table['*']) return `${table['*']}.${field}`;
  // the longest prop prefix that ends where the prop or one of its segments does.
  const prefix = Object.keys(table)
    .filter((p) => field === p || field.startsWith(`${p}.`) || field.startsWith(`${p}[`))
    .sort((a, b) => b.length - a.length)[0];
  return prefix === undefined ? undefined : table[prefix] + field.slice(prefix.length);
}

/** A construct's refusal in the environment file's terms: `prod.json: ledger.name "X" is not …`. */
export function describeInvalidProp(env: Environment, error: InvalidPropError): string {
  const path = configPath(env, error.path, error.field);
  return path ? `${env.file}: ${path} ${JSON.stringify(error.value)} ${error.expected}` : `${env.file}: ${error.message}`;
}

/** A construct validation message (`<construct path>: <prop> …`) in the environment file's terms. */
export function describeValidation(env: Environment, constructPath: string, message: string): string {
  const [, field, rest] = /^(\S+) ([\s\S]*)$/.exec(message.slice(`${constructPath}: `.length)) ?? [];
  const path = message.startsWith(`${constructPath}: `) && field ? configPath(env, constructPath, field) : undefined;
  return path ? `${env.file}: ${path} ${rest}` : `${env.file}: ${message}`;
}

/** A guardrail violation in the environment file's terms: the setting, its value and what the rule requires. */
export function describeViolation(env: Environment, violation: GuardrailViolation): string {
  const rule = GUARDRAIL_RULES.find((r) => r.id === violation.ruleId);
  const path = GUARDRAIL_CONFIG_PATHS[violation.ruleId];
  if (!rule || !path) return `${env.file}: [${violation.ruleId}] ${violation.detail}`;
  const value = path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], env);
  const breaks = `breaks guardrail ${rule.id}: ${rule.info}`;
  if (value === undefined) return `${env.file}: ${path} is not set, which ${breaks}`;
  // a whole section: the rule's finding says which part of it.
  if (typeof value === 'object') return `${env.file}: ${path} ${breaks} (${violation.detail})`;
  return `${env.file}: ${path} ${JSON.stringify(value)} ${breaks}`;
}
