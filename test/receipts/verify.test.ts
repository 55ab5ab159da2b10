import { X509Certificate } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { RECEIPT_CHECKS, ReceiptVerificationError, VerificationCache, verifyReceipt } from '../../receipts/verify';
import { independentClaimsDigest } from '../helpers/independent-claims';
import { AZURE_VECTORS, alter, leafPaths, mutate } from '../helpers/vectors';

function failedCheck(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ReceiptVerificationError) return error.check;
    throw error;
  }
  return 'none (accepted)';
}

describe('verifyReceipt on receipts issued by real Azure ledgers', () => {
  test.each(AZURE_VECTORS.map((v) => [v.name, v]))('accepts %s', (_, vector) => {
    const result = verifyReceipt(vector.receipt, { serviceCertificate: vector.serviceCertificate });
    expect(result.transactionId).toMatch(/^\d+\.\d+$/);
    expect(result.root).toMatch(/^[0-9a-f]{64}$/);
  });

  const mutations = AZURE_VECTORS.flatMap((v) => leafPaths(v.receipt).map((path) => [v.name, path.join('.'), v, path] as const));
  test.each(mutations)('%s: rejects a change to %s', (_, __, vector, path) => {
    const changed = mutate(vector.receipt, path, alter);
    expect(failedCheck(() => verifyReceipt(changed, { serviceCertificate: vector.serviceCertificate }))).not.toBe('none (accepted)');
  });

  test.each(AZURE_VECTORS.map((v) => [v.name, v]))('%s: rejects a missing required field', (_, vector) => {
    const body = 'receipt' in vector.receipt && typeof vector.receipt.receipt === 'object' ? ['receipt'] : [];
    for (const [key, check] of [
      ['cert', 'format'],
      ['signature', 'format'],
      ['proof', 'proof'],
    ]) {
      const changed = mutate(vector.receipt, [...body, key], () => undefined);
      expect(failedCheck(() => verifyReceipt(changed, { serviceCertificate: vector.serviceCertificate }))).toBe(check);
    }
  });

  test('names the check that failed', () => {
    const [one, two] = AZURE_VECTORS;
    const receipt = one.receipt as any;
    const cases: [string, () => unknown][] = [
      ['endorsement', () => verifyReceipt(receipt, { serviceCertificate: two.serviceCertificate })],
      [
        'signature',
        () =>
          verifyReceipt(
            mutate(receipt, ['signature'], () => (two.receipt as any).signature),
            { serviceCertificate: one.serviceCertificate },
          ),
      ],
      [
        'signature',
        () =>
          verifyReceipt(
            mutate(receipt, ['proof'], (p: unknown[]) => [...p].reverse()),
            { serviceCertificate: one.serviceCertificate },
          ),
      ],
      [
        'signature',
        () =>
          verifyReceipt(
            mutate(receipt, ['proof'], (p: unknown[]) => p.slice(1)),
            { serviceCertificate: one.serviceCertificate },
          ),
      ],
      [
        'node-id',
        () =>
          verifyReceipt(
            mutate(receipt, ['nodeId'], () => (two.receipt as any).nodeId),
            { serviceCertificate: one.serviceCertificate },
          ),
      ],
      ['transaction', () => verifyReceipt(receipt, { serviceCertificate: one.serviceCertificate, transactionId: '2.36' })],
      [
        'proof',
        () =>
          verifyReceipt(
            mutate(receipt, ['proof', 0], () => ({ left: 'aa', right: 'bb' })),
            { serviceCertificate: one.serviceCertificate },
          ),
      ],
      [
        'commit-evidence',
        () =>
          verifyReceipt(
            mutate(receipt, ['leafComponents', 'commitEvidence'], () => 'ce:2.35'),
            { serviceCertificate: one.serviceCertificate },
          ),
      ],
    ];
    expect(cases.map(([, run]) => failedCheck(run))).toEqual(cases.map(([check]) => check));
    expect(RECEIPT_CHECKS).toEqual(expect.arrayContaining(cases.map(([check]) => check)));
  });

  test('a shared cache gives the same verdicts', () => {
    const cache = new VerificationCache();
    for (const v of AZURE_VECTORS) {
      verifyReceipt(v.receipt, { serviceCertificate: v.serviceCertificate, cache });
      verifyReceipt(v.receipt, { serviceCertificate: v.serviceCertificate, cache });
    }
    expect(cache.signedRoots.size).toBe(AZURE_VECTORS.length);
    const [one] = AZURE_VECTORS;
    expect(
      failedCheck(() =>
        verifyReceipt(mutate(one.receipt, ['leafComponents', 'claimsDigest'], alter), {
          serviceCertificate: one.serviceCertificate,
          cache,
        }),
      ),
    ).toBe('signature');
  });

  // documented limit (README): ECDSA accepts (r, n−s) as well as (r, s), and the service does not
  // normalise s, so refusing the twin would refuse real receipts.
  test.each(AZURE_VECTORS.map((v) => [v.name, v]))('%s: the ECDSA twin (r, n−s) of its signature also verifies', (_, vector) => {
    const inner = ('receipt' in vector.receipt ? vector.receipt.receipt : vector.receipt) as { cert: string };
    const curve = new X509Certificate(inner.cert).publicKey.asymmetricKeyDetails?.namedCurve === 'secp384r1' ? p384 : p256;
    const twin = mutate(vector.receipt, [...('receipt' in vector.receipt ? ['receipt'] : []), 'signature'], (b64: string) => {
      const signature = curve.Signature.fromBytes(Buffer.from(b64, 'base64'), 'der');
      const flipped = new curve.Signature(signature.r, curve.Point.Fn.ORDER - signature.s);
      return Buffer.from(flipped.toBytes('der')).toString('base64');
    });
    expect(JSON.stringify(twin)).not.toBe(JSON.stringify(vector.receipt));
    expect(failedCheck(() => verifyReceipt(twin, { serviceCertificate: vector.serviceCertificate }))).toBe('none (accepted)');
  });

  describe('application claims (azure-receipt-4-claims)', () => {
    const vector = AZURE_VECTORS.find((v) => v.name === 'azure-receipt-4-claims')!;
    const claim = (vector.receipt as any).applicationClaims[0].ledgerEntry;
    const entry = { collectionId: claim.collectionId, contents: claim.contents };
    const verify = (receipt: unknown, e = entry) => verifyReceipt(receipt, { serviceCertificate: vector.serviceCertificate, entry: e });

    test('the published digest matches an independent implementation of the published algorithm', async () => {
      expect(await independentClaimsDigest([claim])).toBe((vector.receipt as any).receipt.leafComponents.claimsDigest);
    });

    test('binds exactly its entry', () => {
      expect(verify(vector.receipt)).toMatchObject({ contentsBound: true, transactionId: '2.13' });
      expect(failedCheck(() => verify(vector.receipt, { ...entry, contents: 'Hello world!' }))).toBe('claims-digest');
      expect(failedCheck(() => verify(vector.receipt, { ...entry, collectionId: 'subledger:1' }))).toBe('claims-digest');
    });

    test('rejects claims that were removed, swapped for another key or duplicated, naming the check', () => {
      const receipt = vector.receipt as any;
      const cases = [
        mutate(receipt, ['applicationClaims'], () => undefined),
        mutate(receipt, ['applicationClaims', 0, 'ledgerEntry', 'secretKey'], () => Buffer.alloc(32, 7).toString('base64')),
        mutate(receipt, ['applicationClaims'], (c: unknown[]) => [...c, ...c]),
        mutate(receipt, ['applicationClaims', 0, 'kind'], () => 'ClaimDigest'),
      ];
      expect(cases.map((c) => failedCheck(() => verify(c)))).toEqual(cases.map(() => 'claims-digest'));
    });

    test('receipts without claims verify but bind nothing', () => {
      for (const v of AZURE_VECTORS.filter((x) => x !== vector)) {
        expect(verifyReceipt(v.receipt, { serviceCertificate: v.serviceCertificate, entry }).contentsBound).toBe(false);
      }
    });
  });
});
