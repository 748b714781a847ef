import { ASV_WORK, DERIVE_BENCH, IMPORT_SCAN, REPO_ROOT, asvConfigScript, quote } from '../synthesize/asv-container';
import type { RegistryEntry } from '../synthesize/context';
import { MACHINE, SIDE_CONFIGS, VERIFY_WORK } from './asv-scripts';
import { type MeasuringSession, lastLineOf, pythonScript } from './measuring-session';
import { TaskFailure } from './task-failure';

/** Where asv runs and where the base's suite was copied to. */
export interface PreparedSuite {
  asvDir: string;
  suiteDir: string;
}

/** The modules of an import scan's answer that failed to import (none when the answer is unreadable). */
function modulesFailingImport(scanOutput: string): { path: string; ok: boolean }[] {
  try {
    return (JSON.parse(lastLineOf(scanOutput)) as { path: string; ok: boolean }[]).filter((m) => !m.ok);
  } catch {
    return [];
  }
}

/**
 * Prepares asv in the measuring container: the derived config, one config per side, the machine, and
 * the base's suite copied once (modules that fail to import offline left out, as in validation), so
 * both sides are measured with the same benchmark code, whatever the patch does to it.
 */
export async function prepareSuite(
  session: MeasuringSession,
  facts: RegistryEntry['context']['facts'],
  benchmarkDir: string,
): Promise<PreparedSuite | TaskFailure> {
  const asvDir = `${REPO_ROOT}/${facts.asv_dir ?? '.'}`;
  const cfg = await session.run('asv config', pythonScript(asvConfigScript(facts), ''));
  const scan = await session.run(
    'import scan',
    pythonScript(IMPORT_SCAN, quote(`${REPO_ROOT}/${benchmarkDir}`)),
    900_000,
    '/tmp',
  );
  const failedModules = modulesFailingImport(scan.stdout);
  const suite = await session.run(
    'copy suite',
    pythonScript(
      DERIVE_BENCH,
      `${quote(`${REPO_ROOT}/${benchmarkDir}`)} ${VERIFY_WORK}/suite ${quote(JSON.stringify(failedModules.map((m) => m.path)))}`,
    ),
  );
  const suiteDir = lastLineOf(suite.stdout);
  const sides = await session.run(
    'side configs',
    pythonScript(SIDE_CONFIGS, `${ASV_WORK}/asv.conf.json ${quote(suiteDir)}`),
  );
  const machine = await session.run(
    'asv machine',
    `python -m asv --config ${VERIFY_WORK}/asv-before.conf.json machine --yes --machine ${MACHINE}`,
    300_000,
    asvDir,
  );
  if ([cfg, scan, suite, sides, machine].some((r) => r.exitCode !== 0)) {
    return new TaskFailure('measurement_failed', `preparing asv failed:\n${session.tail()}`);
  }
  return { asvDir, suiteDir };
}
