// The code a step hashes must be exactly the code it runs (issue 14). The files a step's command
// transitively imports are computed here independently of the plugin: TypeScript's own module
// resolution and type checker (which follows each imported name through the package indexes to the
// module that declares it). They are compared with the files the plugin's declared inputs match,
// expanded over the workspace's files the way Nx globs them.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { join, matchesGlob, relative, sep } from 'node:path';
import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_REGISTRY, CodeGraph, isTestFile } from './code-inputs';
import { GLOBAL_PROJECTS, GLOBAL_STEPS, type PipelineStep, REPO_STEPS, createDatasmithProjects } from './index';
import { MAIN_ROOT, TestWorkspace } from './test-workspace';

const STEPS: PipelineStep[] = [...GLOBAL_STEPS, ...REPO_STEPS];
const ENTRY = 'libs/cli/bin/datasmith.js';
const CONFIG_FLAGS = 'tools/nx-plugin/config-flags.cjs';
const REPO = 'o1/alpha';

const rel = (abs: string) => relative(MAIN_ROOT, abs).split(sep).join('/');
const isCode = (file: string) => /\.[cm]?[jt]s$/.test(file);

/** The closure of one step, by TypeScript: modules loaded and npm packages imported. */
interface Closure {
  modules: Set<string>;
  packages: Set<string>;
}

let program: ts.Program;
let checker: ts.TypeChecker;
let compilerOptions: ts.CompilerOptions;

function sourceFile(file: string): ts.SourceFile {
  const source = program.getSourceFile(join(MAIN_ROOT, file));
  if (!source) throw new Error(`not in the TypeScript program: ${file}`);
  return source;
}

/** The workspace file a specifier names, or the npm package, or null for a node built-in. */
function resolveWithTypeScript(from: string, spec: string): { file: string } | { pkg: string } | null {
  if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) return null;
  const resolved = ts.resolveModuleName(spec, join(MAIN_ROOT, from), compilerOptions, ts.sys).resolvedModule;
  const file = resolved ? rel(resolved.resolvedFileName) : null;
  if (file && !file.startsWith('..') && !file.includes('node_modules/')) return { file };
  if (spec.startsWith('.')) throw new Error(`unresolved ${spec} in ${from}`);
  return { pkg: spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]! };
}

/**
 * What running `datasmith <step>` loads for the step's own work: the entry and everything its
 * runtime imports reach (type-only imports are erased), where an imported name is followed through
 * re-exports to its declaration by the type checker; the command registry leads only to the
 * step's command.
 */
function importClosure(step: PipelineStep, command: string): Closure {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const whole = new Set<string>();

  const load = (file: string, everything: boolean): void => {
    if (everything) {
      if (whole.has(file)) return;
      whole.add(file);
    }
    const first = !modules.has(file);
    modules.add(file);
    if (file.endsWith('.json')) return;
    const source = sourceFile(file);
    const visitModule = (spec: string, then: (target: string) => void) => {
      if (file === COMMAND_REGISTRY && /^\.\/[^/]+$/.test(spec) && spec !== `./${step}`) return;
      const target = resolveWithTypeScript(file, spec);
      if (target === null) return;
      if ('pkg' in target) packages.add(target.pkg);
      else then(target.file);
    };
    for (const statement of source.statements) {
      if (first && ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const clause = statement.importClause;
        if (clause?.isTypeOnly) continue;
        const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings : null;
        const values = named?.elements.filter((e) => !e.isTypeOnly) ?? [];
        if (clause && !clause.name && named && values.length === 0) continue; // only `type` names: erased
        visitModule(statement.moduleSpecifier.text, (target) => {
          if (!clause || (clause.namedBindings && ts.isNamespaceImport(clause.namedBindings))) {
            load(target, clause !== undefined);
            return;
          }
          load(target, false);
          for (const name of [...(clause.name ? [clause.name] : []), ...values.map((e) => e.name)]) {
            followAlias(checker.getSymbolAtLocation(name));
          }
        });
      } else if (
        everything &&
        ts.isExportDeclaration(statement) &&
        !statement.isTypeOnly &&
        statement.moduleSpecifier &&
        ts.isStringLiteral(statement.moduleSpecifier)
      ) {
        visitModule(statement.moduleSpecifier.text, (target) => load(target, true));
      }
    }
    if (!first) return;
    // `import('x')` and a package loaded on first use with `require('x')` (from createRequire).
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
          (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
        node.arguments[0] &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        visitModule(node.arguments[0].text, (target) => load(target, true));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  };

  /** Loads every module an imported name passes through, down to the one that declares it. */
  const followAlias = (symbol: ts.Symbol | undefined): void => {
    let current = symbol;
    while (current && current.flags & ts.SymbolFlags.Alias) {
      current = checker.getImmediateAliasedSymbol(current);
      for (const declaration of current?.declarations ?? []) {
        const file = rel(declaration.getSourceFile().fileName);
        if (file.startsWith('..') || file.includes('node_modules/')) continue;
        load(file, ts.isSourceFile(declaration));
      }
    }
  };

  load(ENTRY, true);
  // A script the target's command runs besides the CLI (the config-flags helper) is code too.
  if (command.includes(CONFIG_FLAGS)) load(CONFIG_FLAGS, true);
  return { modules, packages };
}

/** The workspace's files as Nx sees them: tracked plus untracked, minus git-ignored. */
function workspaceFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: MAIN_ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => file !== '' && !file.startsWith('data/'));
}

/** What changes a target's hash: the workspace files its fileset inputs match, and its npm packages. */
function declared(
  target: TargetConfiguration,
  files: readonly string[],
): { files: Set<string>; packages: Set<string> } {
  const patterns = (target.inputs ?? []).filter((input): input is string => typeof input === 'string');
  const strip = (pattern: string) => pattern.replace(/^!?\{workspaceRoot\}\//, '');
  const positive = patterns.filter((p) => !p.startsWith('!')).map(strip);
  const negative = patterns.filter((p) => p.startsWith('!')).map(strip);
  const matched = files.filter(
    (file) => positive.some((p) => p === file || matchesGlob(file, p)) && !negative.some((p) => matchesGlob(file, p)),
  );
  const packages = (target.inputs ?? []).flatMap((input) =>
    typeof input === 'object' && 'externalDependencies' in input ? input.externalDependencies : [],
  );
  return { files: new Set(matched), packages: new Set(packages) };
}

/** The plugin's target of every step, for a workspace with one repository. */
function targetsOfEveryStep(): Record<PipelineStep, TargetConfiguration> {
  const dir = mkdtempSync(join(tmpdir(), 'datasmith-code-inputs-'));
  const list = join(dir, 'repos.csv');
  writeFileSync(list, `repo_name\n${REPO}\n`);
  try {
    const projects = Object.values(
      createDatasmithProjects(
        { steps: STEPS },
        { workspaceRoot: MAIN_ROOT },
        { DATASMITH_CONFIG: 'datasmith.config.json', DATASMITH_REPOS: list },
      ).projects as Record<string, ProjectConfiguration>,
    );
    const byName = Object.fromEntries(projects.map((p) => [p.name, p]));
    const repoProject = `repo-${REPO.replace('/', '__')}`;
    return Object.fromEntries(
      STEPS.map((step) => {
        const project = (GLOBAL_STEPS as readonly string[]).includes(step)
          ? GLOBAL_PROJECTS[step as (typeof GLOBAL_STEPS)[number]]
          : repoProject;
        return [step, byName[project]!.targets![step]!];
      }),
    ) as Record<PipelineStep, TargetConfiguration>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let files: string[];
let targets: Record<PipelineStep, TargetConfiguration>;
const closures = new Map<PipelineStep, Closure>();
const hashed = new Map<PipelineStep, { files: Set<string>; packages: Set<string> }>();

beforeAll(() => {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(MAIN_ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  compilerOptions = { ...config.options, allowJs: true, noEmit: true };
  program = ts.createProgram([join(MAIN_ROOT, ENTRY), join(MAIN_ROOT, CONFIG_FLAGS)], compilerOptions);
  checker = program.getTypeChecker();
  files = workspaceFiles();
  targets = targetsOfEveryStep();
  for (const step of STEPS) {
    closures.set(step, importClosure(step, String(targets[step].options?.command ?? '')));
    hashed.set(step, declared(targets[step], files));
  }
}, 120_000);

describe("a step's code inputs", () => {
  it('publish hashes the registry push code it imports (libs/registry/src/push.ts)', () => {
    expect(closures.get('publish')!.modules).toContain('libs/registry/src/push.ts');
    expect(hashed.get('publish')!.files).toContain('libs/registry/src/push.ts');
  });

  it('scrape-repos hashes the asv-config path rule it imports (libs/steps/src/collect/path-rules.ts)', () => {
    expect(closures.get('scrape-repos')!.modules).toContain('libs/steps/src/collect/path-rules.ts');
    expect(hashed.get('scrape-repos')!.files).toContain('libs/steps/src/collect/path-rules.ts');
  });

  it('no step hashes a test, a test helper or a testing/ module', () => {
    for (const step of STEPS) {
      const tests = [...hashed.get(step)!.files].filter(isTestFile);
      expect(tests, step).toEqual([]);
    }
    expect(hashed.get('collect')!.files).not.toContain('libs/cli/src/commands/cli-test-helpers.ts');
  });

  it.each(STEPS)('%s hashes exactly the modules its command transitively imports', (step) => {
    const imported = [...closures.get(step)!.modules].sort();
    const code = [...hashed.get(step)!.files].filter(isCode).sort();
    expect({
      step,
      missing: imported.filter((f) => !code.includes(f)),
      extra: code.filter((f) => !imported.includes(f)),
    }).toEqual({ step, missing: [], extra: [] });
  });

  it.each(STEPS)('%s hashes the package.json of every package it loads, and no other', (step) => {
    const owners = new Set(
      [...closures.get(step)!.modules]
        .map((file) => file.split('/').slice(0, 2).join('/'))
        .map((d) => `${d}/package.json`),
    );
    const manifests = [...hashed.get(step)!.files].filter((f) => f.endsWith('/package.json'));
    expect(manifests.sort()).toEqual([...owners].filter((f) => files.includes(f)).sort());
  });

  it.each(STEPS)('%s hashes exactly the npm packages its code imports', (step) => {
    expect([...hashed.get(step)!.packages].sort()).toEqual([...closures.get(step)!.packages].sort());
  });

  it('hashes the files a step reads next to its code: prompts, templates, learned weights', () => {
    const classify = hashed.get('classify')!.files;
    for (const file of [
      'libs/steps/src/classify/prompts/v1/system.md',
      'libs/steps/src/classify/prompts/v1/user.md',
      'libs/steps/src/classify/templates/final.md',
    ]) {
      expect(classify).toContain(file);
      expect(hashed.get('collect')!.files).not.toContain(file);
    }
    // The learned model: a change recomputes prepare (gate) and classify (--rules-model learned), never collect.
    const weights = 'libs/steps/src/prepare/learned-weights.json';
    expect(hashed.get('prepare')!.files).toContain(weights);
    expect(hashed.get('classify')!.files).toContain(weights);
    expect(hashed.get('collect')!.files).not.toContain(weights);
    // Every other file a step hashes is one of its modules or manifests.
    for (const step of STEPS) {
      const other = [...hashed.get(step)!.files].filter((f) => !isCode(f) && !f.endsWith('/package.json'));
      for (const file of other) expect(file, step).toMatch(/^libs\/steps\/src\/(classify|prepare)\//);
    }
  });

  it('hashes every data file of a step folder (outside tests and READMEs) in some step', () => {
    const all = new Set(STEPS.flatMap((step) => [...hashed.get(step)!.files]));
    const data = files.filter(
      (f) => /^libs\/steps\/src\/[^/]+\/.+/.test(f) && !isCode(f) && !isTestFile(f) && !f.endsWith('README.md'),
    );
    expect(data.length).toBeGreaterThan(0);
    expect(data.filter((f) => !all.has(f))).toEqual([]);
  });

  it('keeps prepare and collect free of classify code and of the LLM client (spec §2, semantic 3)', () => {
    for (const step of ['collect', 'prepare'] as const) {
      const code = [...hashed.get(step)!.files];
      expect(
        code.filter((f) => f.startsWith('libs/steps/src/classify/') || f.startsWith('libs/llm/')),
        step,
      ).toEqual([]);
      expect([...hashed.get(step)!.packages], step).not.toContain('openai');
    }
  });
});

describe('test code stays out of production', () => {
  const packages = readdirSync(join(MAIN_ROOT, 'libs')).filter((lib) =>
    existsSync(join(MAIN_ROOT, 'libs', lib, 'src', 'index.ts')),
  );

  it.each(packages)('the index of libs/%s loads no test, fake or fixture module', (lib) => {
    const graph = new CodeGraph(MAIN_ROOT);
    const { files: loaded } = graph.stepCode([`libs/${lib}/src/index.ts`], '');
    expect(loaded.filter(isTestFile)).toEqual([]);
  });

  it('every testing/ entry point is the `./testing` export of its package', () => {
    const entries = files.filter((f) => /^libs\/[^/]+\/src\/testing\/index\.ts$/.test(f));
    expect(entries.length).toBeGreaterThanOrEqual(7);
    for (const entry of entries) {
      const lib = entry.split('/')[1]!;
      const manifest = JSON.parse(readFileSync(join(MAIN_ROOT, 'libs', lib, 'package.json'), 'utf8')) as {
        exports: Record<string, string>;
      };
      expect(manifest.exports, lib).toMatchObject({ '.': './src/index.ts', './testing': './src/testing/index.ts' });
    }
  });
});

/** Prints `{ taskId: hash }` for every target of one month, as Nx hashes tasks before running them. */
const HASH_SCRIPT = `
const root = process.cwd();
const r = (m) => require(require.resolve(m, { paths: [root] }));
(async () => {
  const { createProjectGraphAsync } = r('nx/src/project-graph/project-graph');
  const { readNxJson } = r('nx/src/config/configuration');
  const { createTaskGraph } = r('nx/src/tasks-runner/create-task-graph');
  const { createTaskHasher } = r('nx/src/hasher/create-task-hasher');
  const { hashTasks, getTaskDetails } = r('nx/src/hasher/hash-task');
  const graph = await createProjectGraphAsync({ exitOnError: true });
  const targets = ${JSON.stringify(STEPS)};
  const projects = Object.keys(graph.nodes).filter((n) => targets.some((t) => graph.nodes[n].data.targets?.[t]));
  const taskGraph = createTaskGraph(graph, {}, projects, targets, undefined, { month: '2024-01' });
  const tasks = Object.values(taskGraph.tasks);
  const hasher = createTaskHasher(graph, readNxJson(root), {});
  const envs = Object.fromEntries(tasks.map((t) => [t.id, process.env]));
  await hashTasks(hasher, graph, taskGraph, envs, getTaskDetails(), tasks);
  process.stdout.write(JSON.stringify(Object.fromEntries(tasks.map((t) => [t.id, t.hash]))));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('Nx task hashes in a copy of the workspace (end to end)', { timeout: 300_000 }, () => {
  let ws: TestWorkspace;

  beforeAll(() => {
    ws = new TestWorkspace('datasmith-code-inputs-', STEPS);
    ws.write('datasmith.config.json', JSON.stringify({ source: 'store', store: 'data/store', repos: [REPO] }));
    ws.write('hash-tasks.cjs', HASH_SCRIPT);
    ws.commitAll('workspace');
  });

  afterAll(() => ws?.dispose());

  function hashes(): Record<string, string> {
    const env: NodeJS.ProcessEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', CI: 'true' };
    for (const key of ['DATASMITH_CONFIG', 'DATASMITH_REPOS', 'NX_CACHE_DIRECTORY']) delete env[key];
    const out = execFileSync(process.execPath, ['hash-tasks.cjs'], { cwd: ws.root, encoding: 'utf8', env });
    return JSON.parse(out) as Record<string, string>;
  }

  /** The tasks whose hash changes when a comment is appended to `file` (the file is restored after). */
  function changedBy(file: string, before: Record<string, string>): string[] {
    const original = readFileSync(ws.path(file), 'utf8');
    appendFileSync(ws.path(file), '\n// touched by code-inputs.test.ts\n');
    try {
      const after = hashes();
      return Object.keys(after)
        .filter((task) => after[task] !== before[task])
        .sort();
    } finally {
      writeFileSync(ws.path(file), original);
    }
  }

  /** The tasks whose step imports `file`, by the TypeScript closure above. */
  function importers(file: string): string[] {
    const project = (step: PipelineStep) =>
      (GLOBAL_STEPS as readonly string[]).includes(step)
        ? GLOBAL_PROJECTS[step as (typeof GLOBAL_STEPS)[number]]
        : `repo-${REPO.replace('/', '__')}`;
    return STEPS.filter((step) => closures.get(step)!.modules.has(file))
      .map((step) => `${project(step)}:${step}`)
      .sort();
  }

  it('re-hashes exactly the steps that import an edited file, and none for a test helper', () => {
    const before = hashes();
    expect(Object.keys(before).length).toBe(STEPS.length);
    expect(hashes()).toEqual(before);

    const push = changedBy('libs/registry/src/push.ts', before);
    expect(push).toContain('repo-o1__alpha:publish');
    expect(push).toEqual(importers('libs/registry/src/push.ts'));

    const pathRules = changedBy('libs/steps/src/collect/path-rules.ts', before);
    expect(pathRules).toContain('repos:scrape-repos');
    expect(pathRules).toEqual(importers('libs/steps/src/collect/path-rules.ts'));

    expect(changedBy('libs/cli/src/commands/cli-test-helpers.ts', before)).toEqual([]);
    expect(hashes()).toEqual(before);
  });
});
