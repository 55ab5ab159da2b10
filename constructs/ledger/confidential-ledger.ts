import { X509Certificate } from 'node:crypto';
import { ConfidentialLedger as ConfidentialLedgerResource } from '@cdktf/provider-azurerm/lib/confidential-ledger';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Construct, InvalidPropError, Lazy, isLiteral } from '../core';
import { ResourceLock, type LockLevel } from '../governance/lock';
import { renderTags, type TagSet } from '../governance/tags';
import { DiagnosticSetting, type DiagnosticSettingProps } from '../monitoring/diagnostic-settings';
import { LEDGER_ROLES, MANAGEMENT_ROLE_NAMES, type LedgerRole, type ManagementRoleName, type PrincipalType } from '../../vocabulary';
import { ACL_REGIONS, isAclRegion, pairedRegion, residencyViolations, type Geography } from '../../vocabulary';

export const LEDGER_TYPES = ['Public', 'Private'] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

/** A data-plane user authenticated by Microsoft Entra ID (a user, group or workload identity). */
export interface EntraLedgerPrincipal {
  readonly kind: 'entra';
  /** the principal's object id; it is the ledger user id. */
  readonly objectId: string;
  readonly tenantId: string;
  readonly role: LedgerRole;
}

/** A data-plane user authenticated by a client certificate over mutual TLS. */
export interface CertificateLedgerPrincipal {
  readonly kind: 'certificate';
  /** the PEM certificate (public part only); its SHA-256 fingerprint is the ledger user id. */
  readonly certificatePem: string;
  readonly role: LedgerRole;
}

export type LedgerPrincipal = EntraLedgerPrincipal | CertificateLedgerPrincipal;

/** A management-plane (Azure RBAC) role on the ledger resource. */
export interface ManagementRoleAssignment {
  readonly principalId: string;
  /** a built-in role name from {@link MANAGEMENT_ROLE_NAMES} or a role definition resource id. */
  readonly roleDefinitionIdOrName: ManagementRoleName | string;
  /**
   * Setting it lets Azure skip a directory lookup that fails for brand-new principals.
   * @default - Azure looks it up
   */
  readonly principalType?: PrincipalType;
  /** @default - none */
  readonly description?: string;
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
  /** @default - no lock */
  readonly lock?: LockLevel;
  /**
   * Adds Terraform's `prevent_destroy`, so a plan that would replace or delete the ledger fails.
   * @default false
   */
  readonly preventDestroy?: boolean;
  readonly tags: TagSet;
}

const LEDGER_NAME = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_DEFINITION_ID = /^(\/subscriptions\/[0-9a-f-]{36})?\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i;

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
    if (!(LEDGER_TYPES as readonly string[]).includes(this.ledgerType)) {
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
      tags: renderTags(this, props.tags),
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
    this.name = props.name;
    this.location = props.location;
    this.resourceId = this.resource.id;
    this.ledgerEndpoint = this.resource.ledgerEndpoint;
    this.identityServiceEndpoint = this.resource.identityServiceEndpoint;

    (props.dataPlanePrincipals ?? []).forEach((p) => this.grantDataPlane(p));
    Object.entries(props.roleAssignments ?? {}).forEach(([key, a]) => this.grantManagement(key, a));
    if (props.lock) {
      new ResourceLock(this, 'Lock', {
        scope: this.resourceId,
        level: props.lock,
        notes: 'Deleting a confidential ledger destroys its data for good.',
      });
    }
    this.node.addValidation({
      validate: () =>
        this.dataPlaneRoles().includes('Administrator')
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
    if (!(LEDGER_ROLES as readonly string[]).includes(principal.role)) {
      throw new InvalidPropError(
        this,
        'dataPlanePrincipals.role',
        principal.role,
        `is not a ledger role; allowed: ${LEDGER_ROLES.join(', ')}`,
      );
    }
    if (principal.kind === 'entra') {
      for (const field of ['objectId', 'tenantId'] as const) {
        if (!GUID.test(principal[field])) {
          throw new InvalidPropError(this, `dataPlanePrincipals.${field}`, principal[field], 'is not a GUID');
        }
      }
      const key = principal.objectId.toLowerCase();
      if (this.entraPrincipals.has(key)) {
        throw new InvalidPropError(
          this,
          'dataPlanePrincipals.objectId',
          principal.objectId,
          'is listed twice; a principal holds exactly one ledger role',
        );
      }
      this.entraPrincipals.set(key, principal);
    } else {
      const fingerprint = certificateFingerprint(this, principal.certificatePem);
      if (this.certificatePrincipals.has(fingerprint)) {
        throw new InvalidPropError(
          this,
          'dataPlanePrincipals.certificatePem',
          fingerprint,
          'is listed twice; a certificate holds exactly one ledger role',
        );
      }
      this.certificatePrincipals.set(fingerprint, principal);
    }
  }

  /** Grants an Azure RBAC role on the ledger resource (management plane only). */
  grantManagement(key: string, assignment: ManagementRoleAssignment): RoleAssignment {
    if (!GUID.test(assignment.principalId)) {
      throw new InvalidPropError(this, `roleAssignments.${key}.principalId`, assignment.principalId, 'is not a GUID');
    }
    const role = assignment.roleDefinitionIdOrName;
    const isId = ROLE_DEFINITION_ID.test(role);
    if (!isId && !(MANAGEMENT_ROLE_NAMES as readonly string[]).includes(role)) {
      throw new InvalidPropError(
        this,
        `roleAssignments.${key}.roleDefinitionIdOrName`,
        role,
        `is neither a role definition id nor a known role; allowed names: ${MANAGEMENT_ROLE_NAMES.join(', ')}` +
          (LEDGER_ROLES.includes(role as LedgerRole) ? ` (ledger roles such as '${role}' belong in dataPlanePrincipals)` : ''),
      );
    }
    return new RoleAssignment(this, `RoleAssignment-${key}`, {
      scope: this.resourceId,
      principalId: assignment.principalId,
      principalType: assignment.principalType,
      description: assignment.description,
      ...(isId ? { roleDefinitionId: role } : { roleDefinitionName: role }),
    });
  }

  /** Sends the ledger's transaction and user-defined logs to Log Analytics. */
  addDiagnosticSetting(key: string, options: Omit<DiagnosticSettingProps, 'targetResourceId' | 'targetResourceType'>): DiagnosticSetting {
    return new DiagnosticSetting(this, `Diagnostics-${key}`, {
      ...options,
      targetResourceId: this.resourceId,
      targetResourceType: ConfidentialLedger.RESOURCE_TYPE,
    });
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
function certificateFingerprint(scope: Construct, pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    throw new InvalidPropError(scope, 'dataPlanePrincipals.certificatePem', pem.slice(0, 40), 'is not a PEM X.509 certificate');
  }
}
