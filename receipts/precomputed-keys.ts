import { createHash, X509Certificate } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';

/*
 * ECDSA verification of pre-hashed roots with precomputed tables for a fixed node key.
 *
 * `@noble/curves` (2.x) computes u1·G + u2·P with a joint multiplication from scratch on every
 * `verify`, since `verify` takes the key as bytes. Its points offer `precompute(windowSize)` (README
 * "Speed"; abstract/curve.d.ts `precompute`): tables kept per point object, used by
 * `multiplyUnsafe`. A ledger signs every root with the same few node keys, so bulk verification
 * keeps one precomputed point per key and evaluates the same equation SEC 1 §4.1.4 and noble's
 * `verify` do: R = (h·s⁻¹)·G + (r·s⁻¹)·P, valid when R ≠ O and R.x mod n = r. Its result equals
 * `curve.verify(sig, root, key, { prehash: false, lowS: false, format: 'der' })`, which the tests
 * check on random and corrupted inputs.
 */

const WINDOW = 8;
type Curve = typeof p256 | typeof p384;

interface NodeKey {
  readonly curve: Curve;
  readonly point: ReturnType<Curve['Point']['fromBytes']>;
  /** hex SHA-256 of the DER SubjectPublicKeyInfo: the receipt's node id. */
  readonly nodeId: string;
}

/** Node keys by certificate PEM, each with its precomputed multiplication tables. */
export class PrecomputedKeys {
  private readonly keys = new Map<string, NodeKey | null>();

  /** The key of a node certificate, or undefined when it is not a P-256/P-384 certificate. */
  key(certificatePem: string): NodeKey | undefined {
    if (!this.keys.has(certificatePem)) this.keys.set(certificatePem, load(certificatePem));
    return this.keys.get(certificatePem) ?? undefined;
  }

  /** True when `signatureB64` (base64 DER) is the key's ECDSA signature over the digest `root`. */
  verify(key: NodeKey, root: Uint8Array, signatureB64: string): boolean {
    const { Point, Signature } = key.curve;
    const Fn = Point.Fn;
    if (root.length * 8 > Fn.BITS) return false;
    try {
      const { r, s } = Signature.fromBytes(Buffer.from(signatureB64, 'base64'), 'der');
      const h = Fn.create(BigInt(`0x${Buffer.from(root).toString('hex') || '0'}`));
      const sInverse = Fn.inv(s);
      const R = Point.BASE.multiplyUnsafe(Fn.create(h * sInverse)).add(key.point.multiplyUnsafe(Fn.create(r * sInverse)));
      return !R.is0() && Fn.create(R.toAffine().x) === r;
    } catch {
      return false;
    }
  }
}

function load(certificatePem: string): NodeKey | null {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    return null;
  }
  const jwk = certificate.publicKey.export({ format: 'jwk' });
  const curve = jwk.crv === 'P-256' ? p256 : jwk.crv === 'P-384' ? p384 : undefined;
  if (!curve || !jwk.x || !jwk.y) return null;
  const bytes = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  return {
    curve,
    point: curve.Point.fromBytes(bytes).precompute(WINDOW),
    nodeId: createHash('sha256')
      .update(certificate.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  };
}
