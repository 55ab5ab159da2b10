import { detectCi, errorAnnotation, warningAnnotation } from '../../scripts/pipeline/ci';

describe('CI detection and native annotations', () => {
  test('GitHub Actions by GITHUB_ACTIONS=true, Azure Pipelines by TF_BUILD=True, else local', () => {
    expect(detectCi({ GITHUB_ACTIONS: 'true' })).toBe('github');
    expect(detectCi({ TF_BUILD: 'True' })).toBe('azure-devops');
    expect(detectCi({ GITHUB_ACTIONS: 'false', TF_BUILD: '' })).toBe('local');
    expect(detectCi({})).toBe('local');
  });

  test('a message with newlines, percent signs and separators cannot end or forge the command', () => {
    const message = 'line one\r\nline two 100%\n::error::forged';
    expect(errorAnnotation('github', 'apply: failed, step 4', message)).toBe(
      '::error title=apply%3A failed%2C step 4::line one%0D%0Aline two 100%25%0A::error::forged',
    );
    expect(errorAnnotation('azure-devops', 'x;y]z', message)).toBe(
      '##vso[task.logissue type=error]x;y]z: line one%0D%0Aline two 100%AZP25%0A::error::forged',
    );
    expect(warningAnnotation('github', 't', 'm')).toBe('::warning title=t::m');
    expect(warningAnnotation('azure-devops', 't', 'm')).toBe('##vso[task.logissue type=warning]t: m');
    expect(errorAnnotation('local', 't', 'm')).toBe('error: t: m');
  });
});
