import { createHash } from 'node:crypto';

/*
 * The Merkle tree of a CCF ledger (ccf/merkletree.py, merklecpp): each level pairs nodes left to
 * right with parent = SHA-256(left ‖ right), and an odd last node is promoted unchanged. The node
 * at level h, index j covers the leaves [j·2^h, (j+1)·2^h) that exist.
 */

export const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};

export type ProofStep = { readonly left: string } | { readonly right: string };

/** The three parts a receipt's leaf is made of (hex, except commitEvidence). */
export interface LeafComponents {
  readonly writeSetDigest: string;
  readonly commitEvidence: string;
  readonly claimsDigest: string;
}

/** leaf = H(writeSetDigest ‖ H(commitEvidence) ‖ claimsDigest), as the ACL SDKs compute it. */
export function leafHash(components: LeafComponents): Buffer {
  return sha256(
    Buffer.from(components.writeSetDigest, 'hex'),
    sha256(Buffer.from(components.commitEvidence, 'utf8')),
    Buffer.from(components.claimsDigest, 'hex'),
  );
}

/**
 * Folds a proof into the root it leads to from `leaf`. With `memo`, each parent hash is computed
 * once across calls: receipts under one signed root share most of their upper proof, so bulk
 * verification then costs little more than one hash per receipt. SHA-256 is a pure function, so a
 * memo can never change a result.
 */
export function foldProof(leaf: Uint8Array, proof: readonly ProofStep[], memo?: Map<string, string>): Buffer {
  let current = Buffer.from(leaf).toString('hex');
  for (const step of proof) {
    const left = 'left' in step;
    const sibling = left ? step.left : step.right;
    const key = memo && `${current}${left ? '<' : '>'}${sibling}`;
    const known = key && memo.get(key);
    if (known) {
      current = known;
      continue;
    }
    const mine = Buffer.from(current, 'hex');
    const other = Buffer.from(sibling, 'hex');
    current = (left ? sha256(other, mine) : sha256(mine, other)).toString('hex');
    if (key) memo.set(key, current);
  }
  return Buffer.from(current, 'hex');
}

/**
 * An append-only tree that answers for any earlier size: the root it had, and the proof of a leaf
 * in it. Complete subtrees are kept as they fill, so a root or proof costs O(log² n) hashes.
 */
export class MerkleTree {
  /** levels[h][j]: the hash of the complete block j at level h. levels[0] are the leaves. */
  private readonly levels: Buffer[][] = [[]];

  get size(): number {
    return this.levels[0].length;
  }

  append(leaf: Buffer): number {
    const index = this.levels[0].length;
    this.levels[0].push(leaf);
    // a right child completes its parent block; carry upwards while blocks complete.
    for (let h = 0, j = index; j % 2 === 1; h++, j = (j - 1) / 2) {
      if (!this.levels[h + 1]) this.levels.push([]);
      this.levels[h + 1].push(sha256(this.levels[h][j - 1], this.levels[h][j]));
    }
    return index;
  }

  /** Drops leaves from the end (used to undo a batch that could not be made durable). */
  truncate(size: number): void {
    for (let h = 0; h < this.levels.length; h++) this.levels[h].length = Math.min(this.levels[h].length, size >> h);
  }

  /** The root of the tree as it was with `size` leaves. */
  root(size = this.size): Buffer {
    if (size < 1 || size > this.size) throw new RangeError(`no tree of size ${size} (have ${this.size})`);
    let height = 0;
    while (1 << height < size) height++;
    return this.node(height, 0, size);
  }

  /** The proof of leaf `index` in the tree as it was with `size` leaves, bottom-up. */
  proof(index: number, size = this.size): ProofStep[] {
    if (index < 0 || index >= size || size > this.size) throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
    const steps: ProofStep[] = [];
    for (let h = 0; 1 << h < size; h++) {
      const j = index >> h;
      if (j % 2 === 1) steps.push({ left: this.node(h, j - 1, size).toString('hex') });
      else if ((j + 1) << h < size) steps.push({ right: this.node(h, j + 1, size).toString('hex') });
    }
    return steps;
  }

  private node(h: number, j: number, size: number): Buffer {
    if ((j + 1) << h <= size) return this.levels[h][j];
    // a block cut short by `size`: its right half may be missing (promote the left) or partial.
    const left = this.node(h - 1, 2 * j, size);
    return (2 * j + 1) << (h - 1) < size ? sha256(left, this.node(h - 1, 2 * j + 1, size)) : left;
  }
}
