import { type CommandResult, type ProbeContainer, tailOf } from '@datasmith/docker';
import type { Logger } from '@datasmith/progress';
import { REPO_ROOT } from '../synthesize/asv-container';

/**
 * The commands of one task in its measuring container: each is logged (debug) and its exit, duration
 * and output tail kept in a transcript, whose end goes into a failure's message.
 */
export class MeasuringSession {
  private readonly transcript: string[] = [];

  constructor(
    readonly container: ProbeContainer,
    private readonly sha: string,
    private readonly log: Logger,
  ) {}

  /** Runs a shell command in the container (limit in ms, default 300 s; default folder: the repository). */
  async run(name: string, command: string, timeoutMs = 300_000, workdir = REPO_ROOT): Promise<CommandResult> {
    const r = await this.container.exec(command, { timeoutMs, workdir, outputCap: 4_000_000 });
    this.log.debug(
      `verify: ${this.sha.slice(0, 10)} ${name}: exit ${r.exitCode} in ${(r.durationMs / 1000).toFixed(1)} s`,
    );
    this.transcript.push(
      `$ ${name} (exit ${r.exitCode}, ${(r.durationMs / 1000).toFixed(1)} s)\n${tailOf(`${r.stdout}\n${r.stderr}`.trim(), 1500)}`,
    );
    return r;
  }

  /** The end of the transcript (4000 characters). */
  tail(): string {
    return tailOf(this.transcript.join('\n'), 4000);
  }
}

/** A shell command that runs a Python script (fed on stdin) with arguments. */
export function pythonScript(script: string, args: string): string {
  return `python - ${args} <<'DATASMITH_EOF'\n${script}DATASMITH_EOF`;
}

/** The last line of a command's output, where the scripts print their JSON answer. */
export function lastLineOf(output: string): string {
  return output.trim().split('\n').pop() ?? '';
}
