/**
 * Synth cost per environment: synthesizes generated sets of 3, 10 and 50 environments in one
 * process (compiled JS, modules loaded once) and reports ms per environment, the cost of each
 * additional environment, the 50/3 ratio, and heap/RSS after each synth (after a GC) to show that
 * memory stays flat. `npm run bench` runs it; alone: `npm run bench:synth`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthAll } from '../stacks/synth';
import { writeEnvironmentGraph } from '../test/helpers/environment-sets';

export const SYNTH_SIZES = [3, 10, 50] as const;

export interface SynthScaleFigures {
  readonly runs: readonly {
    environments: number;
    ms: number;
    /** CPU time of this process: on a shared machine, wall time also counts other processes' turns. */
    cpuMs: number;
    msPerEnvironment: number;
    heapMiB: number;
    rssMiB: number;
  }[];
  /** (ms of the largest set − ms of the smallest) ÷ the environments between them. */
  readonly msPerAdditionalEnvironment: number;
  /** the same in CPU time. */
  readonly cpuMsPerAdditionalEnvironment: number;
  /** ms of the largest set ÷ ms of the smallest. */
  readonly ratio: number;
}

/** A generated graph of `n` environments: dev → test → n−2 prod regions, a fan-out as landing zones have. */
function generatedSet(n: number): string {
  const graph: Record<string, string[]> = { dev: [], test: ['dev'] };
  for (let i = 1; i <= n - 2; i++) graph[`prod-${i}`] = ['test'];
  return writeEnvironmentGraph(graph);
}

const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export function measureSynthScale(sizes: readonly number[] = SYNTH_SIZES): SynthScaleFigures {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const synth = (n: number) => {
    const dir = generatedSet(n);
    const outdir = mkdtempSync(join(tmpdir(), 'acl-bench-scale-'));
    const started = performance.now();
    const cpu = process.cpuUsage();
    synthAll({ environmentsDir: dir, outdir });
    const ms = performance.now() - started;
    const { user, system } = process.cpuUsage(cpu);
    rmSync(dir, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
    return { ms, cpuMs: (user + system) / 1000 };
  };
  // warm-up: module loading and the JIT are paid once, not by the first measured size.
  synth(sizes[0]);
  const runs = sizes.map((n) => {
    const { ms, cpuMs } = synth(n);
    gc();
    const memory = process.memoryUsage();
    return {
      environments: n,
      ms: Math.round(ms),
      cpuMs: Math.round(cpuMs),
      msPerEnvironment: Math.round((ms / n) * 10) / 10,
      heapMiB: MiB(memory.heapUsed),
      rssMiB: MiB(memory.rss),
    };
  });
  const first = runs[0];
  const last = runs[runs.length - 1];
  const perAdditional = (key: 'ms' | 'cpuMs') =>
    Math.round(((last[key] - first[key]) / (last.environments - first.environments)) * 10) / 10;
  return {
    runs,
    msPerAdditionalEnvironment: perAdditional('ms'),
    cpuMsPerAdditionalEnvironment: perAdditional('cpuMs'),
    ratio: Math.round((last.ms / first.ms) * 10) / 10,
  };
}

if (require.main === module) console.log(JSON.stringify(measureSynthScale()));
