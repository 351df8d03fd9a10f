/**
 * Prose read as instructions, not mentions. SKILL.md and references are what an agent is told to
 * do; the same words also appear in what they quote, warn against, list or document. A match is
 * high only when it is asked for:
 *
 * - its clause is an imperative ("run ...", "Never skip this step: run ...", "you must ...") or
 *   the list it sits in is introduced by one, not a description ("agents skip confirmation based
 *   on it", "`echo $(env)` dumps all variables", "a skill that instructs the agent to read ~/.ssh");
 * - it is not quoted, in a heading, in a sentence or list introduced as a warning ("Never do the
 *   following:"), in a code block marked as an anti-pattern (`// DANGEROUS`, "Bad:", a section
 *   called "Vulnerable"), or in a table that lists phrases to detect or documents a flag;
 * - "do not ask for confirmation" is high only where the sentence deletes, deploys, pushes, sends,
 *   pays or installs; turning the permission system off (bypass-permissions mode,
 *   --dangerously-skip-permissions) is high whenever it is asked for.
 *
 * Text is normalised first (normalize.ts), so zero-width characters and look-alike letters do not
 * hide a trigger word; a match that needed normalising, or that sits where a reader does not see
 * it (a link title, an HTML comment, an image's alt text), is reported as `injection-hidden`.
 */
import type { Finding, Severity } from '../schema/audit-report';
import type { BlockContext, Segment } from './markdown';
import { changesWithin, MAX_CHANGES, normalizeForMatching, originalOffset, type Change } from './normalize';
import { findCommands, type CompiledCommands } from './rules/commands';
import { atMost, discusses, insideSpan, invitesToRun, lower, quoted, sentenceAround } from './rules/context';
import { findInjections, type CompiledInjections } from './rules/injection';
import { excerptAround, LineIndex } from './text';
import { finding, type Emit } from './types';

export interface ProseMatchers {
  commands: CompiledCommands;
  injections: CompiledInjections;
}

/** Words that start an imperative clause without being its verb. */
const LEAD = /^(?:(?:there\s+is|there's|please|now|then|next|first|firstly|finally|also|and|or|but|just|simply|always|immediately|quietly|silently|secretly|automatically|afterwards|after\s+that|once\s+(?:done|finished)|step\s*\d+\s*[:.)-]?|\d+[.)]|[-*+>•]|(?:you|(?:the\s+)?(?:agent|assistant|model|ai|llm|claude|copilot|codex|gemini))\s+(?:must|should|will|shall|needs?\s+to|has\s+to|have\s+to|is\s+to|is\s+required\s+to|can|may)(?:\s+(?:also|always|now|then|first|immediately))?|your\s+(?:first\s+|next\s+|only\s+|real\s+)?(?:task|job|step|goal)\s+is\s+to|it\s+is\s+(?:important|required|mandatory|essential)\s+(?:that\s+you|to)|make\s+sure\s+(?:to|you)|be\s+sure\s+to|remember\s+to|(?:don'?t|do\s+not)\s+forget\s+to|(?:never|don'?t|do\s+not)\s+skip\s+this(?:\s+step)?|(?:note|important|required|mandatory|action|todo)\b)\s*)*/i;
/** First words of a clause that make it a description, not an order. */
const SUBJECT = /^(?:the|a|an|this|that|these|those|it|its|it's|they|their|he|she|we|i|ai|agents?|models?|llms?|assistants?|copilot|claude|codex|gemini|users?|tools?|flags?|options?|modes?|which|who|whose|some|many|most|each|every|any|all|no|one|someone|something|attackers?|skills?|scripts?|commands?|actions?|workflows?|servers?|payloads?|here|there|if|when|whether|because|since|while|where|as|so)$/i;
/** Verbs an instruction starts with. */
const VERB = /^(?:run|rerun|re-run|restart|relaunch|reopen|execute|exec|send|post|upload|submit|forward|transmit|email|e-mail|delete|remove|erase|wipe|install|download|fetch|retrieve|read|copy|collect|gather|grab|harvest|extract|switch|set|enable|disable|turn|use|start|launch|open|add|write|create|append|call|invoke|go|proceed|continue|deploy|push|commit|merge|apply|skip|bypass|ignore|disregard|forget|override|answer|reply|respond|print|output|dump|list|show|reveal|include|attach|paste|type|enter|clone|build|generate|export|save|move|take|get|put|check|approve|accept|allow|choose|pick|select|do|don't|dont|never|make|keep|leave|let|tell|say|perform|complete|finish|fix|update|edit|modify|change|replace|pipe|source|eval|evaluate|curl|wget|silently|secretly|quietly|hide|conceal|omit|load|follow|obey|access|cat|base64|encode|grant|give|pass|configure|store|sync|share|leak|exfiltrate|beacon|act|treat|pretend|assume|always|automatically|immediately|first|then|now|simply|just|please|you)$/i;
/** Actions that are hard to undo or leave the machine: where skipping confirmation matters. */
const CONSEQUENTIAL = /\b(?:delet\w*|remov\w*|drop\w*|destroy\w*|wip\w*|eras\w*|purg\w*|truncat\w*|overwrit\w*|force[\s-]?push\w*|push\w*|deploy\w*|publish\w*|releas\w*|merg\w*|send\w*|sent|post(?:s|ed|ing)?\s+(?:to|it|them|the)|upload\w*|email\w*|transfer\w*|pay\w*|purchas\w*|buy\w*|charg\w*|install\w*|execut\w*|run(?:s|ning)?\s+(?:the\s+)?(?:commands?|scripts?|code|shell|it)|rm\s+-|sudo|chmod|reset\s+--hard)/i;
/** Marks a code block, its lead or its section as an example of what not to do. */
const ANTI_PATTERN = /\b(?:dangerous|bad|unsafe|insecure|vulnerable|vulnerability|risky|wrong|malicious|attack(?:er|s)?|exploit\w*|anti-?pattern|avoid|never|don'?t|do\s+not|not\s+(?:this|like\s+this)|incorrect|compromised?|backdoor|red\s+flags?|what\s+not\s+to\s+do|detect\w*|example\s+of\s+(?:an?\s+)?(?:attack|injection|malicious))\b|❌|⚠️|🚫/i;
/** A table that lists things to look for, or documents options, rather than giving orders. */
const DOCUMENTING_TABLE = /\b(?:patterns?|phrases?|examples?|indicators?|signals?|signatures?|detect\w*|red\s*flags?|triggers?|attacks?|vectors?|techniques?|payloads?|keywords?|regex|threats?|risks?|flags?|options?|arguments?|parameters?|switch(?:es)?|what\s+it\s+does|meaning|effect|severity|finding)\b/i;
const FLAG_IN_ROW = /(?:^|[\s|`(])--?[A-Za-z][\w-]*/;
/** A verb in the third person right after a command: it is being described ("`env | curl` sends ..."). */
const DESCRIBED_AFTER = /^[\s`)"'\]]*(?:[,-]\s*)?(?:downloads|runs|executes|dumps|reads|sends|pipes|fetches|installs|deletes|removes|is|are|was|were|does|did|will|would|can|could|may|might|becomes|gives|lets|allows|means|leaks|exposes|prints)\b/i;
/** Hosts and paths of vendors' own installers: piping them to a shell is how their docs say to install. */
export const VENDOR_INSTALLERS = /https?:\/\/(?:sh\.rustup\.rs|static\.rust-lang\.org\/rustup|astral\.sh\/(?:uv|ruff)\/|aka\.ms\/InstallAzureCLI|community\.chocolatey\.org\/install\.ps1|claude\.ai\/install\.(?:sh|ps1)|get\.docker\.com|deb\.nodesource\.com|rpm\.nodesource\.com|raw\.githubusercontent\.com\/(?:Homebrew\/install|nvm-sh\/nvm)\/|bun\.sh\/install|deno\.land\/install|fnm\.vercel\.app\/install|get\.pnpm\.io|install\.python-poetry\.org|sdk\.cloud\.google\.com|ollama\.com\/install\.sh|mise\.run|starship\.rs\/install|tailscale\.com\/install\.sh|cli\.github\.com|pyenv\.run|get\.volta\.sh|foundry\.paradigm\.xyz|opencode\.ai\/install|cursor\.com\/install|get\.helm\.sh|raw\.githubusercontent\.com\/helm\/helm\/main\/scripts\/get-helm|install\.determinate\.systems|nixos\.org\/nix\/install|sh\.flutter\.dev|dot\.net\/v1\/dotnet-install|dotnet\.microsoft\.com\/download\/dotnet\/scripts|get\.sdkman\.io|supabase\.com\/install|cli\.sentry\.dev|aspire\.dev\/install|developers\.cloudflare\.com|workers\.cloudflare\.com)/i;

/** The start of the clause holding `offset`: after a sentence end, a colon, a semicolon, a dash, a comma, "and"/"then" or an opening bracket. */
function clauseStart(text: string, sentenceStart: number, offset: number): number {
  const before = text.slice(sentenceStart, offset);
  let best = 0;
  for (const m of before.matchAll(/\n|[:;(→]\s*|\s[—–]\s|\s--\s|,\s*/g)) best = (m.index ?? 0) + m[0].length;
  return sentenceStart + best;
}

/** Whether the words from the clause's start to `offset` make an order: lead words and at most one verb, or nothing. */
export function imperativeAt(text: string, sentenceStart: number, offset: number): boolean {
  const start = clauseStart(text, sentenceStart, offset);
  const clause = text.slice(start, offset).replace(/<!--|-->|[*_`"'“”‘’[\]#]/g, ' ').trim();
  const rest = clause.replace(LEAD, '').trim();
  if (rest === '') return true;
  const first = rest.split(/\s+/)[0] ?? '';
  if (SUBJECT.test(first)) return false;
  return VERB.test(first);
}

/** The paragraph before a code block asks to run it, as an order ("Install it first:"), not a description ("Some actions download and execute scripts:"). */
export function invites(lead: string): boolean {
  if (!invitesToRun(lead)) return false;
  if (/\b(?:first|required|requires|prerequisites?|before\s+(?:using|you|starting)|get\s+started)\b/i.test(lead)) return true;
  const m = /\b(?:run|execute|paste|install|set\s*up|setup|bootstrap|initiali[sz]e|enable)\b/i.exec(lead);
  if (!m) return true;
  return imperativeAt(lead, sentenceAround(lead, m.index).start, m.index);
}

/** "--yolo: skip all confirmations", "What does --yolo do? → Same as --allow-all (skip all confirmations)": a definition of a flag or mode. */
function definesFlag(text: string, sentenceStart: number, offset: number): boolean {
  const start = clauseStart(text, sentenceStart, offset);
  if (start === sentenceStart || !/[:(→=]\s*$/.test(text.slice(sentenceStart, start))) return false;
  const floor = text.lastIndexOf('\n', offset - 1) + 1;
  return /(?:^|[\s`(])(?:--?|\/)[a-z][\w-]*|\b\w+\s+mode\b/i.test(text.slice(Math.max(floor, sentenceStart - 200), start));
}

/** "Example: ...", "Usage: ...", "Syntax: ...": the text after it is shown, not asked for. */
const EXAMPLE_LEAD = /\b(?:example|examples|usage|syntax|e\.g\.|for\s+instance|for\s+example)\s*[:,]?\s*$/i;

/** Negations: they lower a match only within its own clause ("Do not run X", "X is something you should never do"), not from a clause beside it ("Run it quietly and do not mention it: X"). */
const NEGATION = /\b(?:never|don'?t|do\s+not|must\s+not|mustn'?t|should\s+not|shouldn'?t)\b/gi;
const NOT_A_NEGATION = /\b(?:don'?t|do\s+not|never)\s+(?:forget|skip|miss|omit)\b/gi;

/** Whether the sentence around [start, end) warns about the match rather than asking for it. */
function warnsAbout(text: string, sentenceStart: number, sentenceEnd: number, start: number, end: number): boolean {
  const outside = `${text.slice(sentenceStart, start)} ${text.slice(end, sentenceEnd)}`;
  if (discusses(outside.replace(NOT_A_NEGATION, '').replace(NEGATION, ''))) return true;
  const before = text.slice(clauseStart(text, sentenceStart, start), start);
  const afterEnd = text.slice(end, sentenceEnd).search(/[;:,(]|\s[—–]\s|\s--\s|\n/);
  const after = text.slice(end, afterEnd === -1 ? sentenceEnd : end + afterEnd);
  return new RegExp(NEGATION.source, 'i').test(`${before} ${after}`.replace(NOT_A_NEGATION, ''));
}

/** A table that lists phrases to look for or documents a flag. */
function documentingTable(where: BlockContext | undefined): boolean {
  if (!where?.table) return false;
  return DOCUMENTING_TABLE.test(where.table.header) || FLAG_IN_ROW.test(where.table.row.replace(/\|/g, ' '));
}

/** Spans of a prose block a reader of the rendered page does not see: link titles, HTML comments, images' alt text. */
function unseenSpans(text: string): { span: [number, number]; what: string }[] {
  const out: { span: [number, number]; what: string }[] = [];
  for (const m of text.matchAll(/\]\(\s*<?[^\s)>]*>?\s+("[^"\n]*"|'[^'\n]*'|\([^)\n]*\))\s*\)/g)) {
    const start = (m.index ?? 0) + m[0].indexOf(m[1] ?? '');
    out.push({ span: [start, start + (m[1]?.length ?? 0)], what: 'a link title' });
  }
  for (const m of text.matchAll(/^\s*\[[^\]\n]+\]:\s*\S+\s+("[^"\n]*"|'[^'\n]*'|\([^)\n]*\))/gm)) {
    const start = (m.index ?? 0) + m[0].lastIndexOf(m[1] ?? '');
    out.push({ span: [start, start + (m[1]?.length ?? 0)], what: 'a link definition\'s title' });
  }
  for (const m of text.matchAll(/<!--[\s\S]*?(?:-->|$)/g)) out.push({ span: [m.index ?? 0, (m.index ?? 0) + m[0].length], what: 'an HTML comment' });
  for (const m of text.matchAll(/!\[([^\]\n]*)\]/g)) out.push({ span: [(m.index ?? 0) + 2, (m.index ?? 0) + 2 + (m[1]?.length ?? 0)], what: 'an image\'s alt text' });
  return out;
}

const HIDING: Record<Change, string> = {
  invisible: 'invisible characters inside its words',
  lookalike: 'look-alike letters from another script inside its words',
  compatibility: 'fullwidth or styled letters',
};

function around(text: string, start: number, end: number): { outside: string; sentenceStart: number; sentenceEnd: number } {
  const s = sentenceAround(text, start, end);
  return { outside: `${text.slice(s.start, start)} ${text.slice(end, s.end)}`, sentenceStart: s.start, sentenceEnd: s.end };
}

interface Judged {
  severity: Severity;
  note: string;
}

/** How an injection match in prose weighs. */
function judgeInjectionProse(text: string, segment: Extract<Segment, { context: 'prose' }>, m: { rule: string; severity: Severity; kind?: string; start: number; end: number }, unseen: boolean): Judged {
  const where = segment.where;
  const { sentenceStart, sentenceEnd } = around(text, m.start, m.end);
  const inSpan = insideSpan(segment.codeSpans, m.start);
  if (!unseen && ((inSpan && m.kind !== 'command') || quoted(text, sentenceStart, m.start))) return { severity: lower(m.severity), note: ' (quoted)' };
  if (documentingTable(where)) return { severity: atMost(m.severity, 'low'), note: ' (in a table that lists or documents it)' };
  if (where?.heading) return { severity: lower(m.severity), note: ' (a heading)' };
  if (warnsAbout(text, sentenceStart, sentenceEnd, m.start, m.end)) return { severity: lower(m.severity), note: ' (the sentence discusses it rather than asking for it)' };
  if (where?.intro !== undefined && where.intro !== '' && discusses(where.intro)) return { severity: lower(m.severity), note: ' (in a list introduced as a warning or example)' };
  if (definesFlag(text, sentenceStart, m.start)) return { severity: atMost(m.severity, 'low'), note: ' (says what a flag or mode does)' };
  if (m.rule !== 'injection-override' && !imperativeAt(text, sentenceStart, m.start)) return { severity: lower(m.severity), note: ' (described, not asked for)' };
  if (m.kind === 'ask' && !CONSEQUENTIAL.test(text.slice(sentenceStart, sentenceEnd))) return { severity: atMost(m.severity, 'medium'), note: ' (nothing hard to undo or leaving the machine is named with it)' };
  if (m.rule === 'injection-conceal' && /\b(?:about|of)\s+(?:each|every)\b/i.test(text.slice(m.end, m.end + 40))) return { severity: atMost(m.severity, 'medium'), note: ' (about narrating each step)' };
  return { severity: m.severity, note: '' };
}

/** A code block shown as an example of what not to do. */
function antiPatternBlock(segment: Extract<Segment, { context: 'code' }>, text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd === -1) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd);
  const comment = /(?:#|\/\/|--|<!--|\/\*|REM\b|::)\s*(.*)$/i.exec(line.slice(Math.max(0, offset - lineStart)))?.[1] ?? '';
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n'));
  const firstComment = /^\s*(?:#|\/\/|--|<!--|\/\*)\s*(.*)$/.exec(firstLine)?.[1] ?? '';
  return ANTI_PATTERN.test(comment) || ANTI_PATTERN.test(firstComment) || ANTI_PATTERN.test(segment.lead) || ANTI_PATTERN.test(segment.where?.section ?? '') || ANTI_PATTERN.test(segment.where?.intro ?? '');
}

/** Scans one Markdown block (or plain-prose paragraph) of SKILL.md, a reference or a text file. */
export function scanProseSegment(file: string, segment: Segment, emit: Emit, onExhausted: (rule: string) => void, matchers: ProseMatchers): void {
  const original = segment.text;
  if (original.trim() === '') return;
  const normalized = normalizeForMatching(original);
  const text = normalized.text;
  if (normalized.truncated) emit(finding('audit-incomplete', 'medium', file, segment.line, `more than ${MAX_CHANGES} invisible, look-alike or fullwidth characters in one block: past them the text was matched as written (look-alikes there can hide an instruction); review it by hand`, ''));
  let index: LineIndex | undefined;
  const lineOf = (offset: number): number => {
    index ??= new LineIndex(original);
    return segment.line + index.lineOf(offset) - 1;
  };
  const unseen = segment.context === 'prose' ? unseenSpans(text) : [];
  /** Reports where and how a high-capable match was hidden. */
  const hiding = (rule: string, start: number, end: number, severity: Severity): void => {
    const from = originalOffset(normalized, start, original);
    const to = originalOffset(normalized, end, original);
    const kinds = changesWithin(normalized, from, to);
    const place = unseen.find((u) => start >= u.span[0] && start < u.span[1]);
    if (kinds.length === 0 && !place) return;
    const how = [...kinds.map((k) => HIDING[k]), ...(place ? [`it sits in ${place.what}, which the rendered page does not show`] : [])].join('; ');
    emit(finding('injection-hidden', severity, file, lineOf(from), `an instruction (${rule}) is disguised: ${how}`, excerptAround(original, from, Math.max(from + 1, to))));
  };
  const report = (rule: string, severity: Severity, start: number, end: number, message: string): void => {
    const from = originalOffset(normalized, start, original);
    const to = originalOffset(normalized, end, original);
    emit(finding(rule, severity, file, lineOf(from), message, excerptAround(original, from, Math.max(from + 1, to))));
  };

  for (const m of findInjections(matchers.injections, text)) {
    let judged: Judged;
    const place = unseen.some((u) => m.start >= u.span[0] && m.start < u.span[1]);
    if (segment.context === 'code') {
      if (m.kind === 'command' && m.severity === 'high' && invites(segment.lead) && !antiPatternBlock(segment, text, m.start)) judged = { severity: 'high', note: ' (in a code block the instructions ask to run)' };
      else judged = { severity: antiPatternBlock(segment, text, m.start) ? atMost(lower(m.severity), 'low') : lower(m.severity), note: ' (quoted in a code block)' };
    } else judged = judgeInjectionProse(text, segment, m, place);
    report(m.rule, judged.severity, m.start, m.end, `${m.message}${judged.note}`);
    if (m.severity === 'high') hiding(m.rule, m.start, m.end, segment.context === 'code' || documentingTable(segment.context === 'prose' ? segment.where : undefined) ? 'medium' : 'high');
  }

  const commands = findCommands(matchers.commands, text);
  for (const rule of commands.exhausted) onExhausted(rule);
  for (const m of commands.matches) {
    let severity: Severity = m.severity;
    let note = '';
    const lineEnd = text.indexOf('\n', m.end);
    const vendor = VENDOR_INSTALLERS.test(text.slice(m.start, Math.min(lineEnd === -1 ? text.length : lineEnd, m.end + 300)));
    if (segment.context === 'code') {
      if (antiPatternBlock(segment, text, m.start)) {
        severity = atMost(severity, 'low');
        note = ' (in a code block shown as what not to do)';
      } else if (severity === 'high' && invites(segment.lead)) note = ' (in a code block the instructions ask to run)';
      else {
        severity = lower(severity);
        note = ' (shown in a code block)';
      }
    } else {
      if (m.codeOnly) {
        if (!insideSpan(segment.codeSpans, m.start)) continue;
        severity = atMost(severity, 'medium');
      }
      const { sentenceStart, sentenceEnd } = around(text, m.start, m.end);
      const where = segment.where;
      if (documentingTable(where)) {
        severity = atMost(severity, 'low');
        note = ' (in a table that lists or documents it)';
      } else if (where?.heading) {
        severity = lower(severity);
        note = ' (a heading)';
      } else if (warnsAbout(text, sentenceStart, sentenceEnd, m.start, m.end) || (where?.intro !== undefined && where.intro !== '' && discusses(where.intro))) {
        severity = lower(severity);
        note = ' (the sentence warns about it)';
      } else if (EXAMPLE_LEAD.test(text.slice(Math.max(sentenceStart, m.start - 40), m.start))) {
        severity = lower(severity);
        note = ' (an example)';
      } else if (!imperativeAt(text, sentenceStart, m.start) || DESCRIBED_AFTER.test(text.slice(m.end, m.end + 40))) {
        severity = lower(severity);
        note = ' (described, not asked for)';
      } else note = ' (in the instructions an agent follows)';
    }
    if (vendor && severity === 'high') {
      severity = 'medium';
      note += ' (a vendor\'s own installer URL)';
    }
    report(m.rule, severity, m.start, m.end, `${m.message}${note}`);
    if (m.severity === 'high') hiding(m.rule, m.start, m.end, severity === 'high' ? 'high' : 'medium');
  }
}

/** For tests and the corpus: the findings one prose text gives, as SKILL.md. */
export type { Finding };
