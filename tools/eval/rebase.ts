/**
 * `npm run eval:rebase -- --store DIR [--since D] [--until D]`: how many rows the git-only rebase
 * rules of collect add per repository of an offline store (every mirror found, or the names given
 * after the flags), next to the PRs found from merge and squash messages. Reads history only (no
 * patches); runs no code of the mirrored projects.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { headBranch, readFirstParentHistory } from '@datasmith/git';
import { findRebaseMerges, parseLandedMessage } from '@datasmith/steps';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    store: { type: 'string' },
    since: { type: 'string', default: '2019-01-01' },
    until: { type: 'string' },
  },
});
if (!values.store) {
  process.stderr.write('usage: npm run eval:rebase -- --store DIR [--since D] [--until D] [owner/name ...]\n');
  process.exit(2);
}
const store = values.store;
const repos =
  positionals.length > 0
    ? positionals
    : readdirSync(store)
        .filter((owner) => statSync(join(store, owner)).isDirectory())
        .flatMap((owner) =>
          readdirSync(join(store, owner))
            .filter((n) => n.endsWith('.git'))
            .map((n) => `${owner}/${n.slice(0, -4)}`),
        )
        .sort();
const since = new Date(`${values.since}T00:00:00Z`);
const until = values.until ? new Date(`${values.until}T00:00:00Z`) : undefined;
process.stdout.write(`repo\tfirst-parent\tnumbered PRs\trun rows (commits)\tsingle_applied rows\n`);
for (const repo of repos) {
  const mirror = join(store, `${repo}.git`);
  const branch = (await headBranch(mirror)) ?? 'main';
  const walked = [];
  try {
    for await (const r of readFirstParentHistory(mirror, { ref: branch, since, until, withPatch: false }))
      walked.push(r);
  } catch (error) {
    process.stdout.write(`${repo}\tunreadable history: ${(error as Error).message.split('\n')[0]}\n`);
    continue;
  }
  const numbered = walked.filter((r) => parseLandedMessage(r.message, r.parents.length) !== null).length;
  const merges = findRebaseMerges(walked);
  const runs = merges.filter((m) => m.rule === 'run');
  const singles = merges.filter((m) => m.rule === 'single_applied');
  const runCommits = runs.reduce((n, m) => n + m.commits.length, 0);
  process.stdout.write(`${repo}\t${walked.length}\t${numbered}\t${runs.length} (${runCommits})\t${singles.length}\n`);
}
