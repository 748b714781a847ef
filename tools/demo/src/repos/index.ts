import type { RepoHistory } from '../history';
import { fastmathHistory } from './fastmath';
import { geoframeHistory } from './geoframe';
import { archivedHistory, forkHistory, noAsvHistory, smallHistory } from './minor';
import { quickhistHistory } from './quickhist';
import { textkitHistory } from './textkit';
import { tinysplineHistory } from './tinyspline';

/** The history module of every demo repository with a mirror, by `owner/name`. */
export const DEMO_HISTORIES: Readonly<Record<string, RepoHistory>> = Object.fromEntries(
  [
    fastmathHistory,
    textkitHistory,
    geoframeHistory,
    tinysplineHistory,
    quickhistHistory,
    forkHistory,
    archivedHistory,
    smallHistory,
    noAsvHistory,
  ].map((h) => [h.repo, h]),
);
