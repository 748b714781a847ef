import { createHash } from 'node:crypto';
import { InputError } from '@datasmith/errors';

/** Where images go: a registry host and the base URL of its Distribution API. */
export interface RegistryEndpoint {
  /** The host as it appears in image references: `docker.io`, `127.0.0.1:5000`, `ghcr.io`. */
  readonly host: string;
  /** Base URL of the Distribution API (`https://registry-1.docker.io`, `http://127.0.0.1:5000`). */
  readonly apiBase: string;
  /** Docker Hub: references omit the host, credentials go to `https://index.docker.io/v1/`. */
  readonly dockerHub: boolean;
}

/** Docker Hub. */
export const DOCKER_HUB: RegistryEndpoint = {
  host: 'docker.io',
  apiBase: 'https://registry-1.docker.io',
  dockerHub: true,
};

const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || /^127\./.test(hostname) || hostname === '[::1]' || hostname === '::1';
}

/**
 * Parses `--image-registry`: `http://127.0.0.1:5000`, `127.0.0.1:5000` (plain HTTP on loopback,
 * HTTPS elsewhere), `https://ghcr.io`, or any Docker Hub spelling (`docker.io`,
 * `https://index.docker.io/v1/`).
 */
export function parseRegistryUrl(value: string): RegistryEndpoint {
  const trimmed = value.trim().replace(/\/+$/, '');
  if (!trimmed) throw new InputError('Invalid --image-registry: empty; expected a URL such as http://127.0.0.1:5000');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `//${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme, 'https://placeholder.invalid');
  } catch {
    throw new InputError(
      `Invalid --image-registry: ${JSON.stringify(value)} is not a URL; expected e.g. http://127.0.0.1:5000`,
    );
  }
  if (url.hostname === 'placeholder.invalid' || !url.hostname) {
    throw new InputError(
      `Invalid --image-registry: ${JSON.stringify(value)} has no host; expected e.g. http://127.0.0.1:5000`,
    );
  }
  if (DOCKER_HUB_NAMES.has(url.hostname)) return DOCKER_HUB;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`Invalid --image-registry: ${JSON.stringify(value)}; only http:// and https:// registries`);
  }
  const explicitScheme = withScheme !== `//${trimmed}`;
  const protocol = explicitScheme ? url.protocol : isLoopback(url.hostname) ? 'http:' : 'https:';
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  return { host, apiBase: `${protocol}//${host}`, dockerHub: false };
}

/** How local images map to registry repositories (reference §8). */
export type RepositoryMode = 'single' | 'mirror';

/** A registry reference: repository (with host unless Docker Hub) and tag. */
export interface ImageReference {
  /** `ns/all` on Docker Hub, `127.0.0.1:5000/ns/all` elsewhere: what `docker tag`/`push` take. */
  readonly repository: string;
  /** The repository path inside the registry (`ns/all`), for the Distribution API. */
  readonly path: string;
  readonly tag: string;
  /** `repository:tag`. */
  readonly name: string;
}

/** Sanitises one repository path component like the original (lower case, `[a-z0-9._-]`). */
export function sanitizeRepositoryComponent(value: string): string {
  const out = value
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  return out || 'unknown';
}

/** Splits `name:tag` (a `:` inside a registry host port is not a tag separator). */
export function splitLocalRef(ref: string): { name: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref, tag: 'latest' };
}

const MAX_TAG = 128;

/**
 * The original's single-repository tag encoding (reference §1.2): local `repo:tag` becomes
 * `{repo, / → __}--{tag, / → __, : → --}`; longer than 128 characters keeps the last 118 and
 * appends `--{sha256(full)[:8]}`.
 */
export function encodeSingleRepoTag(localRef: string): string {
  // The original splits at the first `:` (so a `:` inside the tag becomes `--`), past any host:port.
  const firstSlash = localRef.indexOf('/');
  const firstSegment = firstSlash >= 0 ? localRef.slice(0, firstSlash) : '';
  const start = /[.:]/.test(firstSegment) ? firstSlash + 1 : 0;
  const colon = localRef.indexOf(':', start);
  const name = colon >= 0 ? localRef.slice(0, colon) : localRef;
  const tag = colon >= 0 ? localRef.slice(colon + 1) : 'latest';
  const full = `${name.replaceAll('/', '__')}--${tag.replaceAll('/', '__').replaceAll(':', '--')}`;
  if (full.length <= MAX_TAG) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(-118)}--${hash}`;
}

/** The reverse used by dataset preparation: `base--variant` → `base:variant` (`rsplit("--", 1)`). */
export function decodeSingleRepoTag(tag: string): string {
  const i = tag.lastIndexOf('--');
  if (i < 0) return tag;
  return `${tag.slice(0, i).replaceAll('__', '/')}:${tag.slice(i + 2)}`;
}

/** Options that decide where a local image is pushed. */
export interface ReferencePlan {
  registry: RegistryEndpoint;
  namespace: string;
  mode: RepositoryMode;
  /** Repository of single mode. Default `all`. */
  singleRepo?: string;
  /** Prefix of mirror-mode repository names. Default none. */
  mirrorPrefix?: string;
}

/**
 * The registry reference of a local image: single mode `ns/all:<encoded>`, mirror mode
 * `ns/<prefix><local repo>:<local tag>`, the host in front unless Docker Hub.
 */
export function planImageReference(localRef: string, plan: ReferencePlan): ImageReference {
  const namespace = plan.namespace
    .split('/')
    .map((part) => sanitizeRepositoryComponent(part))
    .join('/');
  let repoName: string;
  let tag: string;
  if (plan.mode === 'single') {
    repoName = sanitizeRepositoryComponent(plan.singleRepo ?? 'all');
    tag = encodeSingleRepoTag(localRef);
  } else {
    const { name, tag: localTag } = splitLocalRef(localRef);
    repoName = sanitizeRepositoryComponent(`${plan.mirrorPrefix ?? ''}${name.replaceAll('/', '-')}`);
    tag = localTag;
  }
  const path = `${namespace}/${repoName}`;
  const repository = plan.registry.dockerHub ? path : `${plan.registry.host}/${path}`;
  return { repository, path, tag, name: `${repository}:${tag}` };
}

/**
 * Parses a pushed reference (`ns/all:tag`, `127.0.0.1:5000/ns/all:tag`, `docker.io/ns/all:tag`) back
 * into its registry and repository path; null for a local-only name without a namespace.
 */
export function parseImageReference(ref: string): { registry: RegistryEndpoint; path: string; tag: string } | null {
  const at = ref.indexOf('@');
  const bare = at >= 0 ? ref.slice(0, at) : ref;
  const { name, tag } = splitLocalRef(bare);
  const parts = name.split('/');
  if (parts.length < 2) return null;
  const first = parts[0] as string;
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost';
  if (!hasHost) return { registry: DOCKER_HUB, path: name, tag };
  const registry = parseRegistryUrl(first);
  const path = parts.slice(1).join('/');
  return { registry, path: registry.dockerHub && !path.includes('/') ? `library/${path}` : path, tag };
}
