/**
 * `npm run bench`: measures what users wait for and writes BENCHMARKS.md. Timings are never
 * asserted in tests; they are recorded here with the machine and date. Type-check, lint and jest
 * run (and are timed) first, so a failure stops it before minutes of measuring.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureEcho, measureLedger, type LedgerFigures } from './ledger-load';
import { measureRestart } from './restart-load';
import { measureVerification } from './verify-load';
import { measureAudit } from './audit-load';
import { measureBulkVerification } from './bulk-verify-load';
import type { SynthScaleFigures } from './synth-scale';
import { CommandFailure, createCli, runCli } from '../scripts/cli/command';
import { exitCode } from '../scripts/cli/exit-codes';

const REPO = join(__dirname, '..');
const bin = (name: string) => join(REPO, 'node_modules', '.bin', name);

/** Wall time of a command, best of `runs`. */
function wall(command: string, args: string[], runs = 1, env: NodeJS.ProcessEnv = {}): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = spawnSync(command, args, { cwd: REPO, env: { ...process.env, CHECKPOINT_DISABLE: '1', ...env }, encoding: 'utf8' });
    if (result.status !== 0) throw new CommandFailure(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`, 'failed');
    best = Math.min(best, performance.now() - started);
  }
  return Math.round(best);
}

function nodeJson(args: string[]): Record<string, number> {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: REPO, encoding: 'utf8' }).trim().split('\n').pop()!);
}

async function main(): Promise<number> {
  // first: a lint or type error fails here, not after minutes of measuring.
  const typecheck = wall(bin('tsc'), ['--noEmit', '-p', '.']);
  const lint = wall('npm', ['run', '-s', 'lint']);
  const jest = wall(bin('jest'), ['--silent']);
  const rows: [string, string, string][] = [];
  const add = (what: string, figure: string, target: string) => {
    rows.push([what, figure, target]);
    console.log(`${what.padEnd(58)} ${figure.padStart(14)}   target ${target}`);
  };

  const best = (args: string[]) => [0, 1, 2].map(() => nodeJson(args)).sort((a, b) => a.sinceProcessStartMs - b.sinceProcessStartMs)[0];
  execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: REPO });
  const compiled = best([join(REPO, 'dist', 'bench', 'synth-once.js')]);
  add('synth, 3 environments, in-process, compiled JS (from Node start)', `${compiled.sinceProcessStartMs} ms`, '≤ 500 ms');
  add('  of which synth itself (after module loading)', `${compiled.synthMs} ms`, '');
  const scale = nodeJson(['--expose-gc', join(REPO, 'dist', 'bench', 'synth-scale.js')]) as unknown as SynthScaleFigures;
  const each = (figure: (run: SynthScaleFigures['runs'][number]) => number) => scale.runs.map(figure).join(' / ');
  const sizes = scale.runs.map((r) => r.environments).join(' / ');
  add(`synth of ${sizes} generated environments, one process, compiled JS`, `${each((r) => r.ms)} ms`, 'report');
  add(`  per environment at ${sizes}`, `${each((r) => r.msPerEnvironment)} ms`, '');
  add(
    '  per additional environment: wall / CPU time',
    `${scale.msPerAdditionalEnvironment} / ${scale.cpuMsPerAdditionalEnvironment} ms`,
    '≤ 25 ms',
  );
  add(`  ${scale.runs.at(-1)!.environments} ÷ ${scale.runs[0].environments} environments, wall time`, `${scale.ratio}×`, 'linear');
  add('  heap / RSS after each (after a GC)', `${each((r) => r.heapMiB)} / ${each((r) => r.rssMiB)} MiB`, 'flat');
  const inProcess = best(['--import', 'tsx', join(__dirname, 'synth-once.ts')]);
  add('synth, 3 environments, in-process via tsx (`npm run synth`)', `${inProcess.sinceProcessStartMs} ms`, '');
  const cli = wall(bin('cdktf'), ['synth', '--output', mkdtempSync(join(tmpdir(), 'acl-bench-cli-'))], 1);
  add(
    '`npx cdktf synth` of the same app',
    `${cli} ms`,
    `${(cli / compiled.sinceProcessStartMs).toFixed(1)}× the compiled in-process synth`,
  );
  const deep = nodeJson([
    '-e',
    "const t=performance.now();require('@cdktf/provider-azurerm/lib/confidential-ledger');console.log(JSON.stringify({ms:performance.now()-t}))",
  ]);
  const barrel = nodeJson([
    '-e',
    "const t=performance.now();require('@cdktf/provider-azurerm');console.log(JSON.stringify({ms:performance.now()-t}))",
  ]);
  add(
    'provider import: deep path vs barrel',
    `${Math.round(deep.ms)} / ${Math.round(barrel.ms)} ms`,
    `barrel ${(barrel.ms / deep.ms).toFixed(0)}× slower`,
  );

  const startEnv = {
    ACL_EVIDENCE_DIR: mkdtempSync(join(tmpdir(), 'acl-bench-ev-')),
    CDKTF_OUTDIR: mkdtempSync(join(tmpdir(), 'acl-bench-out-')),
  };
  const start = wall(bin('tsx'), ['scripts/start.ts'], 2, {
    ...startEnv,
    ACL_LOCAL_LEDGER_DATA: mkdtempSync(join(tmpdir(), 'acl-bench-ll-')),
  });
  add('`npm start` (synth + ledger start + verified smoke), warm', `${start} ms`, '≤ 5 s');

  // the median of three runs of each load: single runs on a shared 2-core machine swing ±15 %.
  // The echo baseline runs between the ledger's runs, so both see the same machine.
  const ledgerRuns: LedgerFigures[] = [];
  const echoRuns: LedgerFigures[] = [];
  for (let i = 0; i < 3; i++) {
    ledgerRuns.push(await measureLedger(5));
    echoRuns.push(await measureEcho(5));
  }
  const ledger = median(ledgerRuns, (f) => f.committedWritesPerSecond);
  const echo = median(echoRuns, (f) => f.committedWritesPerSecond);
  add(
    `local ledger: committed writes/s (${ledger.connections} connections, loopback)`,
    `${ledger.committedWritesPerSecond}/s`,
    '≥ 5,000/s',
  );
  add(`  baseline: bare HTTPS echo, same TLS, client certificate and load generator`, `${echo.committedWritesPerSecond}/s`, 'report');
  add('  ledger ÷ echo baseline (same run)', (ledger.committedWritesPerSecond / echo.committedWritesPerSecond).toFixed(2), '≥ 0.85');
  add(
    `  write → Committed p50 / p99 at saturation (${ledger.connections} connections)`,
    `${ledger.commitLatencyMs.p50} / ${ledger.commitLatencyMs.p99} ms`,
    'report (queueing)',
  );
  const moderate = median(await repeat(3, () => measureLedger(4, 16)), (f) => f.commitLatencyMs.p99);
  add(
    `local ledger: write → Committed p50 / p99 at ${moderate.connections} connections (${moderate.committedWritesPerSecond} writes/s, ${Math.round((100 * moderate.committedWritesPerSecond) / ledger.committedWritesPerSecond)} % of saturation)`,
    `${moderate.commitLatencyMs.p50} / ${moderate.commitLatencyMs.p99} ms`,
    'p99 ≤ 50 ms',
  );
  add('local ledger: receipts served', `${ledger.receiptsPerSecond}/s`, '≥ 5,000/s');
  const restart = await measureRestart();
  add(
    `local ledger restart: replay and check ${restart.transactions} transactions, ${restart.signatures} signatures`,
    `${restart.restartMs} ms`,
    'report',
  );
  const verification = median(await repeat(3, () => measureVerification(20_000)), (f) => f.sharedRootsPerSecond);
  add(
    `receipt verification, ${verification.receipts} receipts sharing signed roots (1 core, JSON parse included)`,
    `${verification.sharedRootsPerSecond}/s`,
    '≥ 20,000/s',
  );
  add('receipt verification, every root distinct (1 core)', `${verification.distinctRootsPerSecond}/s`, 'report');
  const bulk = await measureBulkVerification();
  const speedup = bulk.distinct.poolPerSecond / bulk.distinct.oneThreadPerSecond;
  add(
    `bulk verification, ${bulk.distinct.receipts} distinct roots, ${bulk.threads} worker threads (precomputed node keys)`,
    `${bulk.distinct.poolPerSecond}/s`,
    `≥ 900/s, ≥ 1.8× one thread (${speedup.toFixed(2)}×)`,
  );
  add(
    '  same receipts on one thread / plain verifyReceipt (no precomputed keys)',
    `${bulk.distinct.oneThreadPerSecond}/s / ${bulk.distinct.plainPerSecond}/s`,
    'baselines',
  );
  add(
    `bulk verification, ${bulk.shared.receipts} receipts sharing roots: worker threads / one thread`,
    `${bulk.shared.poolPerSecond}/s / ${bulk.shared.oneThreadPerSecond}/s`,
    '≥ 20,000/s',
  );
  const audit = await measureAudit(100_000);
  add(`\`npm run audit\` of ${audit.entries} local entries: export + verification`, `${(audit.totalMs / 1000).toFixed(1)} s`, '< 60 s');
  add(
    '  export / verification; offline re-verification on worker threads / one thread',
    `${(audit.exportMs / 1000).toFixed(1)} / ${(audit.verifyMs / 1000).toFixed(1)} s; ${(audit.reverifyMs / 1000).toFixed(1)} / ${(audit.reverifyOneThreadMs / 1000).toFixed(1)} s`,
    'report',
  );

  add(
    '`npm test`: type-check / lint / jest',
    `${(typecheck / 1000).toFixed(1)} / ${(lint / 1000).toFixed(1)} / ${(jest / 1000).toFixed(1)} s`,
    `total ≤ 60 s (${((typecheck + lint + jest) / 1000).toFixed(1)} s)`,
  );

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
  writeFileSync(
    join(REPO, 'BENCHMARKS.md'),
    `# Benchmarks

Produced by \`npm run bench\` (scripts in \`bench/\`). Ledger and verification figures are the median
of three runs; the machines are shared and noisy, so treat differences under ~10 % as noise. Tests
never assert timings.

- **Machine:** ${machine}
- **Date:** ${new Date().toISOString().slice(0, 10)}

| what | figure | target |
|---|---|---|
${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}

${readNotes()}`,
  );
  console.log('\nwrote BENCHMARKS.md');
  return exitCode('ok');
}

async function repeat<T>(times: number, run: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < times; i++) results.push(await run());
  return results;
}

/** The run whose `key` is the median. */
function median<T>(runs: T[], key: (run: T) => number): T {
  return [...runs].sort((a, b) => key(a) - key(b))[Math.floor(runs.length / 2)];
}

/** The hand-written analysis kept below the table across runs. */
function readNotes(): string {
  try {
    const current = readFileSync(join(REPO, 'BENCHMARKS.md'), 'utf8');
    const at = current.indexOf('## Notes');
    if (at >= 0) return current.slice(at);
  } catch {
    // first run: no notes yet.
  }
  return '## Notes\n';
}

const cli = createCli({
  name: 'bench',
  summary:
    'Measures what users wait for (type-check, lint and jest first, then synth, npm start, the local ledger, receipt verification, audit) and rewrites the table in BENCHMARKS.md, keeping its notes. Takes minutes.',
  examples: [['npm run bench', 'measure on this machine and rewrite BENCHMARKS.md']],
});
runCli(cli, main);
