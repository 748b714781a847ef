import type { Logger, StepSummary } from '@datasmith/progress';
import { queryReportData } from './queries';
import { renderReportHtml } from './render';
import type { ReportData } from './report-data';

export interface ReportPageInput {
  /** The data root of spec §9 (`data`). */
  root: string;
}

export interface ReportPageDeps {
  log: Logger;
}

export interface ReportPageResult {
  /** The self-contained page. */
  html: string;
  data: ReportData;
  /** Kept: dataset tasks over every month; dropped: the other merged PRs, by the reason they stopped. */
  summary: StepSummary;
}

/** The report (global step after dataset): the numbers from every table under `root`, and the page. */
export async function buildReportPage(input: ReportPageInput, deps: ReportPageDeps): Promise<ReportPageResult> {
  const data = await queryReportData(input.root);
  const stages = data.total.stages;
  const merged = stages[0]?.count ?? 0;
  const kept = stages[stages.length - 1]?.count ?? 0;
  const reasons: Record<string, number> = {};
  for (const stage of stages) {
    for (const drop of stage.drops) reasons[drop.reason] = (reasons[drop.reason] ?? 0) + drop.count;
  }
  deps.log.debug(
    `report: ${data.months.length} months, ${data.repos.length} repositories; ${data.sources.map((s) => `${s.table} ${s.files}`).join(', ')}`,
  );
  return { html: renderReportHtml(data), data, summary: { kept, dropped: merged - kept, reasons } };
}
