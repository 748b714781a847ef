export type { Logger, ConsoleLoggerOptions } from './log';
export { createConsoleLogger, createMemoryLogger, silentLogger } from './log';
export type { Progress, ProgressOptions, StepSummary } from './progress';
export { createProgress, formatProgress, summarizeRows, formatSummary, mergeSummaries } from './progress';
