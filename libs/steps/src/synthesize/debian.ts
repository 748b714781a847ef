import { satisfies, valid } from '@renovatebot/pep440';
import { requirementName } from './facts';
import { PYTHON_RELEASES } from './python-versions';

/** What a base image's Debian release offers the rules: its packages and dh-python's name table. */
export interface DebianIndex {
  /** Codename, e.g. `bookworm`. */
  release: string;
  /** `major.minor` of the release's python3. */
  pythonVersion: string;
  /** Package → Debian version, from the release's package index. */
  versions: ReadonlyMap<string, string>;
  /** Normalised PyPI distribution name → Debian package (dh-python's cpython3_fallback). */
  fallback: ReadonlyMap<string, string>;
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Parses dh-python's `cpython3_fallback` (`<distribution> <package>` per line). */
export function parseDhPythonFallback(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [dist, pkg] = line.trim().split(/\s+/);
    if (!dist || !pkg || dist.startsWith('#')) continue;
    const key = normalize(dist);
    if (!out.has(key)) out.set(key, pkg);
  }
  return out;
}

/** Parses a base image's package index (`<package>\t<version>` per line); the highest version wins. */
export function parsePackageIndex(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [pkg, version] = line.split('\t');
    if (pkg && version) out.set(pkg.trim(), version.trim());
  }
  return out;
}

/** The upstream part of a Debian version: `1:2.2.4+ds-1~bpo12+1` → `2.2.4`. */
export function upstreamVersion(debianVersion: string): string {
  let v = debianVersion.replace(/^\d+:/, '');
  const dash = v.lastIndexOf('-');
  if (dash > 0) v = v.slice(0, dash);
  v = v.replace(/[+~].*$/, '');
  return v;
}

/** Evaluates the environment marker of a requirement for Linux CPython `pythonVersion`; unknown terms count as true. */
export function markerApplies(marker: string, pythonVersion: string): boolean {
  const vars: Record<string, string> = {
    python_version: pythonVersion,
    python_full_version: `${pythonVersion}.0`,
    sys_platform: 'linux',
    platform_system: 'Linux',
    os_name: 'posix',
    implementation_name: 'cpython',
    platform_python_implementation: 'CPython',
    platform_machine: 'x86_64',
  };
  const term =
    /(\w+)\s*(===|==|!=|<=|>=|<|>|~=|not in|in)\s*(['"])([^'"]*)\3|(['"])([^'"]*)\5\s*(===|==|!=|<=|>=|<|>|~=|not in|in)\s*(\w+)/g;
  let unknown = false;
  const booleanText = marker.replace(term, (...m: string[]) => {
    const [name, op, value] = m[1] ? [m[1], m[2], m[4]] : [m[8], m[7], m[6]];
    const left = vars[name as string];
    if (left === undefined) {
      if (name === 'extra') return 'False';
      unknown = true;
      return 'True';
    }
    const l = m[1] ? left : (value as string);
    const r = m[1] ? (value as string) : left;
    let ok: boolean;
    if (op === 'in') ok = r.includes(l);
    else if (op === 'not in') ok = !r.includes(l);
    else if (op === '==' || op === '===') ok = name?.startsWith('python') ? versionCmp(l, r) === 0 : l === r;
    else if (op === '!=') ok = name?.startsWith('python') ? versionCmp(l, r) !== 0 : l !== r;
    else {
      const c = versionCmp(l, r);
      ok = op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
    }
    return ok ? 'True' : 'False';
  });
  void unknown;
  const tokens = booleanText.replace(/\(/g, ' ( ').replace(/\)/g, ' ) ').split(/\s+/).filter(Boolean);
  let pos = 0;
  const parseOr = (): boolean => {
    let v = parseAnd();
    while (tokens[pos] === 'or') {
      pos++;
      const r = parseAnd();
      v = v || r;
    }
    return v;
  };
  const parseAnd = (): boolean => {
    let v = parseAtom();
    while (tokens[pos] === 'and') {
      pos++;
      const r = parseAtom();
      v = v && r;
    }
    return v;
  };
  const parseAtom = (): boolean => {
    const t = tokens[pos++];
    if (t === '(') {
      const v = parseOr();
      pos++;
      return v;
    }
    return t !== 'False';
  };
  return parseOr();
}

function versionCmp(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A declared requirement split into name, specifier and marker. */
export interface ParsedRequirement {
  text: string;
  name: string;
  specifier: string;
  marker: string | null;
}

/** Splits a PEP 508 requirement (`name[extra] (>=1,<2) ; marker`); null for URLs, paths and options. */
export function parseRequirement(text: string): ParsedRequirement | null {
  const [body = '', ...markerParts] = text.split(';');
  const marker = markerParts.join(';').trim() || null;
  const name = requirementName(body);
  if (!name || /@|:\/\//.test(body)) return null;
  const specifier = body
    .replace(/^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?/, '')
    .replace(/[()\s]/g, '')
    .trim();
  return { text: text.trim(), name, specifier, marker };
}

/** How one requirement maps onto a release. */
export interface RequirementMapping {
  requirement: string;
  name: string;
  /** The Debian package that provides it, when the release has one. */
  package: string | null;
  /** The package's upstream version in the release. */
  version: string | null;
  /** Whether that version satisfies the requirement's specifier (null: not mapped or not comparable). */
  satisfied: boolean | null;
}

/** Debian's name for a distribution: dh-python's table, else the `python3-<name>` convention, checked against the index. */
export function debianPackageFor(name: string, index: DebianIndex): string | null {
  const key = normalize(name);
  const candidates = [index.fallback.get(key), `python3-${key}`, `python3-${key.replace(/^py(?=[a-z])/, '')}`];
  for (const c of candidates) if (c && index.versions.has(c)) return c;
  return null;
}

/**
 * Maps declared requirements onto a release: the Debian packages to install, the requirements
 * without a package (warned, never silently dropped), and the mapped ones whose version does not
 * satisfy the specifier. Requirements whose marker excludes Linux CPython of the release are skipped;
 * `exclude` names distributions never installed from Debian (the project itself).
 */
export function mapRequirements(
  requirements: readonly string[],
  index: DebianIndex,
  exclude: readonly string[] = [],
): { packages: string[]; unmapped: string[]; unsatisfied: RequirementMapping[]; mappings: RequirementMapping[] } {
  const skip = new Set(exclude.map(normalize));
  const mappings: RequirementMapping[] = [];
  const seen = new Set<string>();
  for (const text of requirements) {
    const req = parseRequirement(text);
    if (!req || skip.has(req.name)) continue;
    if (req.marker && !markerApplies(req.marker, index.pythonVersion)) continue;
    const key = `${req.name} ${req.specifier}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pkg = debianPackageFor(req.name, index);
    const debVersion = pkg ? index.versions.get(pkg) : undefined;
    const version = debVersion ? upstreamVersion(debVersion) : null;
    let satisfied: boolean | null = null;
    if (version && req.specifier) {
      try {
        satisfied = valid(version) ? satisfies(version, req.specifier) : null;
      } catch {
        satisfied = null;
      }
    } else if (version) satisfied = true;
    mappings.push({ requirement: req.text, name: req.name, package: pkg, version, satisfied });
  }
  const packages = [...new Set(mappings.flatMap((m) => (m.package ? [m.package] : [])))].sort();
  const unmapped = [...new Set(mappings.filter((m) => !m.package).map((m) => m.name))].sort();
  return { packages, unmapped, unsatisfied: mappings.filter((m) => m.satisfied === false), mappings };
}

/** A release a task may be built on. */
export interface ReleaseCandidate {
  release: string;
  /** First release date, `YYYY-MM-DD`. */
  released: string;
  index: DebianIndex;
}

/** Why a release was chosen: its penalty and the parts of it. */
export interface ReleaseScore {
  release: string;
  penalty: number;
  notes: string[];
}

/**
 * Chooses the release for a commit: its Python must satisfy `requires-python` (else a large
 * penalty), each requirement whose Debian version misses the declared specifier costs 10, a Python
 * that did not exist yet at the commit date costs 5 (code of 2024 rarely builds on a 2025 Python),
 * a Python the asv config does not list costs 1, and each year the release is older than the commit
 * costs 1 (newer code wants newer packages). The lowest penalty wins; ties go to the older release.
 */
export function chooseRelease(
  candidates: readonly ReleaseCandidate[],
  input: {
    requiresPython: string | null;
    asvPythons: readonly string[];
    requirements: readonly string[];
    commitDate: Date;
    exclude?: readonly string[];
  },
): { release: string; scores: ReleaseScore[] } {
  if (candidates.length === 0) throw new Error('no Debian release to choose from');
  const pythonReleased = new Map(PYTHON_RELEASES.map(([v, d]) => [v, Date.parse(`${d}T00:00:00Z`)]));
  const listed = input.asvPythons.map((v) => /^(\d+\.\d+)/.exec(String(v))?.[1]).filter(Boolean);
  const scores = candidates.map((c) => {
    const notes: string[] = [];
    let penalty = 0;
    const py = c.index.pythonVersion;
    if (input.requiresPython) {
      let ok = true;
      try {
        ok = satisfies(`${py}.0`, input.requiresPython.replace(/\s+/g, ''));
      } catch {
        ok = true;
      }
      if (!ok) {
        penalty += 1000;
        notes.push(`python ${py} outside requires-python ${input.requiresPython}`);
      }
    }
    const pyDate = pythonReleased.get(py);
    if (pyDate !== undefined && pyDate > input.commitDate.getTime()) {
      penalty += 5;
      notes.push(`python ${py} released after the commit`);
    }
    if (listed.length > 0 && !listed.includes(py)) {
      penalty += 1;
      notes.push(`python ${py} not in asv pythons`);
    }
    const { unsatisfied } = mapRequirements(input.requirements, c.index, input.exclude);
    if (unsatisfied.length > 0) {
      penalty += 10 * unsatisfied.length;
      notes.push(`unsatisfied: ${unsatisfied.map((u) => `${u.requirement} (has ${u.version})`).join(', ')}`);
    }
    const ageYears = (input.commitDate.getTime() - Date.parse(`${c.released}T00:00:00Z`)) / (365.25 * 86_400_000);
    if (ageYears > 0) {
      penalty += Math.round(ageYears * 10) / 10;
      notes.push(`release ${ageYears.toFixed(1)} years older than the commit`);
    }
    return { release: c.release, penalty: Math.round(penalty * 10) / 10, notes };
  });
  const best = scores.reduce((a, b) => (b.penalty < a.penalty ? b : a));
  return { release: best.release, scores };
}
