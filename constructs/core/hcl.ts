/**
 * `cdktf synth --hcl` (SYNTH_HCL_OUTPUT=true) is one of the two ways off archived cdktf
 * (docs/leaving-cdktf.md), and cdktf 0.21's HCL renderer (node_modules/cdktf/lib/hcl/render.js)
 * writes invalid HCL in two places this project hits:
 *
 * - a string value it has no type for (a `Lazy` block list such as a ledger's certificate
 *   principals) is quoted as it is, so a PEM's line breaks split the quoted string ("Quoted strings
 *   may not be split over multiple lines"); a typed multi-line string becomes a heredoc, which
 *   appends a line break the JSON synth does not have;
 * - terraform-block settings other than required_providers, backend and cloud are written as
 *   `0 = "required_version"` (it renders the list of their names);
 * - a `Lazy` block list that produces nothing (no certificate principals) is written as an
 *   attribute holding the renderer's own type wrapper (`{ isBlock = true, type = "list", … }`).
 *
 * {@link HclSafeTerraformStack} fixes both while it renders HCL, and changes nothing in the JSON
 * synth: every multi-line string becomes a one-line quoted string with `\n` escapes (the same
 * value, templates included), the terraform block gets its settings back, and empty lists are left out. A test parses every stack's HCL and compares it with
 * the JSON synth.
 */
import { DefaultTokenResolver, StringConcat, TerraformElement, TerraformStack, Tokenization } from 'cdktf';

type Json = unknown;

/** A TerraformStack whose HCL (`cdktf synth --hcl`) is valid and says what its JSON says. */
export class HclSafeTerraformStack extends TerraformStack {
  override toHclTerraform(): ReturnType<TerraformStack['toHclTerraform']> {
    const elements = this.node.findAll().filter((c): c is TerraformElement => TerraformElement.isTerraformElement(c));
    const resolver = new DefaultTokenResolver(new StringConcat());
    const originals = elements.map((element) => {
      const original = element.toHclTerraform;
      // resolved first, so that values a Lazy produces are seen too.
      element.toHclTerraform = () => oneLineStrings(Tokenization.resolve(original.call(element), { scope: this, resolver }));
      return () => (element.toHclTerraform = original);
    });
    try {
      const rendered = super.toHclTerraform();
      return { ...rendered, hcl: heredocsAsQuotedStrings(restoreTerraformSettings(rendered.hcl, rendered.metadata?.terraform ?? {})) };
    } finally {
      for (const restore of originals) restore();
    }
  }
}

const MULTI_LINE = /[\r\n]/;

/** A string as an HCL quoted literal: JSON's escapes (\n, \", \\, \uXXXX) mean the same in HCL, and `${` stays a template. */
const quoted = (value: string) => JSON.stringify(value);

/** An attribute the renderer types: `{ value, type, storageClassType, isBlock }`. */
function isTyped(value: Json): value is { value: Json; type?: string; isBlock?: boolean } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'value' in value;
}

/**
 * Types the multi-line strings of an element's HCL fragment where the renderer writes attributes
 * (resource, data source and provider bodies, and their blocks), so that they become heredocs,
 * which {@link heredocsAsQuotedStrings} then turns into one-line literals. Strings in untyped
 * values become pre-quoted literals, which the renderer copies through (unless they hold `${`).
 */
function oneLineStrings(fragment: Json): Json {
  if (typeof fragment !== 'object' || fragment === null) return fragment;
  const f = fragment as Record<string, Record<string, Json>>;
  const bodies = (kind: 'resource' | 'data') =>
    f[kind] &&
    Object.fromEntries(
      Object.entries(f[kind]).map(([type, byName]) => [
        type,
        Object.fromEntries(Object.entries(byName as Record<string, Json>).map(([name, body]) => [name, attributes(body)])),
      ]),
    );
  const providers =
    f.provider && Object.fromEntries(Object.entries(f.provider).map(([name, list]) => [name, (list as unknown as Json[]).map(attributes)]));
  return {
    ...f,
    ...(f.resource && { resource: bodies('resource') }),
    ...(f.data && { data: bodies('data') }),
    ...(providers && { provider: providers }),
  };
}

function attributes(body: Json): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(
    Object.entries(body)
      .map(([name, value]) => [name, name === '//' ? value : attribute(value)])
      .filter(([, value]) => value !== undefined),
  );
}

/** A type wrapper whose value resolved to nothing (resolving drops undefined). */
function isEmptyWrapper(value: Json): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'storageClassType' in value && !('value' in value);
}

function attribute(value: Json): Json {
  if (typeof value === 'string') return MULTI_LINE.test(value) ? { value, type: 'simple', storageClassType: 'string' } : value;
  // a Lazy that produced nothing (an empty list): no attribute, where the renderer writes the type wrapper itself.
  if (isEmptyWrapper(value)) return undefined;
  if (!isTyped(value)) return untyped(value);
  if (value.isBlock && (value.type === 'list' || value.type === 'set'))
    return { ...value, value: Array.isArray(value.value) ? value.value.map(attributes) : attributes(value.value) };
  if (value.isBlock) return { ...value, value: attributes(value.value) };
  return value;
}

/** A value the renderer writes without types ("fuzzy"): it copies pre-quoted strings through. */
function untyped(value: Json): Json {
  if (typeof value === 'string') return MULTI_LINE.test(value) && !value.includes('${') ? quoted(value) : value;
  if (Array.isArray(value)) return value.map(untyped);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, untyped(v)]));
  return value;
}

/**
 * The renderer's heredocs (`<<EOF` … `EOF`, no indentation, lines joined with \n) as one-line
 * quoted literals: a heredoc ends its value with a line break the JSON synth does not have.
 */
function heredocsAsQuotedStrings(hcl: string): string {
  return hcl.replace(/ = <<EOF\n([^]*?)\nEOF$/gm, (_, body: string) => ` = ${quoted(body)}`);
}

/**
 * Puts back the terraform-block settings the renderer wrote as `<index> = "<name>"`, with their
 * values from the block itself (one-line literals).
 */
function restoreTerraformSettings(hcl: string, terraform: Record<string, Json>): string {
  return hcl.replace(/^ {2}\d+ = "([A-Za-z_]+)"$/gm, (line, name: string) => {
    const value = terraform[name];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return line;
    return `${name} = ${JSON.stringify(value)}`;
  });
}
