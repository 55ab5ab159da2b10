import { KeyVault as KeyVaultResource } from '@cdktf/provider-azurerm/lib/key-vault';
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Construct, InvalidPropError, isLiteral, requireUniqueName } from '../core';
import { ResourceLock, type LockLevel } from '../governance/lock';
import { assignRole, type RoleAssignmentProps } from '../governance/role-assignment';
import { DIAGNOSTICS_BY_POLICY } from '../governance/rules/diagnostics';
import { checkTags, type Tags } from '../governance/tags';
import { DiagnosticSetting, attachDiagnosticSetting, type DiagnosticSettingOptions } from '../monitoring/diagnostic-settings';
import { PrivateEndpoint, type PrivateEndpointOptions } from '../networking/private-endpoint';

export const KEY_VAULT_SKUS = ['standard', 'premium'] as const;
export type KeyVaultSku = (typeof KEY_VAULT_SKUS)[number];

/**
 * Azure RBAC built-in roles that make sense on a vault, rendered as `role_definition_name`; a role
 * definition resource id is accepted wherever a name is, for custom roles.
 * @see https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security
 */
export const KEY_VAULT_ROLE_NAMES = [
  'Key Vault Administrator',
  'Key Vault Reader',
  'Key Vault Secrets User',
  'Key Vault Secrets Officer',
  'Key Vault Certificate User',
  'Key Vault Certificates Officer',
  'Key Vault Crypto User',
  'Key Vault Crypto Officer',
  'Owner',
  'Contributor',
  'Reader',
  'User Access Administrator',
  'Monitoring Reader',
] as const;
export type KeyVaultRoleName = (typeof KEY_VAULT_ROLE_NAMES)[number];

/** An Azure RBAC role on the vault; with RBAC authorization on, this is also how secrets are shared. */
export interface KeyVaultRoleAssignment extends RoleAssignmentProps {
  /** a built-in role name from {@link KEY_VAULT_ROLE_NAMES} or a role definition resource id. */
  readonly roleDefinitionIdOrName: KeyVaultRoleName | string;
}

/** Soft-delete retention Azure accepts, in days. */
export const SOFT_DELETE_RETENTION_DAYS = { min: 7, max: 90 } as const;

export interface KeyVaultProps {
  /** 3–24 letters, digits and hyphens, starting with a letter, no double hyphen; globally unique. */
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly tenantId: string;
  /** @default 'standard' */
  readonly skuName?: KeyVaultSku;
  /**
   * IMPORTANT: cannot be shortened after creation.
   * @default 90
   */
  readonly softDeleteRetentionDays?: number;
  /**
   * Turning it off makes a deleted vault purgeable at once; Azure never lets it be turned off
   * again once on.
   * @default true
   */
  readonly purgeProtectionEnabled?: boolean;
  /**
   * Reachable from public networks at all. Off, the vault is reached through private endpoints.
   * @default false
   */
  readonly publicNetworkAccessEnabled?: boolean;
  /**
   * Public IP ranges (CIDR) let through the network ACL when public access is on.
   * @default - none: the network ACL denies everything but trusted Azure services
   */
  readonly allowedIpRanges?: readonly string[];
  /**
   * Azure RBAC on the vault, keyed by a stable name; more with {@link KeyVault.grantRole}.
   * @default - none
   */
  readonly roleAssignments?: Readonly<Record<string, KeyVaultRoleAssignment>>;
  /**
   * Diagnostic settings keyed by a stable name; more with {@link KeyVault.addDiagnosticSetting}.
   * @default - none (guardrail ACL-KV3 asks for one, or {@link KeyVault.leaveDiagnosticsToPolicy})
   */
  readonly diagnosticSettings?: Readonly<Record<string, DiagnosticSettingOptions>>;
  /**
   * Private endpoints (sub-resource `vault`) keyed by a stable name; more with {@link KeyVault.addPrivateEndpoint}.
   * @default - none
   */
  readonly privateEndpoints?: Readonly<Record<string, PrivateEndpointOptions>>;
  /** @default - no lock */
  readonly lock?: LockLevel;
  /** @default - none */
  readonly tags?: Tags;
}

/**
 * A Key Vault for the ledger's automation secrets and certificates, hardened by default: Azure
 * RBAC instead of access policies, purge protection, network ACL default Deny, no public access.
 * @see https://learn.microsoft.com/azure/key-vault/general/security-features
 */
export class KeyVault extends Construct {
  static readonly RESOURCE_TYPE = 'Microsoft.KeyVault/vaults';

  readonly name: string;
  readonly resourceId: string;
  readonly vaultUri: string;
  readonly resource: KeyVaultResource;
  private readonly props: KeyVaultProps;

  constructor(scope: Construct, id: string, props: KeyVaultProps) {
    super(scope, id);
    this.props = props;
    // a name that is a Terraform expression is checked by Azure.
    if (isLiteral(props.name)) validateName(this, props.name);
    const retention = props.softDeleteRetentionDays ?? 90;
    const { min, max } = SOFT_DELETE_RETENTION_DAYS;
    if (isLiteral(retention) && (!Number.isInteger(retention) || retention < min || retention > max)) {
      throw new InvalidPropError(this, 'softDeleteRetentionDays', retention, `must be a whole number of days from ${min} to ${max}`);
    }
    for (const range of props.allowedIpRanges ?? []) {
      if (isLiteral(range) && !/^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/.test(range)) {
        throw new InvalidPropError(this, 'allowedIpRanges', range, 'is not an IPv4 address or CIDR range');
      }
    }

    this.resource = new KeyVaultResource(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tenantId: props.tenantId,
      skuName: props.skuName ?? 'standard',
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: props.purgeProtectionEnabled ?? true,
      softDeleteRetentionDays: retention,
      publicNetworkAccessEnabled: props.publicNetworkAccessEnabled ?? false,
      networkAcls: {
        defaultAction: 'Deny',
        bypass: 'AzureServices',
        ipRules: [...(props.allowedIpRanges ?? [])],
      },
      tags: checkTags(this, props.tags),
    });
    this.name = props.name;
    this.resourceId = this.resource.id;
    this.vaultUri = this.resource.vaultUri;
    Object.entries(props.roleAssignments ?? {}).forEach(([key, a]) => this.grantRole(key, a));
    Object.entries(props.diagnosticSettings ?? {}).forEach(([key, d]) => this.addDiagnosticSetting(key, d));
    Object.entries(props.privateEndpoints ?? {}).forEach(([key, pe]) => this.addPrivateEndpoint(key, pe));
    if (props.lock) {
      new ResourceLock(this, 'Lock', {
        scope: this.resourceId,
        level: props.lock,
        notes: 'Holds the credentials the ledger automation runs with.',
      });
    }
  }

  /** Grants an Azure RBAC role on the vault, e.g. `Key Vault Secrets User` to read secrets. */
  grantRole(key: string, assignment: KeyVaultRoleAssignment): RoleAssignment {
    return assignRole(this, key, this.resourceId, assignment, KEY_VAULT_ROLE_NAMES);
  }

  /** Lets a principal read secret values (`Key Vault Secrets User`). */
  grantSecretsRead(key: string, principalId: string, principalType?: RoleAssignmentProps['principalType']): RoleAssignment {
    return this.grantRole(key, { principalId, principalType, roleDefinitionIdOrName: 'Key Vault Secrets User' });
  }

  /** Sends the vault's audit events and metrics to Log Analytics. */
  addDiagnosticSetting(key: string, options: DiagnosticSettingOptions): DiagnosticSetting {
    if (this.diagnosticsByPolicy()) {
      throw new InvalidPropError(this, 'diagnostics', 'policy', 'leaves diagnostic settings to platform policy; choose one');
    }
    return attachDiagnosticSetting(this, key, { resourceId: this.resourceId, resourceType: KeyVault.RESOURCE_TYPE }, options);
  }

  /**
   * Leaves the vault's diagnostic settings to the landing zone's Azure Policy, which in many
   * landing zones deploys them to every vault: Azure refuses a second setting that sends the same
   * category to the same workspace. Guardrail ACL-KV3 accepts the vault as covered.
   */
  leaveDiagnosticsToPolicy(): void {
    if (this.node.findAll().some((n) => n instanceof DiagnosticSetting)) {
      throw new InvalidPropError(this, 'diagnostics', 'policy', 'conflicts with a diagnostic setting this stack already sends; choose one');
    }
    this.resource.node.addMetadata(DIAGNOSTICS_BY_POLICY, true);
  }

  private diagnosticsByPolicy(): boolean {
    return this.resource.node.metadata.some((m) => m.type === DIAGNOSTICS_BY_POLICY);
  }

  /** Reaches the vault from a subnet over private link (sub-resource `vault`). */
  addPrivateEndpoint(key: string, options: PrivateEndpointOptions): PrivateEndpoint {
    const name = options.name ?? `pe-${this.props.name}-${key}`;
    requireUniqueName(this, 'privateEndpoints', key, name, (c) => (c instanceof PrivateEndpoint ? c.resource.nameInput : undefined));
    return new PrivateEndpoint(this, `PrivateEndpoint-${key}`, {
      ...options,
      name,
      resourceGroupName: this.props.resourceGroupName,
      location: this.props.location,
      targetResourceId: this.resourceId,
      targetResourceType: KeyVault.RESOURCE_TYPE,
      tags: options.tags ?? this.props.tags,
    });
  }
}

function validateName(scope: Construct, name: string): void {
  const problems: string[] = [];
  if (name.length < 3 || name.length > 24) problems.push('3 to 24 characters');
  if (!/^[A-Za-z0-9-]*$/.test(name)) problems.push('only letters, digits and hyphens');
  if (!/^[A-Za-z]/.test(name)) problems.push('starts with a letter');
  if (!/[A-Za-z0-9]$/.test(name)) problems.push('ends with a letter or digit');
  if (name.includes('--')) problems.push('no two hyphens in a row');
  if (problems.length) {
    throw new InvalidPropError(scope, 'name', name, `is not a valid Key Vault name; it must have: ${problems.join('; ')}`);
  }
}
