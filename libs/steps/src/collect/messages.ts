/** A PR recognised from the message of the commit it landed as. */
export interface LandedPull {
  number: number;
  style: 'merge' | 'squash';
  title: string;
  body: string;
}

const MERGE_RE = /^Merge pull request #(\d+) from \S+/;
const SQUASH_RE = /^(.*?)\s*\(#(\d+)\)\s*$/;

/**
 * Recognises GitHub's two landing messages on the first-parent line: a merge commit
 * `Merge pull request #N from owner/branch` (title on the next paragraph) with two parents, and a
 * squash commit `Title (#N)` with one parent. A one-parent commit with the merge message is a squash
 * merge that kept it (numpy has several). Anything else is not a PR.
 */
export function parseLandedMessage(message: string, parentCount: number): LandedPull | null {
  const lines = message.split('\n');
  const subject = lines[0] ?? '';
  const merge = MERGE_RE.exec(subject);
  if (merge && parentCount >= 1) {
    const rest = lines.slice(1).join('\n').replace(/^\n+/, '');
    const [title = '', ...body] = rest.split('\n');
    // One parent: a squash merge that kept GitHub's merge message as its subject.
    const style = parentCount >= 2 ? 'merge' : 'squash';
    return { number: Number(merge[1]), style, title: title.trim(), body: body.join('\n').trim() };
  }
  const squash = SQUASH_RE.exec(subject);
  if (squash && parentCount === 1) {
    return {
      number: Number(squash[2]),
      style: 'squash',
      title: (squash[1] ?? '').trim(),
      body: lines.slice(1).join('\n').trim(),
    };
  }
  return null;
}
