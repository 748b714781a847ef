import { existsSync, readdirSync, statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { DatasmithConfig, LoadedConfig } from '@datasmith/config';
import { ASV_SOURCE_ENV, createDockerClient, probeEngine, readAsvSource } from '@datasmith/docker';
import { redactUrl } from '@datasmith/errors';
import { GITHUB_CLIENT_DEFAULTS, TOKEN_ENV_NAMES } from '@datasmith/github';
import { normalizeModelName } from '@datasmith/llm';
import { dataLayout, storeLayout } from '@datasmith/paths';
import {
  DOCKER_HUB,
  DistributionClient,
  type RegistryEndpoint,
  normalizeRegistryRetryPolicy,
  parseRegistryUrl,
  resolveCredentials,
} from '@datasmith/registry';
import { listedRepos, loadChosenConfig } from '../ops/workspace';

/** ok: works; warn: works but needs attention; fail: the pipeline cannot run; skip: not configured. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the doctor's report. */
export interface CheckResult {
  check: 'config' | 'store' | 'github' | 'llm' | 'docker' | 'asv' | 'disk' | 'registry' | 'hub';
  status: CheckStatus;
  message: string;
}

export interface DoctorOptions {
  cwd: string;
  /** tokens.env merged with the process environment. */
  env: NodeJS.ProcessEnv;
  /** `--config`. */
  configFile?: string;
  /** `--image-registry` (else `DATASMITH_IMAGE_REGISTRY`, else Docker Hub when `DOCKERHUB_USERNAME` is set). */
  imageRegistry?: string;
  /** Fail below this much free space under the output root, GiB. Default 2. */
  minFreeGiB?: number;
  /** Warn below this much, GiB. Default 20. */
  warnFreeGiB?: number;
  /** Per-request time limit, ms. Default 10000. */
  timeoutMs?: number;
}

const GIB = 1024 ** 3;

/** A URL for messages: credentials removed, no trailing slash. */
function shownUrl(url: string): string {
  return redactUrl(url).replace(/\/+$/, '');
}

function errorText(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const base = error instanceof Error ? error.message : String(error);
  const detail = cause?.code ?? cause?.message;
  return (detail ? `${base} (${detail})` : base).split('\n')[0] ?? '';
}

async function getJson(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

function messageOf(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; error?: { message?: unknown } | string };
    if (typeof b.message === 'string') return b.message;
    if (typeof b.error === 'string') return b.error;
    if (b.error && typeof b.error.message === 'string') return b.error.message;
  }
  return typeof body === 'string' ? body.slice(0, 120) : '';
}

/** The config: parsed and checked, with its warnings. */
export function checkConfig(options: DoctorOptions): { result: CheckResult; loaded: LoadedConfig | null } {
  try {
    const loaded = loadChosenConfig(options.cwd, options.env, options.configFile);
    const { config } = loaded;
    const listed = listedRepos(options.cwd, config, options.env);
    const repos =
      listed.repos === null
        ? `repository list ${listed.source} not written yet`
        : `${listed.repos.length} repositories`;
    const summary = `${loaded.file}: source ${config.source}, classify ${config.classify.backend}, synthesize ${config.synthesize.backend}, ${repos}`;
    if (loaded.warnings.length > 0) {
      return {
        result: { check: 'config', status: 'warn', message: `${summary}; ${loaded.warnings.join('; ')}` },
        loaded,
      };
    }
    return { result: { check: 'config', status: 'ok', message: summary }, loaded };
  } catch (error) {
    return { result: { check: 'config', status: 'fail', message: errorText(error) }, loaded: null };
  }
}

/** The store: the offline store's folder and a mirror for every listed repository. */
export function checkStore(options: DoctorOptions, config: DatasmithConfig | null): CheckResult {
  if (!config) return { check: 'store', status: 'skip', message: 'no valid config' };
  if (config.source === 'github') {
    const cache = dataLayout(config.outputRoot).githubStore;
    const exists = existsSync(resolve(options.cwd, cache));
    return {
      check: 'store',
      status: 'ok',
      message: `source github; mirrors and PR files are cached in ${cache}${exists ? '' : ' (created on the first run)'}`,
    };
  }
  const root = resolve(options.cwd, config.store ?? '');
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    return {
      check: 'store',
      status: 'fail',
      message: `store ${config.store} does not exist (npm run demo generates data/demo/store)`,
    };
  }
  const layout = storeLayout(root);
  const mirrors = readdirSync(root, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isSymbolicLink()))
    .flatMap((owner) => {
      try {
        return readdirSync(join(root, owner.name)).filter((n) => n.endsWith('.git'));
      } catch {
        return [];
      }
    }).length;
  const listed = listedRepos(options.cwd, config, options.env);
  if (listed.repos === null) {
    return {
      check: 'store',
      status: 'warn',
      message: `store ${config.store}: ${mirrors} mirrors; the repository list ${listed.source} does not exist yet (datasmith update runs scrape-repos first)`,
    };
  }
  const missing = listed.repos.filter((repo) => !existsSync(layout.mirror(repo)));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, … (${missing.length - 5} more)` : '');
    return {
      check: 'store',
      status: 'warn',
      message: `store ${config.store}: ${missing.length} of ${listed.repos.length} listed repositories have no mirror <owner>/<name>.git: ${shown}`,
    };
  }
  return {
    check: 'store',
    status: 'ok',
    message: `store ${config.store}: ${mirrors} mirrors; all ${listed.repos.length} listed repositories have one`,
  };
}

/** The GitHub tokens, each by its position and variable, never by value. */
export function namedGithubTokens(env: NodeJS.ProcessEnv): Array<{ label: string; value: string }> {
  const seen = new Set<string>();
  const out: Array<{ label: string; value: string }> = [];
  for (const name of TOKEN_ENV_NAMES) {
    for (const part of (env[name] ?? '').split(',')) {
      const value = part.trim();
      if (!value || seen.has(value)) continue;
      seen.add(value);
      out.push({ label: name, value });
    }
  }
  return out.map((t, i) => ({ label: `token ${i + 1}/${out.length} (${t.label})`, value: t.value }));
}

interface RateBucket {
  limit: number;
  remaining: number;
  reset: number;
}

/** Each GitHub token: `GET /rate_limit` (free on GitHub) says whether it works and what is left. */
export async function checkGithubTokens(
  options: DoctorOptions,
  config: DatasmithConfig | null,
): Promise<CheckResult[]> {
  const base = (options.env.GITHUB_API_URL ?? GITHUB_CLIENT_DEFAULTS.baseUrl).replace(/\/+$/, '');
  const tokens = namedGithubTokens(options.env);
  if (tokens.length === 0) {
    return [
      config?.source === 'github'
        ? {
            check: 'github',
            status: 'warn',
            message:
              'no GitHub token: set GH_TOKENS, GH_TOKENs, GH_TOKEN or GH_TOKEN2; anonymous requests get 60 an hour and no code search',
          }
        : { check: 'github', status: 'skip', message: 'no GitHub token (not needed with source store)' },
    ];
  }
  const out: CheckResult[] = [];
  for (const token of tokens) {
    try {
      const res = await getJson(
        `${base}/rate_limit`,
        {
          authorization: `token ${token.value}`,
          accept: 'application/vnd.github+json',
          'user-agent': 'datasmith-doctor',
          'x-github-api-version': '2022-11-28',
        },
        options.timeoutMs ?? 10_000,
      );
      if (res.status !== 200) {
        out.push({
          check: 'github',
          status: 'fail',
          message: `${token.label}: ${shownUrl(base)}/rate_limit answered ${res.status}${messageOf(res.body) ? ` (${messageOf(res.body)})` : ''}`,
        });
        continue;
      }
      const resources = (res.body as { resources?: Record<string, RateBucket> }).resources ?? {};
      const core = resources.core;
      if (!core) {
        out.push({ check: 'github', status: 'fail', message: `${token.label}: /rate_limit has no core bucket` });
        continue;
      }
      const left = (name: string) => {
        const b = resources[name];
        return b ? `${name} ${b.remaining}/${b.limit}` : null;
      };
      const reset = new Date(core.reset * 1000).toISOString().slice(11, 16);
      const low = core.remaining < Math.max(100, core.limit * 0.1);
      out.push({
        check: 'github',
        status: low ? 'warn' : 'ok',
        message: `${token.label}: ${[left('core'), left('search'), left('code_search')].filter(Boolean).join(', ')} left; core resets ${reset}Z${low ? ' (nearly spent)' : ''}`,
      });
    } catch (error) {
      out.push({
        check: 'github',
        status: 'fail',
        message: `${token.label}: ${shownUrl(base)}/rate_limit unreachable: ${errorText(error)}`,
      });
    }
  }
  return out;
}

/** The LLM endpoint: `GET <base>/models` with the key, and whether the configured model is served. */
export async function checkLlm(options: DoctorOptions, config: DatasmithConfig | null): Promise<CheckResult> {
  const env = options.env;
  const url = (env.DSPY_URL || env.OPENAI_BASE_URL || '').trim();
  const needed = config?.classify.backend === 'llm' || config?.synthesize.backend === 'agent';
  if (!url) {
    return needed
      ? {
          check: 'llm',
          status: 'fail',
          message: 'the config uses an LLM backend but neither DSPY_URL nor OPENAI_BASE_URL is set',
        }
      : { check: 'llm', status: 'skip', message: 'no DSPY_URL or OPENAI_BASE_URL (classify uses the rules backend)' };
  }
  const base = url.replace(/\/+$/, '');
  const key = (env.DSPY_API_KEY || env.OPENAI_API_KEY || '').trim();
  const rawModel = config?.classify.model ?? env.DSPY_MODEL_NAME ?? env.OPENAI_MODEL ?? '';
  const model = rawModel ? normalizeModelName(rawModel) : '';
  const shown = shownUrl(base);
  try {
    const res = await getJson(
      `${base}/models`,
      key ? { authorization: `Bearer ${key}` } : {},
      options.timeoutMs ?? 10_000,
    );
    if (res.status !== 200) {
      return {
        check: 'llm',
        status: 'fail',
        message: `${shown}/models answered ${res.status}${messageOf(res.body) ? ` (${messageOf(res.body)})` : ''}${res.status === 401 || res.status === 403 ? '; check DSPY_API_KEY / OPENAI_API_KEY' : ''}`,
      };
    }
    const ids = ((res.body as { data?: Array<{ id?: unknown }> }).data ?? []).map((m) => String(m.id));
    const auth = key ? 'with a key' : 'without a key';
    if (!model) {
      return {
        check: 'llm',
        status: 'warn',
        message: `${shown}: ${ids.length} models served (${auth}); no model chosen (DSPY_MODEL_NAME or classify.model)`,
      };
    }
    if (ids.length > 0 && !ids.includes(model)) {
      return {
        check: 'llm',
        status: 'warn',
        message: `${shown}: model ${model} is not among the ${ids.length} served: ${ids.slice(0, 5).join(', ')}`,
      };
    }
    return { check: 'llm', status: 'ok', message: `${shown}: serves ${model} (${ids.length} models, ${auth})` };
  } catch (error) {
    return { check: 'llm', status: 'fail', message: `${shown}/models unreachable: ${errorText(error)}` };
  }
}

/** The Docker engine: ping and version. */
export async function checkDocker(options: DoctorOptions): Promise<CheckResult> {
  const host = options.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  let status: Awaited<ReturnType<typeof probeEngine>>;
  try {
    status = await probeEngine(createDockerClient({ env: options.env }), options.timeoutMs ?? 10_000);
  } catch (error) {
    status = { ok: false, reason: errorText(error) };
  }
  return status.ok
    ? {
        check: 'docker',
        status: 'ok',
        message: `engine ${status.version} (API ${status.apiVersion}) at ${redactUrl(host)}`,
      }
    : {
        check: 'docker',
        status: 'fail',
        message: `${status.reason ?? 'unreachable'} at ${redactUrl(host)}; synthesize and publish need an engine (tools/scripts/ensure-docker)`,
      };
}

/** Where offline bases get asv: `synthesize.asvSource` or DATASMITH_ASV_SOURCE, readable and holding asv and asv_runner. */
export function checkAsvSource(options: DoctorOptions, config: DatasmithConfig | null): CheckResult {
  if (config?.synthesize.online) return { check: 'asv', status: 'ok', message: 'online: asv from PyPI' };
  const setting = config?.synthesize.asvSource ?? options.env[ASV_SOURCE_ENV];
  if (!setting?.trim()) {
    return {
      check: 'asv',
      status: 'fail',
      message: `no asv source: set synthesize.asvSource or ${ASV_SOURCE_ENV} (a folder of asv and asv_runner sdists or wheels, or a package index URL); offline synthesize refuses without one`,
    };
  }
  try {
    const source = readAsvSource(
      resolve(options.cwd, setting),
      config?.synthesize.asvSource ? 'synthesize.asvSource' : ASV_SOURCE_ENV,
    );
    return {
      check: 'asv',
      status: 'ok',
      message:
        source.kind === 'folder'
          ? `asv source ${source.dir}: ${source.archives.map((a) => a.file).join(', ')}`
          : `asv source: package index ${redactUrl(source.kind === 'index' ? source.url : '')}`,
    };
  } catch (error) {
    return { check: 'asv', status: 'fail', message: errorText(error) };
  }
}

/** Free space where the output root is (or would be). */
export async function checkDisk(options: DoctorOptions, config: DatasmithConfig | null): Promise<CheckResult> {
  const root = config?.outputRoot ?? 'data';
  let dir = resolve(options.cwd, root);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    const fs = await statfs(dir);
    const free = (fs.bavail * fs.bsize) / GIB;
    const total = (fs.blocks * fs.bsize) / GIB;
    const min = options.minFreeGiB ?? 2;
    const warn = Math.max(min, options.warnFreeGiB ?? 20);
    const text = `${free.toFixed(1)} GiB free of ${total.toFixed(1)} GiB under ${root}`;
    if (free < min) return { check: 'disk', status: 'fail', message: `${text}: below ${min} GiB` };
    if (free < warn) return { check: 'disk', status: 'warn', message: `${text}: below ${warn} GiB, images need room` };
    return { check: 'disk', status: 'ok', message: text };
  } catch (error) {
    return { check: 'disk', status: 'fail', message: `cannot stat ${dir}: ${errorText(error)}` };
  }
}

/** The image registry: `/v2/` with the credentials publish would use. */
export async function checkRegistry(options: DoctorOptions): Promise<CheckResult> {
  const env = options.env;
  const flag = options.imageRegistry ?? env.DATASMITH_IMAGE_REGISTRY;
  let registry: RegistryEndpoint | null = null;
  try {
    if (flag && flag !== 'none') registry = parseRegistryUrl(flag);
    else if (flag !== 'none' && env.DOCKERHUB_USERNAME) registry = DOCKER_HUB;
  } catch (error) {
    return { check: 'registry', status: 'fail', message: errorText(error) };
  }
  if (!registry) {
    return {
      check: 'registry',
      status: 'skip',
      message: 'no registry (DATASMITH_IMAGE_REGISTRY or DOCKERHUB_USERNAME): images stay in the local engine',
    };
  }
  let credentials: ReturnType<typeof resolveCredentials>;
  try {
    credentials = resolveCredentials(registry, { env });
  } catch (error) {
    return { check: 'registry', status: 'fail', message: errorText(error) };
  }
  const client = new DistributionClient({
    registry,
    credentials,
    policy: normalizeRegistryRetryPolicy({ retries: 0, timeoutMs: options.timeoutMs ?? 10_000 }, env),
  });
  try {
    await client.ping();
    const who = credentials ? `as ${credentials.username} (credentials from ${credentials.source})` : 'anonymously';
    return { check: 'registry', status: 'ok', message: `${registry.host}: /v2/ accepted ${who}` };
  } catch (error) {
    return { check: 'registry', status: 'fail', message: errorText(error) };
  }
}

/** The Hugging Face token (`HF_TOKEN`) against `<HF_ENDPOINT>/api/whoami-v2`: valid, and allowed to write. */
export async function checkHub(options: DoctorOptions): Promise<CheckResult> {
  const token = options.env.HF_TOKEN?.trim();
  if (!token) {
    return { check: 'hub', status: 'skip', message: 'no HF_TOKEN: the dataset is written locally only (data/dataset)' };
  }
  const base = shownUrl(options.env.HF_ENDPOINT || 'https://huggingface.co');
  try {
    const res = await getJson(
      `${base}/api/whoami-v2`,
      { authorization: `Bearer ${token}` },
      options.timeoutMs ?? 10_000,
    );
    if (res.status !== 200) {
      return {
        check: 'hub',
        status: 'fail',
        message: `${base}/api/whoami-v2 answered ${res.status}${messageOf(res.body) ? ` (${messageOf(res.body)})` : ''}; check HF_TOKEN`,
      };
    }
    const who = res.body as { name?: string; auth?: { accessToken?: { role?: string } } };
    const role = who.auth?.accessToken?.role ?? 'unknown';
    return role === 'read'
      ? {
          check: 'hub',
          status: 'warn',
          message: `${base}: HF_TOKEN of ${who.name} is read-only; --upload-to-hf needs write`,
        }
      : { check: 'hub', status: 'ok', message: `${base}: HF_TOKEN of ${who.name} (role ${role})` };
  } catch (error) {
    return { check: 'hub', status: 'fail', message: `${base}/api/whoami-v2 unreachable: ${errorText(error)}` };
  }
}

/** Every check, in order. Never throws: a check that cannot run reports `fail`. */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const { result, loaded } = checkConfig(options);
  const config = loaded?.config ?? null;
  const [github, llm, docker, disk, registry, hub] = await Promise.all([
    checkGithubTokens(options, config),
    checkLlm(options, config),
    checkDocker(options),
    checkDisk(options, config),
    checkRegistry(options),
    checkHub(options),
  ]);
  return [
    result,
    checkStore(options, config),
    ...github,
    llm,
    docker,
    checkAsvSource(options, config),
    disk,
    registry,
    hub,
  ];
}
