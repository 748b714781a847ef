import type { CommitRow } from '@datasmith/tables';

/** A unified diff of `{ path: { add, remove } }` (tests). */
export function makePatch(files: Record<string, { add?: string[]; remove?: string[]; context?: string }>): string {
  const out: string[] = [];
  for (const [path, change] of Object.entries(files)) {
    const add = change.add ?? [];
    const remove = change.remove ?? [];
    out.push(
      `diff --git a/${path} b/${path}`,
      'index 1111111..2222222 100644',
      `--- a/${path}`,
      `+++ b/${path}`,
      `@@ -1,${remove.length} +1,${add.length} @@${change.context ? ` ${change.context}` : ''}`,
      ...remove.map((l) => `-${l}`),
      ...add.map((l) => `+${l}`),
    );
  }
  return `${out.join('\n')}\n`;
}

let counter = 0;

/** A valid kept `commits` row; the patch's stats follow from `patch` unless overridden (tests). */
export function commitRow(overrides: Partial<CommitRow> = {}): CommitRow {
  counter++;
  const n = overrides.pr_number ?? 100 + counter;
  const hex = (seed: number) => seed.toString(16).padStart(40, '0');
  const patch =
    overrides.patch !== undefined
      ? overrides.patch
      : makePatch({ 'pkg/core.py': { add: ['    return compute(values)'], remove: ['    return slow(values)'] } });
  const files = patch ? [...patch.matchAll(/^\+\+\+ b\/(.+)$/gm)].map((m) => m[1] as string) : ['pkg/core.py'];
  const additions = patch ? (patch.match(/^\+(?!\+\+ )/gm) ?? []).length : 0;
  const deletions = patch ? (patch.match(/^-(?!-- )/gm) ?? []).length : 0;
  return {
    repo_name: 'acme/widgets',
    pr_number: n,
    pr_title: 'Update things',
    pr_title_source: 'message',
    pr_body: '',
    pr_commits: '',
    pr_merged_at: '2024-05-10T12:00:00Z',
    pr_merge_commit_sha: hex(n * 3 + 1),
    sha: hex(n * 3 + 1),
    pr_base_sha: hex(n * 3 + 2),
    pr_base_ref_sha: null,
    merge_style: 'squash',
    message: `${overrides.pr_title ?? 'Update things'} (#${n})`,
    date: '2024-05-10T12:00:00+00:00',
    files_changed: files.join('\n'),
    total_additions: additions,
    total_deletions: deletions,
    total_files_changed: files.length,
    has_asv: true,
    patch,
    kept: true,
    drop_reason: null,
    source: 'store',
    ...overrides,
  };
}
