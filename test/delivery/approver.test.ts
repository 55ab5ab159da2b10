import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveApproval } from '../../scripts/delivery/approver';
import { PromotionRefused } from '../../scripts/delivery/evidence-gate';

/** A stand-in for the GitHub and Azure DevOps REST APIs, over real HTTP, recording what it was asked. */
describe('the approver comes from the pipeline’s approvals, not from who triggered the run', () => {
  let server: Server;
  let base: string;
  const asked: { url: string; authorization?: string }[] = [];
  let answers: Record<string, unknown> = {};
  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      asked.push({ url: req.url!, authorization: req.headers.authorization });
      const path = req.url!.split('?')[0];
      if (path in answers) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answers[path]));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    asked.length = 0;
    answers = {};
  });

  const github = {
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'contoso/acl',
    GITHUB_RUN_ID: '42',
    GITHUB_TOKEN: 'gh-token',
    GITHUB_ACTOR: 'mallory',
    GITHUB_TRIGGERING_ACTOR: 'mallory',
  };

  test('GitHub: the reviewers who approved this environment in this run', async () => {
    answers['/repos/contoso/acl/actions/runs/42/approvals'] = [
      { state: 'approved', environments: [{ name: 'test' }], user: { login: 'alice' } },
      { state: 'approved', environments: [{ name: 'dev' }], user: { login: 'bob' } },
      { state: 'rejected', environments: [{ name: 'test' }], user: { login: 'carol' } },
      { state: 'approved', environments: [{ name: 'test' }, { name: 'prod' }], user: { login: 'dave' } },
    ];
    const approval = await resolveApproval('test', undefined, { ...github, GITHUB_API_URL: base });
    expect(approval).toEqual({ approvers: ['alice', 'dave'], source: 'github-deployment-approvals' });
    expect(asked).toEqual([{ url: '/repos/contoso/acl/actions/runs/42/approvals', authorization: 'Bearer gh-token' }]);
  });

  test('GitHub: refuses when nobody approved the environment, naming the run', async () => {
    answers['/repos/contoso/acl/actions/runs/42/approvals'] = [
      { state: 'approved', environments: [{ name: 'dev' }], user: { login: 'bob' } },
    ];
    await expect(resolveApproval('test', undefined, { ...github, GITHUB_API_URL: base })).rejects.toThrow(
      new PromotionRefused('no reviewer approved the test environment in run 42 of contoso/acl (github-deployment-approvals)'),
    );
  });

  test('GitHub: refuses when the approvals cannot be read, saying what answered', async () => {
    await expect(resolveApproval('test', undefined, { ...github, GITHUB_API_URL: `${base}/missing` })).rejects.toThrow(
      /cannot read the approvals: .*\/missing\/repos\/contoso\/acl\/actions\/runs\/42\/approvals answered 404/,
    );
    await expect(resolveApproval('test', undefined, { ...github, GITHUB_TOKEN: '', GITHUB_API_URL: base })).rejects.toThrow(/GITHUB_TOKEN/);
  });

  test('Azure DevOps: the approvers of this run’s environment check', async () => {
    answers['/contoso/acl%20project/_apis/pipelines/approvals'] = {
      count: 3,
      value: [
        {
          status: 'approved',
          pipeline: { owner: { id: 77 } },
          steps: [
            { status: 'approved', actualApprover: { uniqueName: 'alice@contoso.example', displayName: 'Alice' } },
            { status: 'pending', assignedApprover: { uniqueName: 'bob@contoso.example' } },
          ],
        },
        {
          status: 'approved',
          pipeline: { owner: { id: 76 } },
          steps: [{ status: 'approved', actualApprover: { uniqueName: 'old@contoso.example' } }],
        },
        { status: 'pending', pipeline: { owner: { id: 77 } }, steps: [] },
      ],
    };
    const env = {
      TF_BUILD: 'True',
      SYSTEM_COLLECTIONURI: `${base}/contoso/`,
      SYSTEM_TEAMPROJECT: 'acl project',
      BUILD_BUILDID: '77',
      SYSTEM_ACCESSTOKEN: 'ado-token',
      BUILD_REQUESTEDFOREMAIL: 'mallory@contoso.example',
    };
    expect(await resolveApproval('test', undefined, env)).toEqual({
      approvers: ['alice@contoso.example'],
      source: 'azure-devops-environment-approvals',
    });
    expect(asked[0]).toEqual({
      url: '/contoso/acl%20project/_apis/pipelines/approvals?$expand=steps&api-version=7.1',
      authorization: 'Bearer ado-token',
    });
  });

  test('locally: --approver, and nothing else', async () => {
    expect(await resolveApproval('test', 'alice@contoso.example', github)).toEqual({
      approvers: ['alice@contoso.example'],
      source: 'command-line',
    });
    await expect(resolveApproval('test', undefined, { USER: 'mallory' })).rejects.toThrow(/--approver <who>/);
  });
});
