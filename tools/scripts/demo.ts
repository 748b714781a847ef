/**
 * `npm run demo`: generates the embedded demo store, then runs the pipeline on it through Nx with the
 * tracked demo config: scrape-repos, then every demo month, then the global steps. No network, no keys.
 * The Nx commands run in one Nx process (libs/cli/src/update/nx-session.cjs, as `datasmith update`
 * does): the project graph is built once before scrape-repos and once after, not once per month.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { monthRange } from '@datasmith/paths';
import { updateStages } from '../../libs/cli/src/update/stages';

const root = resolve(import.meta.dirname, '../..');
const demoConfig = 'tools/demo/datasmith.demo.json';
const registry = process.env.DATASMITH_IMAGE_REGISTRY ?? 'http://127.0.0.1:5000';
const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATASMITH_CONFIG: demoConfig,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  // Plugins load in the Nx process instead of one worker process each (see nxEnvironment in nx-runner.ts).
  NX_ISOLATE_PLUGINS: process.env.NX_ISOLATE_PLUGINS ?? 'false',
};
const nxSession = resolve(root, 'libs/cli/src/update/nx-session.cjs');
// Offline bases install the real asv from a folder of upstream archives (no PyPI here): the
// environment's DATASMITH_ASV_SOURCE, else the steering repository's shared/vendor next to the checkout.
const vendor = resolve(root, '..', 'shared', 'vendor');
if (!env.DATASMITH_ASV_SOURCE && existsSync(vendor)) env.DATASMITH_ASV_SOURCE = vendor;
if (!env.DATASMITH_ASV_SOURCE) {
  process.stderr.write(
    'demo: DATASMITH_ASV_SOURCE is not set: point it at a folder of asv and asv_runner sdists or wheels (or a package index URL)\n',
  );
  process.exit(2);
}

function run(title: string, command: string, args: string[]): void {
  process.stdout.write(`\n=== ${title}\n`);
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`demo: ${title} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
}

const config = JSON.parse(readFileSync(resolve(root, demoConfig), 'utf8')) as {
  store: string;
  months: { from: string; to: string };
};
const started = Date.now();
// The real components the demo uses: a Docker engine (synthesize) and a local registry (publish). Without
// them the demo still runs to the end: synthesize records `engine_unreachable` per task and publish
// keeps images local.
if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
  spawnSync('bash', ['tools/scripts/ensure-docker'], { cwd: root, stdio: 'inherit' });
}
if (!process.env.DATASMITH_IMAGE_REGISTRY) {
  const registryUp = spawnSync('bash', ['tools/scripts/start-registry'], { cwd: root, stdio: 'inherit' });
  if (registryUp.status === 0) env.DATASMITH_IMAGE_REGISTRY = registry;
  else process.stdout.write('demo: no local registry (tools/scripts/start-registry failed): images stay local\n');
} else {
  env.DATASMITH_IMAGE_REGISTRY = registry;
}
run('generate the demo store', process.execPath, ['--import', 'tsx', 'tools/demo/src/main.ts', '--out', config.store]);
// The same Nx commands as `datasmith update` over the demo's months.
const nxStages = updateStages(monthRange(config.months.from, config.months.to), 2);
run('pipeline (one Nx process)', process.execPath, [nxSession, JSON.stringify(nxStages)]);
process.stdout.write(`\ndemo: done in ${((Date.now() - started) / 1000).toFixed(1)} s; outputs under data/\n`);
