/**
 * Static audit figures (issue 14): a 200-file skill (target under 200 ms), a workspace of 50
 * skills (target: under 1 s added to an install), a 1 MB minified file, and the adversarial
 * worst case (2 MiB of one pattern's first word repeated). `npm run bench -- audit`.
 *
 * Precision (issue 22): recall per family on the labelled corpus always; with
 * SKILLS_CORPUS_DIR=<mirrors> (bare repositories at <dir>/<owner>+<name>/repo), the real-world
 * run: false highs per 100 real skills against the committed judgement table, and time per skill.
 * AUDIT_BENCH=precision skips the synthetic figures.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditFiles } from '../audit/audit';
import type { AuditFile } from '../audit/types';
import { corpusFigures, realWorldFigures, type PrecisionFigures } from './lib/audit-precision';
import { machine, ms, saveResults, summary } from './stats';

const enc = new TextEncoder();

function lorem(words: number, seed: number): string {
  const vocabulary = 'the skill reads a csv file and writes rows to the sheet each column is checked before the export runs when the user asks for a report'.split(' ');
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(vocabulary[(i * 7 + seed) % vocabulary.length] ?? 'x');
  return out.join(' ');
}

/** A realistic skill of `count` files: Markdown references, Python and shell scripts, TS, JSON fixtures. */
function skill(count: number, seed = 1): AuditFile[] {
  const files: AuditFile[] = [
    { path: 'SKILL.md', bytes: enc.encode(`---\nname: bench-skill\ndescription: ${lorem(20, seed)}\n---\n\n# Bench\n\n${lorem(300, seed)}\n\n\`\`\`bash\npython scripts/run.py --input data.csv\n\`\`\`\n`) },
    { path: 'skill.json', bytes: enc.encode(JSON.stringify({ name: '@bench/bench-skill', version: '1.0.0', mcp: { sheets: ['get_sheet'] } })) },
  ];
  for (let i = files.length; i < count; i++) {
    const kind = i % 5;
    if (kind === 0) files.push({ path: `references/topic-${i}.md`, bytes: enc.encode(`# Topic ${i}\n\n${lorem(600, i)}\n\n- see https://docs.example.com/topic/${i}\n\n\`\`\`python\nimport csv\nrows = list(csv.reader(open("data.csv")))\n\`\`\`\n`) });
    else if (kind === 1) files.push({ path: `scripts/step_${i}.py`, bytes: enc.encode(`import csv, json, sys\n\ndef main(path):\n    rows = []\n    with open(path) as f:\n        for row in csv.reader(f):\n            rows.append(row)\n    print(json.dumps({"rows": len(rows)}))\n\n${'# ' + lorem(40, i) + '\n'}`.repeat(6)) });
    else if (kind === 2) files.push({ path: `scripts/step_${i}.sh`, bytes: enc.encode(`#!/bin/sh\nset -eu\nDIR="$(cd "$(dirname "$0")" && pwd)"\nrm -rf "$DIR/build"\nmkdir -p "$DIR/build"\npython3 "$DIR/step.py" "$1" > "$DIR/build/out.json"\n`.repeat(8)) });
    else if (kind === 3) files.push({ path: `fixtures/case-${i}.json`, bytes: enc.encode(JSON.stringify({ call: { export: 'run', args: [{ id: `s${i}` }] }, mcp: [{ server: 'sheets', tool: 'get_sheet', arguments: { id: `s${i}` }, result: { content: [{ type: 'text', text: lorem(200, i) }] } }], expect: { returns: { rows: i } } }, null, 2)) });
    else files.push({ path: `lib/part-${i}.ts`, bytes: enc.encode(`export function part${i}(rows: string[][]): number {\n  return rows.filter((r) => r.length > 0).length + ${i};\n}\n`.repeat(10)) });
  }
  return files;
}

function time(label: string, runs: number, work: () => void): number {
  work();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  const s = summary(samples);
  console.log(`${label}: p50 ${ms(s.p50)}, p99 ${ms(s.p99)} (n=${s.n})`);
  return s.p50;
}

function synthetic(): Record<string, number> {
  const big = skill(200);
  const bigBytes = big.reduce((n, f) => n + f.bytes.byteLength, 0);
  const oneSkill = time(`audit a 200-file skill (${(bigBytes / 1024).toFixed(0)} KiB)`, 20, () => auditFiles(big));

  const workspace = Array.from({ length: 50 }, (_, i) => skill(12, i + 2));
  const fifty = time('audit a workspace of 50 skills (12 files each)', 10, () => {
    for (const s of workspace) auditFiles(s);
  });

  const chunk = 'function a(b,c){return b.map(function(d){return d*c+1})}var e=a([1,2,3],4),f={g:"h",i:[5,6]};';
  const minified: AuditFile[] = [{ path: 'assets/app.min.js', bytes: enc.encode(chunk.repeat(Math.ceil((1024 * 1024) / chunk.length))) }];
  const oneMb = time('audit a 1 MB minified file (one line)', 10, () => auditFiles(minified));

  let worst = 0;
  let worstWord = '';
  for (const word of ['curl ', 'base64 -d ', 'cat ', 'eval(', 'rm -rf ', 'download the script ', '> ', 'sk-', '-----BEGIN PRIVATE KEY-----', '\u200B', '\u202E']) {
    const text = word.repeat(Math.ceil((2 * 1024 * 1024) / word.length)).slice(0, 2 * 1024 * 1024);
    for (const path of ['scripts/x.sh', 'references/x.md']) {
      const started = performance.now();
      auditFiles([{ path, bytes: enc.encode(path.endsWith('.sh') ? `#!/bin/sh\n${text}` : text) }]);
      const elapsed = performance.now() - started;
      if (elapsed > worst) {
        worst = elapsed;
        worstWord = `${JSON.stringify(word)} in ${path}`;
      }
    }
  }
  console.log(`adversarial worst case, 2 MiB of one pattern's first word: ${ms(worst)} (${worstWord}); the pattern rules read at most 8 MiB per package`);
  return { skill200P50Ms: oneSkill, skill200Bytes: bigBytes, workspace50P50Ms: fifty, minified1MbP50Ms: oneMb, adversarial2MiBMs: worst };
}

function codeWorstCase(): number {
  // The code analysis (audit/code/): the costliest inputs just under its per-file bound (128 KiB),
  // eight such files in one package (its 2 MiB total), and its step and string budgets.
  const CODE_CASES: [string, string][] = [
    ['scripts/x.js', 'a=a+a+"xx";'],
    ['scripts/x.js', 'eval(String.fromCharCode(97,98,99)+atob("YWJj"));'],
    ['scripts/x.js', 'f(g(h('],
    ['scripts/x.js', '[[[[[[[[[['],
    ['scripts/x.ts', 'const a: string = b + c as string;\n'],
    ['scripts/x.py', 'x = x + x + "yy"\n'],
    ['scripts/x.py', "s = ''.join(chr(c) for c in [99, 117, 114, 108] * 9)\n"],
    ['scripts/x.py', 'exec(base64.b64decode(codecs.decode(bytes.fromhex("41").decode(), "rot13")))\n'],
    ['scripts/x.py', '(((((((((('],
    ['scripts/x.sh', 'a=$a$a$a$a\n'],
    ['scripts/x.sh', 'echo "$(echo "$(echo "$(printf \'\\x63\')")")" | rev | sh\n'],
    ['scripts/x.sh', '$($($($($('],
  ];
  let codeWorst = 0;
  let codeWorstCase = '';
  for (const [path, unit] of CODE_CASES) {
    const body = unit.repeat(Math.floor((120 * 1024) / unit.length));
    const files = Array.from({ length: 8 }, (_, i) => ({ path: path.replace('x.', `x${i}.`), bytes: enc.encode(path.endsWith('.sh') ? `#!/bin/sh\n${body}` : body) }));
    const started = performance.now();
    auditFiles(files);
    const elapsed = performance.now() - started;
    if (elapsed > codeWorst) {
      codeWorst = elapsed;
      codeWorstCase = `${JSON.stringify(unit.slice(0, 40))} in ${path}`;
    }
  }
  console.log(`adversarial code analysis, 8 files of 120 KiB of one costly construct (the analysis reads 128 KiB a file, 512 KiB a package): ${ms(codeWorst)} (${codeWorstCase})`);
  return codeWorst;
}

function precision(): Record<string, unknown> {
  const families = corpusFigures();
  console.log('labelled prose corpus (audit/corpus/prose-cases.ts):');
  for (const f of families) console.log(`  ${f.expect === 'malicious' ? 'recall' : 'false highs'} ${f.family}: ${f.high}/${f.cases}`);
  const corpusDir = process.env.SKILLS_CORPUS_DIR;
  let real: PrecisionFigures | undefined;
  if (corpusDir) {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    real = realWorldFigures(root, corpusDir, (line) => console.log(`  ${line}`));
    if (real) {
      console.log(`real skills: ${real.skills} from ${real.repos} repositories at the pinned commits; ${real.highs} high findings: ${real.trueHighs} true, ${real.falseHighs} false, ${real.unjudged} unjudged`);
      console.log(`false highs per 100 real skills: ${real.falseHighsPer100.toFixed(2)}; highs on anthropics/skills: ${real.anthropicsHighs}`);
      console.log(`audit time per real skill: median ${ms(real.auditMedianMs)}, p95 ${ms(real.auditP95Ms)}`);
    }
  } else console.log('SKILLS_CORPUS_DIR not set: the real-world precision run is skipped');
  return { corpus: families, ...(real ? { real } : {}) };
}

console.log(`machine: ${machine()}`);
const figures = process.env.AUDIT_BENCH === 'precision' ? {} : { ...synthetic(), adversarialCodeMs: codeWorstCase() };
await saveResults('audit', { ...figures, precision: precision() });
