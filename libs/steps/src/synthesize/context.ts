import { createHash } from 'node:crypto';
import { canonicalJson } from '@datasmith/memo';
import { SynthesisAttempt, SynthesisReason, SynthesisStage, SynthesisStrategy } from '@datasmith/tables';
import { z } from 'zod';

/** Bump when the same input would now give a different context or verdict. */
export const SYNTHESIZE_CODE_VERSION = 'synthesize-2';

const Facts = z.object({
  build_system: z.enum(['pyproject', 'setup.py', 'setup.cfg', 'meson']).nullable(),
  build_files: z.array(z.string()),
  build_backend: z.string().nullable(),
  package_root: z.string(),
  project_name: z.string().nullable(),
  import_name: z.string().nullable(),
  asv_config_path: z.string().nullable(),
  asv_dir: z.string().nullable(),
  benchmark_dir: z.string().nullable(),
  asv_pythons: z.array(z.string()),
  requires_python: z.string().nullable(),
  dependencies: z.array(z.string()),
  build_requires: z.array(z.string()),
  extras: z.record(z.string(), z.array(z.string())),
  chosen_extras: z.array(z.string()),
  tests_dir: z.string().nullable(),
  benchmark_requires: z.array(z.string()).default([]),
  pure_python: z.boolean().default(false),
  import_root: z.string().default('.'),
  scm_version_file: z.string().nullable().default(null),
  group_requires: z.array(z.string()).default([]),
});

/**
 * A build context: everything needed to rebuild a task's image from its repository mirror, i.e. the
 * layered Dockerfiles, the install script, the environment, the base image and the facts behind them.
 */
export const BuildContext = z.object({
  owner: z.string(),
  repo: z.string(),
  sha: z.string(),
  strategy: SynthesisStrategy,
  variant: z.string().describe('the rules candidate: editable or regular'),
  base_ref: z.string(),
  base_id: z.string(),
  online: z.boolean(),
  python_requested: z.string().nullable(),
  python_used: z.string(),
  base_release: z.string().nullable().default(null).describe('Debian codename of the base (offline) or its image'),
  asv_version: z.string().nullable().default(null).describe('asv in the base image, measured'),
  unavailable: z.array(z.string()).default([]).describe('declared requirements with no Debian package (offline)'),
  deps_ref: z.string().describe('`<owner>-<repo>:env-<hash>`, shared by commits with the same dependencies'),
  files: z.record(z.string(), z.string()).describe('Dockerfile.deps, Dockerfile, docker_build_pkg.sh'),
  env: z.record(z.string(), z.string()),
  facts: Facts,
  warnings: z.array(z.string()),
  code_version: z.string(),
});
export type BuildContext = z.infer<typeof BuildContext>;

/** The hash of what determines the image: files, environment, commit, base image. */
export function contextHash(context: Pick<BuildContext, 'files' | 'env' | 'sha' | 'base_id' | 'code_version'>): string {
  return createHash('sha256')
    .update(
      canonicalJson({
        files: context.files,
        env: context.env,
        sha: context.sha,
        base: context.base_id,
        v: context.code_version,
      }),
    )
    .digest('hex');
}

/** One named check of strict validation. */
export const ValidationCheck = z.object({
  name: z.string(),
  ok: z.boolean(),
  rc: z.number().int(),
  duration_s: z.number(),
  detail: z.string(),
});
export type ValidationCheck = z.infer<typeof ValidationCheck>;

/** The verdict of strict validation. */
export const ValidationResult = z.object({
  ok: z.boolean(),
  stage: SynthesisStage,
  reason: SynthesisReason.nullable(),
  message: z.string(),
  checks: z.array(ValidationCheck),
  benchmarks: z.array(z.string()).describe('every discovered benchmark, sorted'),
  quick_benchmarks: z.array(z.string()).describe('the benchmarks of the quick run'),
  benchmarks_excluded: z
    .array(z.object({ module: z.string(), error: z.string() }))
    .default([])
    .describe('benchmark modules left out offline because they failed to import, with the error'),
  quick_failed: z
    .array(z.string())
    .default([])
    .describe('quick-run benchmarks that failed or left no result while at least one other ran'),
  tests_collect_errors: z
    .string()
    .default('')
    .describe("pytest's summary when some test modules failed to collect while others collected"),
  timed_out: z.boolean(),
});
export type ValidationResult = z.infer<typeof ValidationResult>;

/** A registry entry: the context of one (owner, repo, sha) and how it went. */
export const RegistryEntry = z.object({
  context: BuildContext,
  context_hash: z.string(),
  status: z.enum(['validated', 'failed']),
  stage: SynthesisStage,
  reason: SynthesisReason.nullable(),
  image_name: z.string(),
  image_id: z.string().nullable(),
  benchmarks: z.array(z.string()),
  validation: ValidationResult.nullable(),
  attempts: z.array(SynthesisAttempt),
  updated_at: z.string(),
  commit_date: z
    .number()
    .optional()
    .describe('committer date of the base commit, unix seconds (orders similar contexts)'),
  exhausted: z
    .boolean()
    .optional()
    .describe('every candidate of the cascade was tried and failed (`--ignore-exhausted` skips the task)'),
});
export type RegistryEntry = z.infer<typeof RegistryEntry>;

/** The fields of the original's `Task` key, as its repr wrote them (reference §1.2). */
export const LegacyTask = z.object({
  owner: z.string(),
  repo: z.string(),
  sha: z.string().nullable().describe('null for a repository-level context'),
  commit_date: z.number().describe('unix seconds (float in Python)'),
  env_payload: z.string().optional(),
  python_version: z.string().optional(),
  tag: z.string().optional(),
  benchmarks: z.string().optional(),
  repr_fields: z.array(z.string()).describe('the fields the repr had, in order (old keys have four)'),
});
export type LegacyTask = z.infer<typeof LegacyTask>;

/** One context of the original's registry v2, kept verbatim so that export gives the same file back. */
export const LegacyContext = z.object({
  task: LegacyTask,
  context: z
    .record(z.string(), z.union([z.string(), z.number(), z.null()]))
    .describe('the original fields: building_data (the pkg script), dockerfile_data, …, created_unix'),
});
export type LegacyContext = z.infer<typeof LegacyContext>;

/** What `datasmith contexts import` took from an original registry file. */
export const LegacyRegistry = z.object({
  version: z.number().nullable().describe('the top-level version of the source file (null when it had none)'),
  default: z.unknown().optional().describe('a top-level `default` context, kept verbatim'),
  contexts: z.record(z.string(), LegacyContext).describe('keyed `owner/repo/sha` (`owner/repo/-` without a sha)'),
});
export type LegacyRegistry = z.infer<typeof LegacyRegistry>;

/** Our context registry file (`--contexts`): entries keyed `owner/repo/sha`. */
export const ContextRegistryFile = z.object({
  format: z.literal('datasmith-context-registry'),
  version: z.literal(1),
  entries: z.record(z.string(), RegistryEntry),
  legacy: LegacyRegistry.optional().describe("contexts imported from the original's registry v2"),
});
export type ContextRegistryFile = z.infer<typeof ContextRegistryFile>;

/** The registry key of a task. */
export function registryKey(owner: string, repo: string, sha: string): string {
  return `${owner}/${repo}/${sha}`;
}
