/**
 * Task naming of the original (reference §1.2): lower case, every run of characters outside
 * `[a-z0-9._-]` becomes `-`, leading and trailing `._-` stripped, empty becomes `unknown`.
 */
export function sanitizeNameComponent(value: string): string {
  const out = value
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  return out || 'unknown';
}

/** Image name `{owner}-{repo}[-{sha}]:{tag}`, every component sanitised. */
export function taskImageName(owner: string, repo: string, sha: string | null, tag: string): string {
  const parts = [owner, repo, ...(sha ? [sha] : [])].map(sanitizeNameComponent);
  return `${parts.join('-')}:${sanitizeNameComponent(tag)}`;
}

/** Container name `{owner}-{repo}[-{sha}]-{tag}`, prefixed `c-` unless it starts with `[a-z0-9]`, at most 128 chars. */
export function taskContainerName(owner: string, repo: string, sha: string | null, tag: string): string {
  const parts = [owner, repo, ...(sha ? [sha] : []), tag].map(sanitizeNameComponent);
  let name = parts.join('-');
  if (!/^[a-z0-9]/.test(name)) name = `c-${name}`;
  return name.slice(0, 128);
}
