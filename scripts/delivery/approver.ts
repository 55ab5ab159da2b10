import { PromotionRefused } from './evidence-gate';

/** Who approved a promotion, and where the gate learnt it. */
export interface Approval {
  readonly approvers: readonly string[];
  readonly source: 'command-line' | 'github-deployment-approvals' | 'azure-devops-environment-approvals';
}

/** A review of a run's deployment to an environment (GitHub). */
interface GitHubReview {
  readonly state?: string;
  readonly environments?: readonly { readonly name?: string }[];
  readonly user?: { readonly login?: string };
}
/** An approval of an environment check (Azure DevOps), with its steps. */
interface DevOpsApproval {
  readonly status?: string;
  readonly pipeline?: { readonly owner?: { readonly id?: number | string } };
  readonly steps?: readonly {
    readonly status?: string;
    readonly actualApprover?: { readonly uniqueName?: string; readonly displayName?: string };
  }[];
}

type Fetch = (url: string, init: { headers: Record<string, string> }) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/**
 * The people who approved deploying to `environment`: `--approver` when given; in GitHub Actions
 * the run's approved deployment reviews for that environment (GET /repos/{repo}/actions/runs/{id}/approvals,
 * needs `actions: read`); in Azure DevOps the approved steps of this run's environment-check
 * approvals (GET {collection}{project}/_apis/pipelines/approvals?$expand=steps). Never the person
 * who merely triggered the run. Throws {@link PromotionRefused} when no approval can be found.
 */
export async function resolveApproval(
  environment: string,
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  fetchJson: Fetch = fetch,
): Promise<Approval> {
  if (flag) return { approvers: [flag], source: 'command-line' };
  if (env.GITHUB_ACTIONS === 'true') return githubApproval(environment, env, fetchJson);
  if (env.TF_BUILD === 'True') return azureDevOpsApproval(environment, env, fetchJson);
  throw new PromotionRefused('no approver: outside GitHub Actions and Azure DevOps, name who approved with --approver <who>');
}

async function githubApproval(environment: string, env: NodeJS.ProcessEnv, fetchJson: Fetch): Promise<Approval> {
  const [api, repository, runId, token] = [
    env.GITHUB_API_URL ?? 'https://api.github.com',
    env.GITHUB_REPOSITORY,
    env.GITHUB_RUN_ID,
    env.GITHUB_TOKEN,
  ];
  if (!repository || !runId || !token) {
    throw new PromotionRefused(
      'cannot read the deployment approvals: GITHUB_REPOSITORY, GITHUB_RUN_ID and GITHUB_TOKEN (with actions: read) are needed',
    );
  }
  const reviews = await getJson(fetchJson, `${api}/repos/${repository}/actions/runs/${runId}/approvals`, {
    authorization: `Bearer ${token}`,
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
  });
  const approvers = (Array.isArray(reviews) ? (reviews as GitHubReview[]) : [])
    .filter((r) => r?.state === 'approved' && r.environments?.some((e) => e?.name === environment))
    .map((r) => String(r.user?.login));
  return found(environment, approvers, 'github-deployment-approvals', `run ${runId} of ${repository}`);
}

async function azureDevOpsApproval(environment: string, env: NodeJS.ProcessEnv, fetchJson: Fetch): Promise<Approval> {
  const [collection, project, buildId, token] = [
    env.SYSTEM_COLLECTIONURI,
    env.SYSTEM_TEAMPROJECT,
    env.BUILD_BUILDID,
    env.SYSTEM_ACCESSTOKEN,
  ];
  if (!collection || !project || !buildId || !token) {
    throw new PromotionRefused(
      'cannot read the environment approvals: SYSTEM_COLLECTIONURI, SYSTEM_TEAMPROJECT, BUILD_BUILDID and SYSTEM_ACCESSTOKEN are needed',
    );
  }
  const url = `${collection.replace(/\/?$/, '/')}${encodeURIComponent(project)}/_apis/pipelines/approvals?$expand=steps&api-version=7.1`;
  const body = await getJson(fetchJson, url, { authorization: `Bearer ${token}`, accept: 'application/json' });
  // the list answer is { count, value: [...] }.
  const value = (body as { value?: unknown })?.value;
  const approvals = (Array.isArray(value) ? value : []) as DevOpsApproval[];
  const approvers = approvals
    .filter((a) => a?.status === 'approved' && String(a.pipeline?.owner?.id) === buildId)
    .flatMap((a) => a.steps ?? [])
    .filter((s) => s?.status === 'approved')
    .map((s) => String(s.actualApprover?.uniqueName ?? s.actualApprover?.displayName));
  return found(environment, approvers, 'azure-devops-environment-approvals', `build ${buildId}`);
}

async function getJson(fetchJson: Fetch, url: string, headers: Record<string, string>): Promise<unknown> {
  let response;
  try {
    response = await fetchJson(url, { headers });
  } catch (error) {
    throw new PromotionRefused(`cannot read the approvals from ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new PromotionRefused(`cannot read the approvals: ${url} answered ${response.status}`);
  return response.json();
}

function found(environment: string, approvers: string[], source: Approval['source'], where: string): Approval {
  const unique = [...new Set(approvers)];
  if (unique.length === 0) throw new PromotionRefused(`no reviewer approved the ${environment} environment in ${where} (${source})`);
  return { approvers: unique, source };
}
