import { validateWorkflow } from '@action-validator/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/environments';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const GITHUB = ['.github/workflows/delivery.yml', '.github/workflows/deploy-environment.yml'];
const ADO = ['pipelines/azure-pipelines.yml', 'pipelines/templates/deploy-stage.yml'];

describe('GitHub Actions workflows', () => {
  const delivery = parse(read(GITHUB[0]));
  const deploy = parse(read(GITHUB[1]));
  const deployJob = deploy.jobs.deploy;
  const stepIndex = (pattern: RegExp) =>
    deployJob.steps.findIndex((s: any) => pattern.test(`${s.name ?? ''} ${s.run ?? ''} ${s.uses ?? ''}`));

  test.each(GITHUB)('%s passes the workflow schema linter', (file) => {
    expect(validateWorkflow(read(file)).errors).toEqual([]);
  });

  test('grant only contents: read by default, and id-token: write only where Azure is reached', () => {
    expect(delivery.permissions).toEqual({ contents: 'read' });
    expect(deploy.permissions).toEqual({ contents: 'read' });
    expect(delivery.jobs.test.permissions).toBeUndefined();
    for (const [name, job] of Object.entries<any>({ ...delivery.jobs, deploy: deployJob })) {
      const usesAzure = JSON.stringify(job).includes('azure/login') || job.uses === './.github/workflows/deploy-environment.yml';
      expect([name, job.permissions?.['id-token'] === 'write']).toEqual([name, usesAzure]);
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

  test('plan every environment and keep the plan as an artifact', () => {
    expect(delivery.jobs.plan.strategy.matrix.environment).toEqual(['dev', 'test', 'prod']);
    const upload = delivery.jobs.plan.steps.find((s: any) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload.with.name).toBe('plan-${{ matrix.environment }}');
    expect(JSON.stringify(delivery.jobs.plan.steps)).toContain('-out=tfplan');
  });

  test('deploy dev → test → prod in order, prod only after test, each behind its environment', () => {
    expect(delivery.jobs['deploy-dev'].needs).toBe('plan');
    expect(delivery.jobs['deploy-test'].needs).toBe('deploy-dev');
    expect(delivery.jobs['deploy-prod'].needs).toBe('deploy-test');
    expect(delivery.jobs['deploy-prod'].with).toEqual({ environment: 'prod', 'promote-from': 'test' });
    expect(delivery.jobs['deploy-test'].with).toEqual({ environment: 'test', 'promote-from': 'dev' });
    expect(deployJob.environment).toBe('${{ inputs.environment }}');
    expect(delivery.jobs['deploy-dev'].if).toContain("github.ref == 'refs/heads/main'");
  });

  test('preflight runs before plan as the plan identity, and before apply as the deploy identity', () => {
    const planSteps = delivery.jobs.plan.steps.map((s: any) => `${s.name ?? ''} ${s.run ?? ''}`);
    const preflight = planSteps.findIndex((t: string) =>
      t.includes('npm run preflight -- --env "${{ matrix.environment }}" --identity plan'),
    );
    expect(preflight).toBeGreaterThanOrEqual(0);
    expect(preflight).toBeLessThan(planSteps.findIndex((t: string) => t.includes('-out=tfplan')));
    const deployPreflight = stepIndex(/npm run preflight -- --env "\$\{\{ inputs\.environment \}\}"\s*$/);
    expect(deployPreflight).toBeGreaterThanOrEqual(0);
    expect(deployPreflight).toBeLessThan(stepIndex(/apply -input=false .*tfplan/));
  });

  test('allow one deployment per environment at a time, never cancelling a running one', () => {
    expect(deployJob.concurrency).toEqual({ group: 'deploy-${{ inputs.environment }}', 'cancel-in-progress': false });
  });

  test('gate on evidence before applying, apply the reviewed plan, then attest, then smoke-test', () => {
    const gate = stepIndex(/--gate-only/);
    const apply = stepIndex(/apply -input=false .*tfplan/);
    const promotion = stepIndex(/npm run promote -- --from/);
    const attest = stepIndex(/npm run attest/);
    const smoke = stepIndex(/npm run smoke/);
    expect([gate, apply, promotion, attest, smoke].every((i) => i >= 0)).toBe(true);
    expect(gate).toBeLessThan(apply);
    expect(apply).toBeLessThan(promotion);
    expect(promotion).toBeLessThan(attest);
    expect(attest).toBeLessThan(smoke);
    expect(stepIndex(/the plan was made from this synth/)).toBeLessThan(apply);
  });

  test('the promotion records the reviewers who approved the environment, not whoever triggered the run', () => {
    const promotion = deployJob.steps[stepIndex(/npm run promote -- --from/)];
    expect(promotion.run).not.toMatch(/--approver|triggering_actor|github\.actor/);
    expect(promotion.env).toEqual({ GITHUB_TOKEN: '${{ github.token }}' });
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

describe('Azure DevOps pipeline', () => {
  const pipeline = parse(read(ADO[0]));
  const template = parse(read(ADO[1]));
  const stage = template.stages[0];
  /** The deploy steps of one environment, with the template's compile-time conditions expanded. */
  const stepsFor = (promoteFrom: string): any[] =>
    (stage.jobs[0].strategy.runOnce.deploy.steps as any[]).flatMap((s) => {
      const [key] = Object.keys(s);
      if (!key.startsWith('${{ if')) return [s];
      return promoteFrom ? s[key] : [];
    });
  const steps = stepsFor('dev');
  const text = (s: any) => `${s.displayName ?? ''} ${s.script ?? ''} ${s.inputs?.inlineScript ?? ''}`;
  const stepIndex = (pattern: RegExp) => steps.findIndex((s) => pattern.test(text(s)));
  /** Every AzureCLI@2 step that runs terraform, in both files. */
  const terraformSteps = [...pipeline.stages.find((s: any) => s.stage === 'Plan').jobs[0].steps, ...steps].filter(
    (s: any) => s.task === 'AzureCLI@2' && /terraform /.test(s.inputs.inlineScript),
  );

  test.each(ADO)('%s parses', (file) => {
    expect(() => parse(read(file))).not.toThrow();
  });

  test('runs test, plan, then dev → test → prod, each depending on the previous', () => {
    expect(pipeline.stages.slice(0, 2).map((s: any) => s.stage)).toEqual(['Test', 'Plan']);
    const deploys = pipeline.stages.slice(2);
    expect(deploys.map((s: any) => [s.parameters.environment, s.parameters.dependsOn, s.parameters.promoteFrom])).toEqual([
      ['dev', 'Plan', undefined],
      ['test', 'Deploy_dev', 'dev'],
      ['prod', 'Deploy_test', 'test'],
    ]);
    expect(stage.stage).toBe('Deploy_${{ parameters.environment }}');
    expect(stage.dependsOn).toBe('${{ parameters.dependsOn }}');
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
    expect(terraformSteps.length).toBe(2);
    for (const step of terraformSteps) {
      expect(step.env).toEqual({
        ARM_USE_OIDC: 'true',
        ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID: expect.stringMatching(
          /^\$\((serviceConnectionId|SERVICE_CONNECTION_ID_\$\{\{ upper\(parameters\.environment\) \}\})\)$/,
        ),
        SYSTEM_ACCESSTOKEN: '$(System.AccessToken)',
        SYSTEM_OIDCREQUESTURI: '$(System.OidcRequestUri)',
      });
      expect(step.inputs.addSpnToEnvironment).toBe(true);
      expect(step.inputs.inlineScript).toContain('ARM_CLIENT_ID="$servicePrincipalId"');
    }
    const matrix = pipeline.stages.find((s: any) => s.stage === 'Plan').jobs[0].strategy.matrix;
    for (const env of ['dev', 'test', 'prod'])
      expect(matrix[env].serviceConnectionId).toBe(`$(SERVICE_CONNECTION_ID_${env.toUpperCase()}_PLAN)`);
    expect(pipeline.variables).toContainEqual({ group: 'acl-service-connections' });
  });

  test('gates, applies the plan, attests and smoke-tests in that order, each its own step, publishing results and evidence always', () => {
    const order = [
      /--gate-only/,
      /apply -input=false -lock-timeout=5m tfplan/,
      /npm run promote -- --from/,
      /npm run attest/,
      /npm run smoke/,
    ].map(stepIndex);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(new Set(order).size).toBe(order.length);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // the apply step runs terraform and nothing of the ledger's.
    expect(text(steps[order[1]])).not.toMatch(/npm run (promote|attest|smoke)/);
    // without promoteFrom (dev), no gate and no promotion attestation.
    expect(stepsFor('').some((s) => /--gate-only|promote -- --from/.test(text(s)))).toBe(false);
    expect(steps.find((s: any) => s.task === 'PublishTestResults@2')).toMatchObject({
      condition: 'always()',
      inputs: { testResultsFormat: 'JUnit' },
    });
    expect(steps.find((s: any) => s.task === 'PublishPipelineArtifact@1' && s.inputs.artifact.startsWith('evidence-'))).toMatchObject({
      condition: 'always()',
    });
  });

  test('preflight runs before plan as the plan identity, and before apply as the deploy identity', () => {
    const planSteps = pipeline.stages.find((s: any) => s.stage === 'Plan').jobs[0].steps.map(text);
    const preflight = planSteps.findIndex((t: string) => t.includes('npm run preflight -- --env "$(environment)" --identity plan'));
    expect(preflight).toBeGreaterThanOrEqual(0);
    expect(preflight).toBeLessThan(planSteps.findIndex((t: string) => t.includes('-out=tfplan')));
    const deployPreflight = stepIndex(/npm run preflight -- --env "\$\{\{ parameters\.environment \}\}"$/);
    expect(deployPreflight).toBeGreaterThanOrEqual(0);
    expect(deployPreflight).toBeLessThan(stepIndex(/apply -input=false/));
  });

  test('the promotion reads the environment check approvals, not the requester', () => {
    const promotion = steps[stepIndex(/npm run promote -- --from/)];
    expect(text(promotion)).not.toMatch(/--approver|RequestedFor/);
    expect(promotion.env).toEqual({ SYSTEM_ACCESSTOKEN: '$(System.AccessToken)' });
  });

  test('keeps each environment plan as an artifact', () => {
    const plan = pipeline.stages.find((s: any) => s.stage === 'Plan').jobs[0];
    expect(Object.keys(plan.strategy.matrix)).toEqual(['dev', 'test', 'prod']);
    expect(plan.steps.find((s: any) => s.task === 'PublishPipelineArtifact@1').inputs.artifact).toBe('plan-$(environment)');
  });
});
