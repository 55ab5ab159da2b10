import fc from 'fast-check';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terraformLiteral } from '../../constructs/core';
import { EnvironmentConfigError } from '../../stacks/environment-config';
import { synthAll } from '../../stacks/synth';
import { environmentFile, guidFor, writeEnvironmentSet } from '../helpers/environment-sets';

/*
 * Every string an environment file carries must reach Terraform as a literal: `${…}` and `%{…}` in a
 * tag, a description or a resource id would otherwise be evaluated by Terraform.
 */

/** The template sequences of one Terraform string as Terraform scans it: interpolations and directives. */
function templateSequences(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length;) {
    if (text.startsWith('$${', i) || text.startsWith('%%{', i)) i += 3;
    else if (text.startsWith('${', i) || text.startsWith('%{', i)) {
      const end = text.indexOf('}', i);
      found.push(text.slice(i, end < 0 ? undefined : end + 1));
      i = end < 0 ? text.length : end + 1;
    } else i++;
  }
  return found;
}

/** The text Terraform hands to Azure for a literal string. */
const unescape = (text: string) => text.replace(/([$%])\1\{/g, '$1{');

/** Every string (keys too) in a JSON value, with its path. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [[`${path}/{key}`, k] as [string, string], ...strings(v, `${path}/${k}`)]);
}

// what cdktf itself writes: references such as ${azurerm_key_vault.KeyVault_EBBC7C6F.id}.
const CDKTF_REFERENCE = /^\$\{[a-z_]+\.[\w-]+(\.[\w]+)*\}$/;

describe('terraformLiteral', () => {
  test.each([
    ['${file("/etc/passwd")}', '$${file("/etc/passwd")}'],
    ['%{ if true }x%{ endif }', '%%{ if true }x%%{ endif }'],
    ['$${already}', '$$${already}'],
    ['plain $ and % and {}', 'plain $ and % and {}'],
  ])('%s → %s, which Terraform reads back as the original', (input, escaped) => {
    expect(terraformLiteral(input)).toBe(escaped);
    expect(templateSequences(escaped)).toEqual([]);
    expect(unescape(escaped)).toBe(input);
  });
});

describe('every environment-file string is emitted as a literal', () => {
  const template = fc
    .tuple(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('${', '%{', '$${', '%%{', '$$${'),
      fc.constantFrom('file("/etc/passwd")', 'var.x', ' if true ', 'env("HOME")'),
      fc.constantFrom('}', '', '}%{ endif }'),
      fc.string({ maxLength: 6 }),
    )
    .map((parts) => parts.join(''));
  // resource-id segments allow no slash.
  const segment = template.filter((t) => !t.includes('/') && t.trim() !== '' && t.length > 0);

  test('property: template syntax in any free-text field never survives unescaped, and Azure gets the text as written', () => {
    fc.assert(
      fc.property(
        template,
        template,
        template,
        template,
        segment,
        segment,
        template,
        (owner, cost, extraKey, extraValue, vnet, workspace, reason) => {
          const env = environmentFile('fz', 'dev');
          env.tags.owner = `o${owner}`;
          env.tags.costCenter = `c${cost}`;
          env.tags.extra = { [`k${extraKey.replace(/[<>%&\\?/]/g, '')}`]: extraValue };
          env.ledger.roleAssignments.auditors.description = `d${owner}`;
          env.ledger.principals[0].description = `p${cost}`;
          env.keyVault.privateEndpoint.subnetId = `/subscriptions/${guidFor('fz')}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/s`;
          env.logAnalytics.workspaceId = `/subscriptions/${guidFor('hub')}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/${workspace}`;
          env.guardrails = { suppressions: [{ ruleId: 'ACL-KV4', reason: `a reason long enough: ${reason}` }] };
          const outdir = mkdtempSync(join(tmpdir(), 'acl-literal-'));
          try {
            synthAll({ environmentsDir: writeEnvironmentSet({ fz: env }), outdir });
          } catch (error) {
            // a value the schema refuses for its own reasons (e.g. a tag key Azure forbids) is no leak.
            if (error instanceof EnvironmentConfigError) return;
            throw error;
          }
          const json = JSON.parse(readFileSync(join(outdir, 'stacks', 'acl-fz', 'cdk.tf.json'), 'utf8'));
          for (const [path, text] of strings(json)) {
            for (const sequence of templateSequences(text))
              expect([path, sequence, CDKTF_REFERENCE.test(sequence)]).toEqual([path, sequence, true]);
          }
          const ledger = Object.values<any>(json.resource.azurerm_confidential_ledger)[0];
          expect(unescape(ledger.tags.owner)).toBe(`o${owner}`.trim()); // the schema trims owner and costCenter
          expect(Object.values(ledger.tags).map((v) => unescape(v as string))).toContain(extraValue);
          const assignment = Object.values<any>(json.resource.azurerm_role_assignment)[0];
          expect(unescape(assignment.description)).toBe(`d${owner}`);
          const endpoint = Object.values<any>(json.resource.azurerm_private_endpoint)[0];
          expect(unescape(endpoint.subnet_id)).toBe(env.keyVault.privateEndpoint.subnetId);
        },
      ),
      { numRuns: 40 },
    );
  });
});
