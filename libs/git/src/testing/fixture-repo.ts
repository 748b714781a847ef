import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Identity {
  name: string;
  email: string;
}

/** Who authors and who commits (defaults: Ada Dev, GitHub), and a committer date apart from the author's. */
export interface GitIdentities {
  author?: Identity;
  committer?: Identity;
  committerDate?: string;
}

/**
 * Builds real git repositories with fixed authors and dates, for tests: a work tree driven by git
 * itself, so merge and squash commits look exactly like GitHub's.
 */
export class FixtureRepo {
  readonly dir: string;

  constructor(dir: string, branch = 'main') {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.git(['init', '-q', '-b', branch]);
  }

  /**
   * Runs git with a fixed identity: author `Ada Dev`, committer `GitHub` (as on GitHub's merge and
   * squash commits) unless `who` names others; author and committer dates are `date`.
   */
  git(args: string[], date = '2024-01-01T00:00:00Z', who: GitIdentities = {}): string {
    const author = who.author ?? { name: 'Ada Dev', email: 'ada@example.com' };
    const committer = who.committer ?? { name: 'GitHub', email: 'noreply@github.com' };
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: who.committerDate ?? date,
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: this.dir,
      },
    }).trim();
  }

  /** Writes files (null deletes) and commits them; returns the new sha. */
  commit(files: Record<string, string | null>, message: string, date: string, who: GitIdentities = {}): string {
    for (const [path, content] of Object.entries(files)) {
      const abs = join(this.dir, path);
      if (content === null) rmSync(abs, { force: true });
      else {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, content);
      }
    }
    this.git(['add', '-A'], date, who);
    this.git(['commit', '-q', '--allow-empty', '-m', message], date, who);
    return this.head();
  }

  /**
   * A maintainer's rebase merge, as `git rebase` then a fast-forward push makes it: `branch` is
   * rebased onto the current branch by `committer` (every rewritten commit gets this committer and
   * `date`, the authors stay), and the current branch fast-forwards to it. Returns the landed shas,
   * oldest first.
   */
  rebaseMerge(branch: string, committer: Identity, date: string): string[] {
    const base = this.currentBranch();
    const onto = this.head();
    this.git(['checkout', '-q', branch], date, { committer });
    this.git(['rebase', '-q', base], date, { committer, committerDate: date });
    this.git(['checkout', '-q', base], date, { committer });
    this.git(['merge', '-q', '--ff-only', branch], date, { committer });
    return this.git(['rev-list', '--reverse', `${onto}..HEAD`]).split('\n');
  }

  /** A GitHub merge commit of a one-commit feature branch; returns the merge sha. */
  mergePull(
    number: number,
    title: string,
    files: Record<string, string | null>,
    date: string,
    branch = `pr-${number}`,
  ): string {
    const base = this.currentBranch();
    this.git(['checkout', '-q', '-b', branch], date);
    this.commit(files, `${title} (work)`, date);
    this.git(['checkout', '-q', base], date);
    this.git(
      ['merge', '-q', '--no-ff', branch, '-m', `Merge pull request #${number} from contributor/${branch}\n\n${title}`],
      date,
    );
    return this.head();
  }

  /** A GitHub squash commit `Title (#N)`; returns its sha. */
  squashPull(number: number, title: string, files: Record<string, string | null>, date: string, body = ''): string {
    return this.commit(files, `${title} (#${number})${body ? `\n\n${body}` : ''}`, date);
  }

  head(): string {
    return this.git(['rev-parse', 'HEAD']);
  }

  currentBranch(): string {
    return this.git(['symbolic-ref', '--short', 'HEAD']);
  }

  /** A bare mirror of this repository at `target`. */
  mirrorTo(target: string): string {
    rmSync(target, { recursive: true, force: true });
    execFileSync('git', ['clone', '-q', '--mirror', this.dir, target]);
    return target;
  }
}
