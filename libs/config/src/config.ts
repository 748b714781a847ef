import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '@datasmith/errors';
import { z } from 'zod';

const RepoListSchema = z
  .union([
    z.array(z.string()).describe('inline list of owner/name'),
    z.object({
      file: z.string().describe('CSV with a repo_name header, a headerless one-column file, or repos.parquet'),
    }),
  ])
  .describe('the repositories the graph is built for');

/** datasmith.config.json: the tracked file the Nx plugin reads (spec §2). */
export const DatasmithConfigSchema = z
  .object({
    source: z.enum(['store', 'github']).default('store').describe('where repositories and PRs come from'),
    store: z.string().nullable().default(null).describe('offline store directory (spec §4), relative to the workspace'),
    repos: RepoListSchema.default({ file: 'data/repos/repos.csv' }),
    outputRoot: z.string().default('data').describe('root of every table (spec §9)'),
    months: z
      .object({ from: z.string(), to: z.string() })
      .nullable()
      .default(null)
      .describe('months the demo and `datasmith update` default to'),
    scrape: z
      .object({
        minStars: z.number().int().min(0).default(500),
        maxRepos: z.number().int().min(1).default(150),
      })
      .prefault({}),
    prepare: z
      .object({
        gateMode: z
          .enum(['rank', 'recall', 'evidence', 'learned'])
          .nullable()
          .default(null)
          .describe("the cheap performance gate (default rank: the learned model's top share of each month)"),
        gateShare: z
          .number()
          .gt(0)
          .max(1)
          .nullable()
          .default(null)
          .describe("the rank gate's share of each month's merged PRs (default 0.35)"),
      })
      .prefault({}),
    classify: z
      .object({
        backend: z.enum(['rules', 'llm']).default('rules'),
        model: z.string().nullable().default(null),
        rulesModel: z
          .enum(['hand', 'learned'])
          .nullable()
          .default(null)
          .describe("the rules backend's weights: hand-set (default) or the learned model of eval:classify"),
      })
      .prefault({}),
    synthesize: z
      .object({
        backend: z.enum(['rules', 'agent']).default('rules'),
        online: z
          .boolean()
          .default(false)
          .describe(
            'public python:<version>-slim base images and asv from PyPI (needs network); false = local Debian base',
          ),
        asvSource: z
          .string()
          .nullable()
          .default(null)
          .describe(
            'offline bases: a folder of asv and asv_runner sdists or wheels, or a package index URL (env DATASMITH_ASV_SOURCE)',
          ),
        releases: z
          .array(z.enum(['bookworm', 'trixie']))
          .min(1)
          .nullable()
          .default(null)
          .describe('Debian releases of the offline bases, chosen per task (default: all)'),
      })
      .prefault({}),
    verify: z
      .object({
        passes: z
          .union([z.literal(1), z.literal(2)])
          .nullable()
          .default(null)
          .describe('2: before, after, after, before (drift cancels); 1: before, after (default 2)'),
        maxBenchmarks: z
          .number()
          .int()
          .min(1)
          .nullable()
          .default(null)
          .describe('benchmarks measured per task, those the change touches first (default 8)'),
        maxParamSets: z
          .number()
          .int()
          .min(1)
          .nullable()
          .default(null)
          .describe('parameter sets measured per parameterized benchmark, spread over its grid (default 4)'),
        verifyMinutes: z
          .number()
          .int()
          .min(1)
          .nullable()
          .default(null)
          .describe("wall-clock budget of one task's measurement (default 20)"),
        factor: z
          .number()
          .min(1)
          .nullable()
          .default(null)
          .describe("asv's --factor: a change counts only beyond this ratio and when significant (default 1.05)"),
        untracedFactor: z
          .number()
          .min(1)
          .nullable()
          .default(null)
          .describe('a benchmark that does not reach the changed code counts only beyond this ratio (default 1.2)'),
        maxForeignShare: z
          .number()
          .min(0)
          .max(1)
          .nullable()
          .default(null)
          .describe(
            "the most of the pinned CPUs' time other work may take during a pass before the task is machine_busy (default 0.1)",
          ),
      })
      .prefault({}),
  })
  .strict();

export type DatasmithConfig = z.infer<typeof DatasmithConfigSchema>;
export type DatasmithConfigInput = z.input<typeof DatasmithConfigSchema>;

/** A loaded config: values resolved, plus the file it came from and any warnings. */
export interface LoadedConfig {
  config: DatasmithConfig;
  file: string;
  warnings: string[];
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
}

/** Rules that need the whole config in hand (changesets-style). */
function checkRules(config: DatasmithConfig): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (config.source === 'store' && !config.store) errors.push('store: required when source is "store"');
  if (config.source === 'github' && config.store) warnings.push('store: ignored because source is "github"');
  if (config.months) {
    for (const key of ['from', 'to'] as const) {
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(config.months[key])) errors.push(`months.${key}: expected YYYY-MM`);
    }
  }
  return { errors, warnings };
}

/** Parses and checks a config object; throws one ConfigError listing every `dot.path: message`. */
export function parseConfig(
  raw: unknown,
  file = 'datasmith.config.json',
): { config: DatasmithConfig; warnings: string[] } {
  const parsed = DatasmithConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    throw new ConfigError(`Invalid config ${file}: ${issues.join('; ')}`, { file, issues });
  }
  const { errors, warnings } = checkRules(parsed.data);
  if (errors.length) throw new ConfigError(`Invalid config ${file}: ${errors.join('; ')}`, { file, issues: errors });
  return { config: parsed.data, warnings };
}

/** The config file to use: `DATASMITH_CONFIG` when set, else `<workspace>/datasmith.config.json`. */
export function configPath(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.DATASMITH_CONFIG;
  if (chosen) return isAbsolute(chosen) ? chosen : resolve(workspaceRoot, chosen);
  return resolve(workspaceRoot, 'datasmith.config.json');
}

/** Reads, parses and checks a config file. */
export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`Missing config: ${file} does not exist; create it or set DATASMITH_CONFIG`, { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Invalid config ${file}: not JSON (${(error as Error).message})`, { file });
  }
  const { config, warnings } = parseConfig(raw, file);
  return { config, file, warnings };
}

/** Resolves a config-relative path against the workspace root (the config's folder's workspace). */
export function resolveFromWorkspace(workspaceRoot: string, path: string): string {
  return isAbsolute(path) ? path : resolve(workspaceRoot, path);
}

export { dirname as configDir };
