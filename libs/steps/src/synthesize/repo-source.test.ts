import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkoutAtCommit, repoNameOfUrl } from './repo-source';

const ID = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];
function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...ID, ...args], { encoding: 'utf8' }).trim();
}
function repoWith(root: string, name: string, files: Record<string, string>): { dir: string; sha: string } {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q');
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'init');
  return { dir, sha: git(dir, 'rev-parse', 'HEAD') };
}

describe('checkoutAtCommit', () => {
  it('fills submodules from the store at the recorded commit, and reports the ones it lacks', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-checkout-'));
    const sub = repoWith(root, 'store/acme/meson.git', { 'mesonbuild/main.py': 'print("vendored")\n' });
    git(sub.dir, 'commit', '--allow-empty', '-qm', 'later, not the recorded one');
    const top = repoWith(root, 'top', {
      '.gitmodules':
        '[submodule "vendored-meson/meson"]\n\tpath = vendored-meson/meson\n\turl = https://github.com/acme/meson.git\n' +
        '[submodule "docs/theme"]\n\tpath = docs/theme\n\turl = https://github.com/other/theme.git\n',
      'pkg/__init__.py': '',
    });
    git(top.dir, 'update-index', '--add', '--cacheinfo', `160000,${sub.sha},vendored-meson/meson`);
    git(top.dir, 'update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},docs/theme`);
    git(top.dir, 'commit', '-qm', 'submodules');
    const sha = git(top.dir, 'rev-parse', 'HEAD');
    const checkout = await checkoutAtCommit(top.dir, sha, async (url) => {
      const name = repoNameOfUrl(url);
      const path = join(root, 'store', `${name}.git`);
      return existsSync(path) ? path : null;
    });
    try {
      expect(readFileSync(join(checkout.dir, 'vendored-meson/meson/mesonbuild/main.py'), 'utf8')).toContain('vendored');
      expect(existsSync(join(checkout.dir, 'vendored-meson/meson/.git'))).toBe(false);
      expect(checkout.submodules).toEqual({ 'vendored-meson/meson': `acme/meson@${sub.sha}` });
      expect(checkout.warnings).toEqual([
        'submodule_unavailable: docs/theme (https://github.com/other/theme.git) has no mirror in the store',
      ]);
      expect(git(checkout.dir, 'rev-parse', 'HEAD')).toBe(sha);
      expect(git(checkout.dir, 'for-each-ref')).toBe('');
    } finally {
      await checkout.dispose();
    }
  });

  it('checks out a commit whose mirror lacks one blob of its history and one of its own files, and says which', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-checkout-'));
    const repo = repoWith(root, 'mirror', { 'big.h5': 'pretend this is 5 MiB\n', 'pkg/__init__.py': 'x = 1\n' });
    const blob = git(repo.dir, 'rev-parse', `${repo.sha}:big.h5`);
    // A snapshot without large files: the blob is gone from the object store.
    rmSync(join(repo.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const checkout = await checkoutAtCommit(join(repo.dir, '.git'), repo.sha);
    try {
      expect(readFileSync(join(checkout.dir, 'pkg/__init__.py'), 'utf8')).toBe('x = 1\n');
      expect(checkout.warnings).toEqual(['files_missing_from_mirror: big.h5']);
    } finally {
      await checkout.dispose();
    }
  });

  it('reads owner/name out of submodule URLs', () => {
    expect(repoNameOfUrl('https://github.com/numpy/meson.git')).toBe('numpy/meson');
    expect(repoNameOfUrl('git@github.com:intel/x86-simd-sort')).toBe('intel/x86-simd-sort');
    expect(repoNameOfUrl('https://github.com/mreineck/pocketfft/')).toBe('mreineck/pocketfft');
  });
});
