import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The CI system a script runs in, from the variables each sets on every step: GitHub Actions sets
 * GITHUB_ACTIONS=true, Azure Pipelines sets TF_BUILD=True. Failures become native annotations
 * (GitHub workflow commands, Azure Pipelines logging commands) and Markdown becomes the step summary.
 */
export type CiSystem = 'github' | 'azure-devops' | 'local';

export function detectCi(env: NodeJS.ProcessEnv = process.env): CiSystem {
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  if (env.TF_BUILD?.toLowerCase() === 'true') return 'azure-devops';
  return 'local';
}

// GitHub: https://docs.github.com/actions/reference/workflow-commands-for-github-actions (as @actions/core escapes).
const githubData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const githubProperty = (s: string) => githubData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
// Azure Pipelines: https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands (as azure-pipelines-task-lib
// escapes); logissue has no title property, so the title leads the message.
const adoData = (s: string) => s.replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** The line that reports an error natively, or a plain `error: title: message` line outside CI. */
export function errorAnnotation(ci: CiSystem, title: string, message: string): string {
  if (ci === 'github') return `::error title=${githubProperty(title)}::${githubData(message)}`;
  if (ci === 'azure-devops') return `##vso[task.logissue type=error]${adoData(`${title}: ${message}`)}`;
  return `error: ${title}: ${message}`;
}

/** The same for a warning (an override used, drift seen by a non-failing check). */
export function warningAnnotation(ci: CiSystem, title: string, message: string): string {
  if (ci === 'github') return `::warning title=${githubProperty(title)}::${githubData(message)}`;
  if (ci === 'azure-devops') return `##vso[task.logissue type=warning]${adoData(`${title}: ${message}`)}`;
  return `warning: ${title}: ${message}`;
}

/**
 * Publishes Markdown as the step summary: appended to `file` when given, else to
 * $GITHUB_STEP_SUMMARY on GitHub, else uploaded with `task.uploadsummary` on Azure Pipelines (which
 * needs a file: written under the agent's temp folder). Returns where it went, or undefined.
 */
export function publishSummary(
  markdown: string,
  options: { file?: string; ci: CiSystem; env?: NodeJS.ProcessEnv; print: (line: string) => void },
): string | undefined {
  const env = options.env ?? process.env;
  const target = options.file ?? (options.ci === 'github' ? env.GITHUB_STEP_SUMMARY : undefined);
  if (target) {
    appendFileSync(target, `${markdown.trimEnd()}\n\n`);
    return target;
  }
  if (options.ci === 'azure-devops') {
    const dir = mkdtempSync(join(env.AGENT_TEMPDIRECTORY ?? tmpdir(), 'acl-summary-'));
    const path = join(dir, 'summary.md');
    writeFileSync(path, markdown);
    options.print(`##vso[task.uploadsummary]${adoData(path)}`);
    return path;
  }
  return undefined;
}
