import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asvInstallLayer, readAsvSource } from './asv-source';

function folder(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'ds-asv-src-'));
  for (const f of files) writeFileSync(join(dir, f), f);
  return dir;
}

describe('asv source', () => {
  it('reads a folder: asv and asv_runner archives, newest first, a wheel before the sdist of its version', () => {
    const dir = folder([
      'asv-0.6.4.tar.gz',
      'asv-0.6.10.tar.gz',
      'asv_runner-0.2.5.tar.gz',
      'asv_runner-0.2.5-py3-none-any.whl',
      'README.md',
    ]);
    const source = readAsvSource(dir);
    expect(source.kind).toBe('folder');
    if (source.kind !== 'folder') return;
    expect(source.archives.map((a) => `${a.file} ${a.version} ${a.kind}`)).toEqual([
      'asv-0.6.10.tar.gz 0.6.10 sdist',
      'asv-0.6.4.tar.gz 0.6.4 sdist',
      'asv_runner-0.2.5-py3-none-any.whl 0.2.5 wheel',
      'asv_runner-0.2.5.tar.gz 0.2.5 sdist',
    ]);
    const layer = asvInstallLayer(source);
    const script = String(layer.files['asv-src/install-asv.sh']?.content);
    expect(script).toContain(
      'install_first asv_runner asv_runner-0.2.5-py3-none-any.whl=0.2.5 asv_runner-0.2.5.tar.gz=0.2.5 || exit 1',
    );
    expect(script).toContain('install_first asv asv-0.6.10.tar.gz=0.6.10 asv-0.6.4.tar.gz=0.6.4 || exit 1');
    expect(Object.keys(layer.files).sort()).toEqual([
      'asv-src/asv-0.6.10.tar.gz',
      'asv-src/asv-0.6.4.tar.gz',
      'asv-src/asv_runner-0.2.5-py3-none-any.whl',
      'asv-src/asv_runner-0.2.5.tar.gz',
      'asv-src/install-asv.sh',
    ]);
    expect(layer.dockerfile).toContain('python3 -m venv --system-site-packages /opt/venv');
    expect(layer.dockerfile).toContain('RUN python -m asv --version');
  });

  it('refuses a folder without asv, or without asv_runner, in one line naming the setting', () => {
    const noAsv = folder(['asv_runner-0.2.5-py3-none-any.whl']);
    expect(() => readAsvSource(noAsv, 'DATASMITH_ASV_SOURCE')).toThrow(
      new RegExp(`^DATASMITH_ASV_SOURCE: ${noAsv} holds no asv sdist or wheel`),
    );
    const noRunner = folder(['asv-0.6.4.tar.gz']);
    expect(() => readAsvSource(noRunner)).toThrow(/holds no asv_runner sdist or wheel/);
    expect(() => readAsvSource(join(noRunner, 'missing'))).toThrow(/is not a readable folder/);
  });

  it('takes an http(s) URL as a package index', () => {
    expect(readAsvSource('https://pypi.example.org/simple')).toEqual({
      kind: 'index',
      url: 'https://pypi.example.org/simple',
    });
    expect(asvInstallLayer({ kind: 'index', url: 'https://pypi.example.org/simple' }).dockerfile).toContain(
      '--index-url "https://pypi.example.org/simple" asv asv_runner',
    );
  });
});
