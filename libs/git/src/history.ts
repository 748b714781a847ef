import { GitError } from '@datasmith/errors';
import { unquoteGitPath } from './quote';
import { gitText, runGit, streamGit } from './run';
import pLimit from 'p-limit';

/** Lines added and removed in one file of a commit (against its first parent). */
export interface FileStat {
  path: string;
  additions: number;
  deletions: number;
  binary: boolean;
}

/** One commit of the first-parent history, with its change against the first parent. */
export interface CommitRecord {
  sha: string;
  parents: string[];
  /** Committer date, ISO-8601 with the committer's offset. */
  committerDate: string;
  authorName: string;
  authorEmail: string;
  /** Who put the commit on the line (a maintainer's rebase, GitHub's web flow, …). */
  committerName: string;
  committerEmail: string;
  message: string;
  files: FileStat[];
  /** Paths the commit created / deleted. */
  created: string[];
  deleted: string[];
  /** `git diff --no-renames <first parent> <sha>`; null when an object is missing. */
  patch: string | null;
  /** True when the diff could not be computed because an object is missing from the mirror. */
  unavailable: boolean;
}

export interface HistoryOptions {
  /** Branch, tag or sha to walk from. */
  ref: string;
  /** Only commits with committer date >= since. */
  since?: Date;
  /** Only commits with committer date < until. */
  until?: Date;
  /** Include the patch text. Default true. */
  withPatch?: boolean;
  /** Stop before this commit and its ancestors (`^exclude`). */
  exclude?: string;
}

const MARKER = '\x1e\x1fDSREC\x1f';
const FORMAT = `${MARKER}%H%x1f%P%x1f%cI%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%B%x1d`;
/** Diff options shared by the history stream and single diffs, so both give the same bytes. */
export const DIFF_ARGS = ['--no-renames', '--no-ext-diff', '--no-color', '--src-prefix=a/', '--dst-prefix=b/'];

/** The fields of `%H%x1f%P%x1f%cI%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%B` (the message may hold \x1f itself). */
function parseHeaderFields(
  header: string,
  shaFallback: string,
): Pick<
  CommitRecord,
  'sha' | 'parents' | 'committerDate' | 'authorName' | 'authorEmail' | 'committerName' | 'committerEmail' | 'message'
> {
  const [
    sha = shaFallback,
    parents = '',
    committerDate = '',
    authorName = '',
    authorEmail = '',
    committerName = '',
    committerEmail = '',
    ...message
  ] = header.split('\x1f');
  return {
    sha: sha || shaFallback,
    parents: parents ? parents.split(' ') : [],
    committerDate,
    authorName,
    authorEmail,
    committerName,
    committerEmail,
    message: message.join('\x1f'),
  };
}

function parseRecord(text: string, withPatch: boolean): CommitRecord {
  const headerEnd = text.indexOf('\x1d');
  const head = parseHeaderFields(text.slice(MARKER.length, headerEnd), '');
  const rest = text.slice(headerEnd + 1);
  let patchStart = rest.startsWith('diff --git ') ? 0 : rest.indexOf('\ndiff --git ');
  if (patchStart > 0) patchStart += 1;
  const statPart = patchStart >= 0 ? rest.slice(0, patchStart) : rest;
  const files: FileStat[] = [];
  const created: string[] = [];
  const deleted: string[] = [];
  for (const line of statPart.split('\n')) {
    if (!line) continue;
    if (line.startsWith(' create mode ')) created.push(unquoteGitPath(line.slice(' create mode '.length + 7)));
    else if (line.startsWith(' delete mode ')) deleted.push(unquoteGitPath(line.slice(' delete mode '.length + 7)));
    else if (line.startsWith(' ')) continue;
    else {
      const tab1 = line.indexOf('\t');
      const tab2 = line.indexOf('\t', tab1 + 1);
      if (tab1 < 0 || tab2 < 0) continue;
      const a = line.slice(0, tab1);
      const d = line.slice(tab1 + 1, tab2);
      const binary = a === '-' || d === '-';
      files.push({
        path: unquoteGitPath(line.slice(tab2 + 1)),
        additions: binary ? 0 : Number(a),
        deletions: binary ? 0 : Number(d),
        binary,
      });
    }
  }
  return {
    ...head,
    message: head.message.replace(/\n$/, ''),
    files,
    created,
    deleted,
    patch: withPatch ? (patchStart >= 0 ? rest.slice(patchStart) : '') : null,
    unavailable: false,
  };
}

function logArgs(options: HistoryOptions, ref: string, maxCount?: number): string[] {
  const args = ['log', '--first-parent', '--diff-merges=first-parent', ...DIFF_ARGS, '--numstat', '--summary'];
  if (maxCount !== undefined) args.push(`--max-count=${maxCount}`);
  if (options.withPatch !== false) args.push('-p');
  args.push(`--format=${FORMAT}`);
  // --since-as-filter, not --since: --since stops at the first older commit, and committer dates on
  // a first-parent line are not monotonic (a rebased or old commit can land after newer ones).
  if (options.since) args.push(`--since-as-filter=${options.since.toISOString()}`);
  if (options.until) args.push(`--until=${new Date(options.until.getTime() - 1000).toISOString()}`);
  args.push(ref);
  if (options.exclude) args.push(`^${options.exclude}`);
  args.push('--');
  return args;
}

const MISSING_OBJECT =
  /unable to read|missing blob|bad object|invalid object|could not read|does not point to a valid object/i;

const MARKER_BYTES = Buffer.from(MARKER, 'utf8');

async function* streamOnce(
  repoDir: string,
  options: HistoryOptions,
  ref: string,
  state: { pending: string | null },
  maxCount?: number,
): AsyncGenerator<CommitRecord, { code: number | null; stderr: string }> {
  const withPatch = options.withPatch !== false;
  const git = streamGit(repoDir, logArgs(options, ref, maxCount));
  // One growable byte buffer: records are cut at the marker and decoded once, so a large patch
  // never turns into repeated string concatenation.
  let buf = Buffer.allocUnsafe(1 << 20);
  let len = 0;
  let searchFrom = MARKER_BYTES.length;
  const pendingHeader = (): string | null => {
    if (len < MARKER_BYTES.length + 40 || buf.indexOf(0x1d, MARKER_BYTES.length) < 0) return null;
    return buf.toString('latin1', MARKER_BYTES.length, MARKER_BYTES.length + 40);
  };
  try {
    for await (const chunk of git.chunks as AsyncIterable<Buffer>) {
      if (len + chunk.length > buf.length) {
        const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, len + chunk.length));
        buf.copy(grown, 0, 0, len);
        buf = grown;
      }
      chunk.copy(buf, len);
      len += chunk.length;
      for (;;) {
        const next = buf.subarray(0, len).indexOf(MARKER_BYTES, searchFrom);
        if (next < 0) {
          searchFrom = Math.max(MARKER_BYTES.length, len - MARKER_BYTES.length);
          break;
        }
        const record = buf.toString('utf8', 0, next);
        buf.copy(buf, 0, next, len);
        len -= next;
        searchFrom = MARKER_BYTES.length;
        state.pending = null;
        yield parseRecord(record, withPatch);
      }
      state.pending = pendingHeader();
    }
    const result = await git.done;
    if (result.code === 0 && len > 0) {
      state.pending = null;
      yield parseRecord(buf.toString('utf8', 0, len), withPatch);
    }
    return result;
  } finally {
    git.kill();
  }
}

/** The record of a commit whose diff cannot be computed: paths from the trees, no line counts, no patch. */
async function unavailableRecord(repoDir: string, sha: string): Promise<CommitRecord> {
  // `git log -1`, not `git show -s`: show reads the commit's tree, which may be the missing object.
  const header = await gitText(repoDir, [
    'log',
    '-1',
    '--no-walk',
    `--format=%H%x1f%P%x1f%cI%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%B`,
    sha,
  ]);
  const head = parseHeaderFields(header, sha);
  const full = head.sha;
  const base = head.parents[0];
  // A missing tree (not only a blob) makes even the list of paths unreadable: then none is known.
  const names = await gitText(
    repoDir,
    base ? ['diff-tree', '-r', '--no-renames', '--name-status', base, full] : ['ls-tree', '-r', '--name-only', full],
  ).catch((error: unknown) => {
    if (error instanceof GitError && MISSING_OBJECT.test(error.stderr)) return '';
    throw error;
  });
  const files: FileStat[] = [];
  const created: string[] = [];
  const deleted: string[] = [];
  for (const line of names.split('\n')) {
    if (!line) continue;
    if (!base) {
      files.push({ path: unquoteGitPath(line), additions: 0, deletions: 0, binary: false });
      continue;
    }
    const [status = '', path = ''] = line.split('\t');
    const p = unquoteGitPath(path);
    files.push({ path: p, additions: 0, deletions: 0, binary: false });
    if (status === 'A') created.push(p);
    if (status === 'D') deleted.push(p);
  }
  return {
    ...head,
    files,
    created,
    deleted,
    patch: null,
    unavailable: true,
  };
}

async function diffReadable(repoDir: string, sha: string): Promise<boolean> {
  try {
    const parent = (await gitText(repoDir, ['rev-list', '--parents', '-n', '1', sha])).split(' ')[1];
    await runGit(
      repoDir,
      parent ? ['diff', ...DIFF_ARGS, parent, sha] : ['diff-tree', '-p', '--root', ...DIFF_ARGS, sha],
    );
    return true;
  } catch {
    return false;
  }
}

/**
 * Streams the first-parent history of `ref`, newest first, with numstat, created/deleted paths and
 * the patch of each commit against its first parent: one git process for the whole window, parsed
 * as it streams. A commit whose objects are missing (an imperfect mirror) is yielded with
 * `unavailable: true` and the walk resumes at its first parent; any other git failure throws.
 */
export async function* readFirstParentHistory(repoDir: string, options: HistoryOptions): AsyncGenerator<CommitRecord> {
  let ref = options.ref;
  let lastYielded: string | null = null;
  for (let restarts = 0; ; restarts++) {
    const state: { pending: string | null } = { pending: null };
    const stream = streamOnce(repoDir, options, ref, state);
    let step = await stream.next();
    while (!step.done) {
      lastYielded = step.value.sha;
      yield step.value;
      step = await stream.next();
    }
    const { code, stderr } = step.value;
    if (code === 0) return;
    if (!MISSING_OBJECT.test(stderr) || restarts > 10_000) {
      throw new GitError(
        `git log failed in ${repoDir} (exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' | ')}`,
        {
          gitExitCode: code,
          stderr,
        },
      );
    }
    // git computes a commit's diff before printing its header, so the failing commit is usually the
    // first parent of the last complete record (which is still in the buffer, unyielded). Check.
    let failing = state.pending ?? (lastYielded ? await gitText(repoDir, ['rev-parse', `${lastYielded}^1`]) : ref);
    if (await diffReadable(repoDir, failing)) {
      const single = streamOnce(
        repoDir,
        { ...options, since: undefined, until: undefined },
        failing,
        { pending: null },
        1,
      );
      for (let s = await single.next(); !s.done; s = await single.next()) {
        lastYielded = s.value.sha;
        yield s.value;
      }
      failing = await gitText(repoDir, ['rev-parse', `${failing}^1`]);
      if (await diffReadable(repoDir, failing)) {
        throw new GitError(
          `git log failed in ${repoDir} near ${failing.slice(0, 12)}: ${stderr.trim().split('\n').pop()}`,
          {
            gitExitCode: code,
            stderr,
          },
        );
      }
    }
    const record = await unavailableRecord(repoDir, failing);
    const inWindow =
      (!options.since || new Date(record.committerDate) >= options.since) &&
      (!options.until || new Date(record.committerDate) < options.until);
    if (inWindow) {
      lastYielded = record.sha;
      yield record;
    }
    const parent = record.parents[0];
    if (!parent) return;
    ref = parent;
  }
}

/** `git diff --no-renames base sha` with numstat, for changes that span several commits (rebase merges). */
export async function diffRange(
  repoDir: string,
  base: string,
  sha: string,
): Promise<{ files: FileStat[]; created: string[]; deleted: string[]; patch: string | null; unavailable: boolean }> {
  try {
    const [stat, patch] = await Promise.all([
      runGit(repoDir, ['diff', ...DIFF_ARGS, '--numstat', '--summary', base, sha]),
      runGit(repoDir, ['diff', ...DIFF_ARGS, base, sha]),
    ]);
    const parsed = parseRecord(
      `${MARKER}${sha}\x1f${base}\x1f\x1f\x1f\x1f\x1f\x1f\x1d\n${stat.toString('utf8')}`,
      false,
    );
    return {
      files: parsed.files,
      created: parsed.created,
      deleted: parsed.deleted,
      patch: patch.toString('utf8'),
      unavailable: false,
    };
  } catch (error) {
    if (error instanceof GitError && MISSING_OBJECT.test(error.stderr)) {
      const names = await gitText(repoDir, ['diff-tree', '-r', '--no-renames', '--name-status', base, sha]);
      const files = names
        .split('\n')
        .filter(Boolean)
        .map((line) => ({
          path: unquoteGitPath(line.split('\t')[1] ?? ''),
          additions: 0,
          deletions: 0,
          binary: false,
        }));
      return { files, created: [], deleted: [], patch: null, unavailable: true };
    }
    throw error;
  }
}

export interface ConcurrentHistoryOptions {
  /** git processes at once. Default 2. */
  concurrency?: number;
  /** First-parent commits per segment. Default: eight segments per worker, at least 64 commits each. */
  segmentSize?: number;
}

/**
 * The same records as {@link readFirstParentHistory}, in the same order, computed by several git
 * processes over consecutive segments of the first-parent line (diffing is CPU-bound; segments are
 * small so that a few huge patches do not unbalance the workers).
 */
export async function readFirstParentHistoryConcurrently(
  repoDir: string,
  options: HistoryOptions,
  concurrency: ConcurrentHistoryOptions = {},
): Promise<CommitRecord[]> {
  const workers = Math.max(1, concurrency.concurrency ?? 2);
  // --parents: each line is "sha parent…", so a segment's lower bound needs no extra git process.
  const listArgs = ['rev-list', '--first-parent', '--parents'];
  if (options.since) listArgs.push(`--since-as-filter=${options.since.toISOString()}`);
  if (options.until) listArgs.push(`--until=${new Date(options.until.getTime() - 1000).toISOString()}`);
  listArgs.push(options.ref);
  if (options.exclude) listArgs.push(`^${options.exclude}`);
  const listed = await gitText(repoDir, listArgs);
  const lines = listed ? listed.split('\n').map((line) => line.split(' ')) : [];
  // Eight segments per worker balance a few huge patches; at least 64 commits keep the spawn cost small.
  const segmentSize = concurrency.segmentSize ?? Math.max(64, Math.ceil(lines.length / (workers * 8)));
  const drain = async (o: HistoryOptions): Promise<CommitRecord[]> => {
    const out: CommitRecord[] = [];
    for await (const record of readFirstParentHistory(repoDir, o)) out.push(record);
    return out;
  };
  if (lines.length <= segmentSize) return drain(options);
  const segments: HistoryOptions[] = [];
  for (let i = 0; i < lines.length; i += segmentSize) {
    const top = lines[i]?.[0] as string;
    const bottomParent = lines[Math.min(i + segmentSize, lines.length) - 1]?.[1];
    segments.push({ ...options, ref: top, exclude: bottomParent ?? options.exclude });
  }
  const limit = pLimit(workers);
  const results = await Promise.all(segments.map((segment) => limit(() => drain(segment))));
  return results.flat();
}
