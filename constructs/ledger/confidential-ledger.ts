import { X509Certificate } from 'node:crypto';
import { ConfidentialLedger as ConfidentialLedgerResource } from '@cdktf/provider-azurerm/lib/confidential-ledger';
import type { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Construct, InvalidPropError, Lazy, isLiteral } from '../core';
import { ResourceLock, type LockLevel } from '../governance/lock';
import { assignRole, isGuidOrReference, type RoleAssignmentProps } from '../governance/role-assignment';
import { checkTags, type Tags } from '../governance/tags';
import { attachDiagnosticSetting, type DiagnosticSetting, type DiagnosticSettingOptions } from '../monitoring/diagnostic-settings';
import { LEDGER_ROLES, MANAGEMENT_ROLE_NAMES, type LedgerRole, type ManagementRoleName } from '../../vocabulary';
import { ACL_REGIONS, isAclRegion, pairedRegion, residencyViolations, type Geography } from '../../vocabulary';

export const LEDGER_TYPES = ['Public', 'Private'] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

/** A data-plane user authenticated by Microsoft Entra ID (a user, group or workload identity). */
export interface EntraLedgerPrincipal {
  readonly kind: 'entra';
  /** the principal's object id (a GUID or a reference, e.g. a managed identity's `principalId`); it is the ledger user id. */
  readonly objectId: string;
  /** a GUID or a reference. */
  readonly tenantId: string;
  readonly role: LedgerRole;
}

/** A data-plane user authenticated by a client certificate over mutual TLS. */
export interface CertificateLedgerPrincipal {
  readonly kind: 'certificate';
  /**
   * the PEM certificate (public part only), or a reference to one; its SHA-256 fingerprint is the
   * ledger user id.
   */
  readonly certificatePem: string;
  readonly role: LedgerRole;
}

export type LedgerPrincipal = EntraLedgerPrincipal | CertificateLedgerPrincipal;

/** A management-plane (Azure RBAC) role on the ledger resource. */
export interface ManagementRoleAssignment extends RoleAssignmentProps {
  /** a built-in role name from {@link MANAGEMENT_ROLE_NAMES} or a role definition resource id. */
  readonly roleDefinitionIdOrName: ManagementRoleName | string;
}

export interface ConfidentialLedgerProps {
  /**
   * 3–32 characters: lower-case letters, digits and hyphens, starting with a letter and not
   * ending with a hyphen. It becomes `https://<name>.confidential-ledger.azure.com`, so it is
   * globally unique.
   * IMPORTANT: changing it replaces the ledger, and a deleted ledger's data is gone.
   */
  readonly name: string;
  readonly resourceGroupName: string;
  /**
   * An Azure region that offers confidential ledger ({@link ACL_REGIONS}).
   * IMPORTANT: changing it replaces the ledger.
   */
  readonly location: string;
  /**
   * `Private` keeps entries readable only by ledger users; `Public` lets anyone read them.
   * IMPORTANT: changing it replaces the ledger.
   * @default 'Private'
   */
  readonly ledgerType?: LedgerType;
  /**
   * Geographies the ledger's data may live in. ACL always replicates to the region's Azure pair,
   * so both must lie inside.
   * @default - no residency rule
   */
  readonly allowedGeographies?: readonly Geography[];
  /**
   * Data-plane users; more can be added with {@link ConfidentialLedger.grantDataPlane}. At least one
   * must be an Administrator by synth time, or nobody could manage the ledger's users.
   * @default - none
   */
  readonly dataPlanePrincipals?: readonly LedgerPrincipal[];
  /**
   * Azure RBAC on the ledger resource, keyed by a stable name; more with
   * {@link ConfidentialLedger.grantManagement}. Grants nothing inside the ledger.
   * @default - none
   */
  readonly roleAssignments?: Readonly<Record<string, ManagementRoleAssignment>>;
  /**
   * Diagnostic settings keyed by a stable name; more with {@link ConfidentialLedger.addDiagnosticSetting}.
   * @default - none (guardrail ACL-L4 asks for one)
   */
  readonly diagnosticSettings?: Readonly<Record<string, DiagnosticSettingOptions>>;
  /** @default - no lock */
  readonly lock?: LockLevel;
  /**
   * Adds Terraform's `prevent_destroy`, so a plan that would replace or delete the ledger fails.
   * @default false
   */
  readonly preventDestroy?: boolean;
  /** @default - none */
  readonly tags?: Tags;
}

const LEDGER_NAME = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;

/**
 * An Azure confidential ledger with its data-plane users, management-plane RBAC, lock and
 * diagnostics.
 * @see https://learn.microsoft.com/azure/confidential-ledger/overview
 */
export class ConfidentialLedger extends Construct {
  static readonly RESOURCE_TYPE = 'Microsoft.ConfidentialLedger/ledgers';

  readonly name: string;
  readonly resourceId: string;
  /** `https://<name>.confidential-ledger.azure.com` */
  readonly ledgerEndpoint: string;
  readonly identityServiceEndpoint: string;
  readonly location: string;
  readonly ledgerType: LedgerType;
  readonly resource: ConfidentialLedgerResource;

  private readonly entraPrincipals = new Map<string, EntraLedgerPrincipal>();
  private readonly certificatePrincipals = new Map<string, CertificateLedgerPrincipal>();

  constructor(scope: Construct, id: string, props: ConfidentialLedgerProps) {
    super(scope, id);
    // names and regions that are Terraform expressions (variables, references) are checked by Azure.
    if (isLiteral(props.name)) validateName(this, props.name);
    if (isLiteral(props.location)) this.validateLocation(props.location, props.allowedGeographies);
    this.ledgerType = props.ledgerType ?? 'Private';
    if (isLiteral(this.ledgerType) && !(LEDGER_TYPES as readonly string[]).includes(this.ledgerType)) {
      throw new InvalidPropError(this, 'ledgerType', this.ledgerType, `is not a ledger type; allowed: ${LEDGER_TYPES.join(', ')}`);
    }

    this.resource = new ConfidentialLedgerResource(this, 'Resource', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      ledgerType: this.ledgerType,
      // rendered lazily so that grantDataPlane() after construction is honoured; sorted so that
      // reordering principals in config causes no plan noise.
      azureadBasedServicePrincipal: Lazy.anyValue({
        produce: () =>
          [...this.entraPrincipals.values()]
            .sort((a, b) => a.objectId.localeCompare(b.objectId))
            .map((p) => ({ principal_id: p.objectId, tenant_id: p.tenantId, ledger_role_name: p.role })),
      }),
      certificateBasedSecurityPrincipal: Lazy.anyValue(
        {
          produce: () =>
            [...this.certificatePrincipals.entries()]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([, p]) => ({ pem_public_key: p.certificatePem, ledger_role_name: p.role })),
        },
        { omitEmptyArray: true },
      ),
      tags: checkTags(this, props.tags),
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
    this.name = props.name;
    this.location = props.location;
    this.resourceId = this.resource.id;
    this.ledgerEndpoint = this.resource.ledgerEndpoint;
    this.identityServiceEndpoint = this.resource.identityServiceEndpoint;

    (props.dataPlanePrincipals ?? []).forEach((p, i) => this.addPrincipal(p, `dataPlanePrincipals[${i}]`));
    Object.entries(props.roleAssignments ?? {}).forEach(([key, a]) => this.grantManagement(key, a));
    Object.entries(props.diagnosticSettings ?? {}).forEach(([key, d]) => this.addDiagnosticSetting(key, d));
    if (props.lock) {
      new ResourceLock(this, 'Lock', {
        scope: this.resourceId,
        level: props.lock,
        notes: 'Deleting a confidential ledger destroys its data for good.',
      });
    }
    this.node.addValidation({
      validate: () =>
        // a role that is a reference may be Administrator: only Azure can tell.
        this.dataPlaneRoles().some((role) => role === 'Administrator' || !isLiteral(role))
          ? []
          : [`${this.node.path}: dataPlanePrincipals has no Administrator; at least one principal must hold the Administrator ledger role`],
    });
  }

  private validateLocation(location: string, allowedGeographies: readonly Geography[] | undefined): void {
    if (!isAclRegion(location)) {
      throw new InvalidPropError(
        this,
        'location',
        location,
        `does not offer Azure confidential ledger; allowed: ${ACL_REGIONS.join(', ')}`,
      );
    }
    const outside = allowedGeographies ? residencyViolations(location, allowedGeographies) : [];
    if (outside.length) {
      throw new InvalidPropError(
        this,
        'location',
        location,
        `breaks the residency rule (allowed geographies: ${allowedGeographies!.join(', ')}): ` +
          `ACL replicates '${location}' to its paired region '${pairedRegion(location)}', ` +
          `and ${outside.map((r) => `'${r}'`).join(' and ')} lie outside`,
      );
    }
  }

  /** Grants a data-plane ledger role (Administrator, Contributor or Reader) inside the ledger. */
  grantDataPlane(principal: LedgerPrincipal): void {
    this.addPrincipal(principal, 'principal');
  }

  private addPrincipal(principal: LedgerPrincipal, field: string): void {
    if (isLiteral(principal.role) && !(LEDGER_ROLES as readonly string[]).includes(principal.role)) {
      throw new InvalidPropError(this, `${field}.role`, principal.role, `is not a ledger role; allowed: ${LEDGER_ROLES.join(', ')}`);
    }
    if (principal.kind === 'entra') {
      for (const key of ['objectId', 'tenantId'] as const) {
        if (!isGuidOrReference(principal[key])) throw new InvalidPropError(this, `${field}.${key}`, principal[key], 'is not a GUID');
      }
      // a reference is its own key: the same reference twice is the same principal.
      const key = isLiteral(principal.objectId) ? principal.objectId.toLowerCase() : principal.objectId;
      if (this.entraPrincipals.has(key)) {
        throw new InvalidPropError(
          this,
          `${field}.objectId`,
          principal.objectId,
          'is listed twice; a principal holds exactly one ledger role',
        );
      }
      this.entraPrincipals.set(key, principal);
    } else {
      const key = isLiteral(principal.certificatePem)
        ? certificateFingerprint(this, field, principal.certificatePem)
        : principal.certificatePem;
      if (this.certificatePrincipals.has(key)) {
        throw new InvalidPropError(this, `${field}.certificatePem`, key, 'is listed twice; a certificate holds exactly one ledger role');
      }
      this.certificatePrincipals.set(key, principal);
    }
  }

  /** Grants an Azure RBAC role on the ledger resource (management plane only). */
  grantManagement(key: string, assignment: ManagementRoleAssignment): RoleAssignment {
    return assignRole(this, key, this.resourceId, assignment, MANAGEMENT_ROLE_NAMES, (role) =>
      LEDGER_ROLES.includes(role as LedgerRole) ? ` (ledger roles such as '${role}' belong in dataPlanePrincipals)` : '',
    );
  }

  /** Sends the ledger's transaction and user-defined logs to Log Analytics. */
  addDiagnosticSetting(key: string, options: DiagnosticSettingOptions): DiagnosticSetting {
    return attachDiagnosticSetting(this, key, { resourceId: this.resourceId, resourceType: ConfidentialLedger.RESOURCE_TYPE }, options);
  }

  /** The ledger roles granted so far, one per principal. */
  dataPlaneRoles(): LedgerRole[] {
    return [...this.entraPrincipals.values(), ...this.certificatePrincipals.values()].map((p) => p.role);
  }
}

function validateName(scope: Construct, name: string): void {
  if (!LEDGER_NAME.test(name)) {
    throw new InvalidPropError(
      scope,
      'name',
      name,
      'is not a valid ledger name; it must be 3–32 lower-case letters, digits and hyphens, start with a letter and not end with a hyphen',
    );
  }
}

/** The SHA-256 fingerprint the ledger uses as a certificate user's id (`AB:CD:…`). */
function certificateFingerprint(scope: Construct, field: string, pem: string): string {
  const problem = certificateProblem(pem);
  // the text is not echoed: it may be a private key or binary.
  if (problem) throw new InvalidPropError(scope, `${field}.certificatePem`, `(${pem.length} characters)`, problem);
  return new X509Certificate(pem).fingerprint256;
}

/**
 * Why a text is not usable as a certificate principal's PEM, or undefined when it is: a PEM X.509
 * certificate, and nothing else (a private key beside it would reach Terraform state).
 */
export function certificateProblem(pem: string): string | undefined {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return /-----BEGIN CERTIFICATE-----/.test(pem)
      ? 'holds a private key beside the certificate; give the certificate (public part) alone'
      : 'is a private key; give the certificate (public part) instead';
  }
  try {
    new X509Certificate(pem);
    return undefined;
  } catch {
    return 'is not a PEM X.509 certificate';
  }
}
