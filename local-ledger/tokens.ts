import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

/** The issuer name the local ledger puts in and expects from tokens. */
export const LOCAL_ISSUER = 'https://login.acl-stack.local/';
/** Audiences: the ledger data plane, and Azure Resource Manager (for the ARM stand-in). */
export const LEDGER_AUDIENCE = 'https://confidential-ledger.azure.com';
export const ARM_AUDIENCE = 'https://management.azure.com';

export interface TokenClaims {
  /** the Entra object id; it is the ledger user id. */
  readonly oid: string;
  readonly tid?: string;
}

/** Mints a bearer token, as Entra ID would, signed by the local issuer key (ES256). */
export async function mintToken(
  issuerKey: KeyObject,
  claims: TokenClaims,
  audience = LEDGER_AUDIENCE,
  lifetimeSeconds = 3600,
): Promise<string> {
  return new SignJWT({ oid: claims.oid, ...(claims.tid ? { tid: claims.tid } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setSubject(claims.oid)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${lifetimeSeconds}s`)
    .sign(issuerKey);
}

/** Checks a bearer token's signature, issuer, audience and expiry; returns the object id. */
export async function verifyToken(issuerKey: KeyObject, token: string, audience: string | string[]): Promise<string> {
  const { payload } = await jwtVerify(token, createPublicKey(issuerKey), { issuer: LOCAL_ISSUER, audience, algorithms: ['ES256'] });
  if (typeof payload.oid !== 'string') throw new Error('the token has no oid claim');
  return payload.oid;
}

/**
 * A `TokenCredential` for the official SDKs that signs its own tokens with the local issuer key:
 * the local counterpart of `DefaultAzureCredential`.
 */
export class LocalTokenCredential implements TokenCredential {
  constructor(
    private readonly issuerKey: KeyObject,
    private readonly claims: TokenClaims,
  ) {}

  async getToken(scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    const scope = Array.isArray(scopes) ? scopes[0] : scopes;
    const audience = scope.replace(/\/\.default$/, '').replace(/\/$/, '');
    const lifetimeSeconds = 3600;
    return {
      token: await mintToken(this.issuerKey, this.claims, audience, lifetimeSeconds),
      expiresOnTimestamp: Date.now() + lifetimeSeconds * 1000,
    };
  }
}
