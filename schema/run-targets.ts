/**
 * What the instructions tell the agent to run is executable, whatever its name: `python3
 * scripts/setup.txt`, `bash scripts/setup`, `node x.json`, `source .envrc`, `. ./env.psd1`,
 * `pwsh x.psd1`, `make -f build.mk`, or an `.html` with a `<script>` the agent is told to open.
 * Read from every Markdown file of a package (prose and code blocks alike: an agent follows
 * both), for the trust level (schema/trust.ts) and the audit (which reads such a file in the
 * language it is run with). A file merely named for reading (`see references/x.md`) stays
 * instructions.
 */

export type RunLanguage = 'python' | 'js' | 'shell' | 'powershell' | 'make' | 'html' | 'other';

export interface RunTarget {
  language: RunLanguage;
  /** How the instructions run it ("python3 scripts/setup.txt"), for the reason shown. */
  command: string;
  /** The Markdown file and 1-based line that says so. */
  from: string;
  line: number;
}

const INTERPRETERS: Record<string, RunLanguage> = {
  python: 'python', python2: 'python', python3: 'python', py: 'python', pypy: 'python', pypy3: 'python', uv: 'python',
  node: 'js', nodejs: 'js', deno: 'js', bun: 'js', tsx: 'js', 'ts-node': 'js',
  bash: 'shell', sh: 'shell', zsh: 'shell', dash: 'shell', ksh: 'shell', source: 'shell', '.': 'shell',
  pwsh: 'powershell', powershell: 'powershell', 'powershell.exe': 'powershell',
  make: 'make', gmake: 'make',
  perl: 'other', ruby: 'other', php: 'other', rscript: 'other', osascript: 'other', lua: 'other', awk: 'other', tclsh: 'other',
};

/** An interpreter word, its flags, then a path-like argument (`.` only at a command's start: checked by the caller). */
const COMMAND = /(?:^|[\s`'"(;&|>])(?:sudo\s+)?(python[23]?(?:\.\d+)?|py|pypy3?|node(?:js)?|deno|bun|tsx|ts-node|bash|sh|zsh|dash|ksh|source|pwsh|powershell(?:\.exe)?|g?make|perl|ruby|php|Rscript|osascript|lua|awk|tclsh|\.)((?:[ \t]+-{1,2}[\w-]+(?:=\S+)?)*)[ \t]+(["']?)([\w.@${}~/-]*[\w@-])\3/gim;

/** Opening an HTML page (a browser runs its scripts). */
const OPEN_HTML = /\b(?:open|xdg-open|start|launch|load|serve|run|execute|view|browse)\b[^.\n]{0,60}?[`'"(\s]((?:\.{0,2}\/)?[\w./@-]*\.html?)\b/gi;

function normalise(target: string): string {
  return target
    .replace(/^(?:\$\{?[A-Za-z_]\w*\}?|\{[A-Za-z_]+\}|~)\/(?:\.\/)?/, '')
    .replace(/^\.\//, '')
    .replace(/\/\.\//g, '/');
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? '' : path.slice(0, i + 1);
}

function join(dir: string, rel: string): string {
  const parts = `${dir}${rel}`.split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.' && p !== '') out.push(p);
  }
  return out.join('/');
}

const MAX_MARKDOWN = 256 * 1024;
const MAX_TOTAL = 2 * 1024 * 1024;
const decoder = new TextDecoder('utf-8');

/** The files of a package the instructions run, by path. */
export function runTargets(files: readonly { path: string; bytes: Uint8Array }[]): Map<string, RunTarget> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const out = new Map<string, RunTarget>();
  let budget = MAX_TOTAL;
  for (const file of files) {
    if (!/\.(?:md|markdown|mdx)$/i.test(file.path) || budget <= 0) continue;
    const text = decoder.decode(file.bytes.subarray(0, Math.min(file.bytes.length, MAX_MARKDOWN, budget)));
    budget -= text.length;
    const resolve = (raw: string): string | undefined => {
      const target = normalise(raw);
      for (const candidate of [target, join(dirname(file.path), target)]) if (byPath.has(candidate) && !candidate.endsWith('/')) return candidate;
      // `skills/<name>/scripts/x` or `<name>/scripts/x` written from the workspace's point of view.
      const tail = target.split('/');
      for (let k = 1; k < Math.min(tail.length, 4); k++) {
        const candidate = tail.slice(k).join('/');
        if (byPath.has(candidate)) return candidate;
      }
      return undefined;
    };
    const lineAt = (offset: number) => {
      let n = 1;
      for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) n++;
      return n;
    };
    COMMAND.lastIndex = 0;
    let count = 0;
    for (let m = COMMAND.exec(text); m !== null && count < 2000; m = COMMAND.exec(text)) {
      count++;
      if (m[0].length === 0) COMMAND.lastIndex++;
      const word = (m[1] ?? '').toLowerCase();
      if (word === '.') {
        const lineStart = text.lastIndexOf('\n', m.index) + 1;
        const before = text.slice(lineStart, m.index + m[0].indexOf('.')).trim();
        if (before !== '' && !/[;&|`$]$/.test(before)) continue;
      }
      const path = resolve(m[4] ?? '');
      if (!path || path === file.path && word !== 'source') continue;
      if (out.has(path)) continue;
      const start = m.index + m[0].search(/\S/);
      const language = /\.(?:ps1|psd1|psm1)$/i.test(path) ? 'powershell' : INTERPRETERS[word] ?? 'other';
      out.set(path, { language, command: `${word} ${m[4] ?? ''}`.slice(0, 80), from: file.path, line: lineAt(start) });
    }
    OPEN_HTML.lastIndex = 0;
    count = 0;
    for (let m = OPEN_HTML.exec(text); m !== null && count < 2000; m = OPEN_HTML.exec(text)) {
      count++;
      const path = resolve(m[1] ?? '');
      const page = path ? byPath.get(path) : undefined;
      if (!path || !page || out.has(path)) continue;
      if (!/<script\b/i.test(decoder.decode(page.bytes.subarray(0, 1024 * 1024)))) continue;
      out.set(path, { language: 'html', command: `open ${m[1] ?? ''}`.slice(0, 80), from: file.path, line: lineAt(m.index) });
    }
  }
  return out;
}
