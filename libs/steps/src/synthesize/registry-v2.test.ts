import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContextRegistryFile, RegistryEntry } from './context';
import { formatPyCall, parsePyCall, pyFloatRepr, pyStrRepr } from './python-repr';
import { changeContextRegistry, mergeLegacy, readContextRegistry } from './registry';
import { exportRegistryV2, formatTaskKey, importRegistryV2, parseTaskKey, sortedJson } from './registry-v2';

const FIXTURES = join(import.meta.dirname, 'testing', 'fixtures');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;

describe('Python reprs of the original registry keys', () => {
  it.each([
    // Each expected text is what CPython 3.11 repr() prints for the value.
    ["it's", `"it's"`],
    ['say "hi"', `'say "hi"'`],
    [`both ' and "`, `'both \\' and "'`],
    ['back\\slash', `'back\\\\slash'`],
    ['nl\nt\tx\x7f', `'nl\\nt\\tx\\x7f'`],
    ['é ü 😀', `'é ü 😀'`],
    ['\u2028', `'\\u2028'`],
    ['\xa0\xad', `'\\xa0\\xad'`],
  ])('str %j', (value, repr) => {
    expect(pyStrRepr(value)).toBe(repr);
    expect(parsePyCall(`T(x=${repr})`).fields).toEqual([['x', value]]);
  });

  it.each([
    [0, '0.0'],
    [1755559409, '1755559409.0'],
    [1755559409.25, '1755559409.25'],
    [1e16, '1e+16'],
    [1.5e-7, '1.5e-07'],
  ])('float %d', (value, repr) => {
    expect(pyFloatRepr(value)).toBe(repr);
  });

  it('parses the long and the old short key forms and writes them back unchanged', () => {
    const long = `Task(owner='NCAR', repo='geocat-comp', sha='afe16c43', commit_date=1755559409.0, env_payload='{"dependencies": ["numpy"]}', python_version='3.12', tag='pkg', benchmarks='')`;
    const short = `Task(owner='astropy', repo='astropy', sha=None, commit_date=0.0)`;
    expect(parseTaskKey(long)).toMatchObject({
      owner: 'NCAR',
      repo: 'geocat-comp',
      sha: 'afe16c43',
      commit_date: 1755559409,
      env_payload: '{"dependencies": ["numpy"]}',
      python_version: '3.12',
      tag: 'pkg',
      benchmarks: '',
    });
    expect(parseTaskKey(short)).toEqual({
      owner: 'astropy',
      repo: 'astropy',
      sha: null,
      commit_date: 0,
      repr_fields: ['owner', 'repo', 'sha', 'commit_date'],
    });
    expect(formatTaskKey(parseTaskKey(long))).toBe(long);
    expect(formatTaskKey(parseTaskKey(short))).toBe(short);
    expect(formatPyCall(parsePyCall('T(a=1, b=True, c=None)'))).toBe('T(a=1, b=True, c=None)');
  });

  it.each([
    ["Task(owner='a', repo=__import__('os'))", /expected a literal/],
    ["Task(owner='a', repo='b', colour='red')", /unknown field colour/],
    ["Task(owner='a', repo='b'", /expected "," or "\)"/],
    ["Other(owner='a', repo='b')", /expected Task/],
  ])('refuses %s (keys are parsed, never evaluated)', (key, message) => {
    expect(() => parseTaskKey(key)).toThrow(message);
  });
});

describe("the original's context registry v2: import and export", () => {
  it.each([
    ['registry-v2.json', 4],
    ['registry-v2-short-keys.json', 3],
    ['registry-v2-three-fields.json', 2],
  ])('%s: import, export, and the same file after sorting keys', (name, count) => {
    const original = fixture(name);
    const { legacy, warnings } = importRegistryV2(original, name);
    expect(warnings).toEqual([]);
    expect(Object.keys(legacy.contexts)).toHaveLength(count);
    const ours: ContextRegistryFile = { format: 'datasmith-context-registry', version: 1, entries: {}, legacy };
    const exported = exportRegistryV2(ours);
    expect(sortedJson(exported)).toBe(sortedJson(original));
    // Every key repr is written back character for character (not only parsed alike).
    expect(Object.keys(exported.contexts as object).sort()).toEqual(Object.keys(original.contexts as object).sort());
  });

  it('keys imported contexts by (owner, repo, sha), with the pkg script and the commit date', () => {
    const { legacy } = importRegistryV2(fixture('registry-v2.json'));
    expect(Object.keys(legacy.contexts).sort()).toEqual([
      'NCAR/geocat-comp/0123456789abcdef0123456789abcdef01234567',
      'NCAR/geocat-comp/afe16c43e3b0d4d8b9b1f58e8e5c4d7b9a0c1e2f',
      'default/default/-',
      'pandas-dev/pandas/-',
    ]);
    const geocat = legacy.contexts['NCAR/geocat-comp/afe16c43e3b0d4d8b9b1f58e8e5c4d7b9a0c1e2f'];
    expect(geocat?.task).toMatchObject({ commit_date: 1755559409, python_version: '3.12' });
    expect(JSON.parse(geocat?.task.env_payload ?? '')).toEqual({
      dependencies: ['numpy==1.26.4', 'scipy>=1.11', 'xarray[io]'],
    });
    expect(geocat?.context.building_data).toContain('MODEL EDIT AREA (geocat)');
    expect(geocat?.context.created_unix).toBe(1755600000.25);
    const old = importRegistryV2(fixture('registry-v2-three-fields.json')).legacy;
    expect(old.version).toBeNull();
    expect(old.default).toMatchObject({ building_data: expect.stringContaining('(default)') });
    expect(Object.keys(old.contexts['scikit-learn/scikit-learn/-']?.context ?? {}).sort()).toEqual([
      'building_data',
      'dockerfile_data',
      'entrypoint_data',
    ]);
  });

  it('refuses a file that is not a registry, or another version', () => {
    expect(() => importRegistryV2({ entries: {} }, 'x.json')).toThrow(/expected an object with "contexts"/);
    expect(() => importRegistryV2({ version: 3, contexts: {} }, 'x.json')).toThrow(/version 3, expected 2/);
    expect(() => importRegistryV2({ version: 2, contexts: { 'Task(owner=1)': {} } }, 'x.json')).toThrow(
      /owner must be a string/,
    );
  });

  it('exports our validated entries as full keys; they replace the script of an imported context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-registry-v2-'));
    const path = join(dir, 'contexts.json');
    const { legacy } = importRegistryV2(fixture('registry-v2.json'));
    await changeContextRegistry(path, (r) => mergeLegacy(r, legacy));
    const entry = (owner: string, repo: string, sha: string, status: 'validated' | 'failed'): RegistryEntry =>
      ({
        context: {
          owner,
          repo,
          sha,
          python_used: '3.11',
          files: { 'docker_build_pkg.sh': `pip install -e . # ${repo}\n`, Dockerfile: 'FROM x\n' },
        },
        status,
        updated_at: '2025-01-01T00:00:00.000Z',
        commit_date: 1700000000,
      }) as unknown as RegistryEntry;
    const sha = 'afe16c43e3b0d4d8b9b1f58e8e5c4d7b9a0c1e2f';
    const registry = await readContextRegistry(path);
    registry.entries[`NCAR/geocat-comp/${sha}`] = entry('NCAR', 'geocat-comp', sha, 'validated');
    registry.entries[`demo-org/fastmath/${'1'.repeat(40)}`] = entry(
      'demo-org',
      'fastmath',
      '1'.repeat(40),
      'validated',
    );
    registry.entries[`demo-org/fastmath/${'2'.repeat(40)}`] = entry('demo-org', 'fastmath', '2'.repeat(40), 'failed');
    const exported = exportRegistryV2(registry) as {
      version: number;
      contexts: Record<string, Record<string, unknown>>;
    };
    expect(exported.version).toBe(2);
    const keys = Object.keys(exported.contexts);
    expect(keys).toHaveLength(5);
    expect(keys).toContain(
      `Task(owner='demo-org', repo='fastmath', sha='${'1'.repeat(40)}', commit_date=1700000000.0, env_payload='', python_version='3.11', tag='pkg', benchmarks='')`,
    );
    const geocatKey = keys.find((k) => k.includes(sha)) as string;
    expect(geocatKey).toContain('commit_date=1755559409.0');
    expect(exported.contexts[geocatKey]).toMatchObject({
      building_data: 'pip install -e . # geocat-comp\n',
      created_unix: 1735689600,
      profile_data: expect.stringContaining('profile.sh'),
    });
    // Exported, then imported again: the same contexts.
    const again = importRegistryV2(JSON.parse(sortedJson(exported)));
    expect(Object.keys(again.legacy.contexts)).toHaveLength(5);
  });

  it('keeps imported contexts when our entries are updated, and refuses a v2 file given as --contexts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-registry-v2-'));
    const path = join(dir, 'contexts.json');
    await changeContextRegistry(path, (r) => mergeLegacy(r, importRegistryV2(fixture('registry-v2.json')).legacy));
    await changeContextRegistry(path, () => {});
    const text = readFileSync(path, 'utf8');
    expect(Object.keys(JSON.parse(text).legacy.contexts)).toHaveLength(4);
    const v2 = join(dir, 'v2.json');
    writeFileSync(v2, JSON.stringify(fixture('registry-v2.json')));
    await expect(readContextRegistry(v2)).rejects.toThrow(/datasmith contexts import --from/);
  });
});
