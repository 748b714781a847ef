import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A pull request of a fake repository (dates as ISO instants). */
export interface FakePullSpec {
  number: number;
  title: string;
  body?: string | null;
  /** Default `closed`. */
  state?: 'open' | 'closed';
  created_at: string;
  updated_at: string;
  closed_at?: string | null;
  merged_at: string | null;
  merge_commit_sha: string | null;
  base: { ref: string; sha: string };
  head: { ref: string; sha: string };
  /** Commits in the PR (only the single-PR endpoint returns it, as on GitHub). Default 1. */
  commits?: number;
  user?: string;
}

/** A repository the fake serves. */
export interface FakeRepositorySpec {
  full_name: string;
  id?: number;
  default_branch?: string;
  stargazers_count?: number;
  subscribers_count?: number;
  fork?: boolean;
  archived?: boolean;
  disabled?: boolean;
  language?: string | null;
  description?: string | null;
  topics?: string[];
  /** Former names: they answer 301 to `/repositories/{id}` (a rename or transfer). */
  formerNames?: string[];
  pulls?: FakePullSpec[];
  /** Files the code search index holds for this repository. */
  files?: Array<{ path: string; size: number }>;
}

/** A scripted answer for the next `times` requests matching `method` and `path` (pathname + query). */
export interface FakeFault {
  method?: string;
  path: string | RegExp;
  /** Default 1. */
  times?: number;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeGitHubOptions {
  repositories?: FakeRepositorySpec[];
  /** Names that answer an absence: 404, 410 or 451. */
  absent?: Record<string, number>;
  /** Accepted tokens; any other credential gets 401 Bad credentials. Omitted: every token is accepted. */
  tokens?: string[];
  /** Requests per token and rate-limit window, per resource. Defaults: core 5000 (anonymous 60), search 30, code_search 10. */
  rateLimit?: { core?: number; search?: number; code_search?: number; windowSeconds?: number };
  faults?: FakeFault[];
}

/** One request as the fake saw it. The token is kept so tests can check rotation; it is test data. */
export interface FakeRequest {
  method: string;
  /** Pathname and query. */
  path: string;
  status: number;
  token: string | null;
  ifNoneMatch: string | null;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface FakeGitHub {
  /** The base URL to pass as `baseUrl` (`http://127.0.0.1:<port>`). */
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Mutable: tests add PRs or faults between runs. */
  readonly options: Required<Pick<FakeGitHubOptions, 'repositories' | 'faults'>> & FakeGitHubOptions;
  close(): Promise<void>;
}

/** GitHub's answer to a secondary rate limit, with `Retry-After` in seconds. */
export function secondaryRateLimit(path: string | RegExp, retryAfter: number, times = 1): FakeFault {
  return {
    path,
    times,
    status: 403,
    headers: { 'retry-after': String(retryAfter) },
    body: {
      message:
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:FAKE.',
      documentation_url:
        'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
    },
  };
}

const DOCS = 'https://docs.github.com/rest';

function etagOf(body: string): string {
  return `W/"${createHash('sha256').update(body).digest('hex').slice(0, 40)}"`;
}

function repoId(spec: FakeRepositorySpec, index: number): number {
  return spec.id ?? 1000 + index;
}

function repositoryJson(spec: FakeRepositorySpec, id: number, api: string): Record<string, unknown> {
  const [owner = '', name = ''] = spec.full_name.split('/');
  return {
    id,
    node_id: `R_${id}`,
    name,
    full_name: spec.full_name,
    private: false,
    owner: { login: owner, id: id * 10, type: 'Organization' },
    html_url: `https://github.com/${spec.full_name}`,
    description: spec.description ?? null,
    fork: spec.fork ?? false,
    url: `${api}/repos/${spec.full_name}`,
    created_at: '2015-01-01T00:00:00Z',
    updated_at: '2024-06-01T00:00:00Z',
    pushed_at: '2024-06-01T00:00:00Z',
    clone_url: `https://github.com/${spec.full_name}.git`,
    homepage: null,
    size: 1024,
    stargazers_count: spec.stargazers_count ?? 0,
    watchers_count: spec.stargazers_count ?? 0,
    subscribers_count: spec.subscribers_count ?? 0,
    language: spec.language === undefined ? 'Python' : spec.language,
    forks_count: 0,
    archived: spec.archived ?? false,
    disabled: spec.disabled ?? false,
    open_issues_count: 0,
    topics: spec.topics ?? [],
    visibility: 'public',
    default_branch: spec.default_branch ?? 'main',
    ...(spec.fork ? { parent: { full_name: `upstream/${name}` } } : {}),
  };
}

function pullJson(spec: FakePullSpec, repo: FakeRepositorySpec, id: number, api: string, detail: boolean) {
  const full = repo.full_name;
  const user = { login: spec.user ?? 'contributor', id: 7 };
  const side = (s: { ref: string; sha: string }) => ({
    label: `${full.split('/')[0]}:${s.ref}`,
    ref: s.ref,
    sha: s.sha,
    user,
    repo: { id, full_name: full, name: full.split('/')[1] },
  });
  const state = spec.state ?? 'closed';
  const out: Record<string, unknown> = {
    url: `${api}/repos/${full}/pulls/${spec.number}`,
    id: id * 100000 + spec.number,
    node_id: `PR_${id}_${spec.number}`,
    html_url: `https://github.com/${full}/pull/${spec.number}`,
    diff_url: `https://github.com/${full}/pull/${spec.number}.diff`,
    patch_url: `https://github.com/${full}/pull/${spec.number}.patch`,
    issue_url: `${api}/repos/${full}/issues/${spec.number}`,
    number: spec.number,
    state,
    locked: false,
    title: spec.title,
    user,
    body: spec.body ?? null,
    created_at: spec.created_at,
    updated_at: spec.updated_at,
    closed_at: spec.closed_at === undefined ? (state === 'closed' ? spec.updated_at : null) : spec.closed_at,
    merged_at: spec.merged_at,
    merge_commit_sha: spec.merge_commit_sha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    labels: [],
    milestone: null,
    draft: false,
    head: side(spec.head),
    base: side(spec.base),
    author_association: 'CONTRIBUTOR',
    auto_merge: null,
    active_lock_reason: null,
  };
  if (detail) {
    Object.assign(out, {
      merged: spec.merged_at !== null,
      mergeable: null,
      comments: 0,
      review_comments: 0,
      commits: spec.commits ?? 1,
      additions: 1,
      deletions: 0,
      changed_files: 1,
    });
  }
  return out;
}

interface SizeRange {
  min: number;
  max: number;
}

function parseCodeQuery(q: string): { filename: string | null; size: SizeRange; terms: string[] } {
  let filename: string | null = null;
  const size: SizeRange = { min: 0, max: Number.POSITIVE_INFINITY };
  const terms: string[] = [];
  for (const part of q.split(/\s+/).filter(Boolean)) {
    const [key, value = ''] = part.includes(':')
      ? [part.slice(0, part.indexOf(':')), part.slice(part.indexOf(':') + 1)]
      : [part];
    if (key === 'filename') filename = value;
    else if (key === 'size') {
      const range = /^(\d+)\.\.(\d+)$/.exec(value);
      const cmp = /^(>=|<=|>|<)(\d+)$/.exec(value);
      if (range) {
        size.min = Math.max(size.min, Number(range[1]));
        size.max = Math.min(size.max, Number(range[2]));
      } else if (cmp) {
        const n = Number(cmp[2]);
        if (cmp[1] === '>=') size.min = Math.max(size.min, n);
        if (cmp[1] === '>') size.min = Math.max(size.min, n + 1);
        if (cmp[1] === '<=') size.max = Math.min(size.max, n);
        if (cmp[1] === '<') size.max = Math.min(size.max, n - 1);
      } else if (/^\d+$/.test(value)) {
        size.min = Math.max(size.min, Number(value));
        size.max = Math.min(size.max, Number(value));
      }
    } else terms.push(part);
  }
  return { filename, size, terms };
}

/**
 * A loopback listener that speaks GitHub's REST protocol for the endpoints datasmith uses: JSON
 * bodies, `Link` pagination with absolute URLs, `ETag`/`If-None-Match` → 304 (not counted against the
 * quota), `x-ratelimit-*` headers per token and resource with 403 when a quota is spent, 301 for a
 * former name, 404/410/451 absences, 401 for unknown tokens, code search with its 1000-result cap
 * and `size:` qualifiers, and scripted faults (e.g. a 403 secondary rate limit with Retry-After).
 */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const state = { ...options, repositories: options.repositories ?? [], faults: options.faults ?? [] };
  const requests: FakeRequest[] = [];
  const counters = new Map<string, { used: number; resetAt: number }>();
  const faultUses = new Map<FakeFault, number>();
  const windowSeconds = options.rateLimit?.windowSeconds ?? 3600;

  const findRepo = (name: string) => {
    const lower = name.toLowerCase();
    const index = state.repositories.findIndex((r) => r.full_name.toLowerCase() === lower);
    return index >= 0 ? { spec: state.repositories[index] as FakeRepositorySpec, index } : null;
  };
  const findFormer = (name: string) => {
    const lower = name.toLowerCase();
    const index = state.repositories.findIndex((r) => (r.formerNames ?? []).some((f) => f.toLowerCase() === lower));
    return index >= 0 ? { spec: state.repositories[index] as FakeRepositorySpec, index } : null;
  };
  const findById = (id: number) => {
    const index = state.repositories.findIndex((r, i) => repoId(r, i) === id);
    return index >= 0 ? { spec: state.repositories[index] as FakeRepositorySpec, index } : null;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const api = `http://${req.headers.host}`;
    const url = new URL(req.url ?? '/', api);
    const method = (req.method ?? 'GET').toUpperCase();
    const auth = req.headers.authorization ?? null;
    const token = auth ? auth.replace(/^(token|bearer)\s+/i, '') : null;
    const ifNoneMatch = (req.headers['if-none-match'] as string | undefined) ?? null;
    const record: FakeRequest = {
      method,
      path: `${url.pathname}${url.search}`,
      status: 0,
      token,
      ifNoneMatch,
      at: Date.now(),
    };
    requests.push(record);
    const resource = url.pathname.startsWith('/search/code')
      ? 'code_search'
      : url.pathname.startsWith('/search/')
        ? 'search'
        : 'core';

    const limitOf = () =>
      resource === 'core'
        ? token
          ? (options.rateLimit?.core ?? 5000)
          : 60
        : resource === 'search'
          ? (options.rateLimit?.search ?? 30)
          : (options.rateLimit?.code_search ?? 10);
    const counter = () => {
      const key = `${token ?? 'anonymous'}|${resource}`;
      let c = counters.get(key);
      const now = Date.now();
      if (!c || c.resetAt <= now) {
        c = { used: 0, resetAt: now + windowSeconds * 1000 };
        counters.set(key, c);
      }
      return c;
    };
    const rateHeaders = (c: { used: number; resetAt: number }): Record<string, string> => ({
      'x-ratelimit-limit': String(limitOf()),
      'x-ratelimit-remaining': String(Math.max(0, limitOf() - c.used)),
      'x-ratelimit-reset': String(Math.ceil(c.resetAt / 1000)),
      'x-ratelimit-used': String(c.used),
      'x-ratelimit-resource': resource,
    });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}, count = true) => {
      const c = counter();
      if (count && status !== 304) c.used++;
      const text = body === undefined ? '' : JSON.stringify(body);
      record.status = status;
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-media-type': 'github.v3; format=json',
        ...rateHeaders(c),
        ...headers,
      });
      res.end(text);
    };
    const sendJson = (body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      const etag = etagOf(text + (headers.link ?? ''));
      if (ifNoneMatch && ifNoneMatch === etag) {
        send(304, undefined, { etag, ...headers });
        return;
      }
      send(200, body, { etag, ...headers });
    };
    const notFound = () => send(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });

    for (const fault of state.faults) {
      const used = faultUses.get(fault) ?? 0;
      if (used >= (fault.times ?? 1)) continue;
      if (fault.method && fault.method.toUpperCase() !== method) continue;
      const matches =
        typeof fault.path === 'string'
          ? record.path === fault.path || url.pathname === fault.path
          : fault.path.test(record.path);
      if (!matches) continue;
      faultUses.set(fault, used + 1);
      send(fault.status, fault.body ?? { message: `fault ${fault.status}` }, fault.headers ?? {});
      return;
    }

    if (token && options.tokens && !options.tokens.includes(token)) {
      send(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' }, {}, false);
      return;
    }
    // GET /rate_limit: every bucket of this credential; as on GitHub it does not count against any.
    if (url.pathname === '/rate_limit' && method === 'GET') {
      const now = Date.now();
      const bucket = (name: string, limit: number) => {
        const used = counters.get(`${token ?? 'anonymous'}|${name}`);
        const live = used && used.resetAt > now ? used : { used: 0, resetAt: now + windowSeconds * 1000 };
        return {
          limit,
          used: live.used,
          remaining: Math.max(0, limit - live.used),
          reset: Math.ceil(live.resetAt / 1000),
          resource: name,
        };
      };
      const core = bucket('core', token ? (options.rateLimit?.core ?? 5000) : 60);
      const resources = {
        core,
        search: bucket('search', options.rateLimit?.search ?? 30),
        code_search: bucket('code_search', options.rateLimit?.code_search ?? 10),
      };
      send(200, { resources, rate: core }, {}, false);
      return;
    }
    const c = counter();
    if (c.used >= limitOf()) {
      send(
        403,
        {
          message: `API rate limit exceeded for ${token ? 'user ID 1' : '127.0.0.1'}.`,
          documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
        },
        {},
        false,
      );
      return;
    }
    if (method !== 'GET') {
      send(404, { message: 'Not Found', documentation_url: DOCS });
      return;
    }

    if (url.pathname === '/search/code') {
      if (!token) {
        send(401, { message: 'Requires authentication', documentation_url: DOCS, status: '401' });
        return;
      }
      const q = url.searchParams.get('q') ?? '';
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const page = Number(url.searchParams.get('page') ?? 1);
      const { filename, size } = parseCodeQuery(q);
      const hits: Array<Record<string, unknown>> = [];
      state.repositories.forEach((spec, index) => {
        for (const file of spec.files ?? []) {
          const base = file.path.split('/').pop();
          if (filename && base !== filename) continue;
          if (file.size < size.min || file.size > size.max) continue;
          const id = repoId(spec, index);
          hits.push({
            name: base,
            path: file.path,
            sha: createHash('sha1').update(`${spec.full_name}/${file.path}`).digest('hex'),
            url: `${api}/repositories/${id}/contents/${file.path}`,
            git_url: `${api}/repositories/${id}/git/blobs/x`,
            html_url: `https://github.com/${spec.full_name}/blob/main/${file.path}`,
            repository: {
              id,
              name: spec.full_name.split('/')[1],
              full_name: spec.full_name,
              private: false,
              fork: spec.fork ?? false,
              html_url: `https://github.com/${spec.full_name}`,
              owner: { login: spec.full_name.split('/')[0] },
            },
            score: 1,
          });
        }
      });
      hits.sort((a, b) => String(a.html_url).localeCompare(String(b.html_url)));
      if ((page - 1) * perPage >= 1000) {
        send(422, {
          message:
            'Cannot access beyond the first 1000 results, or the endpoint may be temporarily unavailable. Please try again later.',
          documentation_url: `${DOCS}/search/search#search-code`,
          status: '422',
        });
        return;
      }
      const reachable = Math.min(hits.length, 1000);
      const items = hits.slice((page - 1) * perPage, Math.min(page * perPage, reachable));
      const links: string[] = [];
      const pageUrl = (n: number) => {
        const u = new URL(url.href);
        u.searchParams.set('page', String(n));
        return u.href;
      };
      const last = Math.max(1, Math.ceil(reachable / perPage));
      if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
      if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`, `<${pageUrl(1)}>; rel="first"`);
      sendJson(
        { total_count: hits.length, incomplete_results: false, items },
        links.length ? { link: links.join(', ') } : {},
      );
      return;
    }

    const repoPath = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const idPath = /^\/repositories\/(\d+)(\/.*)?$/.exec(url.pathname);
    let found: { spec: FakeRepositorySpec; index: number } | null = null;
    let rest = '';
    if (repoPath) {
      const name = `${repoPath[1]}/${repoPath[2]}`;
      rest = repoPath[3] ?? '';
      const absent = Object.entries(options.absent ?? {}).find(([n]) => n.toLowerCase() === name.toLowerCase());
      if (absent) {
        const status = absent[1];
        send(status, {
          message: status === 451 ? 'Repository access blocked' : status === 410 ? 'Gone' : 'Not Found',
          documentation_url: DOCS,
          status: String(status),
        });
        return;
      }
      found = findRepo(name);
      if (!found) {
        const former = findFormer(name);
        if (former) {
          const location = `${api}/repositories/${repoId(former.spec, former.index)}${rest}${url.search}`;
          send(301, { message: 'Moved Permanently', url: location, documentation_url: DOCS }, { location });
          return;
        }
      }
    } else if (idPath) {
      found = findById(Number(idPath[1]));
      rest = idPath[2] ?? '';
    }
    if (!found) {
      notFound();
      return;
    }
    const { spec, index } = found;
    const id = repoId(spec, index);
    if (rest === '' || rest === '/') {
      sendJson(repositoryJson(spec, id, api));
      return;
    }
    const single = /^\/pulls\/(\d+)$/.exec(rest);
    if (single) {
      const pull = (spec.pulls ?? []).find((p) => p.number === Number(single[1]));
      if (!pull) notFound();
      else sendJson(pullJson(pull, spec, id, api, true));
      return;
    }
    if (rest === '/pulls') {
      const stateParam = url.searchParams.get('state') ?? 'open';
      const sort = url.searchParams.get('sort') ?? 'created';
      const direction = url.searchParams.get('direction') ?? (sort === 'created' ? 'desc' : 'desc');
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const page = Number(url.searchParams.get('page') ?? 1);
      const baseParam = url.searchParams.get('base');
      const key = sort === 'updated' ? 'updated_at' : 'created_at';
      const all = (spec.pulls ?? [])
        .filter((p) => stateParam === 'all' || (p.state ?? 'closed') === stateParam)
        .filter((p) => !baseParam || p.base.ref === baseParam)
        .sort((a, b) => {
          const d = Date.parse(a[key]) - Date.parse(b[key]) || a.number - b.number;
          return direction === 'asc' ? d : -d;
        });
      const items = all.slice((page - 1) * perPage, page * perPage).map((p) => pullJson(p, spec, id, api, false));
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const pageUrl = (n: number) => {
        const u = new URL(url.href);
        u.searchParams.set('page', String(n));
        return u.href;
      };
      const links: string[] = [];
      if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`);
      if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`);
      sendJson(items, links.length ? { link: links.join(', ') } : {});
      return;
    }
    notFound();
  };

  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      try {
        handle(req, res);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `fake GitHub error: ${(error as Error).message}` }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    options: state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
