/**
 * The original tool's crude performance filter (`crude_perf_filter` with `basic_message_filter`,
 * reference §5.1), rebuilt faithfully as a baseline for `eval:classify` only: it is not part of the
 * pipeline. It reads the landed commit message alone (for a merge commit: `Merge pull request #N from
 * user/branch` plus the PR title), keeps a message with any positive keyword, else drops one with a
 * negative keyword, else keeps it (ambiguous messages are kept); an empty message is dropped. Then the
 * size limits: fewer than 40,000 changed lines, fewer than 500 files, 5 <= patch tokens < 16,000.
 * The repository blocklist is off, as the original's orchestrator ran it.
 */

/** Positive patterns (word-bounded, case-insensitive). */
const POSITIVE: RegExp[] = [
  /\b(perf|performance)\b/i,
  /\boptimi[sz](e|ed|es|ation|ations|ing)\b/i,
  /\b(speed|speed up|speedup|speeded|speeding)\b/i,
  /\bfaster\b/i,
  /\blatency\b/i,
  /\bthroughput\b/i,
  /\boverhead\b/i,
  /\bmemory(\s+(usage|footprint|alloc|allocation|allocations|pressure))?\b/i,
  /\b(reduce|reduced|reduces|reducing)\s+(allocations?|copies|overhead|latency|cpu|memory)\b/i,
  /\b(avoid|avoided|avoids|avoiding)\s+(allocations?|copies)\b/i,
  /\b(cache|cached|caching)\b/i,
  /\bvectori[sz](e|ed|es)\b/i,
  /\b(parallel|parallelize|parallelism|parallelized)\b/i,
  /\b(concurrent|concurrency)\b/i,
  /\b(profile|profiling|profiler)\b/i,
  /\bbenchmark(s|ing)?\b/i,
  /\b(jit|numba|cython|simd|avx|sse|neon)\b/i,
  /\b(gpu|cuda|opencl)\b/i,
  /\b(zero-copy|zerocopy)\b/i,
  /\b(preallocate|preallocation)\b/i,
  /\b(hot|hot path)\b/i,
  /\bbottleneck\b/i,
];

/** Negative patterns (case-insensitive; some anchored at the start of the message). */
const NEGATIVE: RegExp[] = [
  /^\s*revert/i,
  /^\s*(release|prepared? release)/i,
  /\bchangelog\b/i,
  /\b(tag|tagging)\b/i,
  /\b(bump|bumping)\b/i,
  /\bversions?\b/i,
  /\[release\]/i,
  /^\s*\w+:\s*\[release\]/i,
  /\b(doc|docs|documentation|readme|docstring)\b/i,
  /\b(type comments?|type annotations?|typing|mypy|pyright|pytype)\b/i,
  /\btypo\b/i,
  /\b(format|formatting|fmt|lint|lints|linting|black|isort|ruff|flake8)\b/i,
  /\b(ci|github actions|workflow|pre-commit|cibuildwheel|travis|circleci)\b/i,
  /\b(dependabot|dep|deps|dependency|dependencies|pin|pinning|unpin|requirements?)\b|\bpyproject\.toml\b/i,
  /\b(build|wheel|wheels|package|packaging|docker|k8s|kubernetes|helm)\b/i,
  /^\s*chore/i,
];

/** `basic_message_filter`: true keeps the row. */
export function originalMessageFilter(message: string): boolean {
  if (!message.trim()) return false;
  if (POSITIVE.some((p) => p.test(message))) return true;
  if (NEGATIVE.some((p) => p.test(message))) return false;
  return true;
}

/** `crude_perf_filter` on one row: the message filter and the size limits. */
export function originalCrudeFilter(row: {
  message: string;
  total_additions: number;
  total_deletions: number;
  n_files_changed: number;
  n_patch_tokens: number | null;
}): boolean {
  const tokens = row.n_patch_tokens ?? 0;
  return (
    originalMessageFilter(row.message) &&
    row.total_additions + row.total_deletions < 40_000 &&
    row.n_files_changed < 500 &&
    tokens >= 5 &&
    tokens < 16_000
  );
}
