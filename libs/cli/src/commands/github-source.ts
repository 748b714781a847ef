import { resolve } from 'node:path';
import type { Command } from 'commander';
import { githubTokens } from '@datasmith/config';
import { InputError } from '@datasmith/errors';
import {
  DEFAULT_GIT_URL_TEMPLATE,
  GITHUB_CLIENT_DEFAULTS,
  type GitHubClient,
  createGitHubClient,
} from '@datasmith/github';
import type { MemoStore } from '@datasmith/memo';
import { dataLayout } from '@datasmith/paths';
import type { CommandContext } from '../context';

/** The flags that choose and configure the source of repositories and PRs. */
export interface SourceOptions {
  store?: string;
  source?: string;
  githubUrl?: string;
  gitUrlTemplate?: string;
}

/** The source a command reads, after defaults. */
export interface ResolvedSource {
  kind: 'store' | 'github';
  /** The offline store, or in GitHub mode the cache folder it fills (default `<out-root>/github-store`). */
  store: string;
  /** GitHub mode: the REST base URL. */
  githubUrl: string;
  /** GitHub mode: the git URL template of mirrors. */
  gitUrlTemplate: string;
}

/** Adds `--source`, `--github-url` and `--git-url-template` to a command. */
export function addSourceOptions(command: Command): Command {
  return command
    .option(
      '--source <kind>',
      'where repositories and PRs come from: github or store (default: store when --store is given without a GitHub flag, else github)',
    )
    .option(
      '--github-url <url>',
      `GitHub REST base URL (default $GITHUB_API_URL, else ${GITHUB_CLIENT_DEFAULTS.baseUrl}); implies --source github`,
    )
    .option(
      '--git-url-template <template>',
      `git URL of each mirror in GitHub mode, with {owner} {name} {repo} (default ${DEFAULT_GIT_URL_TEMPLATE}); implies --source github`,
    );
}

/**
 * Picks the source: `--source` when given; else `store` when `--store` is given and no GitHub
 * flag is, `github` otherwise. In GitHub mode `--store` names the cache folder the sync fills.
 */
export function resolveSource(options: SourceOptions, context: CommandContext, outRoot = 'data'): ResolvedSource {
  if (options.source !== undefined && options.source !== 'github' && options.source !== 'store') {
    throw new InputError(`Invalid --source: ${JSON.stringify(options.source)}; expected github or store`);
  }
  const githubFlag = options.githubUrl !== undefined || options.gitUrlTemplate !== undefined;
  const kind =
    (options.source as ResolvedSource['kind'] | undefined) ?? (options.store && !githubFlag ? 'store' : 'github');
  if (kind === 'store' && !options.store) {
    throw new InputError('Missing --store: --source store reads an offline store directory (spec §4)');
  }
  const githubUrl = options.githubUrl ?? context.env.GITHUB_API_URL ?? GITHUB_CLIENT_DEFAULTS.baseUrl;
  try {
    const url = new URL(githubUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new InputError(`Invalid --github-url: ${JSON.stringify(githubUrl)} is not an http(s) URL`);
  }
  return {
    kind,
    store: resolve(context.cwd, options.store ?? dataLayout(outRoot).githubStore),
    githubUrl,
    gitUrlTemplate: options.gitUrlTemplate ?? DEFAULT_GIT_URL_TEMPLATE,
  };
}

/** A GitHub client for a command: tokens from the environment (and tokens.env), the memo for conditional requests. */
export function openGitHubClient(context: CommandContext, source: ResolvedSource, memo: MemoStore): GitHubClient {
  return createGitHubClient({
    baseUrl: source.githubUrl,
    tokens: githubTokens(context.env),
    log: context.log,
    memo,
  });
}

/** One line about what GitHub cost, for the end of a command; `renames` defaults to the client's. */
export function describeGitHubUsage(
  github: GitHubClient,
  renames: Record<string, string> = Object.fromEntries(github.renames),
): string {
  const { requests, notModified, rateLimited, tokenSwitches } = github.stats;
  const renamed = Object.entries(renames).map(([from, to]) => `${from} → ${to}`);
  return (
    `github: ${requests} requests (${notModified} answered 304 from the memo), ${rateLimited} rate-limit waits, ` +
    `${tokenSwitches} token switches${renamed.length ? `; renamed: ${renamed.join(', ')}` : ''}`
  );
}
