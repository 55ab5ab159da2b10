import { validateWorkflow } from '@action-validator/core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { AZURE_DEVOPS_FILE, REGENERATE_COMMAND, azureDevOpsFile, listEnvironments } from '../../scripts/environments';
import { DEPLOY_STEPS } from '../../scripts/pipeline/deploy-sequence';
import { writeEnvironmentGraph } from '../helpers/environment-sets';
import { ENVIRONMENTS_DIR, REPO_ROOT } from '../helpers/environments';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const GITHUB = ['.github/workflows/delivery.yml', '.github/workflows/deploy-environment.yml', '.github/workflows/drift.yml'];
const ADO = [
  'pipelines/azure-pipelines.yml',
  'pipelines/environments.yml',
  'pipelines/templates/environment-stages.yml',
  'pipelines/templates/deploy-stage.yml',
  'pipelines/drift.yml',
  'pipelines/templates/drift-stages.yml',
];
const [ADO_PIPELINE, ADO_ENVIRONMENTS, ADO_ENVIRONMENT_STAGES, ADO_DEPLOY_STAGE, ADO_DRIFT, ADO_DRIFT_STAGES] = ADO;

describe('GitHub Actions workflows', () => {
  const delivery = parse(read(GITHUB[0]));
  const deploy = parse(read(GITHUB[1]));
  const drift = parse(read(GITHUB[2]));
  const deployJob = deploy.jobs.deploy;
  const deployStep = deployJob.steps.find((s: any) => s.run?.includes('npm run deploy-environment'));
  const stepIndex = (pattern: RegExp) =>
    deployJob.steps.findIndex((s: any) => pattern.test(`${s.name ?? ''} ${s.run ?? ''} ${s.uses ?? ''}`));

  test.each(GITHUB)('%s passes the workflow schema linter', (file) => {
    expect(validateWorkflow(read(file)).errors).toEqual([]);
  });

  test('grant only contents: read by default, and id-token: write only where Azure is reached', () => {
    expect(delivery.permissions).toEqual({ contents: 'read' });
    expect(deploy.permissions).toEqual({ contents: 'read' });
    expect(drift.permissions).toEqual({ contents: 'read' });
    expect(delivery.jobs.test.permissions).toBeUndefined();
    const driftJobs = Object.fromEntries(Object.entries<any>(drift.jobs).map(([name, job]) => [`drift.${name}`, job]));
    for (const [name, job] of Object.entries<any>({ ...delivery.jobs, deploy: deployJob, ...driftJobs })) {
      const usesAzure = JSON.stringify(job).includes('azure/login') || job.uses === './.github/workflows/deploy-environment.yml';
      expect([name, job.permissions?.['id-token'] === 'write']).toEqual([name, usesAzure]);
    }
  });

  test('every job calling deploy-environment.yml grants at least what its job asks for (GitHub refuses a called job more)', () => {
    const callers = Object.entries<any>(delivery.jobs).filter(([, job]) => job.uses === './.github/workflows/deploy-environment.yml');
    expect(callers.length).toBeGreaterThan(0);
    for (const [name, job] of callers) {
      for (const [scope, level] of Object.entries<string>(deployJob.permissions)) {
        const granted = job.permissions?.[scope] ?? 'none';
        expect([name, scope, granted === level || granted === 'write']).toEqual([name, scope, true]);
      }
    }
  });

  test('authenticate to Azure by OIDC federation, never with a secret', () => {
    for (const file of GITHUB) {
      const text = read(file);
      expect(text).not.toMatch(/client-secret|AZURE_CREDENTIALS|ARM_CLIENT_SECRET|secrets\./);
      for (const login of text.match(/uses: azure\/login@v\d+\n\s+with:\n(\s+[\w-]+: .*\n)+/g) ?? []) {
        expect(login).toContain('client-id:');
        expect(login).toContain('tenant-id:');
      }
    }
    expect(deployJob.env.ARM_USE_OIDC).toBe('true');
  });

  test('plan every environment that npm run environments lists, and keep the plan as an artifact', () => {
    expect(delivery.jobs.plan.needs).toEqual(['environments', 'test']);
    expect(delivery.jobs.plan.strategy.matrix.environment).toBe('${{ fromJSON(needs.environments.outputs.names) }}');
    const upload = delivery.jobs.plan.steps.find((s: any) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload.with.name).toBe('plan-${{ matrix.environment }}');
    expect(JSON.stringify(delivery.jobs.plan.steps)).toContain('-out=tfplan');
  });

  /** The deploy-wave jobs, in order. */
  const waveJobs = Object.keys(delivery.jobs).filter((name) => name.startsWith('deploy-wave'));
  const listStep = delivery.jobs.environments.steps.find((s: any) => s.id === 'list');

  test('deploy wave by wave: each wave a matrix of its environments, after the previous wave, each behind its own environment', () => {
    expect(waveJobs).toEqual(waveJobs.map((_, n) => `deploy-wave${n}`));
    waveJobs.forEach((name, n) => {
      const job = delivery.jobs[name];
      expect(job.needs).toEqual(['environments', n === 0 ? 'plan' : `deploy-wave${n - 1}`]);
      expect(job.if).toContain(`needs.environments.outputs.wave${n} != '[]'`);
      expect(job.strategy).toEqual({
        'fail-fast': false,
        matrix: { environment: `\${{ fromJSON(needs.environments.outputs.wave${n}) }}` },
      });
      expect(job.uses).toBe('./.github/workflows/deploy-environment.yml');
      expect(job.with).toEqual({ environment: '${{ matrix.environment.name }}', 'promote-from': '${{ matrix.environment.promoteFrom }}' });
      expect(delivery.jobs.environments.outputs[`wave${n}`]).toBe(`\${{ steps.list.outputs.wave${n} }}`);
    });
    // later waves inherit the main-only condition through needs: a skipped wave skips the rest.
    expect(delivery.jobs['deploy-wave0'].if).toContain("github.ref == 'refs/heads/main'");
    expect(deployJob.environment).toBe('${{ inputs.environment }}');
    expect(Number(listStep.env.DECLARED_WAVES)).toBe(waveJobs.length);
  });

  test('the promotion graph of environments/ fits in the declared deploy waves', () => {
    const { waves } = listEnvironments(ENVIRONMENTS_DIR);
    if (waves.length > waveJobs.length) {
      throw new Error(
        `environments/ has ${waves.length} waves (${waves.map((w) => w.join('+')).join(' → ')}) but .github/workflows/delivery.yml declares ${waveJobs.length} deploy-wave jobs: add deploy-wave${waveJobs.length}… and raise DECLARED_WAVES`,
      );
    }
  });

  describe("the environments job's script, run on generated sets", () => {
    /** Runs the `list` step as the runner would, with `npm run environments` reading `dir`. */
    const runList = (dir: string) => {
      const runner = mkdtempSync(join(tmpdir(), 'acl-gh-runner-'));
      const files = { GITHUB_OUTPUT: join(runner, 'output'), GITHUB_STEP_SUMMARY: join(runner, 'summary') };
      const run = spawnSync('bash', ['-eo', 'pipefail', '-c', listStep.run], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, ...listStep.env, ...files, RUNNER_TEMP: runner, ACL_ENVIRONMENTS_DIR: dir },
      });
      const outputs = run.status === 0 ? readFileSync(files.GITHUB_OUTPUT, 'utf8').trim().split('\n') : [];
      return {
        status: run.status,
        stdout: run.stdout,
        summary: run.status === 0 ? readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8') : '',
        outputs: Object.fromEntries(
          outputs.map((line) => [line.slice(0, line.indexOf('=')), JSON.parse(line.slice(line.indexOf('=') + 1))]),
        ),
      };
    };

    test('a fan-out to two prod regions deploys them in one wave, each promoted from test', () => {
      const dir = writeEnvironmentGraph({ dev: [], test: ['dev'], 'prod-weu': ['test'], 'prod-neu': ['test'] });
      const { status, outputs, summary } = runList(dir);
      expect(status).toBe(0);
      expect(summary).toMatch(/^### Environments in promotion order\n```\nwave +environment[\s\S]*\n2 +prod-weu +test[\s\S]*```\n$/);
      expect(outputs).toEqual({
        names: ['dev', 'test', 'prod-neu', 'prod-weu'],
        wave0: [{ name: 'dev', promoteFrom: '' }],
        wave1: [{ name: 'test', promoteFrom: 'dev' }],
        wave2: [
          { name: 'prod-neu', promoteFrom: 'test' },
          { name: 'prod-weu', promoteFrom: 'test' },
        ],
        wave3: [],
        wave4: [],
      });
    });

    test('a graph deeper than the declared waves fails the job, saying what to do', () => {
      const chain = Object.fromEntries(Array.from({ length: waveJobs.length + 1 }, (_, i) => [`e${i}`, i === 0 ? [] : [`e${i - 1}`]]));
      const { status, stdout } = runList(writeEnvironmentGraph(chain));
      expect(status).toBe(1);
      expect(stdout).toContain(
        `::error::the promotion graph has ${waveJobs.length + 1} waves; delivery.yml declares ${waveJobs.length} deploy-wave jobs: add more`,
      );
    });
  });

  test('preflight runs before plan as the plan identity, and before apply as the deploy identity (in the deploy script)', () => {
    const planSteps = delivery.jobs.plan.steps.map((s: any) => `${s.name ?? ''} ${s.run ?? ''}`);
    const preflight = planSteps.findIndex((t: string) =>
      t.includes('npm run preflight -- --env "${{ matrix.environment }}" --identity plan'),
    );
    expect(preflight).toBeGreaterThanOrEqual(0);
    expect(preflight).toBeLessThan(planSteps.findIndex((t: string) => t.includes('-out=tfplan')));
    expect(DEPLOY_STEPS.indexOf('preflight')).toBeLessThan(DEPLOY_STEPS.indexOf('apply'));
  });

  test('allow one deployment per environment at a time, never cancelling a running one', () => {
    expect(deployJob.concurrency).toEqual({ group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
  });

  test("the deploy sequence is one script call, after fetching the reviewed plan and the predecessors' evidence", () => {
    expect(deployStep.run).toBe(
      'npm run deploy-environment -- --env "$ENVIRONMENT" --promote-from "$PROMOTE_FROM" --plan-dir "$STACK_DIR" --cdktf-out "$RUNNER_TEMP/cdktf.out" --artifacts-dir "$RUNNER_TEMP/artifacts"',
    );
    // inputs reach the shell as variables, never spliced into the script.
    expect(deployStep.env).toMatchObject({ ENVIRONMENT: '${{ inputs.environment }}', PROMOTE_FROM: '${{ inputs.promote-from }}' });
    const plan = stepIndex(/download the reviewed plan/);
    const evidence = stepIndex(/predecessors' evidence/);
    const sequence = deployJob.steps.indexOf(deployStep);
    expect(deployJob.steps[plan].with).toEqual({ name: 'plan-${{ inputs.environment }}', path: '${{ env.STACK_DIR }}' });
    expect(deployJob.steps[evidence]).toMatchObject({
      if: "inputs.promote-from != ''",
      with: { pattern: 'evidence-*', path: '${{ runner.temp }}/artifacts' },
    });
    expect(plan).toBeLessThan(sequence);
    expect(evidence).toBeLessThan(sequence);
    // nothing of the sequence is left in the YAML.
    expect(read(GITHUB[1])).not.toMatch(/terraform -chdir|npm run (promote|attest|smoke|preflight|synth)/);
    expect(deploy.on.workflow_call.inputs['promote-from']).toMatchObject({ type: 'string', default: '' });
  });

  test('the promotion records the reviewers who approved the environment, not whoever triggered the run', () => {
    expect(deployStep.run).not.toMatch(/--approver|triggering_actor|github\.actor/);
    expect(deployStep.env.GITHUB_TOKEN).toBe('${{ github.token }}');
    expect(deployJob.permissions.actions).toBe('read');
  });

  test('publish the evidence and show the JUnit results even when the smoke test fails', () => {
    const evidence = deployJob.steps[stepIndex(/keep the evidence/)];
    expect(evidence).toMatchObject({ if: 'always()', with: { name: 'evidence-${{ inputs.environment }}' } });
    const junit = deployJob.steps[stepIndex(/dorny\/test-reporter/)];
    expect(junit).toMatchObject({
      if: 'always()',
      with: { reporter: 'java-junit', path: 'evidence/${{ inputs.environment }}/**/junit.xml' },
    });
    expect(deployJob.permissions.checks).toBe('write');
  });
});

describe('GitHub drift workflow', () => {
  const drift = parse(read(GITHUB[2]));
  const job = drift.jobs.drift;

  test('runs on a schedule (and by hand), for every environment the environments command lists', () => {
    expect(drift.on.schedule).toEqual([{ cron: expect.stringMatching(/^\S+ \S+ \* \* \*$/) }]);
    expect(drift.on).toHaveProperty('workflow_dispatch');
    expect(job.needs).toBe('environments');
    expect(job.strategy).toEqual({
      'fail-fast': false,
      matrix: { environment: '${{ fromJSON(needs.environments.outputs.environments) }}' },
    });
    expect(drift.jobs.environments.outputs.environments).toBe('${{ steps.list.outputs.environments }}');
  });

  const list = drift.jobs.environments.steps.find((s: any) => s.id === 'list').run as string;
  const filter = /jq -c '([^']+)'/.exec(list)![1];
  (spawnSync('jq', ['--version']).error ? test.skip : test)('its jq filter turns the environments contract into the matrix', () => {
    expect(list).toContain('npm run --silent environments -- --json | jq -c');
    // the shared contract of `npm run environments -- --json` (docs/helper brief), with a fan-out.
    const contract = {
      environments: ['dev', 'test', 'prod', 'prod-weu2'].map((name, i) => ({
        name,
        file: `environments/${name}.json`,
        stack: `acl-${name}`,
        promotesFrom: i === 0 ? [] : [i === 1 ? 'dev' : 'test'],
        wave: Math.min(i, 2),
        strict: i >= 2,
        github: { planEnvironment: `${name}-plan`, deployEnvironment: name },
        azureDevOps: { planServiceConnection: `acl-${name}-plan`, deployServiceConnection: `acl-${name}`, environment: `acl-${name}` },
      })),
      waves: [['dev'], ['test'], ['prod', 'prod-weu2']],
    };
    const out = spawnSync('jq', ['-c', filter], { input: JSON.stringify(contract), encoding: 'utf8' });
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(
      ['dev', 'test', 'prod', 'prod-weu2'].map((name) => ({ name, stack: `acl-${name}`, planEnvironment: `${name}-plan` })),
    );
  });

  test('plans with the read-only identity of each environment and runs the drift check, never an apply', () => {
    expect(job.environment).toBe('${{ matrix.environment.planEnvironment }}');
    expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    const check = job.steps.find((s: any) => s.run?.includes('npm run drift'));
    expect(check).toMatchObject({ run: 'npm run drift -- --env "$ENVIRONMENT"', env: { ENVIRONMENT: '${{ matrix.environment.name }}' } });
    expect(read(GITHUB[2])).not.toMatch(/apply|deploy-environment/);
  });
});

/**
 * Expands `${{ each env in parameters.environments }}` over `environments` the way Azure DevOps
 * does for the expressions our templates use: `${{ env.<field> }}`, whole or inside a string.
 */
function expandEach(node: any, environments: readonly Record<string, unknown>[]): any {
  const substitute = (value: any, env: Record<string, unknown>): any => {
    if (typeof value === 'string') {
      const whole = /^\$\{\{ env\.(\w+) \}\}$/.exec(value);
      if (whole) return env[whole[1]];
      return value.replace(/\$\{\{ env\.(\w+) \}\}/g, (_, key) => String(env[key]));
    }
    if (Array.isArray(value)) return value.map((v) => substitute(v, env));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [substitute(k, env), substitute(v, env)]));
    return value;
  };
  const EACH = '${{ each env in parameters.environments }}';
  if (Array.isArray(node))
    return node.flatMap((item) =>
      item && EACH in item ? environments.flatMap((env) => substitute(item[EACH], env)) : [expandEach(item, environments)],
    );
  if (node && typeof node === 'object') {
    if (EACH in node) return Object.assign({}, ...environments.map((env) => substitute(node[EACH], env)));
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, expandEach(v, environments)]));
  }
  return node;
}

describe('Azure DevOps pipeline', () => {
  const pipeline = parse(read(ADO_PIPELINE));
  const generated = parse(read(ADO_ENVIRONMENTS));
  const environmentStages = parse(read(ADO_ENVIRONMENT_STAGES));
  const template = parse(read(ADO_DEPLOY_STAGE));
  const stage = template.stages[0];
  /** The stages of templates/environment-stages.yml for the environments pipelines/environments.yml holds. */
  const stagesFor = (environments: readonly Record<string, unknown>[]): any[] => expandEach(environmentStages.stages, environments);
  const shipped: any[] = generated.parameters[0].default;
  const planStage = stagesFor(shipped).find((s: any) => s.stage === 'Plan');
  /** The deploy steps, with the template's compile-time loop over the predecessors expanded once. */
  const steps: any[] = (stage.jobs[0].strategy.runOnce.deploy.steps as any[]).flatMap((s) => {
    const [key] = Object.keys(s);
    return key.startsWith('${{ each from in parameters.promoteFrom }}') ? s[key] : [s];
  });
  const deployStep = steps.find((s: any) => s.task === 'AzureCLI@2' && s.inputs.inlineScript.includes('npm run deploy-environment'));
  const driftPipeline = parse(read(ADO_DRIFT));
  const driftStages = parse(read(ADO_DRIFT_STAGES));
  const driftJob = driftStages.stages[0].jobs[0]['${{ each env in parameters.environments }}'][0];
  const text = (s: any) => `${s.displayName ?? ''} ${s.script ?? ''} ${s.inputs?.inlineScript ?? ''}`;
  /** Every AzureCLI@2 step that runs terraform, itself or through deploy-environment or drift, in all three files. */
  const terraformSteps = [...planStage.jobs[0].steps, ...steps, ...driftJob.steps].filter(
    (s: any) => s.task === 'AzureCLI@2' && /terraform |npm run (deploy-environment|drift)/.test(s.inputs.inlineScript),
  );

  test.each(ADO)('%s parses', (file) => {
    expect(() => parse(read(file))).not.toThrow();
  });

  test(`${AZURE_DEVOPS_FILE} is in step with environments/ (else run: ${REGENERATE_COMMAND})`, () => {
    const expected = azureDevOpsFile(listEnvironments(ENVIRONMENTS_DIR));
    if (read(AZURE_DEVOPS_FILE) !== expected) {
      throw new Error(`${AZURE_DEVOPS_FILE} does not match environments/: regenerate it with \`${REGENERATE_COMMAND}\` and commit it`);
    }
  });

  test('runs test, then the generated environments: plan, then each deploy stage after its predecessors', () => {
    expect(pipeline.stages.map((s: any) => s.stage ?? s.template)).toEqual(['Test', 'environments.yml']);
    expect(generated.stages).toEqual([
      {
        "${{ if eq(parameters.stages, 'deploy') }}": [
          { template: 'templates/environment-stages.yml', parameters: { environments: '${{ parameters.environments }}' } },
        ],
      },
      {
        "${{ if eq(parameters.stages, 'drift') }}": [
          { template: 'templates/drift-stages.yml', parameters: { environments: '${{ parameters.environments }}' } },
        ],
      },
    ]);
    expect(generated.parameters[1]).toEqual({ name: 'stages', type: 'string', default: 'deploy', values: ['deploy', 'drift'] });
    expect(environmentStages.parameters).toEqual([{ name: 'environments', type: 'object' }]);
    expect(stage.stage).toBe("Deploy_${{ replace(parameters.environment, '-', '_') }}");
    expect(stage.dependsOn).toBe('${{ parameters.dependsOn }}');
    // a fan-out to two regions and a fan-in: the stages form exactly the promotion graph.
    const listing = listEnvironments(
      writeEnvironmentGraph({ dev: [], test: ['dev'], 'prod-weu': ['test'], 'prod-neu': ['test'], audit: ['prod-weu', 'prod-neu'] }),
    );
    const environments = parse(azureDevOpsFile(listing)).parameters[0].default;
    const stages = stagesFor(environments);
    expect(stages[0]).toMatchObject({ stage: 'Plan', dependsOn: 'Test' });
    expect(Object.keys(stages[0].jobs[0].strategy.matrix)).toEqual(['dev', 'test', 'prod_neu', 'prod_weu', 'audit']);
    expect(stages[0].jobs[0].strategy.matrix.prod_weu).toEqual({
      environment: 'prod-weu',
      planServiceConnection: 'acl-prod-weu-plan',
      serviceConnectionId: '$(SERVICE_CONNECTION_ID_PROD_WEU_PLAN)',
    });
    const deploys = stages.slice(1);
    expect(deploys.every((d: any) => d.template === 'deploy-stage.yml')).toBe(true);
    const stageName = (env: string) => `Deploy_${env.replace(/-/g, '_')}`;
    expect(deploys.map((d: any) => [d.parameters.environment, d.parameters.promoteFrom, d.parameters.dependsOn])).toEqual([
      ['dev', [], ['Plan']],
      ['test', ['dev'], [stageName('dev')]],
      ['prod-neu', ['test'], [stageName('test')]],
      ['prod-weu', ['test'], [stageName('test')]],
      ['audit', ['prod-weu', 'prod-neu'], [stageName('prod-weu'), stageName('prod-neu')]],
    ]);
    expect(stageName('prod-weu')).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
  });

  test('deploys through approval-carrying environments, one run at a time', () => {
    expect(stage.jobs[0].environment).toBe('acl-${{ parameters.environment }}');
    expect(pipeline.lockBehavior).toBe('sequential');
  });

  test('uses workload identity federation, never a secret', () => {
    for (const file of ADO) expect(read(file)).not.toMatch(/ARM_CLIENT_SECRET|servicePrincipalKey|client-secret/);
  });

  test('terraform gets the refreshing service-connection flow for provider and backend, never the 10-minute idToken', () => {
    for (const file of ADO) expect(read(file)).not.toMatch(/ARM_OIDC_TOKEN|\$idToken/);
    expect(terraformSteps.length).toBe(3);
    for (const step of terraformSteps) {
      expect(step.env).toEqual({
        ARM_USE_OIDC: 'true',
        ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: expect.stringMatching(
          /^\$\((serviceConnectionId|SERVICE_CONNECTION_ID_\$\{\{ upper\(replace\(parameters\.environment, '-', '_'\)\) \}\}|\$\{\{ env\.planServiceConnectionIdVariable \}\})\)$/,
        ),
        SYSTEM_ACCESSTOKEN: '$(System.AccessToken)',
        SYSTEM_OIDCREQUESTURI: '$(System.OidcRequestUri)',
      });
      expect(step.inputs.addSpnToEnvironment).toBe(true);
      expect(step.inputs.inlineScript).toContain('ARM_CLIENT_ID="$servicePrincipalId"');
    }
    const matrix = planStage.jobs[0].strategy.matrix;
    for (const env of shipped) expect(matrix[env.id].serviceConnectionId).toBe(`$(SERVICE_CONNECTION_ID_${env.id.toUpperCase()}_PLAN)`);
    expect(pipeline.variables).toContainEqual({ group: 'acl-service-connections' });
  });

  test("the deploy sequence is one script call in one AzureCLI step, after fetching the plan and each predecessor's evidence; results and evidence published always", () => {
    expect(deployStep.inputs.azureSubscription).toBe('acl-${{ parameters.environment }}');
    expect(deployStep.inputs.inlineScript).toContain(
      `npm run deploy-environment -- \\\n  --env "\${{ parameters.environment }}" --promote-from "\${{ join(',', parameters.promoteFrom) }}" \\\n  --plan-dir "$(STACK_DIR)" --cdktf-out "$(Agent.TempDirectory)/cdktf.out" --artifacts-dir "$(Agent.TempDirectory)/artifacts"`,
    );
    const sequence = steps.indexOf(deployStep);
    const plan = steps.findIndex(
      (s: any) => s.task === 'DownloadPipelineArtifact@2' && s.inputs.artifact === 'plan-${{ parameters.environment }}',
    );
    const evidence = steps.findIndex((s: any) => s.task === 'DownloadPipelineArtifact@2' && s.inputs.artifact === 'evidence-${{ from }}');
    expect(steps[evidence].inputs.path).toBe('$(Agent.TempDirectory)/artifacts/evidence-${{ from }}');
    expect(plan).toBeGreaterThanOrEqual(0);
    expect(plan).toBeLessThan(sequence);
    expect(evidence).toBeLessThan(sequence);
    // nothing of the sequence is left in the YAML.
    expect(read(ADO_DEPLOY_STAGE)).not.toMatch(/terraform -chdir|npm run (promote|attest|smoke|preflight|synth)/);
    expect(steps.slice(sequence + 1).map((s: any) => [s.task, s.condition])).toEqual([
      ['PublishTestResults@2', 'always()'],
      ['PublishPipelineArtifact@1', 'always()'],
    ]);
  });

  test('preflight runs before plan as the plan identity, and before apply as the deploy identity (in the deploy script)', () => {
    const planSteps = planStage.jobs[0].steps.map(text);
    const preflight = planSteps.findIndex((t: string) => t.includes('npm run preflight -- --env "$(environment)" --identity plan'));
    expect(preflight).toBeGreaterThanOrEqual(0);
    expect(preflight).toBeLessThan(planSteps.findIndex((t: string) => t.includes('-out=tfplan')));
    expect(DEPLOY_STEPS.indexOf('preflight')).toBeLessThan(DEPLOY_STEPS.indexOf('apply'));
  });

  test('the promotion reads the environment check approvals, not the requester', () => {
    expect(text(deployStep)).not.toMatch(/--approver|RequestedFor/);
    expect(deployStep.env.SYSTEM_ACCESSTOKEN).toBe('$(System.AccessToken)');
  });

  test('keeps each environment plan as an artifact', () => {
    const plan = planStage.jobs[0];
    expect(Object.keys(plan.strategy.matrix)).toEqual(shipped.map((env) => env.id));
    expect(plan.steps.find((s: any) => s.task === 'PublishPipelineArtifact@1').inputs.artifact).toBe('plan-$(environment)');
  });

  test('drift: a daily schedule on main, one job per environment with its read-only service connection, never an apply', () => {
    expect(driftPipeline.trigger).toBe('none');
    expect(driftPipeline.pr).toBe('none');
    expect(driftPipeline.schedules).toEqual([
      expect.objectContaining({ cron: expect.stringMatching(/^\S+ \S+ \* \* \*$/), branches: { include: ['main'] }, always: true }),
    ]);
    expect(driftJob.job).toBe("drift_${{ replace(env.name, '-', '_') }}");
    const check = driftJob.steps.find((s: any) => s.task === 'AzureCLI@2');
    expect(check.inputs.azureSubscription).toBe('${{ env.planServiceConnection }}');
    expect(check.inputs.inlineScript).toContain('npm run drift -- --env "${{ env.name }}"');
    for (const file of [ADO_DRIFT, ADO_DRIFT_STAGES]) expect(read(file)).not.toMatch(/apply|deploy-environment/);
  });

  test('drift: one list of environments for both pipelines, the generated one (adding an environment is only the regenerate command)', () => {
    expect(driftPipeline.stages).toEqual([{ template: 'environments.yml', parameters: { stages: 'drift' } }]);
    expect(driftStages.parameters).toEqual([{ name: 'environments', type: 'object' }]);
    expect(read(ADO_DRIFT)).not.toMatch(/^parameters:/m);
  });
});
