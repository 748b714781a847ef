import { InputError } from '@datasmith/errors';
import type { ContextRegistryFile, LegacyContext, LegacyRegistry, LegacyTask, RegistryEntry } from './context';
import { type PyCall, type PyValue, formatPyCall, parsePyCall } from './python-repr';

/** The fields of the original's `Task` dataclass, in declaration order (reference §1.2). */
const TASK_FIELDS = [
  'owner',
  'repo',
  'sha',
  'commit_date',
  'env_payload',
  'python_version',
  'tag',
  'benchmarks',
] as const;

/** The key of an imported context in our registry: `owner/repo/sha`, or `owner/repo/-` without a sha. */
export function legacyKey(task: Pick<LegacyTask, 'owner' | 'repo' | 'sha'>): string {
  return `${task.owner}/${task.repo}/${task.sha ?? '-'}`;
}

function asString(key: string, field: string, value: PyValue | undefined): string {
  if (typeof value !== 'string') throw new InputError(`Invalid registry key ${key}: ${field} must be a string`);
  return value;
}

/** Parses a registry key: a `Task(...)` repr, long (eight fields) or old short (four) form. */
export function parseTaskKey(key: string): LegacyTask {
  const call = parsePyCall(key);
  if (call.name !== 'Task') throw new InputError(`Invalid registry key ${key}: expected Task(...)`);
  const values = new Map(call.fields);
  for (const [name] of call.fields) {
    if (!(TASK_FIELDS as readonly string[]).includes(name)) {
      throw new InputError(`Invalid registry key ${key}: unknown field ${name} (Task has ${TASK_FIELDS.join(', ')})`);
    }
  }
  const sha = values.get('sha');
  const date = values.get('commit_date') ?? 0;
  const task: LegacyTask = {
    owner: asString(key, 'owner', values.get('owner')),
    repo: asString(key, 'repo', values.get('repo')),
    sha: sha === null || sha === undefined ? null : asString(key, 'sha', sha),
    commit_date: typeof date === 'number' ? date : typeof date === 'object' && date ? date.int : 0,
    repr_fields: call.fields.map(([name]) => name),
  };
  for (const field of ['env_payload', 'python_version', 'tag', 'benchmarks'] as const) {
    if (values.has(field)) task[field] = asString(key, field, values.get(field));
  }
  return task;
}

/** Writes a Task key back as the original's dataclass repr, with the fields it was read with. */
export function formatTaskKey(task: LegacyTask): string {
  const fields: PyCall['fields'] = task.repr_fields.map((name) => {
    const value = name === 'commit_date' ? task.commit_date : task[name as keyof LegacyTask];
    return [name, (value ?? null) as PyValue];
  });
  return formatPyCall({ name: 'Task', fields });
}

/** The full eight-field key of a task of ours (the form the newest original writes). */
export function fullTaskKey(fields: Omit<LegacyTask, 'repr_fields'>): LegacyTask {
  return {
    env_payload: '',
    python_version: '',
    tag: 'pkg',
    benchmarks: '',
    ...fields,
    repr_fields: [...TASK_FIELDS],
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads the original's context registry (`{"version": 2, "contexts": {"<Task repr>": {…}}}`, the
 * era's `contexts` + `default` form, and very old files whose contexts have only three fields).
 * Keys are parsed, never evaluated; contexts are kept verbatim. Two keys for one (owner, repo, sha)
 * (the original re-keyed every tag to `pkg` on load) keep the last, as its loader did.
 */
export function importRegistryV2(
  raw: unknown,
  source = 'the registry',
): { legacy: LegacyRegistry; warnings: string[] } {
  if (!isObject(raw) || !isObject(raw.contexts)) {
    throw new InputError(`Invalid original context registry ${source}: expected an object with "contexts"`, {
      file: source,
    });
  }
  if (raw.version !== undefined && raw.version !== 2) {
    throw new InputError(`Invalid original context registry ${source}: version ${String(raw.version)}, expected 2`, {
      file: source,
    });
  }
  const warnings: string[] = [];
  const contexts: Record<string, LegacyContext> = {};
  for (const [key, value] of Object.entries(raw.contexts)) {
    let task: LegacyTask;
    try {
      task = parseTaskKey(key);
    } catch (error) {
      throw new InputError(`Invalid original context registry ${source}: ${(error as Error).message}`, {
        file: source,
        cause: error,
      });
    }
    if (!isObject(value)) throw new InputError(`Invalid original context registry ${source}: ${key} is not an object`);
    const context: LegacyContext['context'] = {};
    for (const [field, v] of Object.entries(value)) {
      if (typeof v !== 'string' && typeof v !== 'number' && v !== null) {
        throw new InputError(`Invalid original context registry ${source}: ${key}.${field} is not a string or number`);
      }
      context[field] = v;
    }
    const ours = legacyKey(task);
    if (contexts[ours]) warnings.push(`${key} replaces an earlier context of ${ours}`);
    contexts[ours] = { task, context };
  }
  const legacy: LegacyRegistry = {
    version: raw.version === undefined ? null : (raw.version as number),
    contexts,
  };
  if ('default' in raw) legacy.default = raw.default;
  return { legacy, warnings };
}

/** The original context of one of our validated entries: its install script and its Dockerfile. */
function contextOfEntry(entry: RegistryEntry): LegacyContext['context'] {
  return {
    building_data: entry.context.files['docker_build_pkg.sh'] ?? '',
    dockerfile_data: entry.context.files.Dockerfile ?? '',
    created_unix: Math.round(Date.parse(entry.updated_at) / 1000),
  };
}

/**
 * Writes our registry in the original's v2 form: the imported contexts as they were read, then our
 * validated entries (their install script as `building_data`); a validated entry of ours replaces
 * the script of an imported context of the same (owner, repo, sha) and keeps its key.
 */
export function exportRegistryV2(registry: ContextRegistryFile): Record<string, unknown> {
  const contexts = new Map<string, LegacyContext>(Object.entries(registry.legacy?.contexts ?? {}));
  for (const [key, entry] of Object.entries(registry.entries)) {
    if (entry.status !== 'validated') continue;
    const { owner, repo, sha } = entry.context;
    const ours = legacyKey({ owner, repo, sha });
    const imported = contexts.get(ours);
    if (imported) {
      contexts.set(ours, { task: imported.task, context: { ...imported.context, ...contextOfEntry(entry) } });
      continue;
    }
    if (!sha) throw new InputError(`Registry entry ${key} has no sha`);
    const task = fullTaskKey({
      owner,
      repo,
      sha,
      commit_date: entry.commit_date ?? 0,
      python_version: entry.context.python_used,
    });
    contexts.set(ours, { task, context: contextOfEntry(entry) });
  }
  const out: Record<string, unknown> = {};
  const version = registry.legacy ? registry.legacy.version : 2;
  if (version !== null) out.version = version;
  out.contexts = Object.fromEntries(
    [...contexts.values()].map((c) => [formatTaskKey(c.task), c.context] as const).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  if (registry.legacy && 'default' in registry.legacy) out.default = registry.legacy.default;
  return out;
}

/** JSON with every object's keys sorted, two-space indented (as the original's `sort_keys=True`). */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : isObject(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort(v[k])]),
          )
        : v;
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}
