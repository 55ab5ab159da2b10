import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TERRAFORM_VERSION } from '../../stacks/terraform-requirements';

/**
 * A terraform stand-in: logs argv, answers `version -json`, writes the plan file (then exits with
 * FAKE_TF_PLAN_EXIT, as -detailed-exitcode would), prints FAKE_TF_PLAN_JSON's file for `show -json`
 * (else a plan with no changes), fails the step named by FAKE_TF_FAIL with exit 7.
 */
export function fakeTerraform(): { path: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'acl-fake-tf-'));
  const path = join(dir, 'terraform');
  const log = join(dir, 'calls.jsonl');
  writeFileSync(
    path,
    `#!${process.execPath}
const fs = require('node:fs'), path = require('node:path');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
const step = args.find((a) => !a.startsWith('-'));
if (process.env.FAKE_TF_FAIL === step) process.exit(7);
const dir = (args.find((a) => a.startsWith('-chdir=')) || '-chdir=.').slice(7);
if (step === 'version') console.log(JSON.stringify({ terraform_version: process.env.FAKE_TF_VERSION || ${JSON.stringify(TERRAFORM_VERSION)} }));
if (step === 'plan') fs.writeFileSync(path.join(dir, args.find((a) => a.startsWith('-out=')).slice(5)), 'saved plan');
if (step === 'plan' && process.env.FAKE_TF_PLAN_EXIT) process.exit(Number(process.env.FAKE_TF_PLAN_EXIT));
if (step === 'show' && args.includes('-json'))
  process.stdout.write(process.env.FAKE_TF_PLAN_JSON ? fs.readFileSync(process.env.FAKE_TF_PLAN_JSON) : JSON.stringify({ format_version: '1.2', resource_changes: [] }));
else if (step === 'show') console.log('Plan: 9 to add, 0 to change, 0 to destroy.');
`,
  );
  chmodSync(path, 0o755);
  return { path, log };
}

/** The command lines the stand-in was given, in order. */
export const terraformCalls = (log: string): string[][] =>
  existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : [];
