import { DatasmithError } from '@datasmith/errors';
import { type CheckResult, runDoctor } from '../doctor/checks';
import { redactForPrint } from '../ops/workspace';
import type { RegisterCommand } from './index';

interface DoctorCliOptions {
  config?: string;
  imageRegistry?: string;
  minFreeGib: number;
  warnFreeGib: number;
  json?: boolean;
}

function gib(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new DatasmithError('E_INPUT', `Invalid ${name}: ${JSON.stringify(value)}`);
    return n;
  };
}

/** `datasmith doctor`: is everything the monthly run needs in place? One line per check. */
export const registerDoctor: RegisterCommand = (program, context) => {
  program
    .command('doctor')
    .description(
      'Check config, store, GitHub tokens, LLM endpoint, Docker engine, disk space and registry: ok/warn/fail, one line each',
    )
    .option('--config <file>', 'datasmith config (default: DATASMITH_CONFIG or datasmith.config.json)')
    .option(
      '--image-registry <url>',
      'registry to check (default: DATASMITH_IMAGE_REGISTRY, or Docker Hub with DOCKERHUB_USERNAME)',
    )
    .option('--min-free-gib <n>', 'fail below this much free disk under the output root', gib('--min-free-gib'), 2)
    .option('--warn-free-gib <n>', 'warn below this much free disk', gib('--warn-free-gib'), 20)
    .option('--json', 'print the checks as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Endpoints come from the environment (and tokens.env): GITHUB_API_URL (default https://api.github.com),',
        'DSPY_URL or OPENAI_BASE_URL, DOCKER_HOST, DATASMITH_IMAGE_REGISTRY. Tokens are named by position and',
        'variable (token 2/3 (GH_TOKENS)), never shown. Exits 1 when a check fails.',
      ].join('\n'),
    )
    .action(async (options: DoctorCliOptions) => {
      const ctx = context();
      const results = await runDoctor({
        cwd: ctx.cwd,
        env: ctx.env,
        configFile: options.config,
        imageRegistry: options.imageRegistry,
        minFreeGiB: options.minFreeGib,
        warnFreeGiB: options.warnFreeGib,
      });
      const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
      const counts = { ok: count('ok'), warn: count('warn'), fail: count('fail'), skip: count('skip') };
      if (options.json) ctx.print(redactForPrint(JSON.stringify({ checks: results, ...counts }), ctx.env));
      else {
        for (const r of results)
          ctx.print(redactForPrint(`${r.status.padEnd(4)} ${r.check.padEnd(8)} ${r.message}`, ctx.env));
        ctx.print(`doctor: ${counts.ok} ok, ${counts.warn} warn, ${counts.fail} fail, ${counts.skip} skipped`);
      }
      if (counts.fail > 0) {
        const failed = [...new Set(results.filter((r) => r.status === 'fail').map((r) => r.check))];
        throw new DatasmithError('E_CONFIG', `${counts.fail} check(s) failed: ${failed.join(', ')}`);
      }
    });
};
