export type { ErrorCode, DatasmithErrorOptions } from './errors';
export {
  DatasmithError,
  InputError,
  SchemaError,
  ConfigError,
  RemoteError,
  GitError,
  DockerError,
  LockedError,
  InternalError,
  isDatasmithError,
  redactSecrets,
  redactUrl,
} from './errors';
