/**
 * Lists every function, method and arrow function in production code under libs/ and tools/ whose body
 * spans more than a line limit (default 80), longest first. Tests (`*.test.ts`, `testing/`) are skipped.
 *
 * Usage: `node --import tsx tools/scripts/long-functions.ts [--max 80] [--check]`; with `--check` the
 * exit code is 1 when any function is over the limit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One function longer than the limit: where it is, what it is called and how many lines it spans. */
interface LongFunction {
  file: string;
  line: number;
  name: string;
  lines: number;
}

const roots = ['libs', 'tools'];
const skippedDirectories = new Set(['node_modules', 'data', '.nx', 'testing', 'dist']);

function isProductionSource(file: string): boolean {
  return file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.endsWith('.test.ts');
}

function listSourceFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirectories.has(entry.name)) files.push(...listSourceFiles(path));
    } else if (isProductionSource(path)) {
      files.push(path);
    }
  }
  return files;
}

function describeFunction(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    return parent.name.getText(source);
  }
  if (ts.isCallExpression(parent))
    return `<callback of ${parent.expression.getText(source).replace(/\s+/g, '').slice(0, 40)}>`;
  return '<anonymous>';
}

/** Functions in `source` whose text spans more than `maxLines` lines. */
function findLongFunctions(source: ts.SourceFile, file: string, maxLines: number): LongFunction[] {
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const declaration = node as ts.FunctionLikeDeclaration;
      const start = source.getLineAndCharacterOfPosition(declaration.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(declaration.getEnd()).line;
      const lines = end - start + 1;
      if (lines > maxLines) found.push({ file, line: start + 1, name: describeFunction(declaration, source), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function main(argv: string[]): number {
  const maxIndex = argv.indexOf('--max');
  const maxLines = maxIndex >= 0 ? Number(argv[maxIndex + 1]) : 80;
  const workspace = process.cwd();
  const found = roots
    .flatMap((root) => listSourceFiles(join(workspace, root)))
    .flatMap((path) => {
      const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
      return findLongFunctions(source, relative(workspace, path), maxLines);
    })
    .sort((a, b) => b.lines - a.lines);
  for (const f of found) console.log(`${String(f.lines).padStart(4)}  ${f.file}:${f.line}  ${f.name}`);
  console.log(`${found.length} function(s) over ${maxLines} lines`);
  return argv.includes('--check') && found.length > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
