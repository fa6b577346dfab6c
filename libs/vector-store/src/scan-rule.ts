/**
 * When a filtered search scans its matching points instead of walking the HNSW graph.
 *
 * Always when the matching vectors hold at most EXACT_SCAN_FLOATS (25 000 crops of 1024 dimensions,
 * 100 MB): graph searches restricted to a filter lose recall when the filter keeps too many points
 * for Qdrant to give them their own graph links but few enough to be scattered. On
 * `npm run bench -- search` (100 000 crops) a zone holding 22 % of the crops got recall@10 0.956
 * with hnsw_ef 512 and ACORN, in 11 ms, while the exact scan took 11–15 ms (2 cores). Qdrant's own
 * switch (the collection's full_scan_threshold) cannot be raised that far without losing those
 * extra graph links, which larger filters need.
 *
 * Also, up to twice that, when the filter keeps at most SPARSE_FILTER_SHARE of the collection: so
 * few of a node's links survive the filter that the walk strands. On `npm run bench -- scale`
 * (1,000,000 crops, int8, originals on disk, 2 cores) a combined filter keeping 31 805 points (3.2 %)
 * got recall@10 0.971 from the graph in 36.4 ms (p50, hnsw_ef 512), 0.999 with ACORN in 106.8 ms,
 * and 1.000 from the exact scan in 36.7 ms. At 100 000 crops the filters keeping 35 000–50 000 points
 * (35–50 %) walked the graph in 10–12 ms at recall ≥ 0.99, where a scan would take 35–50 ms.
 */
const EXACT_SCAN_FLOATS = 25_000 * 1024;
const SPARSE_FILTER_SHARE = 0.04;

/** Whether to scan exactly the `matching` points of a filter, in a collection of `points` vectors of `dimension`. */
export function scanFilterExactly({
  matching,
  points,
  dimension,
}: {
  matching: number;
  points: number;
  dimension: number;
}) {
  const floats = matching * dimension;
  return floats <= EXACT_SCAN_FLOATS || (floats <= 2 * EXACT_SCAN_FLOATS && matching <= SPARSE_FILTER_SHARE * points);
}

/** Whether a whole collection is small enough to scan whatever the filter keeps (no need to count). */
export function scanAnyFilterExactly({ points, dimension }: { points: number; dimension: number }) {
  return points * dimension <= EXACT_SCAN_FLOATS;
}
