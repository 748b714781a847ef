import { readFile } from 'node:fs/promises';
import { InputError, SchemaError } from '@datasmith/errors';
import { acquireFileLock, writeFileAtomic } from '@datasmith/tables';
import { ContextRegistryFile, type LegacyRegistry, type RegistryEntry } from './context';

function emptyRegistry(): ContextRegistryFile {
  return { format: 'datasmith-context-registry', version: 1, entries: {} };
}

/** Reads a registry file; a missing file is an empty registry, a corrupt one an error naming it. */
export async function readContextRegistry(path: string): Promise<ContextRegistryFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyRegistry();
    throw new InputError(`Unreadable context registry ${path}: ${(error as Error).message}`, { file: path });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SchemaError(`Corrupt context registry: ${path} is not JSON (${(error as Error).message})`, {
      file: path,
    });
  }
  if (raw && typeof raw === 'object' && (raw as { version?: unknown }).version === 2 && 'contexts' in raw) {
    throw new InputError(
      `Context registry ${path} is the original's v2 format (Python-repr keys); convert it with \`datasmith contexts import --from ${path} --contexts <new file>\``,
      { file: path },
    );
  }
  const parsed = ContextRegistryFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SchemaError(
      `Invalid context registry: ${path}, ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      {
        file: path,
      },
    );
  }
  return parsed.data;
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function serialize(registry: ContextRegistryFile): string {
  const out: ContextRegistryFile = { ...registry, entries: sortedRecord(registry.entries) };
  if (registry.legacy) out.legacy = { ...registry.legacy, contexts: sortedRecord(registry.legacy.contexts) };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/**
 * Updates one registry entry atomically: lock file, re-read, change, write temp + rename, unlock.
 * Safe across processes (parallel months of one repository) and after a SIGKILL.
 */
export async function updateContextRegistry(path: string, key: string, entry: RegistryEntry): Promise<void> {
  await changeContextRegistry(path, (registry) => {
    registry.entries[key] = entry;
  });
}

/** Changes a registry file under its lock: re-read, change, write temp + rename, unlock. */
export async function changeContextRegistry(
  path: string,
  change: (registry: ContextRegistryFile) => void,
): Promise<ContextRegistryFile> {
  const release = await acquireFileLock(`${path}.lock`, {
    timeoutMs: 60_000,
    pollMs: 50,
    // A registry write takes milliseconds: a lock this old was left by a holder whose PID came back.
    staleMs: 10 * 60_000,
    lockedMessage: (holder) => `Context registry is locked by process ${holder?.pid ?? '?'} (${path}.lock)`,
  });
  try {
    const registry = await readContextRegistry(path);
    change(registry);
    await writeFileAtomic(path, serialize(registry));
    return registry;
  } finally {
    await release();
  }
}

/**
 * Merges contexts imported from an original registry into ours: imported contexts replace earlier
 * imports of the same (owner, repo, sha); our own entries are never touched.
 */
export function mergeLegacy(registry: ContextRegistryFile, imported: LegacyRegistry): void {
  const before = registry.legacy;
  registry.legacy = {
    ...before,
    ...imported,
    contexts: { ...(before?.contexts ?? {}), ...imported.contexts },
  };
}
