import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';

/** The pipeline run, as an idempotency key: the same run retried keeps its id. */
export function defaultRunId(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_RUN_ID) return `gh-${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  if (env.BUILD_BUILDID) return `ado-${env.BUILD_BUILDID}`;
  return `local-${randomUUID()}`;
}

/** The commit being verified: from the pipeline, else from git, else 'unknown'. */
export function defaultCommit(env: NodeJS.ProcessEnv = process.env): string {
  const fromPipeline = env.GITHUB_SHA ?? env.BUILD_SOURCEVERSION;
  if (fromPipeline) return fromPipeline;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
