import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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

  git(args: string[], date = '2024-01-01T00:00:00Z'): string {
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Ada Dev',
        GIT_AUTHOR_EMAIL: 'ada@example.com',
        GIT_COMMITTER_NAME: 'GitHub',
        GIT_COMMITTER_EMAIL: 'noreply@github.com',
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: this.dir,
      },
    }).trim();
  }

  /** Writes files (null deletes) and commits them; returns the new sha. */
  commit(files: Record<string, string | null>, message: string, date: string): string {
    for (const [path, content] of Object.entries(files)) {
      const abs = join(this.dir, path);
      if (content === null) rmSync(abs, { force: true });
      else {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, content);
      }
    }
    this.git(['add', '-A'], date);
    this.git(['commit', '-q', '--allow-empty', '-m', message], date);
    return this.head();
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
