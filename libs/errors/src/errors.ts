/** Stable error codes: scripts and tests match on these, never on message text. */
export type ErrorCode =
  | 'E_INPUT'
  | 'E_INPUT_SCHEMA'
  | 'E_CONFIG'
  | 'E_REMOTE'
  | 'E_GIT'
  | 'E_DOCKER'
  | 'E_LOCKED'
  | 'E_INTERNAL';

export interface DatasmithErrorOptions {
  cause?: unknown;
}

/**
 * Base of every error datasmith throws on purpose. Messages are one line and name the file, row and
 * field involved, ending with the fix when there is one. Guards match on `name` as well as the
 * prototype, because errors that cross a process boundary (Nx workers) lose their class.
 */
export class DatasmithError extends Error {
  readonly code: ErrorCode;
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;

  constructor(code: ErrorCode, message: string, options: DatasmithErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad user input: a file, a row, a flag. Exit code 2. */
export class InputError extends DatasmithError {
  override readonly exitCode = 2;
  readonly file?: string;
  constructor(message: string, options: DatasmithErrorOptions & { file?: string; code?: ErrorCode } = {}) {
    super(options.code ?? 'E_INPUT', message, options);
    this.file = options.file;
  }
}

/** A table row or column that does not match its schema. */
export class SchemaError extends InputError {
  constructor(message: string, options: DatasmithErrorOptions & { file?: string } = {}) {
    super(message, { ...options, code: 'E_INPUT_SCHEMA' });
  }
}

/** datasmith.config.json, tokens.env or a flag combination is invalid. */
export class ConfigError extends InputError {
  readonly issues: string[];
  constructor(message: string, options: DatasmithErrorOptions & { file?: string; issues?: string[] } = {}) {
    super(message, { ...options, code: 'E_CONFIG' });
    this.issues = options.issues ?? [];
  }
}

/** A remote service failed after its retry policy. `url` is always redacted. */
export class RemoteError extends DatasmithError {
  readonly status: number;
  readonly url: string;
  constructor(message: string, options: DatasmithErrorOptions & { status?: number; url?: string } = {}) {
    super('E_REMOTE', message, options);
    this.status = options.status ?? 0;
    this.url = redactUrl(options.url ?? '');
  }
}

/** git exited non-zero; carries the last stderr lines. */
export class GitError extends DatasmithError {
  readonly gitExitCode: number | null;
  readonly stderr: string;
  constructor(message: string, options: DatasmithErrorOptions & { gitExitCode?: number | null; stderr?: string } = {}) {
    super('E_GIT', message, options);
    this.gitExitCode = options.gitExitCode ?? null;
    this.stderr = options.stderr ?? '';
  }
}

/** The Docker engine failed or reported an error event. */
export class DockerError extends DatasmithError {
  constructor(message: string, options: DatasmithErrorOptions = {}) {
    super('E_DOCKER', message, options);
  }
}

/** Another run holds the lock. */
export class LockedError extends DatasmithError {
  override readonly exitCode = 3;
  constructor(message: string, options: DatasmithErrorOptions = {}) {
    super('E_LOCKED', message, options);
  }
}

/** A bug: this should never happen. */
export class InternalError extends DatasmithError {
  constructor(message: string, options: DatasmithErrorOptions = {}) {
    super('E_INTERNAL', `${message} (this is a bug in datasmith; please open an issue)`, options);
  }
}

const ERROR_NAMES = new Set([
  'DatasmithError',
  'InputError',
  'SchemaError',
  'ConfigError',
  'RemoteError',
  'GitError',
  'DockerError',
  'LockedError',
  'InternalError',
]);

/** True for any DatasmithError, also one whose prototype was lost crossing a process boundary. */
export function isDatasmithError(error: unknown): error is DatasmithError {
  return (
    error instanceof DatasmithError ||
    (error instanceof Error && ERROR_NAMES.has(error.name) && typeof (error as { code?: unknown }).code === 'string')
  );
}

const SECRET_PATTERNS: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bhf_[A-Za-z0-9]{20,}\b/g,
  /\bsk-[A-Za-z0-9_-]{16,}\b/g,
  /\bdckr_pat_[A-Za-z0-9_-]{10,}\b/g,
];

/** Replaces anything that looks like a token with `***`. */
export function redactSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of extraSecrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('***');
  }
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '***');
  return out;
}

/** Removes credentials and token-like query values from a URL string. */
export function redactUrl(url: string): string {
  if (!url) return url;
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
    }
    for (const key of [...parsed.searchParams.keys()]) {
      if (/token|key|secret|password|auth/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return redactSecrets(parsed.toString());
  } catch {
    return redactSecrets(url);
  }
}
