import { DefaultTokenResolver, StringConcat, Token, Tokenization } from 'cdktf';
import type { IConstruct } from 'constructs';

/**
 * An invalid input to a construct. Thrown at construction time so that `synth` stops before any
 * output is written, with one line that names the construct, the field, the value and what is
 * allowed.
 */
export class InvalidPropError extends Error {
  /** the construct path of the construct that refused the input. */
  readonly path: string;

  constructor(
    scope: IConstruct,
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${scope.node.path}: ${field} ${JSON.stringify(value)} ${expected}`);
    this.name = 'InvalidPropError';
    this.path = scope.node.path;
  }
}

/** True when a value is a literal that can be checked at synth time (not a Terraform token). */
export function isLiteral(value: unknown): boolean {
  return !Token.isUnresolved(value);
}

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** A value with its tokens resolved to the Terraform expressions they stand for. */
export function resolveValue(scope: IConstruct, value: unknown): unknown {
  return Tokenization.resolve(value, { scope, preparing: false, resolver: RESOLVER });
}

/**
 * A string from configuration made literal for Terraform: in every Terraform string, the JSON
 * syntax included, `${` starts an interpolation and `%{` a directive, so `${file("/etc/passwd")}` in
 * a tag would be evaluated. Doubling the first character (`$${`, `%%{`) is Terraform's escape; the
 * value reaching Azure is unchanged.
 * @see https://developer.hashicorp.com/terraform/language/expressions/strings#escape-sequences
 */
export function terraformLiteral(text: string): string {
  return text.replace(/([$%])\{/g, '$1$1{');
}

/** Every string in a plain JSON-like value made literal for Terraform ({@link terraformLiteral}). */
export function terraformLiterals<T>(value: T): T {
  if (typeof value === 'string') return terraformLiteral(value) as T;
  if (Array.isArray(value)) return value.map(terraformLiterals) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [terraformLiteral(k), terraformLiterals(v)])) as T;
  }
  return value;
}

/**
 * Refuses a key that is a reference (construct ids must be stable) and a literal Azure name that
 * another child of `owner` of the same kind already uses.
 */
export function requireUniqueName(
  owner: IConstruct,
  field: string,
  key: string,
  name: string,
  nameOf: (child: IConstruct) => string | undefined,
): void {
  if (!isLiteral(key)) {
    throw new InvalidPropError(owner, field, key, 'has a key that is a reference; keys name construct ids and must be literal');
  }
  if (isLiteral(name) && owner.node.children.some((c) => nameOf(c) === name)) {
    throw new InvalidPropError(owner, `${field}.${key}.name`, name, 'is already used on this resource; give each a name of its own');
  }
}
