import { scaleBand, scaleLinear, scalePoint } from 'd3-scale';
import { line } from 'd3-shape';
import type {
  ClassifierUsage,
  DockerStats,
  FunnelStage,
  LlmUsage,
  MonthReport,
  PublishedTask,
  ReasonCount,
  RepoYield,
  ReportData,
} from './report-data';
import { PSEUDO_REASONS } from './report-data';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
const esc = escapeHtml;

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
/** How the page writes a count: `12,546`. */
export function formatCount(n: number): string {
  return integer.format(n);
}
/** How the page writes minutes: one decimal. */
export function formatMinutes(minutes: number): string {
  return minutes.toFixed(1);
}

/** Coordinates rounded to 0.1 px, so equal data always gives equal bytes. */
const px = (v: number) => String(Math.round(v * 10) / 10);

const PASS_COLOR = '#3b6ea8';
const TASK_COLOR = '#2e8b57';
/** Tableau 20 without its greys (kept for the report's own reasons), so a chart's adjacent reasons differ. */
const REASON_PALETTE = [
  '#ff7f0e',
  '#9467bd',
  '#2ca02c',
  '#d62728',
  '#17becf',
  '#bcbd22',
  '#e377c2',
  '#8c564b',
  '#1f77b4',
  '#ffbb78',
  '#c5b0d5',
  '#98df8a',
  '#ff9896',
  '#9edae5',
  '#dbdb8d',
  '#f7b6d2',
  '#c49c94',
  '#aec7e8',
];

/** One colour per drop reason, the same in every chart of the page. */
function reasonColors(data: ReportData): (reason: string) => string {
  const reasons = new Set<string>();
  const add = (list: readonly ReasonCount[]) => {
    for (const r of list) reasons.add(r.reason);
  };
  for (const s of data.total.stages) add(s.drops);
  for (const m of data.months) for (const s of m.stages) add(s.drops);
  for (const r of data.repos) for (const s of r.stages) add(s.drops);
  add(data.total.docker?.failures ?? []);
  const sorted = [...reasons].sort();
  return (reason) => {
    if (reason in PSEUDO_REASONS) return '#bbbbbb';
    const i = sorted.indexOf(reason);
    return REASON_PALETTE[Math.max(i, 0) % REASON_PALETTE.length] as string;
  };
}

function rect(x: number, y: number, width: number, height: number, fill: string, label: string): string {
  return `<rect x="${px(x)}" y="${px(y)}" width="${px(Math.max(0, width))}" height="${px(height)}" fill="${fill}" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title></rect>`;
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${px(x)}" y="${px(y)}"${attrs ? ` ${attrs}` : ''}>${esc(content)}</text>`;
}

function svg(width: number, height: number, title: string, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${px(height)}" viewBox="0 0 ${width} ${px(height)}" role="group" aria-label="${esc(title)}">${body.join('')}</svg>`;
}

/**
 * The funnel as horizontal bars: each stage's bar spans the PRs that reached it (the previous
 * stage's count), split into those that passed and one segment per drop reason.
 */
function funnelChart(scope: string, stages: readonly FunnelStage[], color: (reason: string) => string): string {
  const width = 720;
  const labelWidth = 130;
  const countWidth = 150;
  const rowHeight = 22;
  const gap = 6;
  const max = Math.max(1, stages[0]?.count ?? 0);
  const x = scaleLinear()
    .domain([0, max])
    .range([0, width - labelWidth - countWidth]);
  const body: string[] = [];
  stages.forEach((stage, i) => {
    const y = i * (rowHeight + gap);
    const midY = y + rowHeight / 2 + 4;
    body.push(text(labelWidth - 8, midY, stage.label, 'text-anchor="end"'));
    body.push(rect(labelWidth, y, x(stage.count), rowHeight, PASS_COLOR, `${scope} ${stage.label}: ${stage.count}`));
    let offset = x(stage.count);
    for (const drop of stage.drops) {
      const w = x(drop.count);
      body.push(
        rect(
          labelWidth + offset,
          y,
          w,
          rowHeight,
          color(drop.reason),
          `${scope} dropped before ${stage.label}, ${drop.reason}: ${drop.count}`,
        ),
      );
      offset += w;
    }
    const dropped = stage.drops.reduce((sum, d) => sum + d.count, 0);
    const note = !stage.hasData
      ? `${formatCount(stage.count)} (no data)`
      : dropped
        ? `${formatCount(stage.count)} (−${formatCount(dropped)})`
        : formatCount(stage.count);
    body.push(text(labelWidth + offset + 6, midY, note, 'class="count"'));
  });
  return svg(width, stages.length * (rowHeight + gap) - gap, `${scope} funnel`, body);
}

/** Horizontal bars of named counts (failure reasons, per-repository tasks). */
function barChart(
  scope: string,
  items: ReadonlyArray<{ name: string; value: number; color: string; shown?: string }>,
  unit: string,
): string {
  const width = 720;
  const labelWidth = 210;
  const rowHeight = 18;
  const y = scaleBand()
    .domain(items.map((_, i) => String(i)))
    .range([0, items.length * (rowHeight + 6)])
    .paddingInner(0.25);
  const x = scaleLinear()
    .domain([0, Math.max(1, ...items.map((i) => i.value))])
    .range([0, width - labelWidth - 90]);
  const body = items.flatMap((item, i) => {
    const top = y(String(i)) ?? 0;
    const h = y.bandwidth();
    return [
      text(labelWidth - 8, top + h / 2 + 4, item.name, 'text-anchor="end"'),
      rect(labelWidth, top, x(item.value), h, item.color, `${scope}, ${item.name}: ${item.shown ?? item.value}${unit}`),
      text(labelWidth + x(item.value) + 6, top + h / 2 + 4, item.shown ?? formatCount(item.value), 'class="count"'),
    ];
  });
  return svg(width, Math.max(rowHeight, items.length * (rowHeight + 6)), scope, body);
}

/** Merged PRs, performance PRs and dataset tasks per month, as lines with a labelled point per month. */
function trendChart(months: readonly MonthReport[]): string {
  const width = 720;
  const height = 200;
  const margin = { top: 12, right: 160, bottom: 26, left: 44 };
  const series = [
    { key: 'merged', label: 'merged PRs', color: '#888888' },
    { key: 'performance', label: 'performance PRs', color: PASS_COLOR },
    { key: 'tasks', label: 'dataset tasks', color: TASK_COLOR },
  ] as const;
  const value = (m: MonthReport, key: string) => m.stages.find((s) => s.key === key)?.count ?? 0;
  const x = scalePoint()
    .domain(months.map((m) => m.month))
    .range([margin.left, width - margin.right])
    .padding(0.3);
  const max = Math.max(1, ...months.map((m) => value(m, 'merged')));
  const y = scaleLinear()
    .domain([0, max])
    .nice()
    .range([height - margin.bottom, margin.top]);
  const body: string[] = [];
  for (const tick of y.ticks(4)) {
    body.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${px(y(tick))}" y2="${px(y(tick))}" class="grid"/>`,
    );
    body.push(text(margin.left - 6, y(tick) + 4, formatCount(tick), 'text-anchor="end" class="axis"'));
  }
  for (const m of months) {
    body.push(text(x(m.month) ?? 0, height - 8, m.month.slice(2), 'text-anchor="middle" class="axis"'));
  }
  series.forEach((s, i) => {
    const path = line<MonthReport>()
      .x((m) => x(m.month) ?? 0)
      .y((m) => y(value(m, s.key)))
      .digits(1)(months);
    if (path) body.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const m of months) {
      const label = `${s.label} in ${m.month}: ${value(m, s.key)}`;
      body.push(
        `<circle cx="${px(x(m.month) ?? 0)}" cy="${px(y(value(m, s.key)))}" r="3.5" fill="${s.color}" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title></circle>`,
      );
    }
    const ly = margin.top + 14 + i * 18;
    body.push(
      `<line x1="${width - margin.right + 12}" x2="${width - margin.right + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`,
    );
    body.push(text(width - margin.right + 36, ly, s.label));
  });
  return svg(width, height, 'PRs and tasks per month', body);
}

function reasonList(reasons: readonly ReasonCount[], color: (reason: string) => string): string {
  return reasons
    .map(
      (r) =>
        `<span class="reason"><i class="swatch" style="background:${color(r.reason)}"></i><code>${esc(r.reason)}</code> ${formatCount(r.count)}</span>`,
    )
    .join(' ');
}

/** The drop reasons of each stage as text, so every number of the chart is also readable. */
function dropTable(stages: readonly FunnelStage[], color: (reason: string) => string): string {
  const rows = stages.slice(1).map((stage) => {
    const dropped = stage.drops.reduce((sum, d) => sum + d.count, 0);
    return `<tr><th scope="row">${esc(stage.label)}</th><td class="num">${formatCount(stage.count)}</td><td class="num">${formatCount(dropped)}</td><td>${reasonList(stage.drops, color) || '—'}${stage.hasData ? '' : ' <span class="empty">(no data: the step has not run)</span>'}</td></tr>`;
  });
  return `<table class="drops"><thead><tr><th>stage</th><th>passed</th><th>dropped</th><th>drop reasons</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function classifierTable(usage: readonly ClassifierUsage[]): string {
  if (usage.length === 0) return '<p class="empty">No classifier decisions.</p>';
  const rows = usage.map(
    (u) =>
      `<tr><td>${esc(u.backend)}</td><td>${esc(u.model ?? '—')}</td><td>${esc(u.promptVersion ?? '—')}</td><td class="num">${formatCount(u.decided)}</td><td class="num">${formatCount(u.performance)}</td><td class="num">${formatCount(u.notPerformance)}</td><td class="num">${formatCount(u.errors)}</td><td class="num">${u.meanConfidence === null ? '—' : u.meanConfidence.toFixed(0)}</td></tr>`,
  );
  return `<table class="classifiers"><thead><tr><th>backend</th><th>model</th><th>prompt / rules version</th><th>decided</th><th>performance</th><th>not performance</th><th>errors</th><th>mean confidence</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function llmTable(usage: readonly LlmUsage[]): string {
  if (usage.length === 0) return '<p class="empty">No LLM decisions and no LLM memo entries.</p>';
  const opt = (n: number | null) => (n === null ? '—' : formatCount(n));
  const rows = usage.map(
    (u) =>
      `<tr><td>${esc(u.promptVersion)}</td><td>${esc(u.models.join(', ') || '—')}</td><td class="num">${formatCount(u.decisions)}</td><td class="num">${opt(u.calls)}</td><td class="num">${opt(u.cacheHits)}</td><td class="num">${opt(u.promptTokens)}</td><td class="num">${opt(u.completionTokens)}</td></tr>`,
  );
  return `<table class="llm"><thead><tr><th>prompt version</th><th>models</th><th>decisions</th><th>LLM calls</th><th>cache hits</th><th>prompt tokens</th><th>completion tokens</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function dockerBlock(scope: string, docker: DockerStats | null, color: (reason: string) => string): string {
  if (!docker) return '<p class="empty">No synthesize results (no Docker work recorded).</p>';
  const facts = [
    ['tasks', formatCount(docker.tasks)],
    ['validated', formatCount(docker.ok)],
    ['failed', formatCount(docker.failed)],
    ['attempts', formatCount(docker.attempts)],
    ['build minutes', formatMinutes(docker.buildMinutes)],
    ['total minutes', formatMinutes(docker.totalMinutes)],
    ['strategies', docker.strategies.map((s) => `${s.reason} ${formatCount(s.count)}`).join(', ') || '—'],
  ];
  const dl = `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${esc(k as string)}</dt><dd>${esc(v as string)}</dd></div>`).join('')}</dl>`;
  const chart = docker.failures.length
    ? barChart(
        `${scope} validation failures`,
        docker.failures.map((f) => ({ name: f.reason, value: f.count, color: color(f.reason) })),
        '',
      )
    : '<p class="empty">No validation failures.</p>';
  return `${dl}${chart}`;
}

function prLink(task: PublishedTask): string {
  if (task.prNumber === null) return '—';
  const url = `https://github.com/${task.repo}/pull/${task.prNumber}`;
  return `<a href="${esc(url)}">#${task.prNumber}</a>`;
}

function tasksTable(tasks: readonly PublishedTask[]): string {
  if (tasks.length === 0) return '<p class="empty">No published tasks this month.</p>';
  const rows = tasks.map(
    (t) =>
      `<tr><td><code>${esc(t.taskId)}</code></td><td>${esc(t.repo)}</td><td>${prLink(t)}</td><td>${esc(t.title ?? '—')}</td><td>${esc(t.classification)}</td><td>${esc(t.difficulty)}</td><td>${esc(t.mergedAt?.slice(0, 10) ?? '—')}</td></tr>`,
  );
  return `<table class="tasks"><thead><tr><th>task</th><th>repository</th><th>PR</th><th>title</th><th>classification</th><th>difficulty</th><th>merged</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function monthSection(month: MonthReport, color: (reason: string) => string): string {
  return [
    `<section class="month" id="month-${esc(month.month)}">`,
    `<h2>${esc(month.month)}</h2>`,
    '<h3>Funnel</h3>',
    funnelChart(month.month, month.stages, color),
    dropTable(month.stages, color),
    '<h3>Classifier</h3>',
    classifierTable(month.classifiers),
    '<h3>Docker</h3>',
    dockerBlock(month.month, month.docker, color),
    `<h3>Published tasks (${formatCount(month.tasks.length)})</h3>`,
    tasksTable(month.tasks),
    '</section>',
  ].join('\n');
}

/**
 * The tasks verify measured, best first (at most 40): bar length is log2 of the speed-up (a ×3000
 * change would flatten the rest), the text is the speed-up itself; green when verified.
 */
function speedupSection(speedups: ReportData['speedups']): string {
  if (speedups.length === 0) return '<p class="meta">no data: verify has not run</p>';
  const shown = speedups.slice(0, 40);
  const verified = speedups.filter((s) => s.verified).map((s) => s.speedup);
  const median = verified.length
    ? ([...verified].sort((a, b) => a - b)[Math.floor(verified.length / 2)] ?? null)
    : null;
  return [
    `<p class="meta">${formatCount(verified.length)} of ${formatCount(speedups.length)} measured tasks verified${median === null ? '' : `; median verified speed-up ×${median.toFixed(2)}`}. Bars: log2 of before/after of the best benchmark; green: significantly faster by asv's statistics.</p>`,
    barChart(
      'measured speed-ups',
      shown.map((s) => ({
        name: `${s.repo}${s.prNumber === null ? '' : `#${s.prNumber}`} ${s.month}`,
        value: Math.max(0, Math.log2(s.speedup)) + 0.05,
        color: s.verified ? TASK_COLOR : '#9a9a9a',
        shown: `×${s.speedup.toFixed(2)}`,
      })),
      '',
    ),
  ].join('\n');
}

function stageCount(stages: readonly FunnelStage[], key: string): number {
  return stages.find((s) => s.key === key)?.count ?? 0;
}

function repoSection(repos: readonly RepoYield[]): string {
  if (repos.length === 0) return '<p class="empty">No repositories.</p>';
  const head = ['repository', 'months', ...(repos[0]?.stages.map((s) => s.label) ?? []), 'yield'];
  const rows = repos.map((r) => {
    const merged = stageCount(r.stages, 'merged');
    const tasks = stageCount(r.stages, 'tasks');
    const yieldText = merged ? `${((100 * tasks) / merged).toFixed(1)}%` : '—';
    return `<tr><th scope="row">${esc(r.repo)}</th><td class="num">${r.months}</td>${r.stages.map((s) => `<td class="num">${formatCount(s.count)}</td>`).join('')}<td class="num">${yieldText}</td></tr>`;
  });
  const chart = barChart(
    'dataset tasks per repository',
    repos.map((r) => ({
      name: r.repo,
      value: stageCount(r.stages, 'tasks'),
      color: TASK_COLOR,
      shown: `${formatCount(stageCount(r.stages, 'tasks'))} of ${formatCount(stageCount(r.stages, 'merged'))}`,
    })),
    ' merged PRs',
  );
  return `${chart}<table class="repos"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE = `
body{font-family:"DejaVu Sans",sans-serif;font-size:14px;color:#222;background:#fff;margin:0;padding:24px 32px;max-width:1000px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ccc;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
svg{display:block;margin:6px 0;font-size:12px}svg text{fill:#222}svg .axis{fill:#555;font-size:11px}
svg .grid{stroke:#e4e4e4}svg .count{fill:#333}
table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
thead th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:"DejaVu Sans Mono",monospace;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:3px;vertical-align:middle}
.reason{white-space:nowrap;margin-right:8px}.empty{color:#666;font-style:italic}
.facts{display:flex;flex-wrap:wrap;gap:4px 18px;margin:6px 0}.facts div{display:flex;gap:6px}.facts dt{color:#555}.facts dd{margin:0;font-weight:bold}
nav a{margin-right:8px}.meta{color:#555}
`;

/**
 * The report page: one self-contained HTML document (inline SVG and CSS, no script, nothing from
 * the network; the Content-Security-Policy forbids loading anything). Equal data gives equal bytes.
 */
export function renderReportHtml(data: ReportData): string {
  const color = reasonColors(data);
  const months = data.months;
  const span = months.length ? `${months[0]?.month} – ${months[months.length - 1]?.month}` : 'no months';
  const sources = data.sources.map((s) => `${esc(s.table)} ${formatCount(s.files)}`).join(', ');
  const reasonNotes = Object.entries(PSEUDO_REASONS)
    .map(([code, meaning]) => `<li><code>${code}</code>: ${esc(meaning)}</li>`)
    .join('');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>datasmith report</title>',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    '<h1>datasmith report</h1>',
    `<p class="meta">${esc(span)} · ${formatCount(data.repos.length)} repositories · read: ${sources}</p>`,
    `<nav>${months.map((m) => `<a href="#month-${esc(m.month)}">${esc(m.month)}</a>`).join('')}<a href="#repos">repositories</a><a href="#speedups">speed-ups</a><a href="#classifiers">classifiers</a><a href="#llm">LLM</a><a href="#docker">Docker</a></nav>`,
    '</header>',
    '<section id="overview">',
    '<h2>All months</h2>',
    funnelChart('all months', data.total.stages, color),
    dropTable(data.total.stages, color),
    months.length ? trendChart(months) : '',
    `<details><summary>Reasons added by the report</summary><ul>${reasonNotes}</ul></details>`,
    '</section>',
    ...months.map((m) => monthSection(m, color)),
    '<section id="repos">',
    '<h2>Per-repository yields</h2>',
    repoSection(data.repos),
    '</section>',
    '<section id="speedups">',
    '<h2>Measured speed-ups</h2>',
    speedupSection(data.speedups),
    '</section>',
    '<section id="classifiers">',
    '<h2>Classifier backends and models</h2>',
    classifierTable(data.classifiers),
    '</section>',
    '<section id="llm">',
    '<h2>LLM calls, cache hits and tokens</h2>',
    llmTable(data.llm),
    '<p class="meta">Calls and tokens are the LLM memo’s entries (one per answer paid for); cache hits are decisions in the tables that needed no new call.</p>',
    '</section>',
    '<section id="docker">',
    '<h2>Docker build minutes and validation failures</h2>',
    dockerBlock('all months', data.total.docker, color),
    months.some((m) => m.docker)
      ? barChart(
          'build minutes per month',
          months
            .filter((m) => m.docker)
            .map((m) => ({
              name: m.month,
              value: m.docker?.buildMinutes ?? 0,
              color: PASS_COLOR,
              shown: formatMinutes(m.docker?.buildMinutes ?? 0),
            })),
          ' minutes',
        )
      : '',
    '</section>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
