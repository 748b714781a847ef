import { mergeSubjectBranch } from '../collect/messages';
import { classifyPath } from '../collect/path-rules';

/** One file of a unified diff: its path and its added and removed lines (without the +/- marker). */
export interface PatchFile {
  path: string;
  added: string[];
  removed: string[];
  /** Text after the second `@@` of each hunk header (often the enclosing function). */
  hunkContexts: string[];
  /** The file is new (`--- /dev/null`). */
  created?: boolean;
}

/** Only the first this-many characters of a patch are scanned for features. */
export const MAX_SCANNED_PATCH_CHARS = 2_000_000;

/** Splits a `git diff` patch into files. Tolerant: anything unparsable is skipped. */
export function parsePatch(patch: string | null): PatchFile[] {
  if (!patch) return [];
  const files: PatchFile[] = [];
  let current: PatchFile | undefined;
  const text = patch.length > MAX_SCANNED_PATCH_CHARS ? patch.slice(0, MAX_SCANNED_PATCH_CHARS) : patch;
  for (const line of text.split('\n')) {
    if (line.startsWith('diff --git ')) {
      const match = / b\/(.+)$/.exec(line);
      current = { path: match?.[1] ?? '', added: [], removed: [], hunkContexts: [] };
      files.push(current);
    } else if (!current) {
    } else if (line.startsWith('+++ ') || line.startsWith('--- ')) {
      if (line.startsWith('+++ b/')) current.path = line.slice(6);
      if (line === '--- /dev/null') current.created = true;
    } else if (line.startsWith('@@')) {
      const context = /^@@[^@]*@@\s?(.*)$/.exec(line)?.[1]?.trim();
      if (context) current.hunkContexts.push(context);
    } else if (line.startsWith('+')) {
      current.added.push(line.slice(1));
    } else if (line.startsWith('-')) {
      current.removed.push(line.slice(1));
    }
  }
  return files;
}

/** Every added line of a patch, in order (used by the leak guard). */
export function addedLines(patch: string | null): string[] {
  return parsePatch(patch).flatMap((f) => f.added);
}

const BENCH_PATH =
  /(^|\/)(benchmarks?|asv_bench|asv_benchmarks|bench)\/|(^|\/)(bench_[^/]*|[^/]*_bench|[^/]*benchmark[^/]*)\.py$/i;
const COMPILED_EXT = /\.(c|h|cc|cpp|cxx|hpp|hh|pyx|pxd|pxi|cu|cuh|rs|f|f90|f95|src|dispatch\.c|ispc|m|mm)$/i;

/** A path that holds benchmarks (ASV suites, bench_*.py). */
export function isBenchmarkPath(path: string): boolean {
  return BENCH_PATH.test(path);
}

/** A path of compiled source: C/C++/Cython/Rust/Fortran/CUDA (numpy's `.c.src` templates too). */
export function isCompiledPath(path: string): boolean {
  return COMPILED_EXT.test(path);
}

/**
 * Code that is not part of the library at run time: development tools and scripts, build helpers
 * and packaging files, vendored build systems, typing stubs and test utilities.
 */
const NOT_RUNTIME_PATH =
  /(^|\/)(tools|scripts|_build_utils|build_utils|vendored-[^/]*|\.spin|ci|typing|testing)\/|\.pyi$|(^|\/)(meson\.build|meson\.options|meson_options\.txt|setup\.py|setup\.cfg|pyproject\.toml|requirements[^/]*\.txt|environment[^/]*\.ya?ml|\.git\w*|\.mailmap)$/i;

/** A code path that runs as part of the library (not tooling, build files, stubs or test helpers). */
export function isRuntimeCodePath(path: string): boolean {
  return classifyPath(path) === 'code' && !isBenchmarkPath(path) && !NOT_RUNTIME_PATH.test(path);
}

/** What the gate and the rules classifier read from a row, computed once. */
export interface RowFeatures {
  title: string;
  /** The commit message without its merge boilerplate line. */
  message: string;
  /** The first line of `message`: with `title`, the headline the gate reads. */
  subject: string;
  /**
   * The PR body without HTML comments (PR templates), plus the rest of the commit message when it
   * says something the body does not (a squash commit's message is often the whole PR description,
   * and a store without PR files has no other body).
   */
  body: string;
  /** The PR's head branch from git's `Merge pull request #N from user/branch` line ('' when unknown). */
  branch: string;
  /** Subjects of a merge commit's own PR commits (`pr_commits`), oldest first. */
  commits: string[];
  paths: string[];
  files: PatchFile[];
  /** Files that are code (not tests, docs, benchmarks, CI or examples). */
  codeFiles: PatchFile[];
  touchesBenchmarks: boolean;
  touchesCompiled: boolean;
  touchesTests: boolean;
  addedCodeLines: number;
  removedCodeLines: number;
}

/** Removes `<!-- … -->` blocks: PR templates hide their instructions there. */
export function stripHtmlComments(text: string): string {
  return text.replace(/<!--[\s\S]*?(-->|$)/g, '');
}

/** Drops the `Merge pull request #N from user/branch` line git writes for merge commits. */
export function stripMergeBoilerplate(message: string): string {
  return message
    .split('\n')
    .filter((line) => !/^Merge (pull request|branch) /.test(line) && !/^Signed-off-by:|^Co-authored-by:/i.test(line))
    .join('\n')
    .trim();
}

/** Joins the PR body and the commit message's body, once when one already holds the other. */
function mergedBody(prBody: string, messageBody: string): string {
  const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();
  if (!messageBody) return prBody;
  if (!prBody) return messageBody;
  const a = normalize(prBody);
  const b = normalize(messageBody);
  if (a.includes(b)) return prBody;
  if (b.includes(a)) return messageBody;
  return `${prBody}\n\n${messageBody}`;
}

/** Computes the features of a row from its title, body, message, changed paths and patch. */
export function rowFeatures(row: {
  pr_title: string;
  pr_body: string;
  pr_commits?: string;
  message: string;
  files_changed: string;
  patch: string | null;
}): RowFeatures {
  const files = parsePatch(row.patch);
  const paths = row.files_changed
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  const allPaths = paths.length > 0 ? paths : files.map((f) => f.path);
  const codeFiles = files.filter((f) => classifyPath(f.path) === 'code' && !isBenchmarkPath(f.path));
  const message = stripMergeBoilerplate(row.message);
  const newline = message.indexOf('\n');
  const subject = (newline === -1 ? message : message.slice(0, newline)).trim();
  const messageBody = newline === -1 ? '' : message.slice(newline + 1).trim();
  return {
    title: row.pr_title.trim(),
    message,
    subject,
    body: mergedBody(stripHtmlComments(row.pr_body).trim(), stripHtmlComments(messageBody).trim()),
    branch: mergeSubjectBranch(row.message),
    commits: (row.pr_commits ?? '')
      .split('\n')
      .map((c) => c.trim())
      .filter(Boolean),
    paths: allPaths,
    files,
    codeFiles,
    touchesBenchmarks: allPaths.some(isBenchmarkPath),
    touchesCompiled: allPaths.some(isCompiledPath),
    touchesTests: allPaths.some((p) => classifyPath(p) === 'tests'),
    addedCodeLines: codeFiles.reduce((n, f) => n + f.added.length, 0),
    removedCodeLines: codeFiles.reduce((n, f) => n + f.removed.length, 0),
  };
}
