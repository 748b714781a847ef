// The Nx remote cache server for many machines (README "Many machines"):
//   node --import tsx tools/cache-server/main.ts --dir D --port P --token-file F [--host H] [--max-entry-size 2GB]
// Machines point Nx at it with NX_SELF_HOSTED_REMOTE_CACHE_SERVER=http://H:P and
// NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN=<the token in F>.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_ENTRY_BYTES, parseSize, startCacheServer } from './server';

const USAGE =
  'usage: cache-server --dir <folder> --token-file <file> [--port 7777] [--host 127.0.0.1] [--max-entry-size 2GB]';

function fail(message: string): never {
  process.stderr.write(`cache-server: ${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string' },
        port: { type: 'string', default: '7777' },
        host: { type: 'string', default: '127.0.0.1' },
        'token-file': { type: 'string' },
        'max-entry-size': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const dir = typeof values.dir === 'string' ? values.dir : fail('missing --dir');
  const tokenFile = typeof values['token-file'] === 'string' ? values['token-file'] : fail('missing --token-file');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid --port ${values.port}`);
  const maxEntryBytes =
    typeof values['max-entry-size'] === 'string' ? parseSize(values['max-entry-size']) : DEFAULT_MAX_ENTRY_BYTES;
  if (maxEntryBytes === null || maxEntryBytes <= 0) fail(`invalid --max-entry-size ${values['max-entry-size']}`);
  let token: string;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
  } catch (error) {
    fail(`cannot read --token-file ${tokenFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!token) fail(`--token-file ${tokenFile} is empty`);

  const server = await startCacheServer(
    { dir: resolve(dir), token, maxEntryBytes, log: (line) => process.stdout.write(`${line}\n`) },
    { host: String(values.host), port },
  );
  process.stdout.write(`cache-server: listening on ${server.url}, storing in ${resolve(dir)}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`cache-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
