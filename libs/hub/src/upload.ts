import { ConfigError, RemoteError, redactSecrets } from '@datasmith/errors';
import type { CommitOperation, HubApiError } from '@huggingface/hub';
import { type HubFile, gitBlobSha1, isStaleCandidate, sha256Hex } from './files';

/** The public Hub. Tests and mirrors pass their own `hubUrl`. */
export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface HubUploadOptions {
  /** Dataset repository id, `namespace/name`. */
  repo: string;
  /** `HF_TOKEN` (must start with `hf_`). */
  accessToken: string;
  /** Default {@link DEFAULT_HUB_URL}. */
  hubUrl?: string;
  /** Replaces the transport. */
  fetch?: typeof fetch;
  /** Default `Update dataset configs via datasmith dataset`. */
  commitMessage?: string;
  /** Default `main`. */
  branch?: string;
  /** Visibility of a repository this call creates. Default the namespace's default. */
  visibility?: 'public' | 'private';
  /** Files the commit deletes when they are not re-uploaded. Default every `*.parquet`. */
  stale?: (path: string) => boolean;
  /** Xet uploads (the client falls back to LFS when the server offers only that). Default the library's. */
  useXet?: boolean;
}

/** What an upload did. */
export interface HubUploadResult {
  /** Null when the repository already held exactly these files (no commit made). */
  commitUrl: string | null;
  commitOid: string | null;
  created: boolean;
  added: string[];
  deleted: string[];
  unchanged: string[];
}

function remoteError(error: unknown, what: string, token: string, hubApiError: typeof HubApiError): Error {
  if (error instanceof hubApiError) {
    return new RemoteError(
      `Hugging Face Hub: ${what} failed with ${error.statusCode}: ${redactSecrets(error.message.split('\n')[0] ?? '', [token])}`,
      { status: error.statusCode, url: error.url, cause: error },
    );
  }
  const message = (error as Error)?.message ?? String(error);
  const cause = (error as { cause?: { code?: string } })?.cause?.code;
  return new RemoteError(
    `Hugging Face Hub: ${what} failed: ${redactSecrets(message.split('\n')[0] ?? '', [token])}${cause ? ` (${cause})` : ''}`,
    { cause: error },
  );
}

/**
 * Publishes a dataset layout as **one commit**: files whose bytes differ from the repository's are
 * added (Parquet through LFS, the card as a regular file) and every stale Parquet file the tree
 * listing shows is deleted in the same commit. Creates the repository when missing; makes no
 * commit when nothing changed. A killed upload leaves the repository as it was (the commit is the
 * only write), and uploaded LFS objects are not sent again on the next run.
 */
export async function uploadDatasetFiles(
  files: readonly HubFile[],
  options: HubUploadOptions,
): Promise<HubUploadResult> {
  if (!options.accessToken.startsWith('hf_')) {
    throw new ConfigError('Invalid HF_TOKEN: a Hugging Face token starts with hf_');
  }
  const hubUrl = (options.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const repo = { type: 'dataset' as const, name: options.repo };
  const common = { hubUrl, fetch: options.fetch, accessToken: options.accessToken };
  const branch = options.branch ?? 'main';
  const stale = options.stale ?? isStaleCandidate;
  const token = options.accessToken;
  // The Hub client (with its WebAssembly hashers, about 0.1 s) loads here, not with the package.
  const { HubApiError, commit, createRepo, listFiles, repoExists } = await import('@huggingface/hub');

  let created = false;
  try {
    if (!(await repoExists({ repo, ...common }))) {
      await createRepo({ repo, ...common, ...(options.visibility ? { visibility: options.visibility } : {}) });
      created = true;
    }
  } catch (error) {
    throw remoteError(error, `creating dataset ${options.repo}`, token, HubApiError);
  }

  const remote = new Map<string, { oid?: string; lfsOid?: string }>();
  try {
    for await (const entry of listFiles({ repo, recursive: true, revision: branch, ...common })) {
      if (entry.type === 'file') remote.set(entry.path, { oid: entry.oid, lfsOid: entry.lfs?.oid });
    }
  } catch (error) {
    throw remoteError(error, `listing ${options.repo}`, token, HubApiError);
  }

  const wanted = new Set(files.map((f) => f.path));
  const result: HubUploadResult = { commitUrl: null, commitOid: null, created, added: [], deleted: [], unchanged: [] };
  const operations: CommitOperation[] = [];
  for (const file of files) {
    const existing = remote.get(file.path);
    const same =
      existing !== undefined &&
      (existing.lfsOid ? existing.lfsOid === sha256Hex(file.content) : existing.oid === gitBlobSha1(file.content));
    if (same) {
      result.unchanged.push(file.path);
      continue;
    }
    result.added.push(file.path);
    operations.push({ operation: 'addOrUpdate', path: file.path, content: new Blob([Buffer.from(file.content)]) });
  }
  for (const path of [...remote.keys()].sort()) {
    if (!wanted.has(path) && stale(path)) {
      result.deleted.push(path);
      operations.push({ operation: 'delete', path });
    }
  }
  if (operations.length === 0) return result;
  try {
    const output = await commit({
      repo,
      ...common,
      branch,
      title: options.commitMessage ?? 'Update dataset configs via datasmith dataset',
      operations,
      ...(options.useXet === undefined ? {} : { useXet: options.useXet }),
    });
    result.commitUrl = output?.commit.url ?? null;
    result.commitOid = output?.commit.oid ?? null;
  } catch (error) {
    throw remoteError(error, `committing to ${options.repo}`, token, HubApiError);
  }
  return result;
}
