import { Command, InvalidArgumentError } from 'commander';
import { DEMO_CASES, DEMO_REPOS, EMPTY_MONTH } from './cases';
import { type DemoStoreSummary, generateBenchRepo, generateDemoStore } from './generate';
import { pythonUnavailableReason, timeBenchmarks } from './python-check';

/**
 * The demo generator's command line:
 *   node --import tsx tools/demo/src/main.ts --out data/demo/store
 *   node --import tsx tools/demo/src/main.ts --bench-out /tmp/bench.git --prs 12500
 */

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** One line: repositories, PRs by style, perf count, the empty month, elapsed time. */
export function describeDemoStore(summary: DemoStoreSummary): string {
  const mirrors = summary.repos.filter((r) => r.mirror !== 'none').length;
  const { byStyle, total, perf } = summary.pulls;
  return (
    `demo store ${summary.storeDir}: ${summary.repos.length} repositories (${mirrors} mirrors), ` +
    `${total} PRs (merge ${byStyle.merge}, squash ${byStyle.squash}, rebase ${byStyle.rebase}), ` +
    `${perf} perf, ${summary.pulls.pullFiles} PR files, no PRs in ${EMPTY_MONTH}, ${(summary.elapsedMs / 1000).toFixed(1)} s`
  );
}

/** Times every perf case's benchmarks at its base and landed commits with the host python3. */
async function checkPerf(summary: DemoStoreSummary, log: (line: string) => void): Promise<boolean> {
  const reason = await pythonUnavailableReason();
  if (reason) {
    log(`check-perf skipped: ${reason}`);
    return true;
  }
  let ok = true;
  for (const c of DEMO_CASES.filter((x) => x.expected.label === 'perf')) {
    const repo = DEMO_REPOS.find((r) => r.name === c.repo);
    const landed = summary.landed.find((l) => l.repo === c.repo && l.number === c.number);
    if (!repo?.benchmarkDir || !landed) continue;
    const gitDir = `${summary.storeDir}/${c.repo}.git`;
    const names = c.expected.benchmarks ?? [];
    const before = await timeBenchmarks(gitDir, landed.baseSha, repo.benchmarkDir, names, 0.3);
    const after = await timeBenchmarks(gitDir, landed.sha, repo.benchmarkDir, names, 0.3);
    for (const name of names) {
      const ratio = (before[name] as number) / (after[name] as number);
      if (ratio < 1.3) ok = false;
      log(
        `${ratio >= 1.3 ? 'ok  ' : 'SLOW'} ${c.repo}#${c.number} ${name}: ${((before[name] as number) * 1e3).toFixed(2)} ms -> ${((after[name] as number) * 1e3).toFixed(2)} ms (${ratio.toFixed(1)}x)`,
      );
    }
  }
  return ok;
}

/** Parses argv and runs; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command()
    .name('demo')
    .description('Generate the deterministic demo offline store (spec §4) or a large benchmark repository')
    .option('--out <dir>', 'write the demo store here (replaced atomically)')
    .option('--bench-out <dir>', 'write a bare benchmark repository here (replaced)')
    .option('--prs <n>', 'merged PRs in the benchmark repository', positiveInt, 12_500)
    .option('--seed <n>', 'PRNG seed of the benchmark repository', positiveInt)
    .option('--check-perf', 'after --out: time every perf PR at its base and landed commit with python3')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  node --import tsx tools/demo/src/main.ts --out data/demo/store\n  node --import tsx tools/demo/src/main.ts --bench-out /tmp/bench.git --prs 12500',
    )
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  const options = program.opts<{
    out?: string;
    benchOut?: string;
    prs: number;
    seed?: number;
    checkPerf?: boolean;
    json?: boolean;
  }>();
  if (!options.out && !options.benchOut) {
    process.stderr.write('demo: give --out <dir> and/or --bench-out <dir>\n');
    return 2;
  }
  try {
    let ok = true;
    if (options.out) {
      const summary = await generateDemoStore(options.out);
      process.stdout.write(`${options.json ? JSON.stringify(summary) : describeDemoStore(summary)}\n`);
      if (options.checkPerf) ok = await checkPerf(summary, (line) => process.stdout.write(`${line}\n`));
    }
    if (options.benchOut) {
      const bench = await generateBenchRepo(options.benchOut, { prs: options.prs, seed: options.seed });
      process.stdout.write(
        options.json
          ? `${JSON.stringify(bench)}\n`
          : `bench repo ${bench.gitDir}: ${bench.prs} PRs (merge ${bench.mergeCommits}, squash ${bench.squashCommits}), ${bench.commits} commits, ${(bench.elapsedMs / 1000).toFixed(1)} s\n`,
      );
    }
    return ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2));
}
