/**
 * JavaScript and TypeScript read as code: parsed with acorn (TypeScript first stripped by esbuild,
 * lines mapped back through its source map), constants folded (concatenation, templates, `.join`,
 * `.split('').reverse().join('')`, `String.fromCharCode`, escapes, `Buffer.from(x, 'base64')`,
 * `atob`), and data followed into sinks: eval, Function, vm, child_process (also reached through
 * `require(['child','process'].join('_'))` or `globalThis['ev'+'al']`), dynamic require/import, and
 * network writes of secrets.
 *
 * Flow-insensitive and by name: every assignment to a name is joined, scopes are not told apart,
 * and calls into the file's own functions are not followed (their parameters are unknown), except
 * callbacks given to a download (`https.get(url, res => ...)`, `.then(r => ...)`), whose
 * parameters carry the download.
 */
import { parse, type Node } from 'acorn';
import { full } from 'acorn-walk';
import { transformSync } from 'esbuild';
import { BudgetExceeded, concat, CREDENTIAL_PATH, spend, decodeBase64, decodeHex, envSecret, exfiltration, lit, merge, pick, SECRET_ENV, shown, textOf, UNKNOWN, unknown, type CodeFinding, type Source, type Value } from './fold';
import { analyzeShell, newShellContext } from './shell';

/** Words without which a file can reach none of the sinks: a file with none of them is not parsed. */
const RISKY = /\b(?:eval|Function|constructor|require|import|child_process|exec|spawn|globalThis|global|window|self|Reflect|fetch|https?|request|axios|XMLHttpRequest|WebSocket|Buffer|atob|fromCharCode|fromCodePoint|setTimeout|setInterval|vm|process|net|unescape|decodeURIComponent)\b|\\[ux]/;
const MAX_DEPTH = 400;
const MAX_NODES = 400_000;

const GLOBALS = new Set(['globalThis', 'window', 'global', 'self', 'this']);
const EVALS = new Set(['eval', 'Function', 'setTimeout', 'setInterval', 'vm.runInNewContext', 'vm.runInThisContext', 'vm.runInContext', 'vm.Script', 'vm.compileFunction', 'vm.SourceTextModule']);
const EXECS = new Set(['exec', 'execSync', 'spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);
const NETWORK_READS = new Set(['fetch', 'https.get', 'http.get', 'https.request', 'http.request', 'axios', 'axios.get', 'axios.request', 'got', 'got.get', 'undici.request', 'undici.fetch']);
const NETWORK_WRITES = new Set(['fetch', 'https.request', 'http.request', 'https.get', 'http.get', 'axios', 'axios.post', 'axios.put', 'axios.patch', 'axios.get', 'axios.request', 'got', 'got.post', 'got.put', 'undici.request', 'navigator.sendBeacon', 'net.connect', 'net.createConnection', 'tls.connect', 'WebSocket', 'dgram.send']);

type AnyNode = Node & Record<string, any>;

interface State {
  env: Map<string, Value>;
  memo: Map<Node, Value>;
  findings: CodeFinding[];
  line: (offset: number) => number;
  depth: number;
  /** Nested analysis of folded code (eval of a built string). */
  nesting: number;
  fixedLine?: number;
  /** A binding changed in this pass (another pass is needed). */
  changed: boolean;
}

export function analyzeJs(text: string, typescript: boolean, nesting = 0, fixedLine?: number): CodeFinding[] {
  if (!RISKY.test(text)) return [];
  try {
    // Parsing costs about what evaluating a node does per 4 characters (esbuild's TypeScript pass, per 2).
    spend(text.length >> (typescript ? 1 : 2));
  } catch (error) {
    if (nesting > 0) throw error;
    return [];
  }
  const parsed = parseJs(text, typescript);
  if (!parsed) return [];
  const starts = lineStarts(parsed.code);
  const line = (offset: number) => parsed.map(lineOf(starts, offset));
  const st: State = { env: new Map(), memo: new Map(), findings: [], line, depth: 0, nesting, changed: false, ...(fixedLine === undefined ? {} : { fixedLine }) };
  try {
    let nodes = 0;
    full(parsed.ast, () => void nodes++);
    spend(nodes >> 2);
    // Bindings to a fixpoint (a name used above its assignment, a callback's taint): at most 4 passes.
    const passes = nodes > MAX_NODES ? 1 : 4;
    for (let pass = 0; pass < passes; pass++) {
      st.memo.clear();
      st.changed = false;
      full(parsed.ast, (node) => bind(node as AnyNode, st));
      if (!st.changed) break;
    }
    if (st.changed) st.memo.clear();
    full(parsed.ast, (node) => sinks(node as AnyNode, st));
  } catch (error) {
    // A tree too deep for the walk: what was found so far stands; the pattern rules read the text.
    // A spent budget ends the whole package's analysis (scanCode reports it).
    if (error instanceof BudgetExceeded && nesting > 0) throw error;
  }
  return st.findings;
}

// ---------------------------------------------------------------------------------------------
// Parsing

function parseJs(text: string, typescript: boolean): { ast: Node; code: string; map: (line: number) => number } | undefined {
  const identity = (l: number) => l;
  if (!typescript) {
    for (const sourceType of ['module', 'script'] as const) {
      try {
        return { ast: parse(text, { ecmaVersion: 'latest', sourceType, allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true }), code: text, map: identity };
      } catch {
        // try the other, then esbuild (JSX)
      }
    }
  }
  try {
    const out = transformSync(text, { loader: typescript ? 'ts' : 'jsx', sourcemap: 'external', format: 'esm', target: 'esnext', logLevel: 'silent' });
    const lines = sourceMapLines(out.map);
    const ast = parse(out.code, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true });
    return { ast, code: out.code, map: (l) => lines[l - 1] ?? l };
  } catch {
    return undefined;
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** For each generated line, the original line of its first mapping (1-based), from a v3 source map. */
function sourceMapLines(mapText: string): number[] {
  let mappings = '';
  try {
    mappings = String((JSON.parse(mapText) as { mappings?: unknown }).mappings ?? '');
  } catch {
    return [];
  }
  const out: number[] = [];
  let sourceLine = 0;
  let last = 1;
  for (const lineText of mappings.split(';')) {
    let first: number | undefined;
    for (const seg of lineText.split(',')) {
      if (seg === '') continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of seg) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      if (fields.length >= 4) {
        sourceLine += fields[2] ?? 0;
        first ??= sourceLine + 1;
      }
    }
    if (first !== undefined) last = first;
    out.push(last);
  }
  return out;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

// ---------------------------------------------------------------------------------------------
// Values

function propName(n: AnyNode, st: State): { name: string | undefined; hidden: boolean } {
  if (!n.computed) return { name: n.property?.name as string | undefined, hidden: false };
  const v = ev(n.property as AnyNode, st);
  const name = v.str !== undefined && !v.str.includes(UNKNOWN) ? v.str : undefined;
  return { name, hidden: n.property?.type !== 'Literal' || v.folded === true };
}

function ev(n: AnyNode | null | undefined, st: State): Value {
  if (!n) return unknown();
  const known = st.memo.get(n);
  if (known) return known;
  if (st.depth > MAX_DEPTH) return unknown();
  spend(1);
  st.depth++;
  try {
    const v = evaluate(n, st);
    st.memo.set(n, v);
    return v;
  } finally {
    st.depth--;
  }
}

function evaluate(n: AnyNode, st: State): Value {
  switch (n.type) {
    case 'Literal':
      if (typeof n.value === 'string') {
        const raw = String(n.raw ?? '');
        // Letters and digits written as escapes ("\x65val", "\u0063hild_process") hide a word from text checks.
        const escaped = /\\(?:x[2-7][0-9a-fA-F]|u00[2-7][0-9a-fA-F]|u\{0*[2-7][0-9a-fA-F]\})/.test(raw);
        return { ...lit(n.value), folded: escaped, decoded: escaped, sources: escaped ? [{ kind: 'decode', line: st.line(n.start), what: 'escape sequences' }] : [] };
      }
      if (typeof n.value === 'number') return { num: n.value, sources: [] };
      return unknown();
    case 'TemplateLiteral': {
      const parts: Value[] = [];
      (n.quasis as AnyNode[]).forEach((q, k) => {
        parts.push(lit(String(q.value?.cooked ?? '')));
        const e = (n.expressions as AnyNode[])[k];
        if (e) parts.push(ev(e, st));
      });
      return concat(...parts);
    }
    case 'BinaryExpression': {
      const a = ev(n.left, st);
      const b = ev(n.right, st);
      if (n.operator !== '+') return { ...unknown(), sources: merge(a, b) };
      if (a.num !== undefined && b.num !== undefined) return { num: a.num + b.num, sources: [] };
      return concat(a, b);
    }
    case 'Identifier': {
      const bound = st.env.get(n.name);
      if (bound) return bound;
      if (n.name === 'undefined') return unknown();
      return { ...unknown(), ref: n.name };
    }
    case 'ThisExpression':
      return { ...unknown(), ref: 'this' };
    case 'ArrayExpression':
      return { arr: (n.elements as (AnyNode | null)[]).map((e) => (e?.type === 'SpreadElement' ? ev(e.argument, st) : ev(e, st))), sources: merge(...(n.elements as (AnyNode | null)[]).map((e) => ev(e?.type === 'SpreadElement' ? e.argument : e, st))) };
    case 'ObjectExpression': {
      const obj = new Map<string, Value>();
      const all: Value[] = [];
      for (const p of n.properties as AnyNode[]) {
        const v = ev(p.type === 'SpreadElement' ? p.argument : p.value, st);
        all.push(v);
        const key = p.key?.type === 'Identifier' && !p.computed ? p.key.name : p.key?.type === 'Literal' ? String(p.key.value) : undefined;
        if (key) obj.set(key, v);
      }
      return { obj, sources: merge(...all) };
    }
    case 'AwaitExpression':
    case 'ChainExpression':
    case 'ParenthesizedExpression':
    case 'TSAsExpression':
      return ev(n.argument ?? n.expression, st);
    case 'SequenceExpression':
      return ev((n.expressions as AnyNode[])[(n.expressions as AnyNode[]).length - 1], st);
    case 'ConditionalExpression':
    case 'LogicalExpression': {
      const a = ev(n.consequent ?? n.left, st);
      const b = ev(n.alternate ?? n.right, st);
      if (a.ref && !b.ref) return a;
      return { ...unknown(), ...(a.str !== undefined && a.str === b.str ? { str: a.str } : {}), sources: merge(a, b) };
    }
    case 'AssignmentExpression':
      return ev(n.right, st);
    case 'MemberExpression':
      return member(n, st);
    case 'CallExpression':
    case 'NewExpression':
      return call(n, st);
    case 'ImportExpression':
      return requireOf(ev(n.source, st), n.source as AnyNode);
    case 'TaggedTemplateExpression': {
      const tag = ev(n.tag, st);
      if (tag.ref === 'String.raw') return concat(...(n.quasi.quasis as AnyNode[]).map((q) => lit(String(q.value?.raw ?? ''))));
      return unknown();
    }
    default:
      return unknown();
  }
}

function requireOf(arg: Value, node: AnyNode | undefined): Value {
  if (arg.str !== undefined && !arg.str.includes(UNKNOWN)) return { ...unknown(), ref: `module:${arg.str.replace(/^node:/, '')}`, hidden: node?.type !== 'Literal' || arg.folded === true };
  return { ...unknown(), ref: 'module:?', sources: arg.sources };
}

function member(n: AnyNode, st: State): Value {
  const o = ev(n.object, st);
  const { name, hidden } = propName(n, st);
  const ref = o.ref;
  if (ref && GLOBALS.has(ref) && name) {
    if (name === 'eval' || name === 'Function' || name === 'require' || name === 'process' || name === 'fetch' || name === 'atob' || name === 'Buffer' || name === 'String') return { ...unknown(), ref: name, hidden: hidden || o.hidden };
  }
  if (ref === 'process' && name === 'env') return { ...unknown(), ref: 'process.env', sources: [{ kind: 'secret', line: st.line(n.start), what: 'the whole environment (process.env)' }] };
  if (ref === 'process' && name === 'mainModule') return { ...unknown(), ref: 'module' };
  if (ref === 'module' && name === 'require') return { ...unknown(), ref: 'require', hidden: true };
  if (ref === 'process.env') {
    if (!name) return { ...unknown(), sources: o.sources };
    if (name === 'HOME' || name === 'USERPROFILE') return lit('~');
    if (SECRET_ENV.test(name)) return { ...unknown(), sources: [envSecret(name, st.line(n.start))] };
    return unknown();
  }
  if (ref?.startsWith('module:') && name) return { ...unknown(), ref: `${ref.slice(7)}.${name}`, hidden: hidden || o.hidden };
  if (ref && name && /^(?:String|Buffer|JSON|Reflect|axios|got|undici|navigator|os|path|fs|child_process|vm|https?|net|tls|Object)$/.test(ref)) return { ...unknown(), ref: `${ref}.${name}`, hidden: hidden || o.hidden };
  if (name === 'constructor') return o.ref === 'ctor' || o.ref === 'Function' ? { ...unknown(), ref: 'Function', hidden: true } : { ...unknown(), ref: 'ctor' };
  if (o.str !== undefined && name === 'length') return { num: o.str.length, sources: [] };
  if (o.arr && name !== undefined && /^\d+$/.test(name)) return o.arr[Number(name)] ?? unknown();
  if (o.obj && name !== undefined && o.obj.has(name)) return o.obj.get(name) ?? unknown();
  return { ...unknown(), sources: o.sources };
}

function call(n: AnyNode, st: State): Value {
  const args = (n.arguments as AnyNode[]).map((a) => (a.type === 'SpreadElement' ? ev(a.argument, st) : ev(a, st)));
  const flat = (n.arguments as AnyNode[]).some((a) => a.type === 'SpreadElement') ? args.flatMap((a) => a.arr ?? [a]) : args;
  const line = st.line(n.start);
  const callee = n.callee as AnyNode;
  if (callee.type === 'MemberExpression') {
    const recv = ev(callee.object, st);
    const { name: method } = propName(callee, st);
    const fn = member(callee, st);
    const a0 = flat[0];
    if (recv.arr && method === 'join') {
      const sep = a0 === undefined ? ',' : textOf(a0);
      return { str: recv.arr.map(textOf).join(sep), folded: true, decoded: recv.arr.some((v) => v.decoded), sources: merge(...recv.arr) };
    }
    if (recv.arr && method === 'reverse') return { ...recv, arr: [...recv.arr].reverse() };
    if (recv.arr && method === 'concat') return { arr: [...recv.arr, ...flat.flatMap((a) => a.arr ?? [a])], sources: merge(recv, ...flat) };
    if (recv.str !== undefined && method) {
      const s = recv.str;
      if (method === 'split' && a0?.str !== undefined && !s.includes(UNKNOWN)) return { arr: (a0.str === '' ? [...s] : s.split(a0.str)).slice(0, 10_000).map((p) => lit(p)), folded: true, sources: recv.sources };
      if (method === 'concat') return concat(recv, ...flat);
      if ((method === 'replace' || method === 'replaceAll') && a0?.str !== undefined && flat[1]?.str !== undefined) return { ...concat(recv), str: method === 'replace' ? s.replace(a0.str, () => flat[1]?.str ?? '') : s.split(a0.str).join(flat[1].str) };
      if ((method === 'slice' || method === 'substring' || method === 'substr') && a0?.num !== undefined) return { ...concat(recv), str: method === 'substr' ? s.substr(a0.num, flat[1]?.num) : s[method](a0.num, flat[1]?.num) };
      if (/^(?:toString|trim|toLowerCase|toUpperCase|normalize|valueOf)$/.test(method)) return { ...recv, str: method === 'toLowerCase' ? s.toLowerCase() : method === 'toUpperCase' ? s.toUpperCase() : method === 'trim' ? s.trim() : s };
      if (method === 'charCodeAt') return unknown();
    }
    if (fn.ref === 'String.fromCharCode' || fn.ref === 'String.fromCodePoint') {
      if (flat.every((a) => a.num !== undefined)) return { str: String.fromCodePoint(...flat.map((a) => Math.max(0, Math.min(0x10ffff, a.num ?? 0)))), folded: true, decoded: true, sources: [{ kind: 'decode', line, what: 'String.fromCharCode' }] };
      return { ...unknown(), decoded: true, sources: [...merge(...flat), { kind: 'decode', line, what: 'String.fromCharCode' }] };
    }
    if (fn.ref === 'Buffer.from') {
      const enc = flat[1]?.str;
      if (enc && /^(?:base64|base64url|hex)$/.test(enc)) {
        const s = a0?.str !== undefined && !a0.str.includes(UNKNOWN) ? (enc === 'hex' ? decodeHex(a0.str) : decodeBase64(a0.str)) : undefined;
        return { ...(s !== undefined ? { str: s } : {}), folded: true, decoded: true, sources: [...merge(...flat), { kind: 'decode', line, what: `a ${enc} decode` }] };
      }
      return { ...(a0 ?? unknown()) };
    }
    if (fn.ref === 'JSON.parse' || fn.ref === 'JSON.stringify' || fn.ref === 'Object.entries' || fn.ref === 'Object.keys' || fn.ref === 'Object.values' || fn.ref === 'Object.assign') return { ...unknown(), sources: merge(...flat) };
    if (fn.ref === 'os.homedir') return lit('~');
    if (fn.ref === 'path.join' || fn.ref === 'path.resolve' || fn.ref === 'path.posix.join') return { str: flat.map(textOf).join('/').replace(/\/+/g, '/'), folded: true, sources: merge(...flat) };
    if (fn.ref && /^fs\.(?:readFileSync|readFile|promises\.readFile|createReadStream)$/.test(fn.ref)) {
      const path = a0?.str ?? '';
      if (CREDENTIAL_PATH.test(path)) return { ...unknown(), sources: [{ kind: 'secret', line, what: `the credential file ${path}` }] };
      return unknown();
    }
    if (fn.ref && NETWORK_READS.has(fn.ref)) return networkRead(n, st, line, fn.ref);
    if (fn.ref === 'Reflect.apply' && a0?.ref) return unknown();
    // A method of tainted data (r.text(), res.json(), body.toString()) keeps its taint; callbacks get it.
    if (recv.sources.length > 0) {
      taintCallbacks(n, st, recv);
      return { ...unknown(), sources: recv.sources, decoded: recv.decoded };
    }
    return { ...unknown(), ...(fn.ref && /^(?:https?|net|tls)\.(?:request|connect|createConnection)$/.test(fn.ref) ? { ref: 'netreq' } : {}) };
  }
  const fn = ev(callee, st);
  if (fn.ref === 'require') return requireOf(flat[0] ?? unknown(), (n.arguments as AnyNode[])[0]);
  if (fn.ref === 'atob') {
    const a0 = flat[0];
    const s = a0?.str !== undefined && !a0.str.includes(UNKNOWN) ? decodeBase64(a0.str) : undefined;
    return { ...(s !== undefined ? { str: s } : {}), folded: true, decoded: true, sources: [...merge(...flat), { kind: 'decode', line, what: 'atob' }] };
  }
  if (fn.ref === 'decodeURIComponent' || fn.ref === 'unescape' || fn.ref === 'decodeURI') {
    const a0 = flat[0];
    let s: string | undefined;
    try {
      s = a0?.str !== undefined && !a0.str.includes(UNKNOWN) ? decodeURIComponent(a0.str) : undefined;
    } catch {
      s = undefined;
    }
    return { ...(s !== undefined ? { str: s } : {}), folded: true, decoded: /%[0-9a-f]{2}/i.test(a0?.str ?? ''), sources: [...merge(...flat), ...(/%[0-9a-f]{2}/i.test(a0?.str ?? '') ? [{ kind: 'decode' as const, line, what: fn.ref }] : [])] };
  }
  if (fn.ref === 'String') return flat[0] ?? unknown();
  if (fn.ref && NETWORK_READS.has(fn.ref)) return networkRead(n, st, line, fn.ref);
  if (fn.ref === 'WebSocket') return { ...unknown(), ref: 'netreq' };
  return unknown();
}

function networkRead(n: AnyNode, st: State, line: number, what: string): Value {
  const v: Value = { ...unknown(), ref: 'netreq', sources: [{ kind: 'network', line, what: `the download by ${what}()` }] };
  taintCallbacks(n, st, v);
  return v;
}

/** The parameters of functions given to a call on tainted data carry its taint. */
function taintCallbacks(n: AnyNode, st: State, v: Value): void {
  for (const a of n.arguments as AnyNode[]) {
    if (a.type !== 'ArrowFunctionExpression' && a.type !== 'FunctionExpression') continue;
    for (const p of a.params as AnyNode[]) {
      if (p.type !== 'Identifier') continue;
      if ((st.env.get(p.name)?.sources.length ?? 0) === 0 && v.sources.length > 0) st.changed = true;
      st.env.set(p.name, { ...unknown(), sources: v.sources.filter((s) => s.kind !== 'secret') });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Bindings and sinks

function assign(name: string, v: Value, st: State, append = false): void {
  const prev = st.env.get(name);
  if (!prev || prev.ref !== v.ref || (!append && prev.str !== v.str) || merge(prev, v).length !== prev.sources.length || prev.decoded !== v.decoded) st.changed = true;
  if (append && prev) st.env.set(name, concat(prev, v));
  else if (prev && prev.sources.length > 0 && v.sources.length === 0 && !v.ref) st.env.set(name, { ...v, sources: prev.sources });
  else st.env.set(name, v);
}

function bindPattern(pattern: AnyNode, v: Value, st: State): void {
  if (pattern.type === 'Identifier') assign(pattern.name, v, st);
  else if (pattern.type === 'ObjectPattern') {
    for (const p of pattern.properties as AnyNode[]) {
      if (p.type === 'RestElement') continue;
      const key = p.key?.type === 'Identifier' ? p.key.name : p.key?.type === 'Literal' ? String(p.key.value) : undefined;
      const target = p.value?.type === 'AssignmentPattern' ? p.value.left : p.value;
      if (!key || target?.type !== 'Identifier') continue;
      if (v.ref?.startsWith('module:')) assign(target.name, { ...unknown(), ref: `${v.ref.slice(7)}.${key}`, hidden: v.hidden }, st);
      else if (v.ref === 'process.env') assign(target.name, key === 'HOME' ? lit('~') : SECRET_ENV.test(key) ? { ...unknown(), sources: [envSecret(key, st.line(p.start))] } : unknown(), st);
      else if (v.ref && /^(?:String|Buffer|JSON|os|path|fs|child_process|vm)$/.test(v.ref)) assign(target.name, { ...unknown(), ref: `${v.ref}.${key}` }, st);
      else assign(target.name, v.obj?.get(key) ?? { ...unknown(), sources: v.sources }, st);
    }
  } else if (pattern.type === 'ArrayPattern') {
    (pattern.elements as (AnyNode | null)[]).forEach((e, k) => e && bindPattern(e, v.arr?.[k] ?? { ...unknown(), sources: v.sources }, st));
  }
}

function bind(node: AnyNode, st: State): void {
  // Calls are evaluated for their effect too: a download's callbacks get its taint.
  if (node.type === 'CallExpression') ev(node, st);
  else if (node.type === 'VariableDeclarator' && node.init) bindPattern(node.id, ev(node.init, st), st);
  else if (node.type === 'AssignmentExpression' && node.left.type === 'Identifier') assign(node.left.name, ev(node.right, st), st, node.operator === '+=');
  else if (node.type === 'AssignmentExpression' && node.left.type === 'MemberExpression' && node.left.object.type === 'Identifier' && !node.left.computed) {
    // obj.body = secret: the object carries it.
    const v = ev(node.right, st);
    const prev = st.env.get(node.left.object.name);
    if (v.sources.length > 0 && (prev?.sources.length ?? 0) === 0) st.changed = true;
    if (v.sources.length > 0) st.env.set(node.left.object.name, { ...(prev ?? unknown()), sources: merge(prev ?? unknown(), v) });
  } else if (node.type === 'ImportDeclaration') {
    const mod = String(node.source.value ?? '').replace(/^node:/, '');
    for (const s of node.specifiers as AnyNode[]) {
      if (s.type === 'ImportSpecifier') assign(s.local.name, { ...unknown(), ref: `${mod}.${s.imported?.name ?? s.imported?.value}` }, st);
      else assign(s.local.name, { ...unknown(), ref: `module:${mod}` }, st);
    }
  }
}

function report(st: State, f: CodeFinding): void {
  const found = st.fixedLine !== undefined ? { ...f, line: st.fixedLine, ...(f.source !== undefined ? { source: st.fixedLine } : {}) } : f;
  if (st.findings.length < 50 && !st.findings.some((x) => x.rule === found.rule && x.line === found.line)) st.findings.push(found);
}

/** Code reaching something that runs it. */
function runSink(code: Value, sink: string, hidden: boolean, line: number, st: State, language: 'js' | 'shell'): void {
  const network = pick(code.sources, ['network']);
  if (network) return report(st, { rule: 'code-remote-exec', severity: 'high', line, source: network.line, message: `${network.what} reaches ${sink}: whatever the server sends runs` });
  const decode = pick(code.sources, ['decode']);
  const folded = code.str !== undefined && !code.str.includes(UNKNOWN) ? code.str : undefined;
  if (decode || code.decoded) {
    const from = decode?.line ?? line;
    report(st, { rule: 'code-decoded-exec', severity: 'high', line, source: from, message: `decoded text reaches ${sink}${folded !== undefined ? `: ${shown(folded)}` : ''}` });
  } else if (hidden) {
    report(st, { rule: 'code-obfuscated-sink', severity: 'high', line, message: `${sink} is reached through a name built at run time: written so that text checks miss it` });
  }
  const secret = pick(code.sources, ['secret', 'home']);
  if (secret && language === 'shell' && /\b(?:curl|wget|nc|ncat|scp|rsync|ssh)\b/.test(code.str ?? '')) report(st, { rule: 'code-exfiltration', severity: 'high', line, source: secret.line, message: `${secret.what} is put into a command that uses the network` });
  if (code.str !== undefined && code.folded && st.nesting < 3 && code.str.length < 16_384) {
    const text = code.str.replaceAll(UNKNOWN, 'x');
    const nested = language === 'js' ? analyzeJs(text, false, st.nesting + 1, st.fixedLine ?? line) : analyzeShell(text, { ...newShellContext(0, st.nesting + 1), fixedLine: st.fixedLine ?? line });
    for (const f of nested) report(st, f);
  }
}

/** Every source in a value, but not in `headers`/`auth` (a key in its own authorization header is its normal use). */
function deepSources(v: Value, depth = 0): Source[] {
  if (depth > 4) return v.sources;
  if (v.obj) return [...[...v.obj.entries()].filter(([k]) => !/^(?:headers|auth|authorization)$/i.test(k)).flatMap(([, x]) => deepSources(x, depth + 1))];
  return [...v.sources, ...(v.arr ?? []).flatMap((x) => deepSources(x, depth + 1))];
}

function sinks(node: AnyNode, st: State): void {
  if (node.type === 'ImportExpression') {
    const v = ev(node.source, st);
    const line = st.line(node.start);
    if (pick(v.sources, ['network'])) runSink(v, 'a dynamic import()', false, line, st, 'js');
    else remoteModule(v, 'import()', line, st);
    return;
  }
  if (node.type !== 'CallExpression' && node.type !== 'NewExpression') return;
  const line = st.line(node.start);
  const fn = ev(node.callee, st);
  const args = (node.arguments as AnyNode[]).map((a) => ev(a.type === 'SpreadElement' ? a.argument : a, st));
  const ref = fn.ref ?? '';
  const name = ref.replace(/^module:/, '');
  // eval, Function, vm, timers with a string.
  if (EVALS.has(name) && !(name.startsWith('set') && (node.arguments as AnyNode[])[0]?.type?.includes('Function'))) {
    const code = name === 'Function' ? concat(...args.slice(-1)) : args[0] ?? unknown();
    if (name.startsWith('set') && code.str === undefined && code.sources.length === 0) return;
    runSink(code, name, fn.hidden === true, line, st, 'js');
    return;
  }
  // child_process, however it was reached.
  const cp = /^child_process\.(\w+)$/.exec(name);
  if (cp && EXECS.has(cp[1] ?? '')) {
    const kind = cp[1] ?? '';
    let command: Value;
    if (kind.startsWith('exec') && !kind.startsWith('execFile')) command = args[0] ?? unknown();
    else {
      const argv = args[1]?.arr ?? [];
      const prog = textOf(args[0] ?? unknown());
      const dashC = argv.findIndex((a) => a.str === '-c');
      command = /(?:^|\/)(?:ba|z|da)?sh$/.test(prog) && dashC !== -1 ? argv[dashC + 1] ?? unknown() : concat(args[0] ?? unknown(), ...argv.flatMap((a) => [lit(' '), a]));
    }
    runSink(command, `child_process.${kind}`, fn.hidden === true, line, st, 'shell');
    return;
  }
  // require()/import() of something downloaded, or of a module named at run time.
  if (name === 'require') {
    const v = args[0] ?? unknown();
    if (pick(v.sources, ['network'])) runSink(v, 'require()', false, line, st, 'js');
    else if (remoteModule(v, 'require()', line, st)) return;
    else if ((v.folded || fn.hidden) && v.str && /^(?:node:)?(?:child_process|vm|worker_threads)$/.test(v.str)) report(st, { rule: 'code-obfuscated-sink', severity: 'high', line, message: `require() of ${v.str}, its name built at run time (${shown(v.str)}): written so that text checks miss it` });
    return;
  }
  // A download's callback that is a sink: fetch(u).then(r => r.text()).then(eval).
  if (node.callee.type === 'MemberExpression') {
    const recv = ev(node.callee.object, st);
    for (const a of args) if (a.ref && EVALS.has(a.ref) && pick(recv.sources, ['network', 'decode'])) runSink(recv, a.ref, a.hidden === true, line, st, 'js');
    if (recv.ref === 'netreq' && /^(?:write|end|send)$/.test(propName(node.callee, st).name ?? '')) exfil(args, `a request's ${propName(node.callee, st).name}()`, line, st);
  }
  if (NETWORK_WRITES.has(name) || (ref === 'netreq' && node.type === 'NewExpression')) exfil(args, `${name}()`, line, st);
}

/** A module loaded from a URL built at run time (a literal URL is the pattern rule's). */
function remoteModule(v: Value, sink: string, line: number, st: State): boolean {
  if (!v.folded || v.str === undefined || !/^(?:https?:|data:|blob:)/i.test(v.str)) return false;
  report(st, { rule: 'code-remote-exec', severity: 'high', line, source: line, message: `${sink} loads code from ${shown(v.str)}, its address built at run time: whatever the server sends runs` });
  return true;
}

function exfil(args: Value[], sink: string, line: number, st: State): void {
  const leak = pick(args.flatMap((a) => deepSources(a)), ['home', 'secret']);
  if (leak) report(st, exfiltration(leak, line, sink));
}
