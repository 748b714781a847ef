import { type CommitRecord, listTreePaths } from '@datasmith/git';
import { isAsvConfig } from './path-rules';

/**
 * Whether a repository has an asv config after a commit. For the walked commits it is known from the
 * tree of the oldest walked commit's parent, then every created/deleted path applied in order: one
 * ls-tree, no per-PR process. Any other commit's tree is listed when asked, once.
 */
export class AsvPresence {
  private constructor(
    private readonly mirror: string,
    private readonly after: Map<string, boolean>,
  ) {}

  /** Follows the asv configs through the walked first-parent history (newest first). */
  static async fromWalk(mirror: string, walked: readonly CommitRecord[]): Promise<AsvPresence> {
    const asvAfter = new Map<string, boolean>();
    const oldest = walked[walked.length - 1];
    const startParent = oldest?.parents[0];
    const asvPaths = new Set<string>(startParent ? (await listTreePaths(mirror, startParent)).filter(isAsvConfig) : []);
    if (startParent) asvAfter.set(startParent, asvPaths.size > 0);
    for (let i = walked.length - 1; i >= 0; i--) {
      const record = walked[i] as CommitRecord;
      for (const p of record.deleted) if (isAsvConfig(p)) asvPaths.delete(p);
      for (const p of record.created) if (isAsvConfig(p)) asvPaths.add(p);
      asvAfter.set(record.sha, asvPaths.size > 0);
    }
    return new AsvPresence(mirror, asvAfter);
  }

  /** Is there an asv config in the tree of `sha`? */
  async at(sha: string): Promise<boolean> {
    const known = this.after.get(sha);
    if (known !== undefined) return known;
    const present = (await listTreePaths(this.mirror, sha)).some(isAsvConfig);
    this.after.set(sha, present);
    return present;
  }
}
