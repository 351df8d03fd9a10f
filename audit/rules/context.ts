/**
 * Where a match sits, which decides how much it weighs: a command in a script runs; the same
 * command in a sentence that warns against it, or quoted in a code block, is documentation.
 */
import type { Severity } from '../../schema/audit-report';

/** The sentence around `offset` (bounded by . ! ? followed by space, a blank line, or 400 chars). */
export function sentenceAround(text: string, offset: number, end = offset): { start: number; end: number } {
  const floor = Math.max(0, offset - 400);
  let start = floor;
  for (let i = offset - 1; i >= floor; i--) {
    const c = text.charAt(i);
    if ((c === '.' || c === '!' || c === '?') && /\s/.test(text.charAt(i + 1))) {
      start = i + 1;
      break;
    }
    if (c === '\n' && text.charAt(i - 1) === '\n') {
      start = i + 1;
      break;
    }
  }
  const ceiling = Math.min(text.length, end + 400);
  let stop = ceiling;
  for (let i = end; i < ceiling; i++) {
    const c = text.charAt(i);
    if ((c === '.' || c === '!' || c === '?') && (i + 1 === text.length || /\s/.test(text.charAt(i + 1)))) {
      stop = i + 1;
      break;
    }
    if (c === '\n' && text.charAt(i + 1) === '\n') {
      stop = i;
      break;
    }
  }
  return { start, end: stop };
}

/**
 * Words that mark text as *about* a danger rather than asking for it: a warning, a negation, an
 * example in a security guide, a detector's description. "Don't forget to" is not a negation.
 */
const DISCUSSION = /\b(?:never|avoid(?:s|ing)?|don'?t|do\s+not|must\s+not|should\s+not|shouldn'?t|dangerous|unsafe|insecure|malicious|attacks?|attackers?|exploits?|anti-?pattern|bad\s+practice|risky|warning|beware|examples?\s+of|such\s+as|e\.g\.|detects?|detection|detector|suspicious|phishing|injections?|jailbreaks?|red\s+flags?|refuse|reject|instead|only\s+if|unless|review(?:ed|ing)?|inspect(?:ed|ing)?)\b/i;
const NOT_A_NEGATION = /\b(?:don'?t|do\s+not|never)\s+(?:forget|skip|miss|omit)\b/gi;

export function discusses(sentence: string): boolean {
  return DISCUSSION.test(sentence.replace(NOT_A_NEGATION, ''));
}

/** Words before a code block that ask the reader to run it. */
const INVITATION = /\b(?:run|execute|paste|install|set\s*up|setup|first|before\s+(?:using|you|starting)|required|requires|prerequisites?|get\s+started|bootstrap|initiali[sz]e|enable)\b/i;

export function invitesToRun(lead: string): boolean {
  return INVITATION.test(lead) && !discusses(lead);
}

/** Whether `offset` sits inside a quotation in its sentence ("...", “...”, '...' around words). */
export function quoted(text: string, sentenceStart: number, offset: number): boolean {
  const before = text.slice(sentenceStart, offset);
  const straight = (before.match(/"/g) ?? []).length;
  if (straight % 2 === 1) return true;
  if (before.lastIndexOf('\u201C') > before.lastIndexOf('\u201D')) return true;
  if (before.lastIndexOf('\u2018') > before.lastIndexOf('\u2019')) return true;
  return /(?:^|\s)'[^']*$/.test(before);
}

export function insideSpan(spans: readonly [number, number][], offset: number): boolean {
  return spans.some(([s, e]) => offset >= s && offset < e);
}

const ORDER: Severity[] = ['info', 'low', 'medium', 'high'];

/** One step less severe (high -> medium -> low -> info). */
export function lower(severity: Severity): Severity {
  return ORDER[Math.max(0, ORDER.indexOf(severity) - 1)] ?? 'info';
}

export function atMost(severity: Severity, cap: Severity): Severity {
  return ORDER.indexOf(severity) > ORDER.indexOf(cap) ? cap : severity;
}

/** Whether the line holding `offset` is a comment in a script (#, //, --, REM, ::, ;). */
export function commentLine(text: string, offset: number): boolean {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const head = text.slice(start, Math.min(offset, start + 200)).trimStart();
  return /^(?:#(?!!)|\/\/|--\s|\/?\*|REM\s|::|;)/i.test(head);
}
