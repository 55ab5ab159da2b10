import { createHmac } from 'node:crypto';
import { sha256 } from './merkle';

/*
 * Application claims, as Azure confidential ledger attaches them to entries written with
 * api-version 2023-01-18-preview or 2026-02-23 and later: a `LedgerEntryV1` claim whose digest
 * binds the entry's collection id and contents through a per-entry HMAC key. Algorithm as the
 * official SDKs compute it (azure-sdk-for-python, azure/confidentialledger/receipt/_claims_digest_computation.py).
 */

export const LEDGER_ENTRY_V1 = 'LedgerEntryV1';

export interface LedgerEntryClaim {
  readonly kind: 'LedgerEntry';
  readonly ledgerEntry: {
    readonly collectionId: string;
    readonly contents: string;
    readonly protocol: typeof LEDGER_ENTRY_V1;
    /** base64 HMAC-SHA256 key, random per entry. */
    readonly secretKey: string;
  };
}
export interface DigestClaim {
  readonly kind: 'ClaimDigest';
  readonly digest: { readonly protocol: string; readonly value: string };
}
export type ApplicationClaim = LedgerEntryClaim | DigestClaim;

/** A claim list that cannot be digested; the message says which element and why. */
export class ClaimsFormatError extends Error {}

/** hex `H(le32(count) ‖ d1 ‖ d2 …)` over the claims' own digests. */
export function claimsDigest(claims: readonly unknown[]): string {
  const count = Buffer.alloc(4);
  count.writeUInt32LE(claims.length);
  return sha256(count, ...claims.map((claim, i) => claimDigest(claim, i))).toString('hex');
}

/** The `LedgerEntryV1` claim of an entry. */
export function ledgerEntryClaim(collectionId: string, contents: string, secretKey: string): LedgerEntryClaim {
  return { kind: 'LedgerEntry', ledgerEntry: { collectionId, contents, protocol: LEDGER_ENTRY_V1, secretKey } };
}

function claimDigest(claim: unknown, i: number): Buffer {
  const at = `applicationClaims[${i}]`;
  if (!isObject(claim)) throw new ClaimsFormatError(`${at} is not an object`);
  if (claim.kind === 'LedgerEntry') {
    const entry = claim.ledgerEntry;
    if (!isObject(entry)) throw new ClaimsFormatError(`${at}.ledgerEntry is missing`);
    if (entry.protocol !== LEDGER_ENTRY_V1)
      throw new ClaimsFormatError(`${at} has protocol ${JSON.stringify(entry.protocol)}, not ${LEDGER_ENTRY_V1}`);
    for (const field of ['collectionId', 'contents', 'secretKey'] as const) {
      if (typeof entry[field] !== 'string') throw new ClaimsFormatError(`${at}.ledgerEntry.${field} is not a string`);
    }
    const key = Buffer.from(entry.secretKey as string, 'base64');
    if (key.length === 0 || key.toString('base64') !== entry.secretKey) {
      throw new ClaimsFormatError(`${at}.ledgerEntry.secretKey is not canonical base64`);
    }
    const hmac = (text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
    const inner = sha256(hmac(entry.collectionId as string), hmac(entry.contents as string));
    return sha256(Buffer.from(LEDGER_ENTRY_V1, 'utf8'), inner);
  }
  if (claim.kind === 'ClaimDigest') {
    const digest = claim.digest;
    if (
      !isObject(digest) ||
      typeof digest.protocol !== 'string' ||
      typeof digest.value !== 'string' ||
      !/^[0-9a-f]{64}$/.test(digest.value)
    ) {
      throw new ClaimsFormatError(`${at}.digest must hold a protocol and a 64-hex value`);
    }
    return sha256(Buffer.from(digest.protocol, 'utf8'), Buffer.from(digest.value, 'hex'));
  }
  throw new ClaimsFormatError(`${at} has kind ${JSON.stringify(claim.kind)}, not LedgerEntry or ClaimDigest`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
