import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from './config';
import { githubTokens, loadTokensEnv, parseEnvFile } from './tokens';

describe('config', () => {
  it('resolves defaults', () => {
    expect(parseConfig({ store: 's' }).config).toMatchInlineSnapshot(`
      {
        "classify": {
          "backend": "rules",
          "model": null,
          "rulesModel": null,
        },
        "months": null,
        "outputRoot": "data",
        "prepare": {
          "gateMode": null,
          "gateShare": null,
        },
        "repos": {
          "file": "data/repos/repos.csv",
        },
        "scrape": {
          "maxRepos": 150,
          "minStars": 500,
        },
        "source": "store",
        "store": "s",
        "synthesize": {
          "asvSource": null,
          "backend": "rules",
          "online": false,
          "releases": null,
        },
        "verify": {
          "factor": null,
          "maxBenchmarks": null,
          "maxForeignShare": null,
          "maxParamSets": null,
          "passes": null,
          "untracedFactor": null,
          "verifyMinutes": null,
        },
      }
    `);
  });

  it.each([
    ['unknown key', { store: 's', stor: 'x' }, /Unrecognized key.*stor/],
    ['wrong type', { store: 's', scrape: { minStars: 'many' } }, /scrape\.minStars: /],
    ['store source without store', { source: 'store' }, /store: required when source is "store"/],
    ['bad month', { store: 's', months: { from: '2024-13', to: '2024-12' } }, /months\.from: expected YYYY-MM/],
  ])('rejects %s with the field path', (_name, raw, message) => {
    expect(() => parseConfig(raw, 'x.json')).toThrow(message);
  });

  it('names the file when it is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-config-'));
    const file = join(dir, 'datasmith.config.json');
    await writeFile(file, '{ nope');
    expect(() => loadConfig(file)).toThrow(/Invalid config .*datasmith\.config\.json: not JSON/);
  });
});

describe('tokens.env', () => {
  it('parses the original format and collects every GitHub token', async () => {
    const env = parseEnvFile(
      '# comment\nGH_TOKENs=github_pat_a,github_pat_b\nexport GH_TOKEN="ghp_c"\nDSPY_URL=http://localhost:30000/v1  # local\nDSPY_TEMPERATURE=0.7\n',
    );
    expect(env.DSPY_URL).toBe('http://localhost:30000/v1');
    expect(githubTokens({ ...env, GH_TOKEN2: 'github_pat_a' })).toEqual(['github_pat_a', 'github_pat_b', 'ghp_c']);
    const dir = await mkdtemp(join(tmpdir(), 'ds-env-'));
    await writeFile(join(dir, 'tokens.env'), 'HF_TOKEN=from_file\nDSPY_MODEL_NAME=file\n');
    const merged = loadTokensEnv(join(dir, 'tokens.env'), { HF_TOKEN: 'from_env' });
    expect(merged.HF_TOKEN).toBe('from_env');
    expect(merged.DSPY_MODEL_NAME).toBe('file');
  });

  it('names the line of a malformed entry', () => {
    expect(() => parseEnvFile('A=1\nnot a pair\n', 'tokens.env')).toThrow(
      'Invalid line in tokens.env:2: expected KEY=VALUE',
    );
  });
});
