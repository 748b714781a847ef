import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '@datasmith/errors';
import type { ContextFile } from './context-tar';

/** The configuration key and environment variable naming where offline bases get asv from. */
export const ASV_SOURCE_KEY = 'synthesize.asvSource';
export const ASV_SOURCE_ENV = 'DATASMITH_ASV_SOURCE';

/** One archive of a folder source: an sdist or a wheel of asv or asv_runner. */
export interface AsvArchive {
  file: string;
  project: 'asv' | 'asv_runner';
  version: string;
  kind: 'wheel' | 'sdist';
  sha256: string;
}

/**
 * Where a base image gets asv and asv_runner from: a folder of sdists or wheels (air-gapped sites,
 * pip `--no-index`), a package index URL, or PyPI requirement strings (online).
 */
export type AsvSource =
  | { kind: 'folder'; dir: string; archives: AsvArchive[] }
  | { kind: 'index'; url: string }
  | { kind: 'pypi'; requirements: readonly string[] };

const ARCHIVE = /^(asv_runner|asv)-(\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)*)(-[^/]*\.whl|\.tar\.gz|\.zip)$/;

function versionParts(version: string): number[] {
  return version
    .split(/[^0-9]+/)
    .filter(Boolean)
    .map(Number);
}

function newerFirst(a: AsvArchive, b: AsvArchive): number {
  const va = versionParts(a.version);
  const vb = versionParts(b.version);
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const d = (vb[i] ?? 0) - (va[i] ?? 0);
    if (d !== 0) return d;
  }
  // A wheel needs no build backend: try it before the sdist of the same version.
  return (a.kind === 'wheel' ? 0 : 1) - (b.kind === 'wheel' ? 0 : 1) || (a.file < b.file ? -1 : 1);
}

/**
 * Reads an asv source setting: an http(s) URL is a package index; anything else a folder, which
 * must hold at least one asv and one asv_runner archive. Throws a one-line InputError naming the
 * setting otherwise (before any build).
 */
export function readAsvSource(value: string, origin = `${ASV_SOURCE_KEY} / ${ASV_SOURCE_ENV}`): AsvSource {
  const trimmed = value.trim();
  if (/^https?:\/\//.test(trimmed)) return { kind: 'index', url: trimmed };
  const dir = resolve(trimmed);
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    names = readdirSync(dir);
  } catch (error) {
    throw new InputError(`${origin}: ${dir} is not a readable folder (${(error as Error).message})`);
  }
  const archives: AsvArchive[] = [];
  for (const file of names.sort()) {
    const m = ARCHIVE.exec(file);
    if (!m) continue;
    const content = readFileSync(join(dir, file));
    archives.push({
      file,
      project: m[1] as AsvArchive['project'],
      version: m[2] as string,
      kind: file.endsWith('.whl') ? 'wheel' : 'sdist',
      sha256: createHash('sha256').update(content).digest('hex'),
    });
  }
  for (const project of ['asv', 'asv_runner'] as const) {
    if (!archives.some((a) => a.project === project)) {
      throw new InputError(
        `${origin}: ${dir} holds no ${project} sdist or wheel (${project}-<version>.tar.gz, .zip or .whl)`,
      );
    }
  }
  return { kind: 'folder', dir, archives: archives.sort(newerFirst) };
}

/** The asv source of the environment (`DATASMITH_ASV_SOURCE`), or null when unset. */
export function asvSourceFromEnv(env: NodeJS.ProcessEnv = process.env): AsvSource | null {
  const value = env[ASV_SOURCE_ENV];
  return value?.trim() ? readAsvSource(value, ASV_SOURCE_ENV) : null;
}

/** What identifies a source in a recipe hash (contents, not paths). */
export function asvSourceIdentity(source: AsvSource): unknown {
  if (source.kind === 'folder') return { kind: 'folder', archives: source.archives.map((a) => [a.file, a.sha256]) };
  return source;
}

const VENV = '/opt/venv';

/**
 * The Dockerfile lines and context files that create the venv (`--system-site-packages`, so Debian's
 * packages show through) and install asv and asv_runner into it. From a folder, each project's
 * archives are tried newest first until one installs on this release (asv 0.6.6 needs
 * setuptools ≥ 77, so Debian 12 takes 0.6.4); the version is passed to setuptools-scm and
 * pdm-backend because upstream `git archive` tarballs carry none.
 */
export function asvInstallLayer(source: AsvSource): { dockerfile: string; files: Record<string, ContextFile> } {
  const files: Record<string, ContextFile> = {};
  const lines = [`RUN python3 -m venv --system-site-packages ${VENV}`];
  if (source.kind === 'folder') {
    const script = [
      'set -u',
      'install_first() {',
      '  name=$1; shift',
      '  for spec in "$@"; do',
      ['    f=$', '{spec%%=*}; v=$', '{spec#*=}'].join(''),
      `    if PDM_BUILD_SCM_VERSION=$v SETUPTOOLS_SCM_PRETEND_VERSION=$v ${VENV}/bin/pip install --no-index --no-build-isolation --no-deps "/tmp/asv-src/$f" >/tmp/asv-install.log 2>&1; then`,
      '      echo "installed $f"; return 0',
      '    fi',
      '    echo "$f does not install on this release:"; tail -n 5 /tmp/asv-install.log',
      '  done',
      '  echo "no $name archive of the asv source installs on this release"; return 1',
      '}',
      ...(['asv_runner', 'asv'] as const).map(
        (project) =>
          `install_first ${project} ${source.archives
            .filter((a) => a.project === project)
            .map((a) => `${a.file}=${a.version}`)
            .join(' ')} || exit 1`,
      ),
      'rm -f /tmp/asv-install.log',
      '',
    ].join('\n');
    files['asv-src/install-asv.sh'] = { content: script, mode: 0o755 };
    for (const a of source.archives) files[`asv-src/${a.file}`] = { content: readFileSync(join(source.dir, a.file)) };
    lines.push('COPY asv-src/ /tmp/asv-src/', 'RUN bash /tmp/asv-src/install-asv.sh && rm -rf /tmp/asv-src');
  } else if (source.kind === 'index') {
    lines.push(`RUN ${VENV}/bin/pip install --no-cache-dir --index-url ${JSON.stringify(source.url)} asv asv_runner`);
  } else {
    lines.push(`RUN ${VENV}/bin/pip install --no-cache-dir ${source.requirements.map((r) => `'${r}'`).join(' ')}`);
  }
  lines.push(
    `ENV VIRTUAL_ENV=${VENV} PATH=${VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    'RUN python -m asv --version',
  );
  return { dockerfile: `${lines.join('\n')}\n`, files };
}
