import { webcrypto } from 'node:crypto';

/*
 * The published application-claims digest, written again for the tests with WebCrypto and no
 * production code, to cross-check receipts/claims.ts and the local ledger: for a LedgerEntryV1
 * claim d = SHA-256("LedgerEntryV1" ‖ SHA-256(HMAC(key, collectionId) ‖ HMAC(key, contents))),
 * and the digest is SHA-256(uint32 little-endian count ‖ d1 ‖ d2 …).
 */
const subtle = webcrypto.subtle;
const utf8 = (text: string) => new TextEncoder().encode(text);
const sha = async (data: Uint8Array) => new Uint8Array(await subtle.digest('SHA-256', data));
const join = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
};

export async function independentClaimsDigest(
  entries: readonly { collectionId: string; contents: string; secretKey: string }[],
): Promise<string> {
  const digests: Uint8Array[] = [];
  for (const entry of entries) {
    const key = await subtle.importKey(
      'raw',
      Uint8Array.from(atob(entry.secretKey), (c) => c.charCodeAt(0)),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const mac = async (text: string) => new Uint8Array(await subtle.sign('HMAC', key, utf8(text)));
    digests.push(await sha(join(utf8('LedgerEntryV1'), await sha(join(await mac(entry.collectionId), await mac(entry.contents))))));
  }
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, entries.length, true);
  return Buffer.from(await sha(join(count, ...digests))).toString('hex');
}
