import { KNOWN_ENV_VARS } from '@datasmith/config';
import { listedRepos, loadChosenConfig, redactForPrint, shownEnvironment } from '../ops/workspace';
import type { RegisterCommand } from './index';

interface ConfigPrintOptions {
  config?: string;
}

/** `datasmith config print`: the resolved config as JSON, secrets redacted. */
export const registerConfig: RegisterCommand = (program, context) => {
  const config = program.command('config').description('Inspect the configuration');
  config
    .command('print')
    .description(
      'Print the resolved config (defaults filled), the repository list it names and the environment, secrets redacted',
    )
    .option('--config <file>', 'datasmith config (default: DATASMITH_CONFIG or datasmith.config.json)')
    .action((options: ConfigPrintOptions) => {
      const ctx = context();
      const loaded = loadChosenConfig(ctx.cwd, ctx.env, options.config);
      const listed = listedRepos(ctx.cwd, loaded.config, ctx.env);
      const report = {
        file: loaded.file,
        config: loaded.config,
        warnings: loaded.warnings,
        repositories: { source: listed.source, count: listed.repos?.length ?? null, names: listed.repos },
        environment: shownEnvironment(ctx.env, KNOWN_ENV_VARS),
      };
      ctx.print(redactForPrint(JSON.stringify(report, null, 2), ctx.env));
    });
};
