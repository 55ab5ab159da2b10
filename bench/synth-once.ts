/** Synthesizes every environment once and prints timings: from process start, and synth alone. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthAll } from '../stacks/synth';

const beforeSynth = performance.now();
synthAll({ environmentsDir: process.env.ACL_ENVIRONMENTS_DIR ?? 'environments', outdir: mkdtempSync(join(tmpdir(), 'acl-bench-synth-')) });
const end = performance.now();
console.log(JSON.stringify({ sinceProcessStartMs: Math.round(end), synthMs: Math.round(end - beforeSynth) }));
