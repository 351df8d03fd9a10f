/**
 * Bounded pattern matching. A pattern with a gap (`curl[^|]{0,240}\| sh`) costs up to the gap's
 * length at every place its first word appears, so text made of that word repeated would cost
 * gap x length. Patterns with long gaps therefore name an `anchor` (their first word, a cheap
 * regular expression): the pattern is tried only where the anchor matches, at most
 * `maxCandidates` times per text; past that the text is reported as not fully checked.
 */

export interface ScannedPattern {
  re: RegExp;
  anchor?: RegExp;
}

export interface ScanResult {
  matches: RegExpExecArray[];
  /** The anchor matched more than `maxCandidates` times: the rest of the text was not tried. */
  exhausted: boolean;
}

/** V8 caches compiled expressions by source and flags, so making these per call is cheap. */
function stickyOf(re: RegExp): RegExp {
  return new RegExp(re.source, `${re.flags.replace(/[gy]/g, '')}y`);
}

export function scan(pattern: ScannedPattern, text: string, maxMatches: number, maxCandidates: number): ScanResult {
  const matches: RegExpExecArray[] = [];
  if (!pattern.anchor) {
    const re = new RegExp(pattern.re.source, pattern.re.flags.includes('g') ? pattern.re.flags : `${pattern.re.flags}g`);
    for (let m = re.exec(text); m !== null && matches.length < maxMatches; m = re.exec(text)) {
      if (m[0].length === 0) re.lastIndex++;
      matches.push(m);
    }
    return { matches, exhausted: false };
  }
  const anchor = new RegExp(pattern.anchor.source, pattern.anchor.flags.includes('g') ? pattern.anchor.flags : `${pattern.anchor.flags}g`);
  const full = stickyOf(pattern.re);
  let candidates = 0;
  for (let a = anchor.exec(text); a !== null && matches.length < maxMatches; a = anchor.exec(text)) {
    if (++candidates > maxCandidates) return { matches, exhausted: true };
    full.lastIndex = a.index;
    const m = full.exec(text);
    if (m) {
      matches.push(m);
      anchor.lastIndex = Math.max(anchor.lastIndex, a.index + Math.max(1, m[0].length));
    } else if (a[0].length === 0) anchor.lastIndex++;
  }
  return { matches, exhausted: false };
}
