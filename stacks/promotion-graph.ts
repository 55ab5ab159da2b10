/*
 * The promotion graph: each environment names the environments it is promoted from
 * (`promotesFrom`), none for a root. The graph, not the tier, orders deployments and promotions.
 */

/** What the graph needs of an environment. */
export interface GraphNode {
  readonly name: string;
  /** the file it came from, for messages. */
  readonly file: string;
  readonly promotesFrom: readonly string[];
}

/**
 * Every problem of the graph, one line each naming the file and JSON path: unknown names,
 * self-reference, duplicates and cycles. `known` holds every environment name in the folder,
 * including files that failed to load, so that their successors get no second, misleading error.
 */
export function graphProblems(nodes: readonly GraphNode[], known: readonly string[] = nodes.map((n) => n.name)): string[] {
  const names = [...new Set(known)].sort();
  const problems: string[] = [];
  for (const node of nodes) {
    node.promotesFrom.forEach((from, i) => {
      const at = `${node.file}: promotesFrom[${i}]`;
      if (from === node.name) problems.push(`${at}: '${from}' is this environment itself; an environment cannot be promoted from itself`);
      else if (!names.includes(from))
        problems.push(`${at}: '${from}' is not an environment (known: ${names.filter((n) => n !== node.name).join(', ')})`);
      else if (node.promotesFrom.indexOf(from) !== i) problems.push(`${at}: '${from}' is listed twice`);
    });
  }
  if (problems.length) return problems;
  return cycles(nodes).map(
    (cycle) =>
      `${cycle.map((n) => n.file).join(', ')}: promotesFrom forms a cycle ${[...cycle, cycle[0]].map((n) => n.name).join(' → ')}; ` +
      'the promotion graph must have no cycle (at least one environment is promoted from none)',
  );
}

/** The cycles among the nodes Kahn's algorithm cannot order, each once, as a list of its nodes. */
function cycles(nodes: readonly GraphNode[]): GraphNode[][] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const waves = depths(nodes);
  const stuck = new Set(nodes.filter((n) => !waves.has(n.name)).map((n) => n.name));
  const found = new Map<string, GraphNode[]>();
  for (const start of [...stuck].sort()) {
    // walk predecessors inside the stuck set until a node repeats: the repeat closes a cycle. A
    // node downstream of a cycle is stuck too and leads into it: each cycle is reported once.
    const path: string[] = [];
    let at = start;
    while (!path.includes(at)) {
      path.push(at);
      at = byName.get(at)!.promotesFrom.find((p) => stuck.has(p))!;
    }
    const cycle = path.slice(path.indexOf(at)).reverse();
    // start at the first name, so that the same cycle always reads the same.
    const first = cycle.indexOf([...cycle].sort()[0]);
    const key = [...cycle].sort().join(' ');
    if (!found.has(key))
      found.set(
        key,
        [...cycle.slice(first), ...cycle.slice(0, first)].map((name) => byName.get(name)!),
      );
  }
  return [...found.values()];
}

/**
 * Depth of every node that a topological walk reaches: 0 for a root, else 1 + its deepest
 * predecessor. A predecessor outside `nodes` (its file failed to load) counts as absent.
 */
function depths(nodes: readonly GraphNode[]): Map<string, number> {
  const present = new Set(nodes.map((n) => n.name));
  const depth = new Map<string, number>();
  let progress = true;
  while (progress) {
    progress = false;
    for (const node of nodes) {
      const from = node.promotesFrom.filter((p) => present.has(p));
      if (depth.has(node.name) || !from.every((p) => depth.has(p))) continue;
      depth.set(node.name, Math.max(-1, ...from.map((p) => depth.get(p)!)) + 1);
      progress = true;
    }
  }
  return depth;
}

/** A node with its wave: its depth in the graph. Environments of one wave may deploy in parallel. */
export type Placed<T extends GraphNode> = T & { readonly wave: number };

/**
 * The nodes in promotion order (by wave, ties by name, which is a topological order) and the
 * waves. Expects a graph without problems ({@link graphProblems}).
 */
export function promotionOrder<T extends GraphNode>(nodes: readonly T[]): { order: Placed<T>[]; waves: string[][] } {
  const depth = depths(nodes);
  if (depth.size !== nodes.length) throw new Error(`the promotion graph has problems:\n${graphProblems(nodes).join('\n')}`);
  const order = nodes.map((n) => ({ ...n, wave: depth.get(n.name)! })).sort((a, b) => a.wave - b.wave || a.name.localeCompare(b.name));
  const waves: string[][] = [];
  for (const n of order) (waves[n.wave] ??= []).push(n.name);
  return { order, waves };
}
