/** "Did you mean": the known name a mistyped one is probably a misspelling of. */

/** The known key within a small edit distance of `key` (a typo or a different case), if any. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  const lower = key.toLowerCase();
  for (const candidate of known) {
    const limit = Math.min(3, Math.max(1, Math.floor(candidate.length / 4)));
    const distance = editDistance(lower, candidate.toLowerCase(), limit);
    if (distance <= limit && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/**
 * Levenshtein distance with adjacent transpositions (optimal string alignment), or Infinity as
 * soon as it must exceed `limit`: a 10,000-key file is checked key by key.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return Infinity;
  let before = new Int32Array(b.length + 1);
  let previous = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  let row = new Int32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    row[0] = i;
    let least = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      row[j] = d;
      if (d < least) least = d;
    }
    if (least > limit) return Infinity;
    [before, previous, row] = [previous, row, before];
  }
  return previous[b.length] as number;
}
