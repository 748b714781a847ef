/** One Nx command of a session (see nx-session.cjs). */
export interface SessionStage {
  title: string;
  /** `run` takes exactly one project and one target. */
  command: 'run' | 'run-many';
  targets: string[];
  /** run: the project; run-many: only these projects (default: every project with one of the targets). */
  projects?: string[];
  /** Forwarded options, e.g. `{ month: '2024-01' }`. */
  overrides: Record<string, string>;
  /** run-many's --parallel. */
  parallel?: number;
  /** The stage's outputs change the project graph (scrape-repos writes the repository list): rebuild it after. */
  refreshGraph?: boolean;
}

export function stageArgs(stage: SessionStage): string[];
export function stageHeader(stage: SessionStage): string;
export function runStages(
  workspaceRoot: string,
  stages: SessionStage[],
  write: (text: string) => void,
): Promise<{ status: number; failed: string | null }>;
