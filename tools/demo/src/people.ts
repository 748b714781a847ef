/**
 * The fixed cast of the demo repositories: names, emails, GitHub logins and time zones. Offsets are
 * fixed per person (with a simple summer-time rule where the place has one), so committer dates
 * carry a variety of offsets, including a half-hour one.
 */

/** A person who authors, merges or comments. */
export interface DemoPerson {
  readonly name: string;
  readonly email: string;
  readonly login: string;
  /** UTC offset in minutes outside summer time. */
  readonly standardOffset: number;
  /** UTC offset in minutes from April to October (UTC months), when the place observes summer time. */
  readonly summerOffset?: number;
}

/** Everyone in the demo histories, by id. `github` is the committer of web merges. */
export const PEOPLE = {
  asouza: { name: 'Ana Souza', email: 'ana.souza@example.org', login: 'asouza', standardOffset: -180 },
  kwatanabe: { name: 'Kenji Watanabe', email: 'kenji@example.jp', login: 'kwatanabe', standardOffset: 540 },
  lfischer: {
    name: 'Lena Fischer',
    email: 'lena.fischer@example.de',
    login: 'lfischer',
    standardOffset: 60,
    summerOffset: 120,
  },
  mjohnson: {
    name: 'Marcus Johnson',
    email: 'marcus@example.com',
    login: 'mjohnson',
    standardOffset: -300,
    summerOffset: -240,
  },
  praman: { name: 'Priya Raman', email: 'priya.raman@example.in', login: 'praman', standardOffset: 330 },
  tokafor: { name: 'Tom Okafor', email: 'tom@example.co.uk', login: 'tokafor', standardOffset: 0, summerOffset: 60 },
  smarin: {
    name: 'Sofia Marin',
    email: 'sofia.marin@example.es',
    login: 'smarin',
    standardOffset: 60,
    summerOffset: 120,
  },
  dcohen: { name: 'David Cohen', email: 'dcohen@example.net', login: 'dcohen', standardOffset: 120, summerOffset: 180 },
  wzhang: { name: 'Wei Zhang', email: 'wei.zhang@example.cn', login: 'wzhang', standardOffset: 480 },
  opetrova: { name: 'Olga Petrova', email: 'olga@example.org', login: 'opetrova', standardOffset: 180 },
  staylor: {
    name: 'Sam Taylor',
    email: 'sam.taylor@example.com',
    login: 'staylor',
    standardOffset: -480,
    summerOffset: -420,
  },
  jberg: { name: 'Jonas Berg', email: 'jonas.berg@example.se', login: 'jberg', standardOffset: 60, summerOffset: 120 },
  anwosu: { name: 'Amara Nwosu', email: 'amara@example.ng', login: 'anwosu', standardOffset: 60 },
  erossi: {
    name: 'Elena Rossi',
    email: 'elena.rossi@example.it',
    login: 'erossi',
    standardOffset: 60,
    summerOffset: 120,
  },
  nhaddad: { name: 'Noor Haddad', email: 'noor@example.org', login: 'nhaddad', standardOffset: 180 },
  github: { name: 'GitHub', email: 'noreply@github.com', login: 'web-flow', standardOffset: 0 },
} as const satisfies Record<string, DemoPerson>;

/** The key of a person in {@link PEOPLE}. */
export type PersonId = keyof typeof PEOPLE;

/** The offset (minutes east of UTC) `person` uses at the UTC instant `at`. */
export function offsetAt(person: DemoPerson, at: Date): number {
  const month = at.getUTCMonth();
  return person.summerOffset !== undefined && month >= 3 && month <= 9 ? person.summerOffset : person.standardOffset;
}

/** `+hhmm` / `-hhmm` for an offset in minutes. */
export function formatOffset(offsetMinutes: number, separator = ''): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${separator}${String(abs % 60).padStart(2, '0')}`;
}

/** git's raw date (`<unix seconds> <+hhmm>`) for an instant seen from `person`'s time zone. */
export function gitRawDate(at: Date, offsetMinutes: number): string {
  return `${Math.floor(at.getTime() / 1000)} ${formatOffset(offsetMinutes)}`;
}

/** GitHub's UTC timestamp format (`2024-05-01T12:00:00Z`). */
export function githubTime(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}
