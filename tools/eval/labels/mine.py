#!/usr/bin/env python3
"""Derive performance labels from each project's own release notes (facts only: repo, PR, commit).

usage: python3 tools/eval/labels/mine.py MIRROR_ROOT > tools/eval/labels/<repo>.csv  (one repo per call, see REPOS)

Reads the mirrors with `git show HEAD:<path>` / `git log`; runs nothing from them.
- mode `section`: an entry under a release-note heading naming performance ("Performance",
  "Performance Improvements") is `perf`; an entry under any other heading is `not_perf`.
- mode `entry`: the notes have no such heading; an entry whose own text names performance work
  (PERF_WORDS) is `perf`, any other entry `not_perf`.
A PR cited by a perf entry is never also not_perf. Each PR is matched to the first-parent commit it
landed as on the default branch (merge or squash message); PRs that did not land there are left out.
"""
import re
import subprocess
import sys

REPOS = {
    'astropy/astropy': ('astropy+astropy', 'section', ['CHANGES.rst'], r'\[((?:#\d+[,\s]*)+)\]'),
    'scverse/scanpy': ('scverse+scanpy', 'section', ['docs/release-notes/'], r'\{pr\}`(\d+)`'),
    'scverse/anndata': ('scverse+anndata', 'section', ['docs/release-notes/'], r'\{pr\}`(\d+)`'),
    'geopandas/geopandas': ('geopandas+geopandas', 'entry', ['CHANGELOG.md'], r'#(\d+)'),
    'shapely/shapely': ('shapely+shapely', 'entry', ['CHANGES.txt'], r'#(\d+)'),
    'pydata/sparse': ('pydata+sparse', 'entry', ['docs/changelog.md'], r'PR \[#(\d+)\]'),
    'pvlib/pvlib-python': ('pvlib+pvlib-python', 'entry', ['docs/sphinx/source/whatsnew/'], r':pull:`(\d+)`'),
    'holoviz/datashader': ('holoviz+datashader', 'entry', ['CHANGELOG.md'], r'#(\d+)|/pull/(\d+)'),
}
PERF_HEADING = re.compile(r'\bperformance\b', re.I)
PERF_WORDS = re.compile(
    r'\b(performance|performant|faster|speed(s|ed)?[- ]?ups?|sped up|speeds? (it )?up|more efficient(ly)?|'
    r'optimi[sz](e|ed|es|ing|ation|ations)|quicker|(reduced?|lower) memory|memory (usage|footprint)|vectori[sz]ed)\b',
    re.I,
)
DOCS_WORDS = re.compile(r'\b(guide|docs?|documentation|docstrings?|tutorials?|user guide)\b', re.I)
SINCE = '2019-07-01'


def git(mirror, *args):
    return subprocess.run(['git', '-C', mirror, *args], check=True, capture_output=True, text=True,
                          errors='replace').stdout


def headings_and_entries(text, md):
    """Yields (heading stack text, entry text) for every bullet entry."""
    lines = text.split('\n')
    stack = []  # (level, title)
    levels = []  # rst underline chars in order of first use
    entry = None
    current = ''

    def flush():
        nonlocal entry
        if entry is not None:
            yield_list.append((current, ' '.join(entry)))
        entry = None

    yield_list = []
    for i, line in enumerate(lines):
        heading = None
        if md:
            m = re.match(r'^(#{1,6})\s+(.*)$', line)
            if m:
                heading = (len(m.group(1)), m.group(2))
        else:
            nxt = lines[i + 1] if i + 1 < len(lines) else ''
            if line.strip() and re.match(r'^([=\-~^"`*+#])\1{2,}\s*$', nxt) and len(nxt.strip()) >= len(line.strip()) - 2:
                ch = nxt.strip()[0]
                if ch not in levels:
                    levels.append(ch)
                heading = (levels.index(ch) + 1, line.strip())
            elif re.match(r'^([=\-~^"`*+#])\1{2,}\s*$', line):
                continue
            # a plain bold/standalone "Performance" line also opens a section in some notes
        if heading:
            flush()
            level, title = heading
            stack = [s for s in stack if s[0] < level] + [(level, title)]
            current = ' / '.join(t for _, t in stack)
            continue
        if re.match(r'^\s{0,3}[-*]\s+', line):
            flush()
            entry = [re.sub(r'^\s*[-*]\s+', '', line)]
        elif entry is not None and line.strip():
            entry.append(line.strip())
        elif entry is not None and not line.strip():
            # a blank line inside an indented entry continues it; a blank before a non-indented line ends it
            nxt = lines[i + 1] if i + 1 < len(lines) else ''
            if not nxt.startswith('  '):
                flush()
    flush()
    return yield_list


def landed(mirror, branch):
    out = git(mirror, 'log', '--first-parent', f'--since-as-filter={SINCE}', '--format=%H%x1f%P%x1f%cI%x1f%s', branch)
    found = {}
    for line in reversed(out.splitlines()):  # oldest first: keep a number's first landing, as collect does
        sha, parents, date, subject = line.split('\x1f', 3)
        merge = re.match(r'^Merge pull request #(\d+) from \S+', subject)
        squash = re.match(r'^.*?\s*\(#(\d+)\)\s*$', subject)
        m = merge or (squash if len(parents.split()) == 1 else None)
        if m:
            found.setdefault(int(m.group(1)), (sha, date))
    return found


def main():
    root, repo = sys.argv[1], sys.argv[2]
    name, mode, paths, ref = REPOS[repo]
    mirror = f'{root}/{name}/repo'
    branch = git(mirror, 'symbolic-ref', '--short', 'HEAD').strip()
    head = git(mirror, 'rev-parse', branch).strip()
    files = []
    for p in paths:
        if p.endswith('/'):
            files += [f for f in git(mirror, 'ls-tree', '-r', '--name-only', head, '--', p).split('\n') if f.endswith(('.md', '.rst', '.txt'))]
        else:
            files.append(p)
    labels = {}
    for f in files:
        text = git(mirror, 'show', f'{head}:{f}')
        for heading, entry in headings_and_entries(text, f.endswith('.md')):
            numbers = []
            for m in re.finditer(ref, entry):
                for g in m.groups():
                    if g:
                        numbers += [int(x) for x in re.findall(r'\d+', g)]
            if not numbers:
                continue
            sections = heading.split(' / ') if heading else []
            perf_section = next((h for h in sections if PERF_HEADING.search(h)), None)
            if mode == 'section':
                perf = perf_section is not None
                why = f'{f}@{head[:12]} section "{(perf_section or (sections[-1] if sections else ""))[:40]}"'
            else:
                # documentation about performance (a guide, a table in the docs) is not performance work
                perf = bool(PERF_WORDS.search(entry)) and not DOCS_WORDS.search(entry)
                why = f'{f}@{head[:12]} entry {"names" if perf else "does not name"} performance work'
            for n in numbers:
                if labels.get(n, (None,))[0] == 'perf':
                    continue
                labels[n] = ('perf' if perf else 'not_perf', why)
    land = landed(mirror, branch)
    print('repo_name,pr_number,landed_sha,landed_at,label,source')
    kept = {'perf': 0, 'not_perf': 0}
    for n in sorted(labels):
        if n not in land:
            continue
        sha, date = land[n]
        label, why = labels[n]
        kept[label] += 1
        print(f'{repo},{n},{sha},{date},{label},{why}')
    print(f'{repo}: perf {kept["perf"]}, not_perf {kept["not_perf"]}, cited {len(labels)}, landed since {SINCE}: '
          f'{kept["perf"] + kept["not_perf"]}', file=sys.stderr)


if __name__ == '__main__':
    main()
