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

/** A pattern's expressions, compiled once per audit (they carry `lastIndex`, so never shared between audits). */
export interface CompiledPattern<P extends ScannedPattern> {
  pattern: P;
  global: RegExp;
  sticky: RegExp;
  anchor: RegExp | undefined;
}

function withFlags(re: RegExp, add: string, remove: RegExp): RegExp {
  return new RegExp(re.source, `${re.flags.replace(remove, '')}${add}`);
}

export function compile<P extends ScannedPattern>(patterns: readonly P[]): CompiledPattern<P>[] {
  return patterns.map((pattern) => ({
    pattern,
    global: withFlags(pattern.re, 'g', /[gy]/g),
    sticky: withFlags(pattern.re, 'y', /[gy]/g),
    anchor: pattern.anchor ? withFlags(pattern.anchor, 'g', /[gy]/g) : undefined,
  }));
}

export interface ScanResult {
  matches: RegExpExecArray[];
  /** The anchor matched more than `maxCandidates` times: the rest of the text was not tried. */
  exhausted: boolean;
}

export function scan(compiled: CompiledPattern<ScannedPattern>, text: string, maxMatches: number, maxCandidates: number): ScanResult {
  const matches: RegExpExecArray[] = [];
  const { anchor, global, sticky } = compiled;
  if (!anchor) {
    global.lastIndex = 0;
    for (let m = global.exec(text); m !== null && matches.length < maxMatches; m = global.exec(text)) {
      if (m[0].length === 0) global.lastIndex++;
      matches.push(m);
    }
    return { matches, exhausted: false };
  }
  anchor.lastIndex = 0;
  let candidates = 0;
  for (let a = anchor.exec(text); a !== null && matches.length < maxMatches; a = anchor.exec(text)) {
    if (++candidates > maxCandidates) return { matches, exhausted: true };
    sticky.lastIndex = a.index;
    const m = sticky.exec(text);
    if (m) {
      matches.push(m);
      anchor.lastIndex = Math.max(anchor.lastIndex, a.index + Math.max(1, m[0].length));
    } else if (a[0].length === 0) anchor.lastIndex++;
  }
  return { matches, exhausted: false };
}
