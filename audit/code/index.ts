/**
 * Code read as code (issue 22): each script is read in its language (shell, Python, JavaScript/
 * TypeScript), whatever its name says when its content or the instructions say otherwise, and
 * data is followed from a source (a download, a decode, a secret) to a sink (something that runs
 * it, or sends it away). Rule ids: `code-remote-exec`, `code-decoded-exec`, `code-exfiltration`,
 * `code-obfuscated-sink`, and `script-destructive-delete` for deletes the pattern rule cannot see
 * (`rm -rf ~/.cache/pip ~ /.npm`).
 *
 * Bounded: a file is analysed up to MAX_ANALYSED characters, a package up to MAX_ANALYSED_TOTAL;
 * past those, a script that could hide a flow is reported (see audit.ts's audit-incomplete).
 */
import { finding, type Emit, type TextFile } from '../types';
import type { Segment } from '../markdown';
import { invites, VENDOR_INSTALLERS } from '../prose';
import { lower } from '../rules/context';
import { baseName, excerptAround, extensionOf, LineIndex } from '../text';
import type { RunLanguage } from '../../schema/run-targets';
import { sniffScript } from '../../schema/trust';
import { budget, resetBudget, type CodeFinding } from './fold';
import { analyzeJs } from './js';
import { analyzePython } from './python';
import { analyzeShell, newShellContext } from './shell';

export type CodeLanguage = 'shell' | 'python' | 'js' | 'ts' | 'make' | 'powershell' | 'html' | 'other';

const BY_EXTENSION: Record<string, CodeLanguage> = {
  sh: 'shell', bash: 'shell', zsh: 'shell', ksh: 'shell', command: 'shell', envrc: 'shell',
  py: 'python', pyw: 'python',
  js: 'js', mjs: 'js', cjs: 'js', jsx: 'js', ts: 'ts', mts: 'ts', cts: 'ts', tsx: 'ts',
  mk: 'make', ps1: 'powershell', psm1: 'powershell', psd1: 'powershell',
};

/** The language of a `#!` line's interpreter. */
export function shebangLanguage(text: string): CodeLanguage | undefined {
  const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(text.slice(0, 200));
  if (!m) return undefined;
  let interpreter = baseName(m[1] ?? '');
  if (interpreter === 'env') interpreter = baseName((m[2] ?? '').replace(/^-\S*$/, ''));
  if (/^(?:ba|da|z|k|a)?sh$/.test(interpreter)) return 'shell';
  if (/^python/.test(interpreter)) return 'python';
  if (/^(?:node|nodejs|deno|bun)$/.test(interpreter)) return 'js';
  if (/^(?:pwsh|powershell)$/.test(interpreter)) return 'powershell';
  return 'other';
}

/** Content sniffing for a file with no telling name: its `#!` line, or Python, shell or JavaScript by its opening lines. */
export function sniffLanguage(text: string): CodeLanguage | undefined {
  return shebangLanguage(text) ?? sniffScript(new TextEncoder().encode(text.slice(0, 4096)));
}

/** The language a script is read in: the instructions' word first, then its `#!` line, its name, its content. */
export function codeLanguage(path: string, text: string, told?: CodeLanguage): CodeLanguage | undefined {
  if (told && told !== 'other') return told;
  const bang = shebangLanguage(text);
  if (bang) return bang;
  const ext = extensionOf(path);
  const byExt = BY_EXTENSION[ext];
  if (byExt) return byExt;
  if (/^(?:makefile|gnumakefile)$/i.test(baseName(path))) return 'make';
  if (/^\.(?:envrc|profile|bashrc|zshrc)$/.test(baseName(path))) return 'shell';
  return sniffLanguage(text);
}

/** The language the instructions run a file with, as the analysers name it. */
export function toldLanguage(language: RunLanguage | undefined, path: string): CodeLanguage | undefined {
  if (language === undefined) return undefined;
  if (language === 'js') return /\.(?:ts|mts|cts|tsx)$/i.test(path) ? 'ts' : 'js';
  return language;
}

/** An HTML page's inline scripts as JavaScript, at their own line numbers (everything else blanked). */
function htmlScripts(text: string): string {
  let out = '';
  let last = 0;
  const re = /<script\b[^>]*>([\s\S]*?)<\/script\s*>/gi;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const bodyStart = m.index + m[0].indexOf('>') + 1;
    out += text.slice(last, bodyStart).replace(/[^\n]/g, ' ');
    out += m[1] ?? '';
    last = bodyStart + (m[1] ?? '').length;
  }
  return `${out}${text.slice(last).replace(/[^\n]/g, ' ')}`;
}

/** A Makefile's recipes (tab-indented lines) as shell, at their own line numbers. */
function makeRecipes(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.startsWith('\t') ? l.slice(1).replace(/^[@-]+/, '').replace(/\$\(([A-Za-z_]\w*)\)/g, '$$$1').replace(/\$\$/g, '$') : ''))
    .join('\n');
}

/** Code larger than this is read by the pattern rules only (acorn alone takes ~0.1 s a MiB). */
export const MAX_ANALYSED = 128 * 1024;
export const MAX_ANALYSED_TOTAL = 512 * 1024;
const STEPS = 200_000;
const CHARS = 16 * 1024 * 1024;

/** Words of a sink: a file too large to analyse that holds none of them hides no flow worth a note. */
const SINK_WORDS = /\b(?:eval|exec|Function|spawn|system|popen|subprocess|child_process|__import__|import_module|constructor|fromCharCode|atob|b64decode|fromhex|curl|wget|sh|bash)\b/;

/** Reads each script of one package in its language; one per `auditFiles` call (it holds the package's budget). */
export class CodeScanner {
  #left = MAX_ANALYSED_TOTAL;

  constructor() {
    resetBudget(STEPS, CHARS);
  }

  scan(file: TextFile, language: CodeLanguage, emit: Emit): void {
    if (!['shell', 'make', 'python', 'js', 'ts', 'html'].includes(language)) return;
    const size = file.text.length;
    if (size > MAX_ANALYSED || size > this.#left || budget.exhausted) {
      if (SINK_WORDS.test(file.text)) {
        const why = size > MAX_ANALYSED ? `it is larger than ${MAX_ANALYSED} characters` : budget.exhausted ? "the package's analysis budget was spent" : `the package holds more than ${MAX_ANALYSED_TOTAL} characters of code`;
        emit(finding('audit-incomplete', 'medium', file.path, 0, `read by the pattern rules but not analysed as ${language} code (${why}): constants built at run time and data flows in it were not followed; review it`, ''));
      }
      return;
    }
    this.#left -= size;
    try {
      scanCode(file, language, emit);
    } catch {
      // A defect in an analyser must not take the audit down: the pattern rules read the file.
      emit(finding('audit-incomplete', 'medium', file.path, 0, `the ${language} code analysis failed on this file: constants built at run time and data flows in it were not followed; review it`, ''));
      return;
    }
    if (budget.exhausted) emit(finding('audit-incomplete', 'medium', file.path, 0, `the analysis of this ${language} code stopped at the package's budget: flows past that point were not followed; review it`, ''));
  }
}

const BLOCK_LANGUAGES: Record<string, CodeLanguage> = {
  '': 'shell', bash: 'shell', sh: 'shell', shell: 'shell', zsh: 'shell', console: 'shell', terminal: 'shell', shellsession: 'shell',
  python: 'python', py: 'python', python3: 'python', js: 'js', javascript: 'js', node: 'js', mjs: 'js', ts: 'ts', typescript: 'ts',
};

/**
 * The code blocks of a Markdown file read as code, like scripts: the agent runs what the
 * instructions show. A high finding stays high when the paragraph before the block asks to run
 * it (as for the pattern rules), else it is one step lower (a block shown, not asked for).
 */
export function scanMarkdownCode(scanner: CodeScanner, path: string, segments: readonly Segment[], emit: Emit): void {
  for (const segment of segments) {
    if (segment.context !== 'code') continue;
    const language = BLOCK_LANGUAGES[segment.lang.toLowerCase()];
    if (!language || segment.text.trim() === '') continue;
    const text = language === 'shell' ? segment.text.replace(/^([ \t]*)(?:\$|>|#|PS>)[ \t]+/gm, '$1') : segment.text;
    // Asked to run as an order ("Install it first:"), not described ("### Python setup.py", "Some actions execute scripts:").
    const invited = invites(segment.lead);
    const lines = new LineIndex(text);
    scanner.scan({ path, kind: 'script', text, lines }, language, (f) => {
      const line = f.line > 0 ? segment.line + f.line - 1 : f.line;
      const source = f.source ? { ...f.source, line: segment.line + f.source.line - 1 } : undefined;
      // A vendor's own installer piped into a shell is how its docs say to install: medium in Markdown, as the prose rules judge it.
      const [from, to] = lines.bounds(Math.max(1, f.source?.line ?? f.line), text);
      const vendor = f.rule === 'code-remote-exec' && VENDOR_INSTALLERS.test(text.slice(from, to));
      const severity = vendor && f.severity === 'high' ? 'medium' : invited || f.severity !== 'high' ? f.severity : lower(f.severity);
      const note = `${f.line > 0 ? (invited ? ' (in a code block the instructions ask to run)' : ' (shown in a code block)') : ''}${vendor ? " (a vendor's own installer URL)" : ''}`;
      const message = f.message.replace(/data from line (\d+), used on line (\d+)/, (_m, a: string, b: string) => `data from line ${segment.line + Number(a) - 1}, used on line ${segment.line + Number(b) - 1}`);
      emit({ ...f, line, severity, message: `${message}${note}`, ...(source ? { source } : {}) });
    });
  }
}

/** Reads one script in its language and reports its flows. */
export function scanCode(file: TextFile, language: CodeLanguage, emit: Emit): void {
  let found: CodeFinding[] = [];
  if (language === 'shell') found = analyzeShell(file.text, newShellContext());
  else if (language === 'make') found = analyzeShell(makeRecipes(file.text), newShellContext());
  else if (language === 'python') found = analyzePython(file.text);
  else if (language === 'js' || language === 'ts') found = analyzeJs(file.text, language === 'ts');
  else if (language === 'html') found = analyzeJs(htmlScripts(file.text), false);
  for (const found1 of found) {
    const f = ownServiceKey(found1, file.text);
    const [start, end] = file.lines.bounds(Math.max(1, f.line), file.text);
    const from = f.source !== undefined && f.source !== f.line ? ` (data from line ${f.source}, used on line ${f.line})` : '';
    const out = finding(f.rule, f.severity, file.path, f.line, `${f.message}${from}`, excerptAround(file.text, start, Math.min(end, start + 120)));
    emit(f.source !== undefined && f.source !== f.line ? { ...out, source: { file: file.path, line: f.source } } : out);
  }
}

/** Words of an environment variable's name that say what it is, not whose it is. */
const GENERIC_NAME_WORDS = new Set(['API', 'KEY', 'KEYS', 'TOKEN', 'SECRET', 'ACCESS', 'AUTH', 'PRIVATE', 'USER', 'PASS', 'PASSWORD', 'CLIENT', 'APP', 'ID', 'MY', 'THE', 'DEFAULT', 'PERSONAL', 'SERVICE', 'ACCOUNT']);

/**
 * A service's key sent to that service is its normal use (`NAMECHEAP_API_KEY` in a request to
 * api.namecheap.com): medium, not high, when every host the file names in an http(s) URL carries
 * the vendor word of the variable's name. A file that also names any other host (where a stolen
 * key would go), or names no host at all, keeps the high finding.
 */
function ownServiceKey(f: CodeFinding, text: string): CodeFinding {
  if (f.rule !== 'code-exfiltration' || f.severity !== 'high') return f;
  // Upper-case names of 3 to 81 characters, as environment variables are written.
  const variable = f.envVar !== undefined && /^[A-Z][A-Z0-9_]{2,80}$/.test(f.envVar) ? f.envVar : undefined;
  const vendor = variable?.split('_').find((w) => w.length >= 4 && !GENERIC_NAME_WORDS.has(w))?.toLowerCase();
  if (vendor === undefined) return f;
  const hosts = [...text.matchAll(/https?:\/\/([A-Za-z0-9.-]{1,253})/g)].map((m) => (m[1] ?? '').toLowerCase());
  if (hosts.length === 0 || !hosts.every((h) => h.split('.').some((label) => label === vendor || label.includes(vendor)))) return f;
  return { ...f, severity: 'medium', message: `${f.message} (to ${vendor}'s own hosts, the only ones the file names: the key's normal use)` };
}
