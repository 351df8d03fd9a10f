/**
 * The static audit of a skill package: every file, every rule, one report. Pure (files in,
 * report out), deterministic (the same files give the same report, byte for byte) and bounded
 * (pattern rules read at most `maxPatternChars` per file and `maxPatternTotal` per package; what
 * is left unread is a high finding, so the default `failOn: high` refuses it: no blind spot by budget).
 */
import { AUDITOR_VERSION, compareSeverity, type AuditCounts, type AuditReport, type Finding } from '../schema/audit-report';
import { runTargets } from '../schema/run-targets';
import { classifyFile, classifyFiles } from '../schema/trust';
import { decodeUtf8 } from '../schema/utf8';
import { checkContractFile, CONTRACTS_DIR } from './contracts';
import { createMarkdownParser, frontmatterLines, markdownSegments, type Segment } from './markdown';
import { codeLanguage, CodeScanner, scanMarkdownCode, toldLanguage } from './code';
import { compileCommands, findCommands, MAX_CANDIDATES, type CompiledCommands } from './rules/commands';
import { scanProseSegment } from './prose';
import { atMost, commentLine } from './rules/context';
import { compileInjections, type CompiledInjections } from './rules/injection';
import { InventoryBuilder, scanDisguisedBinary } from './rules/inventory';
import { redactSecrets, scanSecrets } from './rules/secrets';
import { scanIdentityName, scanUnicodeName, scanUnicodeText } from './rules/unicode';
import { clip, excerptAround, extensionOf, hasNul, LineIndex } from './text';
import { finding, type AuditFile, type Emit, type TextFile, type TextKind } from './types';

export interface AuditOptions {
  /** Most findings listed in the report (the most severe are kept; all are counted). Default 500. */
  maxFindings?: number;
  /** Most findings listed per rule and file. Default 10. */
  maxPerRuleAndFile?: number;
  /** Characters of one file the pattern rules read. Default 2 MiB. */
  maxPatternChars?: number;
  /** Characters of all files together the pattern rules read. Default 8 MiB. */
  maxPatternTotal?: number;
}

const MIB = 1024 * 1024;
const latin1 = new TextDecoder('latin1');
const MARKDOWN = new Set(['md', 'markdown', 'mdx']);
const DOCS = new Set(['txt', 'text', 'rst', 'adoc', '']);
/**
 * Markdown is parsed (code blocks told from prose) up to these sizes per file and per package;
 * past them it is read as plain prose. markdown-it costs about 3 µs a line, so hostile input
 * (100,000 one-character lines) is bounded by lines as well as characters.
 */
const MAX_MARKDOWN_PARSE = 256 * 1024;
const MAX_MARKDOWN_LINES = 10_000;
const MAX_MARKDOWN_TOTAL = 1024 * 1024;
const MAX_MARKDOWN_LINES_TOTAL = 40_000;

interface Matchers {
  commands: CompiledCommands;
  injections: CompiledInjections;
}

export function auditFiles(files: readonly AuditFile[], options: AuditOptions = {}): AuditReport {
  const maxFindings = options.maxFindings ?? 500;
  const perRuleAndFile = options.maxPerRuleAndFile ?? 10;
  const maxPatternChars = options.maxPatternChars ?? 2 * MIB;
  let patternBudget = options.maxPatternTotal ?? 8 * MIB;

  const counts: AuditCounts = { high: 0, medium: 0, low: 0, info: 0 };
  const all: Finding[] = [];
  const perKey = new Map<string, number>();
  const emit: Emit = (f) => {
    counts[f.severity]++;
    const key = `${f.file}\u0000${f.rule}`;
    const n = (perKey.get(key) ?? 0) + 1;
    perKey.set(key, n);
    if (n > perRuleAndFile) return;
    all.push({ ...f, message: clip(redactSecrets(f.message), 500), excerpt: clip(redactSecrets(f.excerpt), 300) });
  };

  const md = createMarkdownParser();
  const matchers: Matchers = { commands: compileCommands(), injections: compileInjections() };
  let markdownBudget = { chars: MAX_MARKDOWN_TOTAL, lines: MAX_MARKDOWN_LINES_TOTAL };
  const inventory = new InventoryBuilder();
  const code = new CodeScanner();
  let bytes = 0;
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // What the instructions run is executable whatever its name, and read in the language it is run with.
  const told = runTargets(sorted);
  const classes = new Map(classifyFiles(sorted, told).map((c) => [c.path, c]));
  for (const file of sorted) {
    bytes += file.bytes.byteLength;
    scanUnicodeName(file.path, emit);
    const classified = classes.get(file.path) ?? classifyFile(file);
    inventory.addFile(file, emit, classified);
    const binary = hasNul(file.bytes);
    scanDisguisedBinary(file, binary, emit);
    if (binary) continue;
    let text = decodeUtf8(file.bytes);
    if (text === undefined) {
      // Not UTF-8 is no reason to skip it: read as Latin-1 (one character per byte), every byte is still checked.
      emit(finding('text-not-utf8', 'low', file.path, 0, 'not valid UTF-8: read as Latin-1, so non-ASCII text may show oddly in excerpts', ''));
      text = latin1.decode(file.bytes);
    }
    const kind = classified.kind === 'executable' && !MARKDOWN.has(extensionOf(file.path)) ? 'script' : kindOf(file, text);
    const whole: TextFile = { path: file.path, kind, text, lines: new LineIndex(text) };
    scanUnicodeText(whole, emit);
    if (file.path === 'SKILL.md') scanSkillMdName(whole, emit);
    if (file.path === 'skill.json') scanManifestName(whole, emit);
    if (file.path.startsWith(CONTRACTS_DIR) && file.path.endsWith('.json')) checkContractFile(file.path, text, emit);

    const readable = Math.min(text.length, maxPatternChars, Math.max(0, patternBudget));
    patternBudget -= readable;
    if (readable < text.length) {
      emit(
        finding(
          'audit-incomplete',
          'high',
          file.path,
          0,
          `only the first ${readable} of ${text.length} characters were checked for secrets and dangerous patterns (the audit's bound: ${maxPatternChars} per file, ${options.maxPatternTotal ?? 8 * MIB} per package); what was not read is not passed`,
          '',
        ),
      );
    }
    if (readable === 0) continue;
    const head: TextFile = readable === text.length ? whole : { ...whole, text: text.slice(0, readable), lines: new LineIndex(text.slice(0, readable)) };
    scanSecrets(head, emit);
    inventory.addEndpoints(head, emit);
    if (kind === 'markdown') {
      const lines = head.lines.count;
      const parse = head.text.length <= Math.min(MAX_MARKDOWN_PARSE, markdownBudget.chars) && lines <= Math.min(MAX_MARKDOWN_LINES, markdownBudget.lines);
      if (parse) markdownBudget = { chars: markdownBudget.chars - head.text.length, lines: markdownBudget.lines - lines };
      const segments = parse ? markdownSegments(md, head.text) : proseSegments(head.text);
      const exhausted = new Set<string>();
      for (const segment of segments) scanSegment(file.path, segment, emit, exhausted, matchers);
      scanMarkdownCode(code, file.path, segments, emit);
    } else if (kind === 'doc') {
      const exhausted = new Set<string>();
      for (const segment of proseSegments(head.text)) scanSegment(file.path, segment, emit, exhausted, matchers);
    } else if (kind === 'script') {
      scanScript(head, emit, matchers);
      const language = codeLanguage(file.path, head.text, toldLanguage(told.get(file.path)?.language, file.path));
      if (language) code.scan(head, language, emit);
    }
  }

  const built = inventory.build();
  const languages = Object.entries(built.languages).map(([language, n]) => `${language} ${n}`).join(', ');
  if (languages !== '') emit(finding('inventory-languages', 'info', '', 0, `files by language: ${languages}`, ''));

  all.sort((a, b) => compareSeverity(a.severity, b.severity) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
  const listed = all.slice(0, maxFindings);
  const total = counts.high + counts.medium + counts.low + counts.info;
  return { auditor: AUDITOR_VERSION, files: files.length, bytes, counts, findings: listed, truncated: total - listed.length, inventory: built };
}

function kindOf(file: AuditFile, text: string): TextKind {
  const ext = extensionOf(file.path);
  if (MARKDOWN.has(ext)) return 'markdown';
  const classified = classifyFile(file);
  if (classified.kind === 'code' || classified.kind === 'executable' || text.startsWith('#!')) return 'script';
  // A crontab file is a list of commands to run, whatever its folder.
  if (ext === 'cron' || /^(?:crontab|cron\.d)$/i.test(file.path.slice(file.path.lastIndexOf('/') + 1))) return 'script';
  // Shell startup files (.zshrc, .bash_profile, ...) are shell code, not prose.
  if (/^\.(?:ba|z|k|c|tc)?sh(?:rc|env|_profile|_login|_logout)$|^\.(?:profile|zprofile|zlogin)$/.test(file.path.slice(file.path.lastIndexOf('/') + 1))) return 'script';
  const underReferences = file.path.startsWith('references/') || file.path.includes('/references/');
  if (DOCS.has(ext) && !/^\.env/i.test(file.path.slice(file.path.lastIndexOf('/') + 1))) return 'doc';
  if (underReferences && !['json', 'jsonl', 'yaml', 'yml', 'csv', 'tsv', 'toml', 'xml'].includes(ext)) return 'doc';
  return 'data';
}

/** Plain prose split at blank lines, for text files and oversized Markdown. */
function proseSegments(text: string): Segment[] {
  const out: Segment[] = [];
  const lines = new LineIndex(text);
  const gap = /\n[ \t]*\n/g;
  let start = 0;
  for (;;) {
    const m = gap.exec(text);
    const end = m ? m.index : text.length;
    if (end > start) out.push({ context: 'prose', text: text.slice(start, end), line: lines.lineOf(start), codeSpans: [] });
    if (!m) break;
    start = m.index + m[0].length;
    gap.lastIndex = start - 1;
  }
  return out;
}

/** The finding for a pattern that was not tried everywhere (see rules/scan.ts): high, since flooding a file with near-matches would otherwise hide the real one. */
function exhaustedFinding(file: string, rule: string): Finding {
  return finding('audit-incomplete', 'high', file, 0, `more than ${MAX_CANDIDATES} places in this file start like ${rule}: no real file looks like this, and it was not checked to the end for it`, '');
}

/** Prose and code blocks of Markdown and text files: judged in prose.ts. */
function scanSegment(file: string, segment: Segment, emit: Emit, exhausted: Set<string>, matchers: Matchers): void {
  scanProseSegment(file, segment, emit, (rule) => {
    if (!exhausted.has(rule)) emit(exhaustedFinding(file, rule));
    exhausted.add(rule);
  }, matchers);
}

function scanScript(file: TextFile, emit: Emit, matchers: Matchers): void {
  const { text } = file;
  const commands = findCommands(matchers.commands, text);
  for (const rule of commands.exhausted) emit(exhaustedFinding(file.path, rule));
  for (const m of commands.matches) {
    const comment = commentLine(text, m.start);
    const severity = comment ? atMost(m.severity, 'low') : m.severity;
    emit(finding(m.rule, severity, file.path, file.lines.lineOf(m.start), `${m.message}${comment ? ' (in a comment)' : ''}`, excerptAround(text, m.start, m.end)));
  }
}

/** The `name:` of SKILL.md's frontmatter, read without a YAML parser (the raw characters matter). */
function scanSkillMdName(file: TextFile, emit: Emit): void {
  const front = frontmatterLines(file.text);
  if (front === 0) return;
  const lines = file.text.split('\n', front);
  lines.forEach((line, i) => {
    const m = /^name\s*:\s*["']?([^"'\n#]*?)["']?\s*(?:#.*)?$/.exec(line);
    if (m?.[1]) scanIdentityName(m[1], { file: file.path, line: i + 1, field: 'SKILL.md name' }, emit);
  });
}

function scanManifestName(file: TextFile, emit: Emit): void {
  let name: unknown;
  try {
    name = (JSON.parse(file.text) as { name?: unknown }).name;
  } catch {
    return;
  }
  if (typeof name === 'string') scanIdentityName(name.slice(0, 300), { file: file.path, line: file.lines.lineOf(Math.max(0, file.text.indexOf('"name"'))), field: 'skill.json name' }, emit);
}
