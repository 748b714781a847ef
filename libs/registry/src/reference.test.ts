import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerAuthConfig, resolveCredentials } from './credentials';
import {
  DOCKER_HUB,
  decodeSingleRepoTag,
  encodeSingleRepoTag,
  parseImageReference,
  parseRegistryUrl,
  planImageReference,
} from './reference';

const SHA = '39bd3d38ac97177c22e68a9259bf4f09f7315277';

describe('parseRegistryUrl', () => {
  it.each([
    ['http://127.0.0.1:5000', { host: '127.0.0.1:5000', apiBase: 'http://127.0.0.1:5000', dockerHub: false }],
    ['127.0.0.1:5000', { host: '127.0.0.1:5000', apiBase: 'http://127.0.0.1:5000', dockerHub: false }],
    ['localhost:5001/', { host: 'localhost:5001', apiBase: 'http://localhost:5001', dockerHub: false }],
    ['ghcr.io', { host: 'ghcr.io', apiBase: 'https://ghcr.io', dockerHub: false }],
    [
      'https://registry.example.com:8443',
      { host: 'registry.example.com:8443', apiBase: 'https://registry.example.com:8443', dockerHub: false },
    ],
    ['docker.io', DOCKER_HUB],
    ['https://index.docker.io/v1/', DOCKER_HUB],
  ])('%s', (value, expected) => {
    expect(parseRegistryUrl(value)).toEqual(expected);
  });

  it('rejects garbage in one line', () => {
    expect(() => parseRegistryUrl('')).toThrow(/^Invalid --image-registry: empty/);
    expect(() => parseRegistryUrl('ftp://x')).toThrow(/only http:\/\/ and https:\/\//);
  });
});

describe('single-repository tag encoding (reference §1.2)', () => {
  it('encodes owner-repo-sha:final as owner-repo-sha--final and back', () => {
    const local = `pandas-dev-pandas-${SHA}:final`;
    expect(encodeSingleRepoTag(local)).toBe(`pandas-dev-pandas-${SHA}--final`);
    expect(decodeSingleRepoTag(`pandas-dev-pandas-${SHA}--final`)).toBe(local);
    expect(encodeSingleRepoTag('ns/img:a/b:c')).toBe('ns__img--a__b--c');
  });

  it('keeps the last 118 characters and a sha256 prefix past 128', () => {
    const local = `${'x'.repeat(100)}-${SHA}:final`;
    const full = `${'x'.repeat(100)}-${SHA}--final`;
    const tag = encodeSingleRepoTag(local);
    expect(tag).toHaveLength(128);
    expect(tag).toBe(`${full.slice(-118)}--${createHash('sha256').update(full).digest('hex').slice(0, 8)}`);
  });

  it('plans single, mirror and Docker Hub references', () => {
    const local = `o-r-${SHA}:final`;
    const registry = parseRegistryUrl('127.0.0.1:5000');
    expect(planImageReference(local, { registry, namespace: 'NS', mode: 'single' })).toEqual({
      repository: '127.0.0.1:5000/ns/all',
      path: 'ns/all',
      tag: `o-r-${SHA}--final`,
      name: `127.0.0.1:5000/ns/all:o-r-${SHA}--final`,
    });
    expect(planImageReference(local, { registry, namespace: 'ns', mode: 'mirror' }).name).toBe(
      `127.0.0.1:5000/ns/o-r-${SHA}:final`,
    );
    expect(planImageReference(local, { registry: DOCKER_HUB, namespace: 'formulacode', mode: 'single' }).name).toBe(
      `formulacode/all:o-r-${SHA}--final`,
    );
  });

  it('parses pushed references back', () => {
    expect(parseImageReference(`formulacode/all:o-r-${SHA}--final`)).toEqual({
      registry: DOCKER_HUB,
      path: 'formulacode/all',
      tag: `o-r-${SHA}--final`,
    });
    expect(parseImageReference('127.0.0.1:5000/ns/all:t')?.registry.host).toBe('127.0.0.1:5000');
    expect(parseImageReference(`o-r-${SHA}:final`)).toBeNull();
  });
});

describe('credentials', () => {
  it('prefers flags, then DOCKERHUB_USERNAME + TOKEN/PASSWORD, then the Docker config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-dockercfg-'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
          '127.0.0.1:5000': { username: 'local', password: 'secret' },
        },
      }),
    );
    const env = { DOCKER_CONFIG: dir };
    expect(resolveCredentials(DOCKER_HUB, { env })).toMatchObject({ username: 'hubuser', password: 'hubpass' });
    expect(resolveCredentials(parseRegistryUrl('127.0.0.1:5000'), { env })).toMatchObject({ username: 'local' });
    expect(resolveCredentials(parseRegistryUrl('127.0.0.1:5001'), { env })).toBeNull();
    expect(
      resolveCredentials(DOCKER_HUB, { env: { ...env, DOCKERHUB_USERNAME: 'u', DOCKERHUB_PASSWORD: 'p' } }),
    ).toMatchObject({ username: 'u', password: 'p', source: 'DOCKERHUB_USERNAME/DOCKERHUB_PASSWORD' });
    expect(
      resolveCredentials(DOCKER_HUB, {
        env: { DOCKERHUB_USERNAME: 'u', DOCKERHUB_TOKEN: 't', DOCKERHUB_PASSWORD: 'p' },
      }),
    ).toMatchObject({ password: 't', source: 'DOCKERHUB_USERNAME/DOCKERHUB_TOKEN' });
    expect(resolveCredentials(DOCKER_HUB, { username: 'f', password: 'g', env })).toMatchObject({ username: 'f' });
    expect(dockerAuthConfig(DOCKER_HUB, null)).toEqual({ serveraddress: 'https://index.docker.io/v1/' });
  });
});
