/**
 * The rank gate: within each UTC month, the merged PRs with the highest learned score pass, at most
 * `share` of the month's merged PRs (those collect dropped count in the denominator and never pass),
 * plus every PR whose title or message has a performance prefix or strong performance word.
 *
 * Why a share and not a threshold: fitted across eight repositories, a logistic model's ranking
 * transfers between repositories but its threshold does not (their signal rates differ: numpy's C
 * sources, sparse's numba code), so a fixed log-odds cut passes 27–62% depending on the repository.
 * Ranking within the month of one repository bounds the pass rate by construction (prepare/README.md,
 * "Measured across repositories").
 */

/** The default share of each month's merged PRs the rank gate passes. */
export const DEFAULT_GATE_SHARE = 0.35;

/** One merged PR as the rank gate sees it. */
export interface RankItem {
  /** `YYYY-MM` of its merge (UTC). */
  month: string;
  /** The learned model's log-odds. */
  score: number;
  /** Kept upstream and within the size limits: only these can pass. */
  eligible: boolean;
  /** A performance prefix or strong performance word in the title or message: passes whatever its rank. */
  strong: boolean;
  /** Breaks ties, so the selection does not depend on row order (the commit sha). */
  key: string;
}

/** Where one PR stands in its month. */
export interface RankPlace {
  selected: boolean;
  /** 1-based rank among the month's eligible PRs by score; null when not eligible. */
  rank: number | null;
  /** How many of the month's PRs may pass by rank: floor(share × merged). */
  budget: number;
  /** Merged PRs of the month (the denominator of the share). */
  merged: number;
  month: string;
}

/** Ranks every month's eligible PRs by score (ties by key) and selects the top floor(share × merged). */
export function rankByMonth(items: readonly RankItem[], share: number): RankPlace[] {
  const byMonth = new Map<string, number[]>();
  items.forEach((item, i) => {
    const list = byMonth.get(item.month);
    if (list) list.push(i);
    else byMonth.set(item.month, [i]);
  });
  const places: RankPlace[] = items.map((item) => ({
    selected: false,
    rank: null,
    budget: 0,
    merged: 0,
    month: item.month,
  }));
  for (const indexes of byMonth.values()) {
    const merged = indexes.length;
    const budget = Math.floor(share * merged + 1e-9);
    const ranked = indexes
      .filter((i) => items[i]?.eligible)
      .sort((a, b) => {
        const x = items[a] as RankItem;
        const y = items[b] as RankItem;
        return y.score - x.score || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);
      });
    for (const i of indexes) Object.assign(places[i] as RankPlace, { budget, merged });
    ranked.forEach((i, position) => {
      const place = places[i] as RankPlace;
      place.rank = position + 1;
      place.selected = position < budget || (items[i] as RankItem).strong;
    });
  }
  return places;
}
