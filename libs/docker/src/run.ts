import { PassThrough } from 'node:stream';
import { DockerError } from '@datasmith/errors';
import type Docker from 'dockerode';
import { packContext } from './context-tar';
import { TailBuffer } from './tail';

/** Output of a command run in a container. */
export interface CommandResult {
  /** Exit code; 124 when the time limit ran out (as coreutils `timeout`). */
  exitCode: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Limits and environment of one command. */
export interface CommandOptions {
  /** Time limit in ms (default 120 000). The command is killed when it runs out and `timedOut` is set. */
  timeoutMs?: number;
  /** Characters kept of stdout and of stderr, each (default 200 000; the tail is kept). */
  outputCap?: number;
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
}

function collect(stream: NodeJS.ReadableStream, docker: Docker, cap: number) {
  const out = new TailBuffer(cap);
  const err = new TailBuffer(cap);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString('utf8')));
  docker.modem.demuxStream(stream, stdout, stderr);
  const ended = new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
  return { out, err, ended };
}

function envList(env: Record<string, string> | undefined): string[] | undefined {
  return env ? Object.entries(env).map(([k, v]) => `${k}=${v}`) : undefined;
}

/** What a one-shot or probe container looks like. */
export interface ContainerSpec {
  image: string;
  /** Container name; omit for a generated one. */
  name?: string;
  labels?: Record<string, string>;
  /** `none` (default: validation needs no network), `bridge` or `host`. */
  networkMode?: string;
  env?: Record<string, string>;
  workdir?: string;
  /** CPUs the container may use (`docker run --cpuset-cpus`, e.g. `1` or `0-1`); default: any. */
  cpusetCpus?: string;
  /** Memory limit in bytes; default: none. */
  memoryBytes?: number;
}

function hostConfig(spec: ContainerSpec): Docker.HostConfig {
  return {
    NetworkMode: spec.networkMode ?? 'none',
    ...(spec.cpusetCpus ? { CpusetCpus: spec.cpusetCpus } : {}),
    ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
  };
}

/**
 * Runs `cmd` in a new container to completion with a time limit and output caps, then removes the
 * container whatever happened.
 */
export async function runContainer(
  docker: Docker,
  spec: ContainerSpec & { cmd: string[]; entrypoint?: string[] },
  options: CommandOptions = {},
): Promise<CommandResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const container = await docker.createContainer({
    Image: spec.image,
    name: spec.name,
    Cmd: spec.cmd,
    Entrypoint: spec.entrypoint,
    Env: envList({ ...spec.env, ...options.env }),
    WorkingDir: options.workdir ?? spec.workdir,
    User: options.user,
    Labels: spec.labels,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: hostConfig(spec),
  });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const { out, err, ended } = collect(stream, docker, options.outputCap ?? 200_000);
    await container.start();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const waited = (await Promise.race([
      container.wait(),
      new Promise((resolve) => {
        timer = setTimeout(() => {
          timedOut = true;
          resolve(null);
        }, timeoutMs);
      }),
    ])) as { StatusCode: number } | null;
    clearTimeout(timer);
    if (timedOut) await container.kill().catch(() => {});
    await Promise.race([ended, new Promise((r) => setTimeout(r, 2000))]);
    return {
      exitCode: timedOut ? 124 : (waited?.StatusCode ?? 1),
      timedOut,
      stdout: out.toString(),
      stderr: err.toString(),
      durationMs: Date.now() - started,
    };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/**
 * A long-lived probe container (`sleep infinity`) in which commands run through exec, each with its
 * own time limit: the cheap way to run many checks against one image (stack-notes §4c: ~70 ms per exec).
 * Always `remove()` it; `removeContainersByLabel` cleans up after a killed run.
 */
export class ProbeContainer {
  private constructor(
    private readonly docker: Docker,
    readonly container: Docker.Container,
    readonly spec: ContainerSpec,
  ) {}

  /** Creates and starts the probe container. */
  static async start(docker: Docker, spec: ContainerSpec): Promise<ProbeContainer> {
    const container = await docker.createContainer({
      Image: spec.image,
      name: spec.name,
      Entrypoint: ['sleep'],
      Cmd: ['infinity'],
      Env: envList(spec.env),
      WorkingDir: spec.workdir,
      Labels: spec.labels,
      HostConfig: hostConfig(spec),
    });
    try {
      await container.start();
    } catch (error) {
      await container.remove({ force: true }).catch(() => {});
      throw new DockerError(`Could not start probe container from ${spec.image}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return new ProbeContainer(docker, container, spec);
  }

  /**
   * Runs a shell command (`bash -c`) with a time limit enforced inside the container by coreutils
   * `timeout` (exit 124) and, as a backstop, by killing the container 15 s later.
   */
  async exec(command: string, options: CommandOptions = {}): Promise<CommandResult> {
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? 120_000;
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const exec = await this.container.exec({
      Cmd: ['timeout', '-k', '5', `${seconds}s`, 'bash', '-c', command],
      AttachStdout: true,
      AttachStderr: true,
      Env: envList(options.env),
      WorkingDir: options.workdir ?? this.spec.workdir,
      User: options.user,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const { out, err, ended } = collect(stream, this.docker, options.outputCap ?? 200_000);
    let timer: NodeJS.Timeout | undefined;
    const backstop = await Promise.race([
      ended.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs + 15_000);
      }),
    ]);
    clearTimeout(timer);
    if (backstop) {
      await this.container.kill().catch(() => {});
      return {
        exitCode: 124,
        timedOut: true,
        stdout: out.toString(),
        stderr: err.toString(),
        durationMs: Date.now() - started,
      };
    }
    let info = await exec.inspect();
    for (let i = 0; i < 40 && info.Running; i++) {
      await new Promise((r) => setTimeout(r, 50));
      info = await exec.inspect();
    }
    const exitCode = info.ExitCode ?? 1;
    return {
      exitCode,
      timedOut: exitCode === 124 || exitCode === 137,
      stdout: out.toString(),
      stderr: err.toString(),
      durationMs: Date.now() - started,
    };
  }

  /** Writes one file into the container (a tar through the engine's archive API; no shell, no size limit of a command line). */
  async putFile(path: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
    const slash = path.lastIndexOf('/');
    const dir = slash > 0 ? path.slice(0, slash) : '/';
    const tar = await packContext({ [path.slice(slash + 1)]: { content, mode } });
    const made = await this.exec(`mkdir -p '${dir.replaceAll("'", "'\\''")}'`, { timeoutMs: 30_000 });
    if (made.exitCode !== 0) throw new DockerError(`Could not create ${dir} in the container: ${made.stderr.trim()}`);
    await this.container.putArchive(tar, { path: dir });
  }

  /** Kills and removes the container; never throws. */
  async remove(): Promise<void> {
    await this.container.remove({ force: true }).catch(() => {});
  }
}
