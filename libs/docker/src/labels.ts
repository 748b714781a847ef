/**
 * Label keys datasmith puts on what it creates in the engine: `datasmith.task` on task images (the
 * LABEL of both Dockerfile layers, so failed builds' step images carry it too) and on build and
 * probe containers; `datasmith.base` on base images. `datasmith gc` and the crontab's prune lines
 * filter on these keys, so nothing else in the engine is touched.
 */
export const DATASMITH_LABEL_KEYS = ['datasmith.task', 'datasmith.base'] as const;
