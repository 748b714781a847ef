import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { FixtureRepo } from '@datasmith/git/testing';
import type { FakePullSpec, FakeRepositorySpec } from './fake-github';

type Files = Record<string, string | null>;

interface PullTimes {
  /** Default: the merge time. */
  createdAt?: string;
  /** Default: the merge time (GitHub bumps updated_at when a PR is merged). */
  updatedAt?: string;
  /** Default: the default branch's tip before the PR landed. */
  baseSha?: string;
}

function utc(date: string): string {
  return new Date(date).toISOString().replace(/\.000Z$/, 'Z');
}

/**
 * A real git repository built PR by PR, recording the pull request objects GitHub would serve for
 * it (for the fake GitHub and for offline stores). Merge commits, squash commits and rebase merges
 * are made by git exactly as FixtureRepo makes them; `merged_at` is the landing commit's date.
 */
export class PullHistory {
  readonly repo: FixtureRepo;
  readonly fullName: string;
  readonly pulls: FakePullSpec[] = [];
  readonly branch: string;

  constructor(dir: string, fullName: string, branch = 'main') {
    this.repo = new FixtureRepo(dir, branch);
    this.fullName = fullName;
    this.branch = branch;
  }

  /** A plain commit on the default branch (no PR). */
  commit(files: Files, message: string, date: string): string {
    return this.repo.commit(files, message, date);
  }

  private tip(): string {
    return this.repo.head();
  }

  private record(
    number: number,
    title: string,
    body: string | null,
    mergedAt: string,
    mergeSha: string,
    headSha: string,
    baseSha: string,
    times: PullTimes,
    commits = 1,
  ): string {
    this.pulls.push({
      number,
      title,
      body,
      state: 'closed',
      created_at: utc(times.createdAt ?? mergedAt),
      updated_at: utc(times.updatedAt ?? mergedAt),
      closed_at: utc(mergedAt),
      merged_at: utc(mergedAt),
      merge_commit_sha: mergeSha,
      base: { ref: this.branch, sha: times.baseSha ?? baseSha },
      head: { ref: `pr-${number}`, sha: headSha },
      commits,
    });
    return mergeSha;
  }

  /** A PR landed as a GitHub merge commit ("Merge pull request #N from …", title in the body). */
  merge(number: number, title: string, files: Files, mergedAt: string, times: PullTimes = {}): string {
    const base = this.tip();
    const sha = this.repo.mergePull(number, title, files, mergedAt);
    const head = this.repo.git(['rev-parse', `${sha}^2`]);
    return this.record(number, title, null, mergedAt, sha, head, base, times);
  }

  /** A PR landed as a squash commit "Title (#N)" with `body` as the message body. */
  squash(number: number, title: string, files: Files, mergedAt: string, body = '', times: PullTimes = {}): string {
    const base = this.tip();
    const sha = this.repo.squashPull(number, title, files, mergedAt, body);
    return this.record(number, title, body || null, mergedAt, sha, sha, base, times);
  }

  /** A squash PR with no file change (cheap filler for long listings). */
  emptySquash(number: number, title: string, mergedAt: string, times: PullTimes = {}): string {
    const base = this.tip();
    this.repo.git(['commit', '-q', '--allow-empty', '-m', `${title} (#${number})`], mergedAt);
    const sha = this.tip();
    return this.record(number, title, null, mergedAt, sha, sha, base, times);
  }

  /**
   * Many empty squash PRs at once, through one `git fast-import` (long listings without one git
   * process per commit); returns their shas in order.
   */
  emptySquashes(entries: Array<{ number: number; title: string; mergedAt: string }>): string[] {
    if (entries.length === 0) return [];
    const ref = `refs/heads/${this.branch}`;
    let stream = '';
    entries.forEach((e, i) => {
      const when = `${Math.floor(Date.parse(e.mergedAt) / 1000)} +0000`;
      const message = `${e.title} (#${e.number})\n`;
      stream += `commit ${ref}\nauthor Ada Dev <ada@example.com> ${when}\ncommitter GitHub <noreply@github.com> ${when}\n`;
      stream += `data ${Buffer.byteLength(message)}\n${message}${i === 0 ? `from ${this.tip()}\n` : ''}\n`;
    });
    const bases = [this.tip()];
    execFileSync('git', ['-C', this.repo.dir, 'fast-import', '--quiet'], {
      input: stream,
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
    });
    const shas = this.repo
      .git(['rev-list', '--first-parent', `-n${entries.length}`, ref])
      .split('\n')
      .reverse();
    entries.forEach((e, i) => {
      bases.push(shas[i] as string);
      this.record(e.number, e.title, null, e.mergedAt, shas[i] as string, shas[i] as string, bases[i] as string, {});
    });
    return shas;
  }

  /** A PR rebased onto the default branch: its commits land one by one; `merge_commit_sha` is the last. */
  rebase(
    number: number,
    title: string,
    commits: Array<{ files: Files; message: string }>,
    mergedAt: string,
    times: PullTimes = {},
  ): string {
    const base = this.tip();
    for (const c of commits) this.repo.commit(c.files, c.message, mergedAt);
    const sha = this.tip();
    return this.record(number, title, null, mergedAt, sha, sha, base, times, commits.length);
  }

  /** A PR closed without merging: GitHub still reports a (test-merge) merge_commit_sha, but no merged_at. */
  closedUnmerged(number: number, title: string, createdAt: string, closedAt: string): void {
    const fake = createHash('sha1').update(`${this.fullName}#${number}`).digest('hex');
    this.pulls.push({
      number,
      title,
      body: null,
      state: 'closed',
      created_at: utc(createdAt),
      updated_at: utc(closedAt),
      closed_at: utc(closedAt),
      merged_at: null,
      merge_commit_sha: fake,
      base: { ref: this.branch, sha: this.tip() },
      head: { ref: `pr-${number}`, sha: fake },
    });
  }

  /** The fake GitHub's view of this repository. */
  spec(extra: Partial<FakeRepositorySpec> = {}): FakeRepositorySpec {
    return { full_name: this.fullName, default_branch: this.branch, pulls: this.pulls, ...extra };
  }
}
