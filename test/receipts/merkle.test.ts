import { MerkleTree, foldProof, sha256 } from '../../receipts/merkle';

/** The tree as CCF's reference code builds it, level by level, for cross-checking. */
function referenceRoot(leaves: Buffer[]): Buffer {
  let level = leaves;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? sha256(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

const leaf = (i: number) => sha256(Buffer.from(`leaf ${i}`));

describe('MerkleTree', () => {
  const tree = new MerkleTree();
  const leaves = Array.from({ length: 69 }, (_, i) => leaf(i));
  leaves.forEach((l) => tree.append(l));

  test('has the root of the CCF reference algorithm for every earlier size', () => {
    for (let n = 1; n <= 69; n++) expect(tree.root(n).toString('hex')).toBe(referenceRoot(leaves.slice(0, n)).toString('hex'));
  });

  test('gives proofs that fold to the root, for every leaf of every size', () => {
    for (let n = 1; n <= 69; n++) {
      const root = tree.root(n);
      for (let i = 0; i < n; i++) expect(foldProof(leaves[i], tree.proof(i, n)).equals(root)).toBe(true);
    }
  });

  test('a shared memo gives the same roots, and a wrong proof still folds to a wrong root', () => {
    const memo = new Map<string, string>();
    for (let n = 1; n <= 69; n += 7) {
      for (let i = 0; i < n; i++) expect(foldProof(leaves[i], tree.proof(i, n), memo).equals(tree.root(n))).toBe(true);
    }
    expect(memo.size).toBeGreaterThan(0);
    const wrong = tree.proof(3, 64).map((step) => ('left' in step ? { right: step.left } : { left: step.right }));
    expect(foldProof(leaves[3], wrong, memo).equals(tree.root(64))).toBe(false);
  });

  test('one leaf is its own root, with an empty proof', () => {
    expect(tree.root(1).equals(leaves[0])).toBe(true);
    expect(tree.proof(0, 1)).toEqual([]);
  });

  test('the last leaf before a power of two has an all-left proof, like the real receipts', () => {
    expect(tree.proof(63, 64).every((step) => 'left' in step)).toBe(true);
  });

  test('truncate undoes appends exactly', () => {
    const t = new MerkleTree();
    leaves.slice(0, 40).forEach((l) => t.append(l));
    const root = t.root();
    leaves.slice(40, 55).forEach((l) => t.append(l));
    t.truncate(40);
    expect(t.size).toBe(40);
    expect(t.root().equals(root)).toBe(true);
    leaves.slice(40, 69).forEach((l) => t.append(l));
    expect(t.root().equals(tree.root())).toBe(true);
  });

  test('refuses sizes and leaves it never had', () => {
    expect(() => tree.root(70)).toThrow(RangeError);
    expect(() => tree.proof(5, 5)).toThrow(RangeError);
  });
});
