/**
 * Shell read as shell: a hand-written tokenizer for the POSIX/bash subset skills use (quotes,
 * `$'...'`, escapes, `$VAR`/`${VAR}`, `$(...)` and backticks, `<(...)`, pipes, `;`, `&&`, `||`,
 * comments, line continuations). Words are folded (`c''url`, `$a$b`, `$(printf '\x63url')`,
 * `echo ... | rev`, `| base64 -d`), variables remember what was assigned to them, and pipelines are
 * judged by what flows through them: a download or a decode into a shell, a secret or an archive
 * of the home folder into an upload, a recursive delete of `~` or `/` among its arguments, a
 * package run from a URL (`npx -y https://...`).
 *
 * Not a full shell: functions, loops and conditionals are read as the commands inside them (their
 * control flow is ignored), here-documents are read as commands, arithmetic and most parameter
 * operators (`${x:0:1}`, `${x//a/b}`) fold to unknown.
 */
import { BudgetExceeded, concat, CREDENTIAL_PATH, spend, decodeBase64, decodeHex, envSecret, exfiltration, HOME_PATH, lit, merge, pick, rot13, SECRET_ENV, shown, textOf, UNKNOWN, unknown, type CodeFinding, type Source, type Value } from './fold';

interface Word {
  raw: string;
  value: Value;
  /** Built from pieces (quotes inside, variables, substitutions) rather than written plainly. */
  assembled: boolean;
  /** `<(...)` process substitution: the inner command. */
  process?: string;
  line: number;
}

type Token = { type: 'word'; word: Word } | { type: 'op'; op: string; line: number };

export interface ShellContext {
  vars: Map<string, Value>;
  depth: number;
  /** Added to every line (a command string found on line N of another file). */
  lineBase: number;
  /** Set when the text came folded from another language: every finding lands on this line. */
  fixedLine?: number;
  findings: CodeFinding[];
  /** Files a download was written to (`curl -o f`, `wget -O f`, `curl ... > f`), by path. */
  downloads: Map<string, Source>;
}

const MAX_DEPTH = 4;
const FETCHERS = new Set(['curl', 'wget', 'fetch', 'aria2c', 'lwp-request', 'lwp-download', 'http', 'https', 'xh', 'iwr', 'invoke-webrequest', 'irm', 'invoke-restmethod']);
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'fish', 'csh', 'tcsh', 'busybox']);
const INTERPRETERS = /^(?:python[0-9.]*|node|nodejs|perl|ruby|php|pwsh|powershell|deno|bun|lua|osascript)$/;
const UPLOADERS = new Set(['curl', 'wget', 'nc', 'ncat', 'netcat', 'socat', 'telnet', 'scp', 'rsync', 'sftp', 'ftp', 'ssh', 'openssl', 'aws', 'gsutil', 'rclone']);
const DANGEROUS_NAMES = new Set([...FETCHERS, ...SHELLS, ...UPLOADERS, 'eval', 'exec', 'source', 'rm', 'python', 'python3', 'node', 'perl', 'ruby', 'base64', 'chmod', 'crontab', 'sudo', 'dd', 'mkfs', 'xxd', 'npx']);
const PREFIXES = new Set(['sudo', 'doas', 'env', 'command', 'builtin', 'nohup', 'time', 'exec', 'nice', 'timeout', 'xargs', 'stdbuf', 'setsid']);

export function newShellContext(lineBase = 0, depth = 0): ShellContext {
  const vars = new Map<string, Value>([['HOME', lit('~')], ['USERPROFILE', lit('~')]]);
  return { vars, depth, lineBase, findings: [], downloads: new Map() };
}

/** The findings of a shell text (a script, a Markdown code block, or a command string folded from code). */
export function analyzeShell(text: string, ctx: ShellContext = newShellContext()): CodeFinding[] {
  if (ctx.depth > MAX_DEPTH) return ctx.findings;
  try {
    runTokens(tokenize(text, ctx), ctx);
  } catch (error) {
    if (ctx.depth > 0 || !(error instanceof BudgetExceeded)) throw error;
  }
  return ctx.findings;
}

function report(ctx: ShellContext, f: CodeFinding): void {
  // Lines are absolute already (commands and sources add their context's base when made).
  const line = ctx.fixedLine ?? f.line;
  const source = f.source === undefined ? undefined : ctx.fixedLine ?? f.source;
  if (ctx.findings.length < 50 && !ctx.findings.some((x) => x.rule === f.rule && x.line === line && x.message === f.message)) ctx.findings.push({ ...f, line, ...(source === undefined ? {} : { source }) });
}

// ---------------------------------------------------------------------------------------------
// Tokens

const PLAIN_RUN = /[^\s|;&()<>'"\\$`]+/y;
const BLANKS = /[ \t\r]+/y;
const QUOTED_RUN = /[^"\\$`\n]+/y;
const WORD_END = new Set([' ', '\t', '\n', '\r', '\f', '\v', '|', ';', '&', '(', ')', '<', '>']);

/** Lazily: a word is folded only after the commands before it ran (their assignments are known). */
function* tokenize(text: string, ctx: ShellContext): Generator<Token> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    spend(1);
    const c = text[i];
    if (c === '\\' && text[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    if (c === '\n') {
      yield ({ type: 'op', op: ';', line });
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      BLANKS.lastIndex = i;
      BLANKS.exec(text);
      i = Math.max(i + 1, BLANKS.lastIndex);
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === ';;') {
      yield ({ type: 'op', op: two === ';;' ? ';' : two, line });
      i += 2;
      continue;
    }
    if (c === '|' || c === ';' || c === '&' || c === '(' || c === ')' || c === '{' && /[\s]/.test(text[i + 1] ?? ' ') || c === '}' && (i + 1 >= n || /[\s;]/.test(text[i + 1] ?? ' '))) {
      yield ({ type: 'op', op: c === '&' || c === '{' || c === '}' || c === '(' || c === ')' ? ';' : c, line });
      i++;
      if (c === '|' && text[i] === '&') i++;
      continue;
    }
    if ((c === '<' || c === '>') && text[i + 1] === '(') {
      const end = balanced(text, i + 1);
      const inner = text.slice(i + 2, end - 1);
      const startLine = line;
      line += countNewlines(inner);
      yield ({ type: 'word', word: { raw: text.slice(i, end), value: unknown(), assembled: false, process: inner, line: startLine } });
      i = end;
      continue;
    }
    if (c === '<' || c === '>') {
      // Redirections: skip the operator and its target word.
      let j = i;
      while (j < n && /[<>&0-9]/.test(text[j] ?? '')) j++;
      if (text[j] === '<' || text.slice(i, i + 3) === '<<<') j = i + 3;
      while (j < n && (text[j] === ' ' || text[j] === '\t')) j++;
      const { word, end, lines } = readWord(text, j, ctx, line);
      yield ({ type: 'op', op: 'redirect', line });
      if (word) yield { type: 'word', word: { ...word, raw: `>${word.raw}` } };
      line += lines;
      i = Math.max(end, i + 1);
      continue;
    }
    const { word, end, lines } = readWord(text, i, ctx, line);
    if (word) yield ({ type: 'word', word });
    line += lines;
    i = Math.max(end, i + 1);
  }
}

function countNewlines(s: string): number {
  let k = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) k++;
  return k;
}

/** The index after the `)` matching the `(` at `open`, skipping quotes. */
function balanced(text: string, open: number): number {
  let depth = 0;
  let scanned = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === "'") {
      const e = text.indexOf("'", i + 1);
      i = e === -1 ? text.length : e;
    } else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) {
      spend(1 + ((i - open) >> 4));
      return i + 1;
    }
    if (++scanned > 1 << 20) break;
  }
  spend(1 + ((text.length - open) >> 4));
  return text.length;
}

const ANSI: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** Backslash escapes of `$'...'`, `printf` and `echo -e`: \n \xHH \uHHHH \NNN (\0NNN). */
export function unescapeC(s: string, octalNeedsZero = false): string {
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|0[0-7]{0,3}|[1-7][0-7]{0,2}|.)/gs, (whole, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (e[0] === 'u' || e[0] === 'U') return String.fromCodePoint(Math.min(0x10ffff, parseInt(e.slice(1), 16)));
    if (/^[0-7]/.test(e)) {
      if (octalNeedsZero && e[0] !== '0') return whole;
      return String.fromCharCode(parseInt(e, 8) & 0xff);
    }
    return ANSI[e] ?? whole;
  });
}

/** One word from `start`: its folded value, and how many newlines it spans. */
function readWord(text: string, start: number, ctx: ShellContext, line: number): { word?: Word; end: number; lines: number } {
  let i = start;
  const parts: Value[] = [];
  let assembled = false;
  let lines = 0;
  let quotes = 0;
  let pieces = 0;
  // A name from one variable holding a plain value (`PY=python3; $PY x.py`) is not assembled.
  let expansions = 0;
  let literal = false;
  let lastExpansion: Value | undefined;
  const n = text.length;
  while (i < n) {
    const c = text[i] ?? '';
    if (WORD_END.has(c)) break;
    if (++pieces % 8 === 0) spend(1);
    if (c === '\\') {
      if (text[i + 1] === '\n') {
        lines++;
        i += 2;
        continue;
      }
      parts.push(lit(text[i + 1] ?? ''));
      assembled = true;
      literal = true;
      i += 2;
    } else if (c === "'") {
      const e = text.indexOf("'", i + 1);
      const end = e === -1 ? n : e;
      const s = text.slice(i + 1, end);
      lines += countNewlines(s);
      parts.push(lit(s));
      if (s !== '') literal = true;
      quotes++;
      i = end + 1;
    } else if (c === '$' && text[i + 1] === "'") {
      let j = i + 2;
      while (j < n && text[j] !== "'") j += text[j] === '\\' ? 2 : 1;
      const s = unescapeC(text.slice(i + 2, j));
      parts.push({ ...lit(s), folded: true });
      assembled = true;
      literal = true;
      quotes++;
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      const inner: Value[] = [];
      let buf = '';
      while (j < n && text[j] !== '"') {
        const d = text[j];
        if (d === '\\' && /["\\$`\n]/.test(text[j + 1] ?? '')) {
          if (text[j + 1] === '\n') lines++;
          else buf += text[j + 1];
          j += 2;
        } else if (d === '$' || d === '`') {
          if (buf) inner.push(lit(buf));
          buf = '';
          const r = expansion(text, j, ctx, line + lines);
          inner.push(r.value);
          expansions++;
          lastExpansion = r.value;
          lines += r.lines;
          assembled = true;
          j = r.end;
        } else if (d === '\n') {
          lines++;
          buf += d;
          j++;
        } else {
          QUOTED_RUN.lastIndex = j;
          const end = QUOTED_RUN.exec(text) ? QUOTED_RUN.lastIndex : j + 1;
          buf += text.slice(j, end);
          j = end;
        }
      }
      if (buf) inner.push(lit(buf));
      if (inner.some((v) => v.str !== undefined && v !== lastExpansion && v.str !== '')) literal = true;
      parts.push(inner.length === 0 ? lit('') : inner.length === 1 && inner[0] ? inner[0] : concat(...inner));
      quotes++;
      i = j + 1;
    } else if (c === '$' || c === '`') {
      const r = expansion(text, i, ctx, line + lines);
      parts.push(r.value);
      lines += r.lines;
      assembled = true;
      expansions++;
      lastExpansion = r.value;
      i = r.end;
    } else {
      let j = i;
      PLAIN_RUN.lastIndex = i;
      j = PLAIN_RUN.exec(text) ? PLAIN_RUN.lastIndex : i + 1;
      parts.push(lit(text.slice(i, j)));
      literal = true;
      i = j;
    }
  }
  if (i === start) return { end: i, lines };
  if (quotes > 0 && pieces > 1) assembled = true;
  if (expansions === 1 && !literal && lastExpansion) assembled = lastExpansion.folded === true || lastExpansion.decoded === true;
  const value = parts.length === 1 && parts[0] ? parts[0] : concat(...parts);
  return { word: { raw: text.slice(start, i), value: { ...value, folded: value.folded || assembled }, assembled, line }, end: i, lines };
}

/** `$NAME`, `${NAME}`, `$(...)`, `` `...` ``, `$((...))` at `i`. */
function expansion(text: string, i: number, ctx: ShellContext, line: number): { value: Value; end: number; lines: number } {
  if (text[i] === '`') {
    let j = i + 1;
    while (j < text.length && text[j] !== '`') j += text[j] === '\\' ? 2 : 1;
    const inner = text.slice(i + 1, j);
    return { value: substitution(inner, ctx, line), end: j + 1, lines: countNewlines(inner) };
  }
  if (text[i + 1] === '(') {
    const end = balanced(text, i + 1);
    if (text[i + 2] === '(') return { value: unknown(), end, lines: countNewlines(text.slice(i, end)) };
    const inner = text.slice(i + 2, end - 1);
    return { value: substitution(inner, ctx, line), end, lines: countNewlines(inner) };
  }
  if (text[i + 1] === '{') {
    const close = text.indexOf('}', i + 2);
    const end = close === -1 ? text.length : close + 1;
    const body = text.slice(i + 2, end - 1);
    const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(body) ? body : undefined;
    return { value: name ? variable(name, ctx, line) : { ...unknown(), sources: merge(...(/^[A-Za-z_]\w*/.exec(body) ? [variable(/^[A-Za-z_]\w*/.exec(body)?.[0] ?? '', ctx, line)] : [])) }, end, lines: 0 };
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9@*#?$!-]/.exec(text.slice(i + 1, i + 65));
  if (!m) return { value: lit('$'), end: i + 1, lines: 0 };
  return { value: variable(m[0], ctx, line), end: i + 1 + m[0].length, lines: 0 };
}

function variable(name: string, ctx: ShellContext, line: number): Value {
  const known = ctx.vars.get(name);
  if (known) return known;
  if (name === 'SHELL') return { ...unknown(), ref: 'shell' };
  if (SECRET_ENV.test(name)) return { ...unknown(), str: `$${name}`, sources: [envSecret(name, line + ctx.lineBase)] };
  return { ...unknown(), str: `$${name}` };
}

/** The output of a command substitution, folded when it can be; its findings are reported too. */
function substitution(inner: string, ctx: ShellContext, line: number): Value {
  const child: ShellContext = { ...ctx, depth: ctx.depth + 1, lineBase: ctx.lineBase + line - 1 };
  if (child.depth > MAX_DEPTH) return unknown();
  const tokens = tokenize(inner, child);
  const pipelines = runTokens(tokens, child);
  const last = pipelines[pipelines.length - 1];
  return last ? last.output : unknown();
}

// ---------------------------------------------------------------------------------------------
// Commands and pipelines

interface Command {
  words: Word[];
  name: string;
  /** The name was assembled from pieces (quotes, variables, printf): obfuscation. */
  hiddenName: boolean;
  line: number;
  args: Word[];
  /** Where its output goes (`> file`, `>> file`). */
  redirect?: string;
}

interface Pipeline {
  commands: Command[];
  output: Value;
}

function runTokens(tokens: Iterable<Token>, ctx: ShellContext): Pipeline[] {
  const pipelines: Pipeline[] = [];
  let commands: Command[] = [];
  let words: Word[] = [];
  const endCommand = () => {
    const cmd = toCommand(words, ctx);
    if (cmd) commands.push(cmd);
    words = [];
  };
  const endPipeline = () => {
    endCommand();
    if (commands.length > 0) pipelines.push(judge(commands, ctx));
    commands = [];
  };
  for (const t of tokens) {
    if (t.type === 'word') words.push(t.word);
    else if (t.op === '|') endCommand();
    else if (t.op === 'redirect') continue;
    else endPipeline();
  }
  endPipeline();
  return pipelines;
}

/** Drops assignments (remembering them) and wrappers (sudo, env, exec...); names the command. */
function toCommand(words: Word[], ctx: ShellContext): Command | undefined {
  let k = 0;
  const declare = /^(?:export|local|readonly|declare|typeset)$/;
  while (k < words.length) {
    const w = words[k];
    if (!w) break;
    const text = textOf(w.value);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(\+?)=/s.exec(text);
    if (m && !w.raw.startsWith('>') && /^[A-Za-z_]/.test(w.raw)) {
      // A value written as one plain or quoted string is not built from pieces.
      const rawRhs = w.raw.slice(w.raw.indexOf('=') + 1);
      const plain = /^(?:"[^"$`\\]*"|'[^']*'|[^\s'"$`\\]*)$/.test(rawRhs);
      const rhs = { ...w.value, str: text.slice(m[0].length), ...(plain ? { folded: false } : {}) };
      const prev = ctx.vars.get(m[1] ?? '');
      ctx.vars.set(m[1] ?? '', m[2] && prev ? concat(prev, rhs) : rhs);
      k++;
      continue;
    }
    if (declare.test(text)) {
      k++;
      continue;
    }
    break;
  }
  const redirect = words.find((w) => w.raw.startsWith('>'));
  let rest = words.slice(k).filter((w) => !w.raw.startsWith('>'));
  while (rest.length > 0) {
    const first = basename(textOf(rest[0]?.value ?? unknown()));
    if (!PREFIXES.has(first)) break;
    rest = rest.slice(1);
    while (rest.length > 0 && /^-/.test(textOf(rest[0]?.value ?? unknown()))) rest = rest.slice(1);
    while (first === 'env' && rest.length > 0 && /^[A-Za-z_]\w*=/.test(textOf(rest[0]?.value ?? unknown()))) rest = rest.slice(1);
  }
  // An unquoted variable in command position is split into words (`C="curl -s"; $C url`).
  const first = rest[0];
  if (first && /^\$/.test(first.raw) && first.value.str !== undefined && /\s/.test(first.value.str.trim())) {
    const split = first.value.str.trim().split(/\s+/).map((w) => ({ ...first, raw: first.raw, value: { ...first.value, str: w } }));
    rest = [...split, ...rest.slice(1)];
  }
  const head = rest[0];
  if (!head) return undefined;
  const name = head.value.ref === 'shell' ? 'sh' : basename(textOf(head.value));
  return { words: rest, name, hiddenName: head.assembled && head.value.ref !== 'shell' && name !== head.raw, line: head.line + ctx.lineBase, args: rest.slice(1), ...(redirect ? { redirect: textOf(redirect.value) } : {}) };
}

function basename(s: string): string {
  return s.slice(s.lastIndexOf('/') + 1).toLowerCase();
}

const argText = (w: Word) => textOf(w.value);

/** Whether a command runs its standard input as a program. */
function runsStdin(cmd: Command): boolean {
  const args = cmd.args.map(argText);
  if (SHELLS.has(cmd.name)) return args.every((a) => a.startsWith('-') && a !== '-c') || args.includes('-s') || args[0] === '-' || args[0] === '/dev/stdin';
  if (INTERPRETERS.test(cmd.name)) return args.length === 0 || args.every((a) => a === '-' || /^-[A-Za-z]$/.test(a) && a !== '-c' && a !== '-m' && a !== '-e');
  if ((cmd.name === 'source' || cmd.name === '.') && (args[0] === '/dev/stdin' || args[0] === '-')) return true;
  if (cmd.name === 'iex' || cmd.name === 'invoke-expression') return true;
  return false;
}

/** The text a command writes, folded when it is constant (echo, printf) or a known filter of its input. */
function outputOf(cmd: Command, input: Value | undefined): Value {
  const args = cmd.args;
  const texts = args.map(argText);
  const sources = merge(...args.map((a) => a.value), ...(input ? [input] : []));
  if (FETCHERS.has(cmd.name)) return { ...unknown(), sources: [...sources, { kind: 'network', line: cmd.line, what: `the download by ${cmd.name}` }] };
  if (cmd.name === 'echo') {
    let rest = texts;
    let escapes = false;
    while (rest[0] && /^-[neE]+$/.test(rest[0])) {
      if (rest[0].includes('e')) escapes = true;
      rest = rest.slice(1);
    }
    const joined = rest.join(' ');
    return { str: escapes ? unescapeC(joined) : joined, folded: true, sources, decoded: args.some((a) => a.value.decoded) };
  }
  if (cmd.name === 'printf') {
    const [format = '', ...values] = texts;
    let k = 0;
    const out = unescapeC(format, true).replace(/%(?:%|[-0-9.]*[sbdcx])/g, (spec) => (spec === '%%' ? '%' : spec.endsWith('b') ? unescapeC(values[k++] ?? '') : values[k++] ?? ''));
    return { str: out, folded: true, decoded: /\\[0-7x]/.test(format), sources };
  }
  if (cmd.name === 'cat' && args.length > 0) {
    const path = texts.find((t) => !t.startsWith('-')) ?? '';
    if (CREDENTIAL_PATH.test(path)) return { ...unknown(), sources: [...sources, { kind: 'secret', line: cmd.line, what: `the credential file ${path}` }] };
    return { ...unknown(), sources };
  }
  if ((cmd.name === 'env' || cmd.name === 'printenv') && args.length === 0) return { ...unknown(), sources: [{ kind: 'secret', line: cmd.line, what: 'the whole environment' }] };
  if (cmd.name === 'tar' || cmd.name === 'zip' || cmd.name === '7z') {
    const targets = texts.slice(1).filter((t) => !t.startsWith('-'));
    const home = targets.find((t) => HOME_PATH.test(t));
    const secret = targets.find((t) => CREDENTIAL_PATH.test(t) || /^(?:~|\$HOME)\/\.(?:ssh|aws|gnupg|config|kube|docker)\/?$/.test(t));
    if (home) return { ...unknown(), sources: [{ kind: 'home', line: cmd.line, what: `an archive of the home folder (${home})` }] };
    if (secret) return { ...unknown(), sources: [{ kind: 'secret', line: cmd.line, what: `an archive of ${secret}` }] };
    return { ...unknown(), sources };
  }
  if (!input) return { ...unknown(), sources };
  const inText = input.str;
  const keep = (str: string | undefined, decoded = true): Value => ({ ...(str !== undefined && !str.includes(UNKNOWN) ? { str } : {}), folded: true, decoded: decoded || input.decoded, sources: [...input.sources, ...(decoded ? [{ kind: 'decode' as const, line: cmd.line, what: `the decode by ${cmd.name}` }] : [])] });
  if (cmd.name === 'rev') return keep(inText?.split('\n').map((l) => [...l].reverse().join('')).join('\n'));
  if (cmd.name === 'base64' && texts.some((t) => /^(?:-d|--decode|-D)$/.test(t))) return keep(inText === undefined ? undefined : decodeBase64(inText.trim()));
  if ((cmd.name === 'base32' && texts.some((t) => /^(?:-d|--decode)$/.test(t))) || cmd.name === 'uudecode' || cmd.name === 'gunzip' || cmd.name === 'zcat' || (cmd.name === 'openssl' && texts.includes('-d')) || ((cmd.name === 'gzip' || cmd.name === 'xz' || cmd.name === 'bzip2') && texts.includes('-d'))) return keep(undefined);
  if (cmd.name === 'xxd' && texts.some((t) => /^-r/.test(t))) return keep(inText === undefined ? undefined : decodeHex(inText.trim()));
  if (cmd.name === 'tr' && texts.length >= 2 && /^['"]?(?:A-Za-z|a-zA-Z)/.test(texts[0] ?? '') && /N-ZA-M|n-za-m/.test(texts[1] ?? '')) return keep(inText === undefined ? undefined : rot13(inText));
  if (cmd.name === 'tr' || cmd.name === 'sed' || cmd.name === 'awk' || cmd.name === 'cut' || cmd.name === 'head' || cmd.name === 'tail' || cmd.name === 'cat' || cmd.name === 'tee' || cmd.name === 'gzip' || cmd.name === 'xz') return { ...unknown(), decoded: input.decoded, folded: input.folded, sources: input.sources };
  return { ...unknown(), sources };
}

/** Flags whose value is sent as data (not -H or -u: a key in its own authorization header is its normal use). */
const UPLOAD_FLAGS = /^(?:-d|--data(?:-\w+)?|-F|--form(?:-string)?|-T|--upload-file|--post-data|--post-file|--body-data|--body-file)$/;

function judge(commands: Command[], ctx: ShellContext): Pipeline {
  let flow: Value | undefined;
  for (let k = 0; k < commands.length; k++) {
    const cmd = commands[k];
    if (!cmd) continue;
    if (k > 0 && flow && runsStdin(cmd)) sinkRun(flow, cmd, ctx, 'is piped into');
    judgeCommand(cmd, ctx, k > 0 ? flow : undefined);
    flow = outputOf(cmd, k > 0 ? flow : undefined);
    const network = pick(flow.sources, ['network']);
    if (network && cmd.redirect) ctx.downloads.set(normalisePath(cmd.redirect), network);
  }
  return { commands, output: flow ?? unknown() };
}

/** Data reaching something that runs it: a download, a decode, or a folded command. */
function sinkRun(flow: Value, cmd: Command, ctx: ShellContext, how: string): void {
  const network = pick(flow.sources, ['network']);
  if (network) {
    report(ctx, { rule: 'code-remote-exec', severity: 'high', line: cmd.line, source: network.line, message: `${network.what} ${how} ${cmd.name}: whatever the server sends runs` });
    return;
  }
  const decode = pick(flow.sources, ['decode']);
  if (decode || flow.decoded) {
    const text = flow.str !== undefined && !flow.str.includes(UNKNOWN) ? `: ${shown(flow.str)}` : '';
    const line = decode?.line ?? cmd.line;
    report(ctx, { rule: 'code-decoded-exec', severity: 'high', line: cmd.line, source: line, message: `decoded or reversed text ${how} ${cmd.name}${text}` });
  }
  if (flow.str !== undefined && flow.folded) analyzeFolded(flow.str, cmd.line, ctx);
}

/** A command string folded from pieces: read it as shell too, its findings on this line. */
function analyzeFolded(text: string, line: number, ctx: ShellContext): void {
  if (ctx.depth >= MAX_DEPTH || text.length > 16_384) return;
  const child: ShellContext = { ...ctx, vars: new Map(ctx.vars), depth: ctx.depth + 1, fixedLine: ctx.fixedLine ?? line, findings: ctx.findings };
  analyzeShell(text, child);
}

function normalisePath(p: string): string {
  return p.replace(/^\.\//, '').replace(/^["']|["']$/g, '');
}

function judgeCommand(cmd: Command, ctx: ShellContext, input: Value | undefined): void {
  const texts = cmd.args.map(argText);
  // A download written to a file (curl -o f, wget -O f), then that file run (sh f, ./f, source f, python f).
  if (FETCHERS.has(cmd.name)) {
    const at = texts.findIndex((t) => /^(?:-o|-O|--output|--output-document)$/.test(t));
    const out = at === -1 ? texts.find((t) => /^--output(?:-document)?=/.test(t))?.replace(/^[^=]*=/, '') : texts[at + 1];
    if (out && out !== '-') ctx.downloads.set(normalisePath(out), { kind: 'network', line: cmd.line, what: `the download by ${cmd.name}` });
  }
  if (ctx.downloads.size > 0) {
    const runner = SHELLS.has(cmd.name) || INTERPRETERS.test(cmd.name) || cmd.name === 'source' || cmd.name === '.';
    const target = runner ? texts.find((t) => !t.startsWith('-')) : textOf(cmd.words[0]?.value ?? unknown());
    const source = target === undefined ? undefined : ctx.downloads.get(normalisePath(target));
    if (source) report(ctx, { rule: 'code-remote-exec', severity: 'high', line: cmd.line, source: source.line, message: `${source.what} is saved to ${shown(target ?? '')} and then run: whatever the server sends runs` });
  }
  if (cmd.hiddenName && DANGEROUS_NAMES.has(cmd.name)) {
    report(ctx, { rule: 'code-obfuscated-sink', severity: 'high', line: cmd.line, message: `the command name ${cmd.name} is assembled from pieces (${shown(cmd.words[0]?.raw ?? '')}): written so that text checks miss it` });
  }
  // bash -c "...", sh -c, eval ...: the string runs.
  if ((SHELLS.has(cmd.name) && texts.includes('-c')) || cmd.name === 'eval' || (INTERPRETERS.test(cmd.name) && texts.some((t) => t === '-c' || t === '-e'))) {
    const at = cmd.name === 'eval' ? 0 : texts.findIndex((t) => t === '-c' || t === '-e') + 1;
    const program = cmd.name === 'eval' ? concat(...cmd.args.map((a) => a.value)) : cmd.args[at]?.value;
    if (program) {
      if (SHELLS.has(cmd.name) || cmd.name === 'eval') sinkRun(program, cmd, ctx, 'is run by');
      else if (pick(program.sources, ['network'])) sinkRun(program, cmd, ctx, 'is run by');
    }
  }
  // bash <(curl ...), source <(curl ...)
  for (const w of cmd.args) {
    if (!w.process || !(SHELLS.has(cmd.name) || cmd.name === 'source' || cmd.name === '.' || INTERPRETERS.test(cmd.name))) continue;
    const inner = substitution(w.process, ctx, w.line);
    if (pick(inner.sources, ['network', 'decode'])) sinkRun(inner, cmd, ctx, 'is run (process substitution) by');
  }
  // A script file that a variable holding a download names: curl -o "$f" ...; bash "$f" is the pattern rules'.
  if (cmd.name === 'rm') judgeDelete(cmd, texts, ctx);
  if (UPLOADERS.has(cmd.name)) judgeUpload(cmd, texts, ctx, input);
  if (/^(?:npx|bunx|pnpx)$/.test(cmd.name) || (cmd.name === 'npm' && texts[0] === 'exec') || (cmd.name === 'pnpm' && texts[0] === 'dlx') || (cmd.name === 'yarn' && texts[0] === 'dlx') || cmd.name === 'uvx' || (cmd.name === 'pipx' && texts[0] === 'run')) {
    const remote = packageSpecs(cmd.name === 'npx' || cmd.name === 'bunx' || cmd.name === 'pnpx' || cmd.name === 'uvx' ? texts : texts.slice(1)).find((t) => /^(?:https?:\/\/|git\+|github:|gitlab:|[\w.-]+\/[\w.-]+#)/.test(t) || /^https?:.*\.(?:tgz|tar\.gz|whl|zip)$/.test(t));
    if (remote) report(ctx, { rule: 'code-remote-exec', severity: 'high', line: cmd.line, source: cmd.line, message: `${cmd.name} runs a package fetched from ${shown(remote)}: code nobody reviewed runs with the agent's rights` });
  }
}

/**
 * The packages a runner (`npx`, `uvx`, `pnpm dlx`, ...) fetches: those named by `-p`/`--package`/
 * `--from`, and the first word that is not a flag (the command). The words after it are that
 * command's own arguments (`npx skills install https://...` runs `skills`, not the URL).
 */
function packageSpecs(words: readonly string[]): string[] {
  const specs: string[] = [];
  for (let k = 0; k < words.length; k++) {
    const t = words[k] ?? '';
    if (t === '--') {
      if (words[k + 1] !== undefined) specs.push(words[k + 1] ?? '');
      break;
    }
    if (t === '-p' || t === '--package' || t === '--from' || t === '--with') {
      if (words[k + 1] !== undefined) specs.push(words[k + 1] ?? '');
      k++;
      continue;
    }
    const eq = /^--(?:package|from|with)=(.*)$/.exec(t);
    if (eq) {
      specs.push(eq[1] ?? '');
      continue;
    }
    if (t.startsWith('-')) continue;
    specs.push(t);
    break;
  }
  return specs;
}

function judgeDelete(cmd: Command, texts: string[], ctx: ShellContext): void {
  const flags = texts.filter((t) => /^-/.test(t) && t !== '--');
  if (!flags.some((f) => /^-[a-zA-Z]*[rR]/.test(f) || f === '--recursive')) return;
  const targets = cmd.args.filter((w) => !/^-/.test(argText(w)));
  for (const w of targets) {
    const t = argText(w).replace(/\/+$/, '') || '/';
    const everything = /^(?:~|\/|\/\*|~\/\*|~\/\.\*|\.\.|\.\.\/\*|\/(?:bin|boot|dev|etc|home|lib|lib64|opt|proc|root|sbin|srv|sys|usr|var|Users|System|Library|Applications)\/?\*?)$/;
    if (everything.test(t)) {
      const plain = targets.length === 1 && !w.assembled;
      // A lone, plainly written `rm -rf ~` is the pattern rule's; this one catches it among other arguments or assembled.
      if (!plain || ctx.fixedLine !== undefined) report(ctx, { rule: 'script-destructive-delete', severity: 'high', line: cmd.line, message: `recursive delete of ${t} (one of ${targets.length} arguments${w.assembled ? ', assembled from pieces' : ''}): far outside the skill's folder` });
      return;
    }
  }
}

function judgeUpload(cmd: Command, texts: string[], ctx: ShellContext, input: Value | undefined): void {
  const leaks: Source[] = [];
  // Data piped in and sent: `tar czf - ~ | curl -T -`, `env | nc host`, `cat ~/.ssh/id_rsa | curl -d @-`.
  const readsStdin = texts.some((t, k) => (t === '-' || t === '@-' || /^@?-$/.test(t)) && k > 0) || ['nc', 'ncat', 'netcat', 'socat', 'telnet', 'ssh', 'openssl'].includes(cmd.name) || (cmd.name === 'curl' && texts.some((t) => /^(?:--data-binary|-d|--data|-T|--upload-file)$/.test(t)));
  if (input && readsStdin) leaks.push(...input.sources.filter((s) => s.kind === 'secret' || s.kind === 'home'));
  texts.forEach((t, k) => {
    const w = cmd.args[k];
    if (!w) return;
    const sendsFile = /^@/.test(t) || (UPLOAD_FLAGS.test(texts[k - 1] ?? '') && /^(?:-T|--upload-file|--post-file|--body-file)$/.test(texts[k - 1] ?? '')) || /=@|^[\w-]+=<|^@/.test(t);
    const path = t.replace(/^[\w-]*=?[@<]/, '');
    if (sendsFile && CREDENTIAL_PATH.test(path)) leaks.push({ kind: 'secret', line: cmd.line, what: `the credential file ${path}` });
    if (sendsFile && HOME_PATH.test(path)) leaks.push({ kind: 'home', line: cmd.line, what: `the home folder` });
    const flagged = UPLOAD_FLAGS.test(texts[k - 1] ?? '') || /^https?:\/\//.test(t) || cmd.name !== 'curl';
    if (flagged) leaks.push(...w.value.sources.filter((s) => s.kind === 'secret' || s.kind === 'home'));
  });
  const leak = pick(leaks, ['home', 'secret']);
  if (leak) report(ctx, exfiltration(leak, cmd.line, cmd.name));
}
