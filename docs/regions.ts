import { spawnSync } from 'node:child_process';

/*
 * Generated regions in Markdown documents:
 *
 *   <!-- BEGIN GENERATED: config-fields (npm run docs) -->
 *   …written by the generator named config-fields; edits here are overwritten…
 *   <!-- END GENERATED: config-fields -->
 *
 * Everything outside the markers is prose and is left alone.
 */

/** Name → the region's Markdown, computed from the code's data. */
/** A malformed generated region or a document prettier cannot format: named with file and line. */
export class RegionError extends Error {}

export type Generators = Readonly<Record<string, () => string>>;

export const DOCS_COMMAND = 'npm run docs';

const BEGIN = /^<!-- BEGIN GENERATED: ([a-z0-9-]+) \(npm run docs\) -->$/;
const END = /^<!-- END GENERATED: ([a-z0-9-]+) -->$/;

export const beginMarker = (name: string): string => `<!-- BEGIN GENERATED: ${name} (${DOCS_COMMAND}) -->`;
export const endMarker = (name: string): string => `<!-- END GENERATED: ${name} -->`;

interface Region {
  readonly name: string;
  /** line indexes of the BEGIN and END markers. */
  readonly begin: number;
  readonly end: number;
}

/** A document's regions, refusing a BEGIN without its END, an END without a BEGIN, or nesting. */
function regionsOf(lines: readonly string[], file: string): Region[] {
  const regions: Region[] = [];
  let open: { name: string; begin: number } | undefined;
  lines.forEach((line, i) => {
    const begin = BEGIN.exec(line.trim());
    const end = END.exec(line.trim());
    if (begin) {
      if (open)
        throw new RegionError(`${file}:${i + 1}: region '${begin[1]}' begins inside region '${open.name}' (line ${open.begin + 1})`);
      open = { name: begin[1], begin: i };
    } else if (end) {
      if (!open || open.name !== end[1])
        throw new RegionError(`${file}:${i + 1}: '${endMarker(end[1])}' has no matching '${beginMarker(end[1])}' before it`);
      regions.push({ ...open, end: i });
      open = undefined;
    } else if (/<!-- (BEGIN|END) GENERATED/.test(line)) {
      throw new RegionError(`${file}:${i + 1}: malformed marker; write '${beginMarker('<name>')}' … '${endMarker('<name>')}'`);
    }
  });
  if (open) throw new RegionError(`${file}:${open.begin + 1}: region '${open.name}' has no '${endMarker(open.name)}'`);
  return regions;
}

/** The names of the regions a document holds, in order. */
export const regionNames = (text: string, file: string): string[] => regionsOf(text.split('\n'), file).map((r) => r.name);

/** Each region's current content by name. */
function regionContents(text: string, file: string): Map<string, string> {
  const lines = text.split('\n');
  return new Map(
    regionsOf(lines, file).map((r) => [
      r.name,
      lines
        .slice(r.begin + 1, r.end)
        .join('\n')
        .trim(),
    ]),
  );
}

/**
 * Formats Markdown exactly as `prettier --check` in `npm run lint` does: the prettier CLI, with the
 * configuration it finds for `file`. A child process, because prettier's API loads its core with a
 * dynamic import that jest's module loader refuses.
 */
function prettierFormat(text: string, file: string): string {
  const result = spawnSync(process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--stdin-filepath', file], {
    input: text,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new RegionError(`${file}: prettier could not format the document: ${result.stderr || result.error?.message}`);
  return result.stdout;
}

/** The document with every region replaced by its generator's output, formatted as `npm run lint` expects. */
export function renderDocument(text: string, file: string, generators: Generators): string {
  const lines = text.split('\n');
  const regions = regionsOf(lines, file);
  if (regions.length === 0) return text;
  const out: string[] = [];
  let next = 0;
  for (const region of regions) {
    const generate = generators[region.name];
    if (!generate) {
      throw new RegionError(
        `${file}:${region.begin + 1}: no generator named '${region.name}'; known: ${Object.keys(generators).join(', ')}`,
      );
    }
    out.push(...lines.slice(next, region.begin + 1), '', generate().trim(), '', lines[region.end]);
    next = region.end + 1;
  }
  out.push(...lines.slice(next));
  return prettierFormat(out.join('\n'), file);
}

/** The regions of a document whose content is not what the generators write now. */
export function staleRegions(text: string, file: string, generators: Generators): string[] {
  const current = regionContents(text, file);
  const fresh = regionContents(renderDocument(text, file, generators), file);
  return [...fresh].filter(([name, content]) => current.get(name) !== content).map(([name]) => name);
}
