import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sortedJson } from '@datasmith/steps';
import { REGISTRY_V2_FIXTURES_DIR } from '@datasmith/steps/testing';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-test-helpers';

const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('datasmith contexts import|export (CLI)', () => {
  it.each(['registry-v2.json', 'registry-v2-short-keys.json', 'registry-v2-three-fields.json'])(
    '%s: import then export gives the same registry after sorting keys',
    async (name) => {
      const root = mkdtempSync(join(tmpdir(), 'ds-contexts-cli-'));
      const source = join(REGISTRY_V2_FIXTURES_DIR, name);
      const imported = await runCli(['contexts', 'import', '--from', source, '--contexts', 'ours.json'], {
        cwd: root,
      });
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toMatch(/^contexts import: \d contexts from /m);
      expect(read(join(root, 'ours.json'))).toMatchObject({ format: 'datasmith-context-registry', version: 1 });
      const exported = await runCli(['contexts', 'export', '--context-registry', 'ours.json', '--to', 'v2.json'], {
        cwd: root,
      });
      expect(exported.code, exported.stderr).toBe(0);
      expect(sortedJson(read(join(root, 'v2.json')))).toBe(sortedJson(read(source)));
    },
  );

  it('synthesize refuses a v2 file as --contexts and names the import command', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-contexts-cli-'));
    writeFileSync(join(root, 'perf.jsonl'), '');
    writeFileSync(join(root, 'v2.json'), readFileSync(join(REGISTRY_V2_FIXTURES_DIR, 'registry-v2.json')));
    const r = await runCli(
      ['synthesize', '--in', 'perf.jsonl', '--contexts', 'v2.json', '--out-dir', 'out', '--store', 'store'],
      { cwd: root },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('datasmith contexts import --from');
  });

  it('fails with a one-line reason on a file that is not a registry', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-contexts-cli-'));
    writeFileSync(join(root, 'bad.json'), '{"entries": {}}');
    const r = await runCli(['contexts', 'import', '--from', 'bad.json', '--contexts', 'ours.json'], { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/expected an object with "contexts"/);
  });
});
