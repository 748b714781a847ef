import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataLayout } from '@datasmith/paths';
import { silentLogger } from '@datasmith/progress';
import { CommitRow, TABLE_KEYS, VerifiedRow, readTable, writeTable } from '@datasmith/tables';
import { findPartitionFiles } from '../merge/partitions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryReportData } from './queries';
import { escapeHtml, formatCount, formatMinutes } from './render';
import { buildReportPage } from './report';
import { DEMO_LLM_MODEL, DEMO_LLM_REPO, type DemoRun, writeDemoRun } from './testing/demo-run';
import { type ExpectedReport, expectedReport } from './testing/expected-counts';

let dir: string;
let run: DemoRun;
let expected: ExpectedReport;
let html: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ds-report-'));
  run = await writeDemoRun(dir);
  expected = await expectedReport(run.root);
  html = (await buildReportPage({ root: run.root }, { log: silentLogger })).html;
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const label = (text: string) => `aria-label="${escapeHtml(text)}"`;

describe('the report over a demo run', () => {
  it('covers every kind of stop the funnel can show', () => {
    const reasons = new Set(expected.months.flatMap((m) => m.stages.flatMap((s) => Object.keys(s.drops))));
    for (const reason of [
      'docs_only',
      'not_perf_candidate',
      'not_perf',
      'validation_failed',
      'push_failed',
      'not_run',
      'no_significant_speedup',
      'slower',
    ]) {
      expect(reasons, `${reason} in ${[...reasons].join(',')}`).toContain(reason);
    }
    expect(expected.months.map((m) => m.month)).toEqual(run.months);
    // The last stage: dataset tasks whose gold patch verify measured faster.
    expect(expected.months.some((m) => (m.stages.at(-1)?.count ?? 0) > 0)).toBe(true);
    expect(expected.months[0]?.stages.at(-1)?.label).toBe('speed-up verified');
  });

  it("shows each month's funnel with the counts and drop reasons counted from the tables", () => {
    for (const month of expected.months) {
      for (const stage of month.stages) {
        expect(html, `${month.month} ${stage.label}`).toContain(label(`${month.month} ${stage.label}: ${stage.count}`));
        for (const [reason, n] of Object.entries(stage.drops)) {
          expect(html).toContain(label(`${month.month} dropped before ${stage.label}, ${reason}: ${n}`));
        }
      }
      const section = html.slice(html.indexOf(`id="month-${month.month}"`));
      const table = section.slice(section.indexOf('<table class="drops">'), section.indexOf('</table>'));
      for (const stage of month.stages.slice(1)) {
        const dropped = Object.values(stage.drops).reduce((a, b) => a + b, 0);
        expect(table).toContain(
          `<th scope="row">${stage.label}</th><td class="num">${formatCount(stage.count)}</td><td class="num">${formatCount(dropped)}</td>`,
        );
        for (const [reason, n] of Object.entries(stage.drops)) expect(table).toContain(`<code>${reason}</code> ${n}`);
      }
    }
  });

  it("lists the month's published tasks with links to their pull requests", () => {
    const all = expected.months.flatMap((m) => m.tasks);
    expect(all.length).toBeGreaterThan(0);
    for (const month of expected.months) {
      const section = html.slice(
        html.indexOf(`id="month-${month.month}"`),
        html.indexOf('</section>', html.indexOf(`id="month-${month.month}"`)),
      );
      expect(section).toContain(`Published tasks (${month.tasks.length})`);
      for (const task of month.tasks) {
        expect(section).toContain(`<code>${escapeHtml(task.task_id)}</code>`);
        expect(section).toContain(`href="https://github.com/${task.repo_name}/pull/${task.pr_number}"`);
      }
    }
  });

  it('shows Docker build minutes and validation failures by reason', () => {
    const withDocker = expected.months.filter((m) => m.buildMinutes !== null);
    expect(withDocker.length).toBeGreaterThan(0);
    for (const month of withDocker) {
      const minutes = formatMinutes(month.buildMinutes ?? 0);
      expect(html).toContain(label(`build minutes per month, ${month.month}: ${minutes} minutes`));
      for (const [reason, n] of Object.entries(month.failures)) {
        expect(html).toContain(label(`${month.month} validation failures, ${reason}: ${n}`));
      }
    }
  });

  it('shows per-repository yields, classifier backends and LLM usage', () => {
    for (const [repo, counts] of Object.entries(expected.repos)) {
      expect(html).toContain(
        label(`dataset tasks per repository, ${repo}: ${counts.tasks} of ${counts.merged} merged PRs`),
      );
    }
    const classifiers = html.slice(html.indexOf('id="classifiers"'), html.indexOf('id="llm"'));
    for (const [key, decided] of Object.entries(expected.classifiers)) {
      const [backend, model, version] = key.split('|');
      expect(classifiers).toContain(
        `<td>${backend}</td><td>${model}</td><td>${version}</td><td class="num">${decided}</td>`,
      );
    }
    expect(Object.keys(expected.classifiers).some((k) => k.startsWith(`llm|${DEMO_LLM_MODEL}|`))).toBe(true);
    const { llm } = expected;
    expect(llm.calls).toBeGreaterThan(0);
    const llmSection = html.slice(html.indexOf('id="llm"'), html.indexOf('id="docker"'));
    expect(llmSection).toContain(
      `<td>${DEMO_LLM_MODEL}</td><td class="num">${formatCount(llm.decisions)}</td><td class="num">${formatCount(llm.calls)}</td><td class="num">${formatCount(Math.max(0, llm.decisions - llm.calls))}</td><td class="num">${formatCount(llm.promptTokens)}</td><td class="num">${formatCount(llm.completionTokens)}</td>`,
    );
    expect(DEMO_LLM_REPO in expected.repos).toBe(true);
  });

  it('charts every task verify measured, with its speed-up, verified ones counted', async () => {
    const measured = [];
    for (const f of findPartitionFiles(run.root, 'verify', 'verified')) {
      for (const r of await readTable(f.path, VerifiedRow))
        if (r.speedup !== null) measured.push({ ...r, month: f.month });
    }
    expect(measured.length).toBeGreaterThan(0);
    const section = html.slice(html.indexOf('id="speedups"'), html.indexOf('id="classifiers"'));
    const verified = measured.filter((m) => m.verified).length;
    expect(section).toContain(`${verified} of ${measured.length} measured tasks verified`);
    for (const m of measured.slice(0, 40)) {
      expect(section).toContain(`${m.repo_name}#${m.pr_number} ${m.month}: ×${m.speedup?.toFixed(2)}`);
    }
  });

  it('is one self-contained page: inline SVG, no script, nothing to load', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=/i);
    const urls = [...html.matchAll(/https?:\/\/[^"'\s<>]+/g)].map((m) => m[0]);
    expect(
      urls.filter(
        (u) => u !== 'http://www.w3.org/2000/svg' && !/^https:\/\/github\.com\/[^/]+\/[^/]+\/pull\/\d+$/.test(u),
      ),
    ).toEqual([]);
  });

  it('gives the same bytes for the same tables', async () => {
    const again = await buildReportPage({ root: run.root }, { log: silentLogger });
    expect(again.html).toBe(html);
  });
});

describe('queryReportData', () => {
  it('marks every stage as without data on an empty data root', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const data = await queryReportData(empty);
    expect(data.months).toEqual([]);
    expect(data.total.stages.map((s) => [s.key, s.count, s.hasData])).toEqual([
      ['merged', 0, false],
      ['collected', 0, false],
      ['candidates', 0, false],
      ['performance', 0, false],
      ['validated', 0, false],
      ['published', 0, false],
      ['tasks', 0, false],
      ['verified', 0, false],
    ]);
    const page = await buildReportPage({ root: empty }, { log: silentLogger });
    expect(page.html).toContain('no data: the step has not run');
  });

  it('reads an older table that lacks a column the report uses as NULL', async () => {
    const old = join(dir, 'old');
    const rows = (
      await readTable(join(run.root, 'collect', 'acme__fastmath', '2024-03', 'commits.parquet'), CommitRow)
    ).map(({ pr_title: _title, ...rest }) => rest);
    const OldCommitRow = CommitRow.omit({ pr_title: true });
    await writeTable(
      dataLayout(old).tablePath('collect', 'acme/fastmath', '2024-03'),
      OldCommitRow,
      rows,
      TABLE_KEYS.commits,
    );
    const data = await queryReportData(old);
    expect(data.months.map((m) => [m.month, m.stages[0]?.count])).toEqual([['2024-03', rows.length]]);
  });

  it('fails with the path when the data root does not exist', async () => {
    await expect(queryReportData(join(dir, 'missing'))).rejects.toThrow(
      /Missing input: the data root .*missing does not exist/,
    );
  });
});
