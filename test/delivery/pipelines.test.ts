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
  const steps = stage.jobs[0].strategy.runOnce.deploy.steps;
  const script = steps.find((s: any) => s.task === 'AzureCLI@2').inputs.inlineScript as string;

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
    expect(script).toContain('ARM_USE_OIDC=true');
    expect(script).toContain('ARM_OIDC_TOKEN="$idToken"');
  });

  test('gates, applies the plan, attests and smoke-tests in that order, publishing results and evidence always', () => {
    const order = [
      '--gate-only',
      'apply -input=false -lock-timeout=5m tfplan',
      'npm run promote -- --from',
      'npm run attest',
      'npm run smoke',
    ].map((s) => script.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(steps.find((s: any) => s.task === 'PublishTestResults@2')).toMatchObject({
      condition: 'always()',
      inputs: { testResultsFormat: 'JUnit' },
    });
    expect(steps.find((s: any) => s.task === 'PublishPipelineArtifact@1' && s.inputs.artifact.startsWith('evidence-'))).toMatchObject({
      condition: 'always()',
    });
  });

  test('the promotion reads the environment check approvals, not the requester', () => {
    expect(script).not.toMatch(/--approver|RequestedFor/);
    expect(steps.find((s: any) => s.task === 'AzureCLI@2').env).toEqual({ SYSTEM_ACCESSTOKEN: '$(System.AccessToken)' });
  });

  test('keeps each environment plan as an artifact', () => {
    const plan = pipeline.stages.find((s: any) => s.stage === 'Plan').jobs[0];
    expect(Object.keys(plan.strategy.matrix)).toEqual(['dev', 'test', 'prod']);
    expect(plan.steps.find((s: any) => s.task === 'PublishPipelineArtifact@1').inputs.artifact).toBe('plan-$(environment)');
  });
});
