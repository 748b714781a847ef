import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BaseImage, imageId, imageLayers, removeImageQuietly } from '@datasmith/docker';
import { dockerTestEngine, testOnlyBaseImage } from '@datasmith/docker/testing';
import { FixtureRepo } from '@datasmith/git/testing';
import { createMemoryLogger } from '@datasmith/progress';
import { OfflineStore } from '@datasmith/store';
import type { SynthesisResult, SynthesizeInputRow } from '@datasmith/tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildContext } from './context';
import { readContextRegistry } from './registry';
import { withEnv } from './rules';
import { type SynthesizeOptions, synthesize } from './synthesize';
import { asvFixtureFiles } from './testing/asv-fixture';

const engine = await dockerTestEngine();
const docker = engine.docker;

/** A GitHub-token-shaped string, built at run time so that no scanner flags this file. */
const FAKE_TOKEN = `ghp_${'Ab1'.repeat(12)}`;
const GIT_ID = '-c user.name=x -c user.email=x@example.com';

interface Fixture {
  root: string;
  store: OfflineStore;
  shas: Record<string, string>;
}

function makeRepo(root: string, name: string, build: (repo: FixtureRepo) => Record<string, string>): Fixture {
  const repo = new FixtureRepo(join(root, `work-${name}`));
  const shas = build(repo);
  repo.mirrorTo(join(root, 'store', 'demo-org', `${name}.git`));
  return { root, store: new OfflineStore(join(root, 'store')), shas };
}

function rowFor(name: string, base: string, n: number): SynthesizeInputRow {
  return {
    repo_name: `demo-org/${name}`,
    pr_number: n,
    sha: base,
    pr_base_sha: base,
    pr_merged_at: '2024-02-01T00:00:00Z',
  };
}

async function imagesOfTask(sha: string): Promise<string[]> {
  const images = await docker.listImages({ all: false, filters: { label: [`datasmith.sha=${sha}`] } });
  return images.flatMap((i) => i.RepoTags ?? ['<none>']).sort();
}

describe.skipIf(!engine.ok)(`synthesize with a real Docker engine ${engine.skipReason}`, () => {
  let base: BaseImage;
  let root: string;
  const timings: Record<string, number> = {};
  const made: string[] = [];

  beforeAll(async () => {
    const t = Date.now();
    base = await testOnlyBaseImage(docker);
    timings.base = (Date.now() - t) / 1000;
    root = mkdtempSync(join(tmpdir(), 'ds-synth-docker-'));
  });

  afterAll(async () => {
    for (const ref of made) await removeImageQuietly(docker, ref, { force: true });
    console.log(`synthesize docker timings (s): ${JSON.stringify(timings)}`);
  });

  const run = async (
    fixture: Fixture,
    rows: SynthesizeInputRow[],
    options: SynthesizeOptions = {},
    adjustContext?: (c: BuildContext) => BuildContext,
    registryName = 'registry.json',
  ) => {
    const log = createMemoryLogger();
    const out = await synthesize(
      { rows },
      { docker, store: fixture.store, registryPath: join(fixture.root, registryName), log, adjustContext },
      { base: { ref: base.ref }, maxAttempts: 1, ...options },
    );
    for (const r of out.results) if (r.ok) made.push(r.image_name);
    return { ...out, log };
  };

  it('shares the base and dependency layers between two commits, keeps only :final, and reuses validated images', async () => {
    const fixture = makeRepo(root, 'layered', (repo) => {
      const first = repo.commit(
        asvFixtureFiles({ name: 'layered', dependencies: ['numpy', 'scipy', 'pandas'] }),
        'initial',
        '2024-01-01T00:00:00Z',
      );
      const second = repo.commit(
        {
          'layered/core.py':
            'import numpy as np\n\n\ndef total(xs):\n    return sum(xs)\n\n\ndef scale(xs, k):\n    return np.asarray(list(xs)) * k\n',
        },
        'faster total',
        '2024-01-05T00:00:00Z',
      );
      return { first, second };
    });
    const { first, second } = fixture.shas as { first: string; second: string };
    // A dependency layer left by an earlier run of this test would be reused: start without it.
    for (const image of await docker.listImages({ filters: { label: ['datasmith.task=demo-org/layered'] } })) {
      for (const tag of image.RepoTags ?? []) await removeImageQuietly(docker, tag, { force: true });
    }
    let t = Date.now();
    const one = await run(fixture, [rowFor('layered', first, 1)]);
    timings.first_build = (Date.now() - t) / 1000;
    t = Date.now();
    // Without similar contexts, so that the second commit is planned by the rules too.
    const two = await run(fixture, [rowFor('layered', second, 2)], { maxSimilarCandidates: 0 });
    timings.second_build = (Date.now() - t) / 1000;
    const [r1, r2] = [one.results[0] as SynthesisResult, two.results[0] as SynthesisResult];
    expect(r1, r1.stderr_tail).toMatchObject({ ok: true, stage: 'validated', strategy: 'rules', rc: 0 });
    expect(r2, r2.stderr_tail).toMatchObject({ ok: true, stage: 'validated', strategy: 'rules' });
    expect(r1.benchmarks).toHaveLength(4);
    expect(r1).toMatchObject({ python_requested: '3.9', python_used: '3.11' });

    // Build time only (dependency layer when built, then the commit layer); validation is separate.
    const b1 = r1.attempts[0]?.build_s as number;
    const b2 = r2.attempts[0]?.build_s as number;
    expect(r1.attempts[0]?.deps_reused).toBe(false);
    expect(r2.attempts[0]?.deps_reused).toBe(true);
    timings.first_docker_build = b1;
    timings.second_docker_build = b2;
    console.log(`second/first build = ${(b2 / b1).toFixed(2)} (${b2.toFixed(1)} s / ${b1.toFixed(1)} s)`);

    const baseLayers = await imageLayers(docker, base.ref);
    const depsRef = one.contexts[0]?.deps_image as string;
    expect(two.contexts[0]?.deps_image).toBe(depsRef);
    const depsLayers = await imageLayers(docker, depsRef);
    const l1 = await imageLayers(docker, r1.image_name);
    const l2 = await imageLayers(docker, r2.image_name);
    expect(l1.slice(0, depsLayers.length)).toEqual(depsLayers);
    expect(l2.slice(0, depsLayers.length)).toEqual(depsLayers);
    expect(depsLayers.slice(0, baseLayers.length)).toEqual(baseLayers);
    expect(depsLayers.length).toBeGreaterThan(baseLayers.length);
    expect(l1.slice(depsLayers.length)).not.toEqual(l2.slice(depsLayers.length));

    // Only the validated image stays: no :pkg tag, no probe container.
    expect(await imagesOfTask(first)).toEqual([r1.image_name]);
    expect(await docker.listContainers({ all: true, filters: { label: [`datasmith.sha=${first}`] } })).toEqual([]);

    // A re-run reuses the validated image (no build), from the registry.
    t = Date.now();
    const again = await run(fixture, [rowFor('layered', first, 1)]);
    timings.cached = (Date.now() - t) / 1000;
    expect(again.results[0]).toMatchObject({ ok: true, strategy: 'cached', image_id: r1.image_id });

    // The image is gone: it is rebuilt from the recorded context and validated again.
    await removeImageQuietly(docker, r1.image_name, { force: true });
    expect(await imageId(docker, r1.image_id as string)).toBeNull();
    const rebuilt = await run(fixture, [rowFor('layered', first, 1)]);
    expect(rebuilt.results[0]).toMatchObject({ ok: true, strategy: 'cached' });
    expect(rebuilt.results[0]?.image_id).not.toBe(r1.image_id);
    const registry = await readContextRegistry(join(root, 'registry.json'));
    expect(registry.entries[`demo-org/layered/${first}`]).toMatchObject({
      status: 'validated',
      image_id: rebuilt.results[0]?.image_id,
    });
  });

  describe('negative controls: each planted problem fails with its own stage and reason', () => {
    let fixture: Fixture;
    beforeAll(() => {
      fixture = makeRepo(root, 'negatives', (repo) => {
        const good = repo.commit(asvFixtureFiles({ name: 'negatives' }), 'initial', '2024-01-01T00:00:00Z');
        const importError = repo.commit(
          { 'negatives/__init__.py': 'from .core import scale, total\nimport not_a_module_anywhere\n' },
          'break the import',
          '2024-01-02T00:00:00Z',
        );
        repo.git(['checkout', '-q', good]);
        repo.git(['checkout', '-q', '-b', 'nobench']);
        const noBenchmarks = repo.commit(
          { 'benchmarks/bench_core.py': '# benchmarks were removed\nHELPER = 1\n' },
          'no benchmarks',
          '2024-01-03T00:00:00Z',
        );
        repo.git(['checkout', '-q', good]);
        repo.git(['checkout', '-q', '-b', 'slow']);
        const slow = repo.commit(
          {
            'benchmarks/bench_core.py':
              'import time\n\n\ndef time_a_sleep():\n    time.sleep(120)\n\n\ndef time_b():\n    pass\n',
          },
          'slow benchmark',
          '2024-01-04T00:00:00Z',
        );
        repo.git(['checkout', '-q', 'main']);
        return { good, importError, noBenchmarks, slow };
      });
    });

    const plant = (lines: string) => (c: BuildContext) => ({
      ...c,
      files: { ...c.files, 'docker_build_pkg.sh': `${c.files['docker_build_pkg.sh']}\n${lines}\n` },
    });

    it.each([
      [
        'a later commit',
        plant(`cd /workspace/repo && git ${GIT_ID} commit-tree -p HEAD -m "the answer" "HEAD^{tree}" > /dev/null`),
        'repo',
        'later_commit_present',
      ],
      ['a tag', plant('cd /workspace/repo && git tag v-leak'), 'repo', 'tag_present'],
      [
        'a stash',
        plant(`cd /workspace/repo && echo "# dirty" >> README.md && git ${GIT_ID} stash -q`),
        'repo',
        'stash_present',
      ],
      [
        'a ghp_ token in an environment variable',
        (c: BuildContext) => withEnv(c, { GITHUB_TOKEN: FAKE_TOKEN }),
        'secrets',
        'secret_in_env',
      ],
      [
        'a ghp_ token in a file',
        plant(`mkdir -p /root/.config && echo "oauth_token: ${FAKE_TOKEN}" > /root/.config/hub`),
        'secrets',
        'secret_in_file',
      ],
      [
        'a sitecustomize shim',
        plant(`echo "import os" > "$(python -c 'import site; print(site.getsitepackages()[0])')/sitecustomize.py"`),
        'shim',
        'customize_shim',
      ],
      [
        'a malformed install script',
        (c: BuildContext) => ({ ...c, files: { ...c.files, 'docker_build_pkg.sh': 'pip install . && if then fi\n' } }),
        'build',
        'install_script_invalid',
      ],
      ['an install script that fails', plant('echo "cannot build" >&2; exit 3'), 'build', 'install_failed'],
    ])('plants %s', async (label, adjust, stage, reason) => {
      const t = Date.now();
      const { results } = await run(
        fixture,
        [rowFor('negatives', fixture.shas.good as string, 1)],
        { retryFailed: true },
        adjust,
        `registry-${stage}-${reason}.json`,
      );
      timings[`neg:${reason}`] = (Date.now() - t) / 1000;
      const r = results[0] as SynthesisResult;
      expect(r, `${label}: ${r.stderr_tail}`).toMatchObject({ ok: false, stage, reason });
      expect(await imagesOfTask(fixture.shas.good as string)).toEqual([]);
    });

    it.each([
      ['an import error', 'importError', 'import', 'import_failed', 1],
      ['no benchmarks', 'noBenchmarks', 'discover', 'no_benchmarks', 1],
      ['a benchmark that times out', 'slow', 'benchmark', 'benchmark_timeout', 124],
    ])('fails on %s', async (_label, key, stage, reason, rc) => {
      const t = Date.now();
      const sha = fixture.shas[key] as string;
      const { results } = await run(fixture, [rowFor('negatives', sha, 2)], { validation: { benchTimeoutMs: 5000 } });
      timings[`neg:${reason}`] = (Date.now() - t) / 1000;
      const r = results[0] as SynthesisResult;
      expect(r, r.stderr_tail).toMatchObject({ ok: false, stage, reason, rc });
      expect(await imagesOfTask(sha)).toEqual([]);
      expect(await docker.listContainers({ all: true, filters: { label: [`datasmith.sha=${sha}`] } })).toEqual([]);
    });

    it('records a failure and does not rebuild it when the context is unchanged', async () => {
      const sha = fixture.shas.importError as string;
      const { results, log } = await run(fixture, [rowFor('negatives', sha, 2)]);
      expect(results[0]).toMatchObject({ ok: false, strategy: 'cached', reason: 'import_failed' });
      expect(log.lines.join('\n')).toContain('failed earlier with the same context');
    });
  });
});
