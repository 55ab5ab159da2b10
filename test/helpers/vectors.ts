import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Receipts issued by real Azure ledgers; see the file's `source` field for where they come from. */
export interface ReceiptVector {
  readonly name: string;
  readonly serviceCertificate: string;
  readonly receipt: Record<string, unknown>;
}

export const AZURE_VECTORS: readonly ReceiptVector[] = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'azure-receipt-vectors.json'), 'utf8'),
).vectors;

/** Every path to a leaf value (string, number, boolean) in a JSON value. */
export function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...prefix, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  return [prefix];
}

/** A deep copy with the value at `path` replaced by `change(old)`. */
export function mutate<T>(value: T, path: (string | number)[], change: (old: any) => unknown): T {
  const copy = structuredClone(value) as any;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key];
  parent[path[path.length - 1]] = change(parent[path[path.length - 1]]);
  return copy;
}

/** A different value of the same kind: one character changed (inside a PEM body, a base64 one). */
export function alter(old: unknown): unknown {
  if (typeof old === 'boolean') return !old;
  if (typeof old === 'number') return old + 1;
  const text = String(old);
  const at = text.startsWith('-----BEGIN') ? text.indexOf('\n') + 40 : text.length - 2;
  const replacement = /[0-9a-f]/.test(text[at]) ? (text[at] === '0' ? '1' : '0') : text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + replacement + text.slice(at + 1);
}
