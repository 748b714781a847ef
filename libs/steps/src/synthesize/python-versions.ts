/** First-release dates of CPython minor versions (UTC), oldest first. */
export const PYTHON_RELEASES: ReadonlyArray<readonly [string, string]> = [
  ['3.6', '2016-12-23'],
  ['3.7', '2018-06-27'],
  ['3.8', '2019-10-14'],
  ['3.9', '2020-10-05'],
  ['3.10', '2021-10-04'],
  ['3.11', '2022-10-24'],
  ['3.12', '2023-10-02'],
  ['3.13', '2024-10-07'],
  ['3.14', '2025-10-07'],
];

/** Months a new Python needs before projects' dependencies support it. */
const ADOPTION_LAG_DAYS = 180;

function versionKey(v: string): number {
  const [major = '0', minor = '0'] = v.split('.');
  return Number(major) * 1000 + Number(minor);
}

/** Lower and upper bounds from a `requires-python` specifier such as `>=3.9,<3.13`. */
export function parsePythonBounds(spec: string | null): { min: string | null; maxExclusive: string | null } {
  if (!spec) return { min: null, maxExclusive: null };
  let min: string | null = null;
  let maxExclusive: string | null = null;
  for (const part of spec.split(',')) {
    const m = /^\s*(>=|>|<=|<|==|~=)\s*(\d+)\.(\d+)/.exec(part);
    if (!m) continue;
    const v = `${m[2]}.${m[3]}`;
    if (m[1] === '>=' || m[1] === '~=' || m[1] === '==') min = v;
    else if (m[1] === '>') min = `${m[2]}.${Number(m[3]) + 1}`;
    else if (m[1] === '<') maxExclusive = v;
    else if (m[1] === '<=') maxExclusive = `${m[2]}.${Number(m[3]) + 1}`;
  }
  return { min, maxExclusive };
}

/**
 * The Python a task asks for: the newest version that the asv config lists (all known versions when
 * it lists none), that `requires-python` allows, and that had been out for ~6 months at the commit
 * date. Falls back to the oldest allowed candidate when none was out yet.
 */
export function choosePythonVersion(options: {
  asvPythons: readonly string[];
  requiresPython: string | null;
  commitDate: Date;
}): string {
  const known = new Map(PYTHON_RELEASES.map(([v, d]) => [v, new Date(`${d}T00:00:00Z`)]));
  const listed = options.asvPythons
    .map((v) => /^(\d+)\.(\d+)/.exec(String(v)))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}.${m[2]}`);
  let candidates = listed.length > 0 ? [...new Set(listed)] : PYTHON_RELEASES.map(([v]) => v);
  const { min, maxExclusive } = parsePythonBounds(options.requiresPython);
  const allowed = candidates.filter(
    (v) => (!min || versionKey(v) >= versionKey(min)) && (!maxExclusive || versionKey(v) < versionKey(maxExclusive)),
  );
  if (allowed.length > 0) candidates = allowed;
  candidates.sort((a, b) => versionKey(a) - versionKey(b));
  const cutoff = options.commitDate.getTime() - ADOPTION_LAG_DAYS * 86_400_000;
  const released = candidates.filter((v) => {
    const date = known.get(v);
    return date === undefined ? false : date.getTime() <= cutoff;
  });
  return released[released.length - 1] ?? candidates[0] ?? '3.11';
}
