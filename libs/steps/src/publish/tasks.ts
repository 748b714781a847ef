import { readFile, stat } from 'node:fs/promises';
import { InputError, SchemaError } from '@datasmith/errors';
import { ContextRow, type DropReason, SynthesisResult, readTable } from '@datasmith/tables';
import { readContextRegistry } from '../synthesize/registry';

/** What publish needs from a build context: whether it validated, and the image it made. */
export interface ContextInfo {
  repo_name: string;
  sha: string;
  ok: boolean;
  stage: string;
  reason: string | null;
  image_name: string;
  image_id: string | null;
}

/**
 * Reads synthesize's context registry JSON (`datasmith-context-registry`) or its `contexts.parquet`
 * table.
 */
export async function readPublishContexts(path: string): Promise<ContextInfo[]> {
  try {
    await stat(path);
  } catch {
    throw new InputError(`Missing input: ${path} does not exist`, { file: path });
  }
  if (path.endsWith('.json')) {
    const registry = await readContextRegistry(path);
    return Object.values(registry.entries).map((e) => ({
      repo_name: `${e.context.owner}/${e.context.repo}`,
      sha: e.context.sha,
      ok: e.status === 'validated',
      stage: e.stage,
      reason: e.reason,
      image_name: e.image_name,
      image_id: e.image_id,
    }));
  }
  return (await readTable(path, ContextRow)).map((c) => ({
    repo_name: c.repo_name,
    sha: c.sha,
    ok: c.ok,
    stage: c.stage,
    reason: c.reason,
    image_name: c.image_name,
    image_id: c.image_id,
  }));
}

/** One task to publish: a validated image (or the reason there is none). */
export interface PublishTask {
  repo_name: string;
  pr_base_sha: string;
  /** Lower-cased `<owner>-<repo>-<pr_base_sha>:final`, the dataset key and the local image name. */
  container_name: string;
  /** The local image to push (name or id); the container name unless synthesize named it otherwise. */
  local_ref: string;
  /** The validated image id when synthesize or the context recorded it; checked against the engine. */
  image_id: string | null;
  /** Synthesize validated the image. */
  ok: boolean;
  /** Why not, when not ok. */
  drop_reason: DropReason | null;
  explanation: string;
}

/** The dataset's container name: lower-cased `owner-repo-<base sha>:final` (reference §1.2, §10). */
export function datasetContainerName(repoName: string, baseSha: string): string {
  return `${repoName.replace('/', '-')}-${baseSha}:final`.toLowerCase();
}

const VALIDATION_STAGES = new Set(['repo', 'secrets', 'shim', 'import', 'discover', 'benchmark', 'tests']);

/** `validation_failed` for a failure in a functional or leak check, `build_failed` before that. */
export function synthesisDropReason(stage: string): DropReason {
  return VALIDATION_STAGES.has(stage) ? 'validation_failed' : 'build_failed';
}

/**
 * Reads synthesize's `results.jsonl` (spec §9): one JSON object per line, each validated; the error
 * names the file, the line and the field.
 */
export async function readSynthesisResults(path: string): Promise<SynthesisResult[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError(`Missing input: ${path} does not exist (run synthesize for this partition first)`, {
      file: path,
    });
  }
  const out: SynthesisResult[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new SchemaError(`Invalid row: ${path} line ${i + 1}: not JSON`, { file: path });
    }
    const parsed = SynthesisResult.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : '(row)';
      throw new SchemaError(`Invalid row: ${path} line ${i + 1}, ${where}: ${issue?.message ?? 'invalid'}`, {
        file: path,
      });
    }
    out.push(parsed.data);
  }
  return out;
}

function contextKey(repoName: string, sha: string): string {
  return `${repoName.toLowerCase()}@${sha}`;
}

/**
 * Tasks from synthesize's results (the last line per task wins), with the validated image id taken
 * from the context table when it has one.
 */
export function tasksFromResults(
  results: readonly SynthesisResult[],
  contexts: readonly ContextInfo[] = [],
): PublishTask[] {
  const byContext = new Map(contexts.map((c) => [contextKey(c.repo_name, c.sha), c]));
  const byTask = new Map<string, PublishTask>();
  for (const r of results) {
    const repoName = `${r.owner}/${r.repo}`;
    const container = datasetContainerName(repoName, r.sha);
    const context = byContext.get(contextKey(repoName, r.sha));
    const imageId = (r.ok ? r.image_id : null) ?? (context?.ok ? context.image_id : null);
    byTask.set(container, {
      repo_name: repoName,
      pr_base_sha: r.sha,
      container_name: container,
      local_ref: r.image_name || container,
      image_id: imageId ?? null,
      ok: r.ok,
      drop_reason: r.ok ? null : synthesisDropReason(r.stage),
      explanation: r.ok
        ? 'validated by synthesize'
        : `synthesize failed at stage ${r.stage}${r.reason ? ` (${r.reason})` : ''}`,
    });
  }
  return [...byTask.values()];
}

/**
 * Tasks from a table with `repo_name` and `pr_base_sha` (the original's `--commits`): one per base
 * commit. With contexts, only tasks whose context validated are publishable (the original kept only
 * tasks with a registered context); without, the local `:final` image must exist.
 */
export function tasksFromCommits(
  rows: ReadonlyArray<{ repo_name: string; pr_base_sha: string | null }>,
  contexts: readonly ContextInfo[] | null,
): PublishTask[] {
  const byContext = new Map((contexts ?? []).map((c) => [contextKey(c.repo_name, c.sha), c]));
  const byTask = new Map<string, PublishTask>();
  for (const row of rows) {
    if (!row.pr_base_sha) continue;
    const container = datasetContainerName(row.repo_name, row.pr_base_sha);
    if (byTask.has(container)) continue;
    const context = byContext.get(contextKey(row.repo_name, row.pr_base_sha));
    const ok = contexts === null || Boolean(context?.ok);
    byTask.set(container, {
      repo_name: row.repo_name,
      pr_base_sha: row.pr_base_sha,
      container_name: container,
      local_ref: context?.image_name || container,
      image_id: context?.ok ? context.image_id : null,
      ok,
      drop_reason: ok ? null : context ? synthesisDropReason(context.stage) : 'build_failed',
      explanation: ok
        ? contexts === null
          ? 'local image named by the container name'
          : 'validated context'
        : context
          ? `synthesize failed at stage ${context.stage}${context.reason ? ` (${context.reason})` : ''}`
          : 'no validated build context for this base commit',
    });
  }
  return [...byTask.values()];
}
