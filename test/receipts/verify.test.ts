import { RECEIPT_CHECKS, ReceiptVerificationError, VerificationCache, verifyReceipt } from '../../receipts/verify';
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
    expect(cache.signedRoots.size).toBe(3);
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
});
