/**
 * Python read as code, with a hand-written tokenizer (strings with their prefixes, escapes and
 * triple quotes, f-strings, comments, brackets spanning lines, continuations) and an expression
 * evaluator for the subset that matters: names, attributes, calls with keyword arguments,
 * subscripts and slices (`[::-1]`), `+`, `%`, `/` on paths, lists, tuples, dicts, comprehensions
 * over known lists (`''.join(chr(c) for c in [...])`), `import`/`from ... import ... as`.
 *
 * Constants are folded (`bytes.fromhex(...).decode()`, `base64.b64decode`, `codecs.decode(x,
 * 'rot13')`, `chr`, `join`, reversal), data is followed from downloads (requests, urllib, httpx,
 * sockets), decodes and secrets (os.environ, credential files) into exec/eval/compile, os.system,
 * subprocess, `__import__`, pickle/marshal loads, and network writes.
 *
 * Not a Python interpreter: control flow is ignored (every statement is read, in two passes so a
 * name used before its assignment in the text is known), calls into the file's own functions are
 * not followed (their parameters are unknown), classes and decorators are skipped.
 */
import { BudgetExceeded, concat, CREDENTIAL_PATH, spend, decodeBase64, decodeHex, envSecret, exfiltration, HOME_PATH, lit, merge, pick, rot13, SECRET_ENV, shown, textOf, UNKNOWN, unknown, type CodeFinding, type Source, type Value } from './fold';
import { analyzeShell, newShellContext } from './shell';

interface Tok {
  t: 'name' | 'str' | 'num' | 'op' | 'nl' | 'fstr';
  v: string;
  line: number;
  /** A string written with escapes of plain characters (`'\x65val'`). */
  escaped?: boolean;
}

const MAX_TOKENS = 1_000_000;
const MAX_DEPTH = 200;

// ---------------------------------------------------------------------------------------------
// Tokens

const PY_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '\n': '' };

function unescapePy(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|N\{[^}]*\}|[\s\S])/g, (whole, e: string) => {
    if (e[0] === 'x' || e[0] === 'u' || e[0] === 'U') return String.fromCodePoint(Math.min(0x10ffff, parseInt(e.slice(1), 16)));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return PY_ESCAPES[e] ?? whole;
  });
}

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let line = 1;
  let depth = 0;
  const n = text.length;
  while (i < n && out.length < MAX_TOKENS) {
    const c = text[i] ?? '';
    if (c === '\n') {
      if (depth === 0 && out.length > 0 && out[out.length - 1]?.t !== 'nl') out.push({ t: 'nl', v: '', line });
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '\\' && text[i + 1] === '\n') {
      line++;
      i += 2;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    const str = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(text.slice(i, i + 5));
    if (str && (str[1] === '' || /^[rRbBuUfF]+$/.test(str[1] ?? ''))) {
      const prefix = (str[1] ?? '').toLowerCase();
      const quote = str[2] ?? "'";
      let j = i + str[0].length;
      const startLine = line;
      while (j < n && !text.startsWith(quote, j)) {
        if (text[j] === '\\') j++;
        else if (text[j] === '\n') {
          if (quote.length === 1) break;
        }
        if (text[j] === '\n') line++;
        j++;
      }
      const body = text.slice(i + str[0].length, j);
      const raw = prefix.includes('r');
      out.push({ t: prefix.includes('f') ? 'fstr' : 'str', v: raw ? body : unescapePy(body), line: startLine, escaped: !raw && /\\(?:x[2-7][0-9a-fA-F]|u00[2-7][0-9a-fA-F]|[1-7][0-7]{2})/.test(body) });
      i = j + quote.length;
      continue;
    }
    const word = /^[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff]*/.exec(text.slice(i, i + 256));
    if (word) {
      out.push({ t: 'name', v: word[0], line });
      i += word[0].length;
      continue;
    }
    const num = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)/.exec(text.slice(i, i + 64));
    if (num) {
      out.push({ t: 'num', v: num[0], line });
      i += num[0].length;
      continue;
    }
    const op = /^(?:\*\*=?|\/\/=?|->|:=|<<=?|>>=?|[-+*/%&|^@]=|[=!<>]=|[-+*/%&|^~<>=@.,:;()[\]{}])/.exec(text.slice(i, i + 3));
    const v = op ? op[0] : c;
    if (v === '(' || v === '[' || v === '{') depth++;
    if (v === ')' || v === ']' || v === '}') depth = Math.max(0, depth - 1);
    if (v === ';' && depth === 0) out.push({ t: 'nl', v: '', line });
    else out.push({ t: 'op', v, line });
    i += v.length;
  }
  out.push({ t: 'nl', v: '', line });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

interface State {
  env: Map<string, Value>;
  findings: CodeFinding[];
  reporting: boolean;
  nesting: number;
  fixedLine?: number;
}

const MODULES = new Set(['os', 'subprocess', 'base64', 'codecs', 'binascii', 'zlib', 'gzip', 'bz2', 'lzma', 'marshal', 'pickle', 'requests', 'urllib', 'http', 'socket', 'builtins', 'importlib', 'pathlib', 'shutil', 'httpx', 'smtplib', 'pty', 'ctypes', 'sys', 'tarfile', 'zipfile', 'json', 'aiohttp']);
const BUILTINS = new Set(['dict', 'repr', 'tuple', 'sorted', 'set', 'exec', 'eval', 'compile', '__import__', 'getattr', 'chr', 'ord', 'bytes', 'str', 'open', 'map', 'reversed', 'globals', 'vars', 'bytearray', 'list', '__builtins__', 'input', 'print', 'len']);

class Parser {
  k = 0;
  depth = 0;
  constructor(
    readonly toks: Tok[],
    readonly st: State,
  ) {}

  peek(o = 0): Tok {
    return this.toks[this.k + o] ?? { t: 'nl', v: '', line: 0 };
  }
  next(): Tok {
    return this.toks[this.k++] ?? { t: 'nl', v: '', line: 0 };
  }
  is(v: string, o = 0): boolean {
    const t = this.peek(o);
    return (t.t === 'op' || t.t === 'name') && t.v === v;
  }
  eat(v: string): boolean {
    if (this.is(v)) {
      this.k++;
      return true;
    }
    return false;
  }

  /** Skips to the end of the logical line. */
  skipLine(): void {
    while (this.k < this.toks.length && this.peek().t !== 'nl') this.k++;
  }

  statement(): void {
    const first = this.peek();
    if (first.t === 'nl') {
      this.k++;
      return;
    }
    const start = this.k;
    try {
      this.simple();
    } catch (error) {
      if (error instanceof BudgetExceeded) throw error;
      this.k = Math.max(this.k, start + 1);
    }
    this.skipLine();
    this.k++;
  }

  simple(): void {
    const t = this.peek();
    if (t.t === 'name') {
      if (t.v === 'import') return this.importStmt();
      if (t.v === 'from' && this.toks.slice(this.k, this.k + 40).some((x) => x.v === 'import')) return this.fromStmt();
      if (t.v === 'def' || t.v === 'class') {
        this.skipToColon();
        return this.afterColon();
      }
      if (t.v === 'for' || t.v === 'async' && this.is('for', 1)) {
        if (t.v === 'async') this.k++;
        this.k++;
        const names = this.targets();
        this.eat('in');
        const v = this.expr();
        for (const name of names) this.assign(name, v.arr?.[0] ?? { ...unknown(), sources: v.sources });
        this.eat(':');
        return this.afterColon();
      }
      if (t.v === 'with' || t.v === 'async' && this.is('with', 1)) {
        if (t.v === 'async') this.k++;
        this.k++;
        for (;;) {
          const v = this.expr();
          if (this.eat('as')) for (const name of this.targets()) this.assign(name, v);
          if (!this.eat(',')) break;
        }
        this.eat(':');
        return this.afterColon();
      }
      if (/^(?:if|elif|while)$/.test(t.v)) {
        this.k++;
        this.expr();
        this.eat(':');
        return this.afterColon();
      }
      if (/^(?:else|try|finally)$/.test(t.v)) {
        this.k++;
        this.eat(':');
        return this.afterColon();
      }
      if (t.v === 'except') {
        this.skipToColon();
        return this.afterColon();
      }
      if (/^(?:return|yield|await|assert|del|raise|global|nonlocal|pass|break|continue|print)$/.test(t.v) && !this.is('(', 1) || t.v === 'return') {
        this.k++;
        if (this.peek().t !== 'nl') this.exprList();
        return;
      }
    }
    if (this.is('@')) return this.skipLine();
    // Assignment (possibly chained or augmented) or an expression.
    const save = this.k;
    const names = this.targets();
    if (names.length > 0 && (this.is('=') || /^[-+*/%|&^@]=$|^\/\/=$/.test(this.peek().v) || this.is(':'))) {
      if (this.eat(':')) {
        this.expr();
        if (!this.eat('=')) return;
      } else if (this.is('=')) this.k++;
      else {
        const op = this.next().v;
        const v = this.exprList();
        for (const name of names) this.assign(name, op === '+=' ? concat(this.st.env.get(name) ?? unknown(), v) : { ...unknown(), sources: merge(v, this.st.env.get(name) ?? unknown()) });
        return;
      }
      let v = this.exprList();
      const more: string[][] = [names];
      while (this.is('=')) {
        this.k++;
        const s2 = this.k;
        const again = this.targets();
        if (this.is('=') && again.length > 0) more.push(again);
        else {
          this.k = s2;
          v = this.exprList();
          break;
        }
      }
      for (const group of more) {
        if (group.length === 1) this.assign(group[0] ?? '', v);
        else group.forEach((name, i) => this.assign(name, v.arr?.[i] ?? { ...unknown(), sources: v.sources }));
      }
      return;
    }
    this.k = save;
    this.exprList();
  }

  skipToColon(): void {
    let depth = 0;
    while (this.peek().t !== 'nl') {
      const v = this.next().v;
      if (v === '(' || v === '[' || v === '{') depth++;
      else if (v === ')' || v === ']' || v === '}') depth--;
      else if (v === ':' && depth === 0) return;
    }
  }

  afterColon(): void {
    if (this.peek().t !== 'nl') this.simple();
  }

  /** Assignment targets: `a`, `a, b`, `(a, b)`, `self.x` (as its last name). */
  targets(): string[] {
    const names: string[] = [];
    for (;;) {
      this.eat('(');
      this.eat('*');
      const t = this.peek();
      if (t.t !== 'name' || /^(?:not|lambda|await|yield|None|True|False)$/.test(t.v)) return names;
      this.k++;
      let name = t.v;
      while (this.is('.') && this.peek(1).t === 'name') {
        this.k += 2;
        name = `${name}.${this.toks[this.k - 1]?.v ?? ''}`;
      }
      if (this.is('[') || this.is('(')) return [];
      names.push(name);
      this.eat(')');
      if (!this.is(',')) return names;
      this.k++;
    }
  }

  importStmt(): void {
    this.k++;
    for (;;) {
      const dotted = this.dotted();
      if (this.eat('as')) this.assign(this.next().v, { ...unknown(), ref: dotted });
      else this.assign(dotted.split('.')[0] ?? dotted, { ...unknown(), ref: dotted.split('.')[0] ?? dotted });
      if (!this.eat(',')) break;
    }
  }

  fromStmt(): void {
    this.k++;
    const mod = this.dotted();
    this.eat('import');
    this.eat('(');
    for (;;) {
      const t = this.next();
      if (t.t !== 'name' && t.v !== '*') break;
      const alias = this.eat('as') ? this.next().v : t.v;
      this.assign(alias, { ...unknown(), ref: `${mod}.${t.v}` });
      if (!this.eat(',')) break;
    }
  }

  dotted(): string {
    let name = this.next().v;
    while (this.eat('.')) name += `.${this.next().v}`;
    return name;
  }

  assign(name: string, v: Value): void {
    const prev = this.st.env.get(name);
    if (prev && prev.sources.length > 0 && v.sources.length === 0 && !v.ref) this.st.env.set(name, { ...v, sources: prev.sources });
    else this.st.env.set(name, v);
  }

  exprList(): Value {
    const first = this.expr();
    if (!this.is(',')) return first;
    const items = [first];
    while (this.eat(',')) {
      if (this.peek().t === 'nl' || this.is('=') || this.is(')')) break;
      items.push(this.expr());
    }
    return { arr: items, sources: merge(...items) };
  }

  expr(): Value {
    spend(1);
    if (++this.depth > MAX_DEPTH) throw new Error('too deep');
    try {
      if (this.eat('lambda')) {
        while (!this.is(':') && this.peek().t !== 'nl') this.k++;
        this.eat(':');
        this.expr();
        return unknown();
      }
      const v = this.binary(0);
      if (this.is('if') && !this.inComprehension()) {
        this.k++;
        const cond = this.binary(0);
        this.eat('else');
        const other = this.expr();
        return { ...unknown(), ...(v.ref ? { ref: v.ref } : {}), sources: merge(v, other, cond) };
      }
      if (this.eat(':=')) return this.expr();
      return v;
    } finally {
      this.depth--;
    }
  }

  inComprehension(): boolean {
    return false;
  }

  binary(minPrec: number): Value {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const op = t.t === 'op' || t.t === 'name' ? t.v : '';
      const prec = PREC[op];
      if (prec === undefined || prec < minPrec) return left;
      if (op === 'not' && !this.is('in', 1)) return left;
      if (op === 'is' && this.is('not', 1)) this.k++;
      if (op === 'not') this.k++;
      this.k++;
      const right = this.binary(prec + 1);
      left = this.combine(op, left, right);
    }
  }

  combine(op: string, a: Value, b: Value): Value {
    if (op === '+') {
      if (a.num !== undefined && b.num !== undefined) return { num: a.num + b.num, sources: [] };
      if (a.arr && b.arr) return { arr: [...a.arr, ...b.arr], sources: merge(a, b) };
      return concat(a, b);
    }
    if (op === '/' && (a.str !== undefined || a.ref === 'path') && a.num === undefined) return { ...concat(a, lit('/'), b), ref: 'path' };
    if (op === '%' && a.str !== undefined) {
      const values = b.arr ?? [b];
      let k = 0;
      return { ...concat(a, ...values), str: a.str.replace(/%[-0-9.]*[sdrx%]/g, (spec) => (spec === '%%' ? '%' : textOf(values[k++] ?? unknown()))) };
    }
    if (op === '*' && a.str !== undefined && b.num !== undefined) return { ...a, str: a.str.repeat(Math.max(0, Math.min(b.num, 1000))) };
    if (op === 'or' || op === 'and') return a.ref ? a : { ...unknown(), ...(a.str !== undefined && b.str === undefined ? {} : {}), sources: merge(a, b) };
    return { ...unknown(), sources: merge(a, b) };
  }

  unary(): Value {
    if (this.eat('not')) return { ...unknown(), sources: this.unary().sources };
    if (this.eat('await')) return this.unary();
    if (this.is('-') || this.is('+') || this.is('~')) {
      const op = this.next().v;
      const v = this.unary();
      return v.num !== undefined ? { num: op === '-' ? -v.num : op === '~' ? ~v.num : v.num, sources: [] } : v;
    }
    if (this.eat('*') || this.eat('**')) return this.unary();
    return this.postfix(this.primary());
  }

  primary(): Value {
    const t = this.next();
    if (t.t === 'str' || t.t === 'fstr') {
      let v = t.t === 'fstr' ? this.fstring(t) : { ...lit(t.v), ...(t.escaped ? { folded: true, decoded: true, sources: [{ kind: 'decode' as const, line: t.line, what: 'escape sequences' }] } : {}) };
      while (this.peek().t === 'str' || this.peek().t === 'fstr') {
        const u = this.next();
        v = concat(v, u.t === 'fstr' ? this.fstring(u) : lit(u.v));
      }
      return v;
    }
    if (t.t === 'num') {
      const s = t.v.replace(/_/g, '');
      const num = /^0[xX]/.test(s) ? parseInt(s.slice(2), 16) : /^0[oO]/.test(s) ? parseInt(s.slice(2), 8) : /^0[bB]/.test(s) ? parseInt(s.slice(2), 2) : Number(s);
      return { num, sources: [] };
    }
    if (t.t === 'name') {
      const bound = this.st.env.get(t.v);
      if (bound) return bound;
      if (MODULES.has(t.v) || BUILTINS.has(t.v)) return { ...unknown(), ref: t.v };
      return unknown();
    }
    if (t.v === '(') {
      if (this.eat(')')) return { arr: [], sources: [] };
      const first = this.expr();
      if (this.is('for')) {
        const v = this.comprehension(first, ')');
        this.eat(')');
        return v;
      }
      if (this.is(',')) {
        const items = [first];
        while (this.eat(',') && !this.is(')')) items.push(this.expr());
        this.eat(')');
        return { arr: items, sources: merge(...items) };
      }
      this.eat(')');
      return first;
    }
    if (t.v === '[') {
      const items: Value[] = [];
      if (!this.is(']')) {
        const first = this.expr();
        if (this.is('for')) {
          const v = this.comprehension(first, ']');
          this.eat(']');
          return v;
        }
        items.push(first);
        while (this.eat(',') && !this.is(']')) items.push(this.expr());
      }
      this.eat(']');
      return { arr: items.slice(0, 100_000), sources: merge(...items.slice(0, 1000)) };
    }
    if (t.v === '{') {
      const obj = new Map<string, Value>();
      const all: Value[] = [];
      while (!this.is('}') && this.peek().t !== 'nl') {
        if (this.eat('**')) {
          all.push(this.expr());
        } else {
          const key = this.expr();
          if (this.eat(':')) {
            const value = this.expr();
            all.push(value);
            if (key.str !== undefined) obj.set(key.str, value);
          } else all.push(key);
          if (this.is('for')) {
            this.comprehension(all[all.length - 1] ?? unknown(), '}');
            break;
          }
        }
        if (!this.eat(',')) break;
      }
      this.eat('}');
      return { obj, sources: merge(...all) };
    }
    return unknown();
  }

  /** `elem for x in iterable [if cond]`: evaluated for each element of a known list (at most 10,000). */
  comprehension(first: Value, close: string): Value {
    const start = this.k;
    const exprStart = this.findExprStart(start);
    this.eat('for');
    const names = this.targets();
    this.eat('in');
    const iterable = this.binary(0);
    while (!this.is(close) && this.peek().t !== 'nl') this.k++;
    const end = this.k;
    if (!iterable.arr && iterable.str === undefined || names.length !== 1 || exprStart === undefined) return { ...unknown(), sources: merge(first, iterable) };
    const items = iterable.arr ?? [...(iterable.str ?? '')].map((c) => lit(c));
    const out: Value[] = [];
    const saved = this.st.env.get(names[0] ?? '');
    for (const item of items.slice(0, 10_000)) {
      this.st.env.set(names[0] ?? '', item);
      const sub = new Parser(this.toks, this.st);
      sub.k = exprStart;
      sub.depth = this.depth;
      out.push(sub.expr());
    }
    if (saved) this.st.env.set(names[0] ?? '', saved);
    else this.st.env.delete(names[0] ?? '');
    this.k = end;
    return { arr: out, folded: true, decoded: out.some((v) => v.decoded), sources: merge(...out.slice(0, 100), iterable) };
  }

  /** Where the element expression before a `for` began (the bracket's content start). */
  findExprStart(forAt: number): number | undefined {
    let depth = 0;
    for (let i = forAt - 1; i >= 0; i--) {
      const v = this.toks[i]?.v;
      const t = this.toks[i]?.t;
      if (t === 'op' && (v === ')' || v === ']' || v === '}')) depth++;
      else if (t === 'op' && (v === '(' || v === '[' || v === '{')) {
        if (depth === 0) return i + 1;
        depth--;
      }
    }
    return undefined;
  }

  fstring(t: Tok): Value {
    const parts: Value[] = [];
    const re = /\{\{|\}\}|\{([^{}]*)\}/g;
    let last = 0;
    for (let m = re.exec(t.v); m !== null; m = re.exec(t.v)) {
      parts.push(lit(t.v.slice(last, m.index)));
      if (m[0] === '{{' || m[0] === '}}') parts.push(lit(m[0][0] ?? ''));
      else {
        const inner = (m[1] ?? '').replace(/![rsa]$|:[^'"\]]*$/, '');
        const sub = new Parser([...tokenize(inner).filter((x) => x.t !== 'nl').map((x) => ({ ...x, line: t.line })), { t: 'nl', v: '', line: t.line }], this.st);
        sub.depth = this.depth;
        try {
          parts.push(sub.expr());
        } catch {
          parts.push(unknown());
        }
      }
      last = m.index + m[0].length;
    }
    parts.push(lit(t.v.slice(last)));
    return concat(...parts);
  }

  postfix(v: Value): Value {
    for (let guard = 0; guard < 10_000; guard++) {
      if (this.is('.') && this.peek(1).t === 'name') {
        this.k++;
        const name = this.next().v;
        v = this.attribute(v, name, false, this.peek(-1).line);
      } else if (this.is('(')) {
        const line = this.peek().line;
        this.k++;
        const { args, kwargs } = this.args();
        v = this.call(v, args, kwargs, line);
      } else if (this.is('[')) {
        this.k++;
        v = this.subscript(v);
      } else return v;
    }
    return v;
  }

  args(): { args: Value[]; kwargs: Map<string, Value> } {
    const args: Value[] = [];
    const kwargs = new Map<string, Value>();
    while (!this.is(')') && this.peek().t !== 'nl') {
      if (this.peek().t === 'name' && this.is('=', 1)) {
        const key = this.next().v;
        this.k++;
        kwargs.set(key, this.expr());
      } else {
        const star = this.eat('*') || this.eat('**');
        const v = this.expr();
        if (this.is('for')) args.push(this.comprehension(v, ')'));
        else if (star && v.arr) args.push(...v.arr);
        else args.push(v);
      }
      if (!this.eat(',')) break;
    }
    this.eat(')');
    return { args, kwargs };
  }

  subscript(v: Value): Value {
    const parts: (Value | undefined)[] = [];
    let current: Value | undefined;
    let colons = 0;
    while (!this.is(']') && this.peek().t !== 'nl') {
      if (this.eat(':')) {
        parts.push(current);
        current = undefined;
        colons++;
        continue;
      }
      current = this.expr();
      if (this.eat(',')) current = undefined;
    }
    parts.push(current);
    this.eat(']');
    if (colons === 0) {
      const key = parts[0] ?? unknown();
      if (v.ref === 'os.environ') return this.envRead(key.str, this.peek(-1).line);
      if ((v.ref === '__builtins__' || v.ref === 'builtins.__dict__' || v.ref === '__builtins__.__dict__' || v.ref === 'globals()' || v.ref === 'vars()') && key.str) return { ...unknown(), ref: key.str, hidden: key.folded === true || key.decoded === true };
      if (v.obj && key.str !== undefined) return v.obj.get(key.str) ?? { ...unknown(), sources: v.sources };
      if (v.arr && key.num !== undefined) return v.arr.at(key.num) ?? unknown();
      if (v.str !== undefined && key.num !== undefined && !v.str.includes(UNKNOWN)) return { ...lit(v.str.at(key.num) ?? ''), sources: v.sources };
      return { ...unknown(), sources: v.sources };
    }
    const [a, b, c] = [parts[0]?.num, parts[1]?.num, parts[2]?.num];
    if (v.str !== undefined && !v.str.includes(UNKNOWN)) {
      let chars = [...v.str];
      if (c !== undefined && c < 0) chars = chars.reverse();
      chars = chars.slice(a ?? 0, b);
      const step = Math.abs(c ?? 1) || 1;
      return { ...v, str: chars.filter((_, i) => i % step === 0).join(''), folded: true, decoded: v.decoded || (c !== undefined && c < 0), sources: c !== undefined && c < 0 ? [...v.sources, { kind: 'decode', line: this.peek(-1).line, what: 'a reversal' }] : v.sources };
    }
    if (v.arr) return { ...v, arr: c !== undefined && c < 0 ? [...v.arr].reverse() : v.arr.slice(a ?? 0, b) };
    return { ...unknown(), sources: v.sources };
  }

  envRead(name: string | undefined, line: number): Value {
    if (name === 'HOME' || name === 'USERPROFILE') return lit('~');
    if (name !== undefined && SECRET_ENV.test(name)) return { ...unknown(), sources: [envSecret(name, line)] };
    return unknown();
  }

  attribute(v: Value, name: string, _hidden: boolean, line: number): Value {
    const ref = v.ref;
    if (ref === 'os' && name === 'environ') return { ...unknown(), ref: 'os.environ', sources: [{ kind: 'secret', line, what: 'the whole environment (os.environ)' }] };
    if (ref && (MODULES.has(ref.split('.')[0] ?? '') || ref === 'str' || ref === 'bytes' || ref === 'os.environ' || ref === '__builtins__' || ref === 'builtins')) return { ...unknown(), ref: `${ref}.${name}`, ...(v.hidden ? { hidden: true } : {}), ...(ref === 'os.environ' ? {} : {}) };
    if (ref === 'Path' || ref === 'pathlib.Path') return { ...unknown(), ref: `pathlib.Path.${name}` };
    if (v.str !== undefined || v.arr || v.num !== undefined) return { ...v, ref: `.${name}` };
    // An attribute of tainted data (r.text, resp.content) keeps its taint.
    return { ...unknown(), sources: v.sources, ...(v.decoded ? { decoded: true } : {}), ...(ref === 'netreq' ? { ref: 'netreq' } : {}) };
  }

  /** A method call on a folded value: `.join`, `.decode`, `.encode`, `.replace`, `.split`... */
  method(recv: Value, name: string, args: Value[], line: number): Value | undefined {
    const a0 = args[0];
    if (name === 'join' && recv.str !== undefined && a0) {
      const items = a0.arr ?? (a0.str !== undefined ? [...a0.str].map((c) => lit(c)) : undefined);
      if (!items) return { ...unknown(), sources: a0.sources, decoded: a0.decoded };
      return { str: items.map(textOf).join(recv.str), folded: true, decoded: items.some((x) => x.decoded) || a0.decoded, sources: merge(a0, ...items.slice(0, 100)) };
    }
    if (recv.str === undefined && !recv.arr) return undefined;
    const s = recv.str ?? '';
    if (/^(?:decode|encode|strip|lower|upper|rstrip|lstrip)$/.test(name)) {
      if (name === 'decode' && a0?.str && /^(?:hex|base64)$/.test(a0.str)) return this.decoded(a0.str === 'hex' ? decodeHex(s) : decodeBase64(s), recv, line, `${a0.str} decode`);
      const out = name === 'strip' ? s.trim() : name === 'lower' ? s.toLowerCase() : name === 'upper' ? s.toUpperCase() : s;
      return { ...recv, str: out, ref: undefined };
    }
    if (name === 'replace' && a0?.str !== undefined && args[1]?.str !== undefined) return { ...recv, str: s.split(a0.str).join(args[1].str), folded: true, ref: undefined };
    if (name === 'split' && !s.includes(UNKNOWN)) return { arr: (a0?.str ? s.split(a0.str) : s.split(/\s+/)).slice(0, 10_000).map((p) => lit(p)), sources: recv.sources };
    if (name === 'format' && !s.includes(UNKNOWN)) {
      let k = 0;
      return { ...concat(recv, ...args), str: s.replace(/\{[^{}]*\}/g, () => textOf(args[k++] ?? unknown())) };
    }
    if (name === 'fromhex' && recv.ref === undefined) return undefined;
    return undefined;
  }

  decoded(s: string | undefined, from: Value, line: number, what: string): Value {
    return { ...(s !== undefined ? { str: s } : {}), folded: true, decoded: true, sources: [...from.sources.filter((x) => x.kind !== 'decode'), { kind: 'decode', line, what }] };
  }

  call(fn: Value, args: Value[], kwargs: Map<string, Value>, line: number): Value {
    const ref = fn.ref ?? '';
    const a0 = args[0] ?? kwargs.get('s') ?? kwargs.get('data') ?? unknown();
    const known = a0.str !== undefined && !a0.str.includes(UNKNOWN) ? a0.str : undefined;
    const base = ref.replace(/^(?:\.|builtins\.)/, '');
    // Methods on folded values.
    if (ref.startsWith('.')) {
      const recvName = ref.slice(1);
      const recv = { ...fn, ref: undefined };
      const out = this.method(recv, recvName, args, line);
      if (out) return out;
      return { ...unknown(), sources: merge(recv, ...args) };
    }
    // Decodes.
    if (/^base64\.(?:b64decode|standard_b64decode|urlsafe_b64decode|b32decode|b16decode|a85decode|b85decode|decodebytes|decodestring)$/.test(ref)) return this.decoded(known !== undefined ? (/b16decode$/.test(ref) ? decodeHex(known) : /b(?:32|85)|a85/.test(ref) ? undefined : decodeBase64(known)) : undefined, a0, line, ref);
    if (ref === 'bytes.fromhex' || ref === 'bytearray.fromhex' || /^binascii\.(?:unhexlify|a2b_hex)$/.test(ref)) return this.decoded(known !== undefined ? decodeHex(known) : undefined, a0, line, ref);
    if (ref === 'binascii.a2b_base64') return this.decoded(known !== undefined ? decodeBase64(known) : undefined, a0, line, ref);
    if (ref === 'codecs.decode' || ref === 'codecs.encode') {
      const codec = (args[1] ?? kwargs.get('encoding'))?.str?.toLowerCase().replace(/[-_]/g, '');
      if (codec === 'rot13') return this.decoded(known !== undefined ? rot13(known) : undefined, a0, line, 'rot13');
      if (codec === 'hex') return this.decoded(known !== undefined ? decodeHex(known) : undefined, a0, line, 'hex decode');
      if (codec === 'base64') return this.decoded(known !== undefined ? decodeBase64(known) : undefined, a0, line, 'base64 decode');
      return { ...a0 };
    }
    if (/^(?:zlib|gzip|bz2|lzma)\.decompress$|^marshal\.loads$/.test(ref)) return this.decoded(undefined, a0, line, ref);
    if (base === 'chr') return a0.num !== undefined ? { ...lit(String.fromCodePoint(Math.max(0, Math.min(0x10ffff, a0.num)))), folded: true, decoded: true, sources: [{ kind: 'decode', line, what: 'chr()' }] } : { ...unknown(), decoded: true, sources: [{ kind: 'decode', line, what: 'chr()' }] };
    if (base === 'map' && args[0]?.ref === 'chr' && args[1]?.arr) return { arr: args[1].arr.map((x) => (x.num !== undefined ? lit(String.fromCodePoint(Math.max(0, Math.min(0x10ffff, x.num)))) : unknown())), folded: true, decoded: true, sources: [{ kind: 'decode', line, what: 'chr()' }] };
    if (base === 'reversed') return a0.arr ? { ...a0, arr: [...a0.arr].reverse(), decoded: true } : a0.str !== undefined ? { arr: [...a0.str].reverse().map((c) => lit(c)), folded: true, decoded: true, sources: [...a0.sources, { kind: 'decode', line, what: 'a reversal' }] } : a0;
    if (base === 'str' || base === 'bytes' || base === 'bytearray' || base === 'list') return a0.arr && base !== 'list' && a0.arr.every((x) => x.num !== undefined) ? { ...lit(String.fromCharCode(...a0.arr.map((x) => (x.num ?? 0) & 0xff))), folded: true, decoded: true, sources: [{ kind: 'decode', line, what: `${base}() of numbers` }] } : { ...a0, ref: undefined };
    if (base === 'globals' || base === 'vars') return { ...unknown(), ref: 'globals()' };
    if (base === 'getattr') {
      const obj = args[0] ?? unknown();
      const name = args[1];
      if (obj.ref && name?.str) return { ...unknown(), ref: `${obj.ref}.${name.str}`.replace(/^(?:__builtins__|builtins|globals\(\))\./, ''), hidden: name.folded === true || name.decoded === true };
      return unknown();
    }
    if (base === '__import__' || ref === 'importlib.import_module') {
      if (pick(a0.sources, ['network'])) this.runSink(a0, ref, false, line, 'python');
      if (known !== undefined) return { ...unknown(), ref: known, hidden: a0.folded === true || a0.decoded === true || fn.hidden === true };
      return unknown();
    }
    if (base === 'open' || ref === 'io.open' || ref === 'codecs.open') {
      const path = known ?? '';
      if (CREDENTIAL_PATH.test(path)) return { ...unknown(), sources: [{ kind: 'secret', line, what: `the credential file ${path}` }] };
      // The file an archive of the home folder was written to carries it.
      return { ...unknown(), sources: a0.sources.filter((x) => x.kind === 'home' || x.kind === 'secret') };
    }
    if (ref === 'pathlib.Path.home' || ref === 'Path.home') return { ...lit('~'), ref: 'path' };
    if (ref === 'pathlib.Path' || ref === 'Path') return { ...a0, ref: 'path' };
    if (ref === 'os.path.expanduser' || ref === 'os.path.expandvars' || ref === 'os.path.abspath' || ref === 'os.path.realpath') return { ...a0, ref: undefined };
    if (ref === 'os.path.join') return { str: args.map(textOf).join('/').replace(/\/+/g, '/'), folded: true, sources: merge(...args) };
    if (ref === 'os.getenv' || ref === 'os.environ.get') return this.envRead(known, line);
    if (ref === 'os.path.expanduser' || ref === 'os.getcwd') return unknown();
    if (/^(?:pathlib\.Path\.)?(?:read_text|read_bytes)$/.test(ref.split('.').pop() ?? '') && fn.str !== undefined) return CREDENTIAL_PATH.test(fn.str) ? { ...unknown(), sources: [{ kind: 'secret', line, what: `the credential file ${fn.str}` }] } : unknown();
    if (ref === 'shutil.make_archive') {
      const root = (kwargs.get('root_dir') ?? args[2])?.str ?? '';
      if (HOME_PATH.test(root) || CREDENTIAL_PATH.test(root)) return { ...unknown(), sources: [{ kind: HOME_PATH.test(root) ? 'home' : 'secret', line, what: `an archive of ${root}` }] };
      return unknown();
    }
    // Network reads (and writes: the data sent is checked).
    const net = /^(?:requests|httpx|aiohttp)\.(?:get|post|put|patch|request|delete)$|^(?:requests|httpx)\.Session$|^urllib\.request\.(?:urlopen|urlretrieve|Request)$|^urllib\.urlopen$|^http\.client\.HTTPS?Connection$|^socket\.(?:socket|create_connection)$|^smtplib\.SMTP(?:_SSL)?$/.test(ref);
    if (net || /\.(?:send|sendall|sendto|request|sendmail|post|put|write)$/.test(ref) && fn.ref === 'netreq') {
      const sent = [...args, ...[...kwargs.entries()].filter(([k]) => !/^(?:headers|auth|cookies)$/.test(k)).map(([, x]) => x)];
      const leak = pick(sent.flatMap((x) => deepSources(x)), ['home', 'secret']);
      if (leak) this.report(exfiltration(leak, line, `${ref}()`));
      return { ...unknown(), ref: 'netreq', sources: [{ kind: 'network', line, what: `the download by ${ref}()` }] };
    }
    // Sinks that run code.
    if (/^(?:exec|eval|compile)$/.test(base) || ref === 'code.InteractiveInterpreter') {
      this.runSink(a0, base, fn.hidden === true, line, 'python');
      return unknown();
    }
    if (/^(?:pickle|marshal|dill|cloudpickle)\.loads?$|^yaml\.unsafe_load$/.test(ref)) {
      if (pick(a0.sources, ['network'])) this.runSink(a0, ref, false, line, 'python');
      return unknown();
    }
    if (/^os\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?)$|^subprocess\.(?:run|call|check_call|check_output|Popen|getoutput|getstatusoutput)$|^pty\.spawn$|^commands\.getoutput$/.test(ref)) {
      const shell = kwargs.get('shell')?.ref === 'True' || /^os\.(?:system|popen)$|getoutput|getstatusoutput/.test(ref);
      let command: Value = a0;
      if (a0.arr) {
        const words = a0.arr;
        const dashC = words.findIndex((w) => w.str === '-c');
        const prog = words[0]?.str ?? '';
        command = dashC !== -1 && /(?:^|\/)(?:ba|z|da)?sh$/.test(prog) ? words[dashC + 1] ?? unknown() : concat(...words.flatMap((w, i) => (i === 0 ? [w] : [lit(' '), w])));
      } else if (!shell && a0.str !== undefined && /^os\.exec|spawn/.test(ref)) command = a0;
      // A shell or interpreter reading its program from `input=`: subprocess.run(['sh'], input=r.content).
      const stdin = kwargs.get('input');
      const prog = (a0.arr?.[0]?.str ?? a0.str ?? '').split('/').pop() ?? '';
      if (stdin && /^(?:ba|z|da|k)?sh$|^python[0-9.]*$|^node$|^perl$|^ruby$/.test(prog) && (a0.arr?.length ?? 1) <= 2) this.runSink(stdin, `${ref} (${prog} reading its input)`, false, line, prog.endsWith('sh') ? 'shell' : 'python');
      this.runSink(command, ref, fn.hidden === true, line, 'shell');
      return unknown();
    }
    if (ref === 'shutil.rmtree' && known !== undefined && a0.folded && /^(?:~|\/)\/?$/.test(known)) {
      this.report({ rule: 'script-destructive-delete', severity: 'high', line, message: `shutil.rmtree of ${known}, the path built at run time: far outside the skill's folder` });
      return unknown();
    }
    if (ref === 'True' || ref === 'False') return fn;
    // Wrappers that keep their data: dict(os.environ), json.dumps(...), str(...).
    if (/^(?:dict|repr|tuple|sorted|set|json\.dumps|json\.dump|pickle\.dumps|zlib\.compress|base64\.b64encode|urllib\.parse\.urlencode)$/.test(base)) return { ...unknown(), sources: merge(...args, ...kwargs.values()) };
    // A method of tainted data (r.json(), resp.read()) keeps its taint.
    return { ...unknown(), sources: fn.sources, ...(fn.decoded ? { decoded: true } : {}), ...(fn.ref === 'netreq' ? { ref: 'netreq' } : {}) };
  }

  report(f: CodeFinding): void {
    if (!this.st.reporting) return;
    const found = this.st.fixedLine !== undefined ? { ...f, line: this.st.fixedLine, ...(f.source !== undefined ? { source: this.st.fixedLine } : {}) } : f;
    if (this.st.findings.length < 50 && !this.st.findings.some((x) => x.rule === found.rule && x.line === found.line)) this.st.findings.push(found);
  }

  runSink(code: Value, sink: string, hidden: boolean, line: number, language: 'python' | 'shell'): void {
    const network = pick(code.sources, ['network']);
    if (network) return this.report({ rule: 'code-remote-exec', severity: 'high', line, source: network.line, message: `${network.what} reaches ${sink}: whatever the server sends runs` });
    const decode = pick(code.sources, ['decode']);
    const folded = code.str !== undefined && !code.str.includes(UNKNOWN) ? code.str : undefined;
    if (decode || code.decoded) {
      const from = decode?.line ?? line;
      this.report({ rule: 'code-decoded-exec', severity: 'high', line, source: from, message: `decoded text reaches ${sink}${folded !== undefined ? `: ${shown(folded)}` : ''}` });
    } else if (hidden) {
      this.report({ rule: 'code-obfuscated-sink', severity: 'high', line, message: `${sink} is reached through a name built at run time: written so that text checks miss it` });
    }
    const secret = pick(code.sources, ['secret', 'home']);
    if (secret && language === 'shell' && /\b(?:curl|wget|nc|ncat|scp|rsync|ssh)\b/.test(code.str ?? '')) this.report({ rule: 'code-exfiltration', severity: 'high', line, source: secret.line, message: `${secret.what} is put into a command that uses the network` });
    if (this.st.reporting && code.str !== undefined && code.folded && this.st.nesting < 3 && code.str.length < 16_384) {
      const text = code.str.replaceAll(UNKNOWN, 'x');
      const at = this.st.fixedLine ?? line;
      const nested = language === 'python' ? analyzePython(text, this.st.nesting + 1, at) : analyzeShell(text, { ...newShellContext(0, this.st.nesting + 1), fixedLine: at });
      for (const f of nested) this.report(f);
    }
  }
}

const PREC: Record<string, number> = { or: 1, and: 2, not: 3, in: 4, is: 4, '<': 4, '>': 4, '==': 4, '!=': 4, '<=': 4, '>=': 4, '|': 5, '^': 6, '&': 7, '<<': 8, '>>': 8, '+': 9, '-': 9, '*': 10, '/': 10, '//': 10, '%': 10, '@': 10, '**': 12 };

/** Every source in a value, but not in `headers`/`auth` (a key in its own authorization header is its normal use). */
function deepSources(v: Value, depth = 0): Source[] {
  if (depth > 4) return v.sources;
  if (v.obj) return [...[...v.obj.entries()].filter(([k]) => !/^(?:headers|auth|authorization)$/i.test(k)).flatMap(([, x]) => deepSources(x, depth + 1))];
  return [...v.sources, ...(v.arr ?? []).slice(0, 100).flatMap((x) => deepSources(x, depth + 1))];
}

/** Words without which a Python file reaches none of the sinks: a file with none of them is not analysed. */
const RISKY = /\b(?:exec|eval|compile|system|popen|subprocess|__import__|import_module|getattr|pickle|marshal|requests|urllib|httpx|socket|smtplib|environ|getenv|rmtree|make_archive|pty|aiohttp|__builtins__|builtins|globals)\b/;

export function analyzePython(text: string, nesting = 0, fixedLine?: number): CodeFinding[] {
  if (!RISKY.test(text)) return [];
  const st: State = { env: new Map(), findings: [], reporting: false, nesting, ...(fixedLine === undefined ? {} : { fixedLine }) };
  try {
    spend(text.length >> 3);
    const toks = tokenize(text);
    for (const reporting of [false, true]) {
      st.reporting = reporting;
      const p = new Parser(toks, st);
      while (p.k < toks.length) p.statement();
    }
  } catch (error) {
    if (nesting > 0 || !(error instanceof BudgetExceeded)) throw error;
  }
  return st.findings;
}
