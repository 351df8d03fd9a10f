/**
 * The audit's precision and recall (issue 22):
 *
 * - real world: every skill of the pinned repositories (real-skills.ts) is audited; each high
 *   finding is looked up in the committed judgement table (audit/corpus/real-world-highs.json,
 *   by rule, repository, path and line), giving false highs per 100 real skills; highs missing
 *   from the table are listed as unjudged (judge them and add them);
 * - the labelled corpus (audit/corpus/prose-cases.ts): recall per malicious family (cases with a
 *   high finding) and the high rate per benign family (should be 0);
 * - time per skill (median, p95) over the real skills.
 */
import fs from 'node:fs';
import path from 'node:path';
import { auditFiles } from '../../audit/audit';
import { PROSE_CASES } from '../../audit/corpus/prose-cases';
import type { AuditFile } from '../../audit/types';
import { percentile } from '../stats';
import { loadCommits, loadRealSkills } from './real-skills';

interface Judgement {
  rule: string;
  repo: string;
  path: string;
  line: number;
  true: boolean;
  reason: string;
}

export interface PrecisionFigures {
  skills: number;
  repos: number;
  highs: number;
  falseHighs: number;
  trueHighs: number;
  unjudged: number;
  falseHighsPer100: number;
  /** False highs per 100 skills without the rules another branch is fixing (binary-disguised). */
  anthropicsHighs: number;
  auditMedianMs: number;
  auditP95Ms: number;
}

const enc = new TextEncoder();

function caseFiles(files: Record<string, string>): AuditFile[] {
  const all: Record<string, string> = { 'SKILL.md': '---\nname: corpus-case\ndescription: A labelled case.\n---\n\n# Case\n\nHelps with the build.\n', ...files };
  return Object.entries(all).map(([p, text]) => ({ path: p, bytes: enc.encode(text) }));
}

/** Recall per malicious family and the high rate per benign family of the labelled corpus. */
export function corpusFigures(): { family: string; expect: string; cases: number; high: number }[] {
  const rows = new Map<string, { family: string; expect: string; cases: number; high: number }>();
  for (const c of PROSE_CASES) {
    const row = rows.get(c.family) ?? { family: c.family, expect: c.expect, cases: 0, high: 0 };
    row.cases++;
    if (auditFiles(caseFiles(c.files)).counts.high > 0) row.high++;
    rows.set(c.family, row);
  }
  return [...rows.values()];
}

export function realWorldFigures(root: string, corpusDir: string, log: (line: string) => void): PrecisionFigures | undefined {
  const commits = loadCommits(root);
  const { skills, missing } = loadRealSkills(corpusDir, commits);
  if (missing.length > 0) log(`not mirrored under ${corpusDir}: ${missing.join(', ')}`);
  if (skills.length === 0) return undefined;
  const table = (JSON.parse(fs.readFileSync(path.join(root, 'audit', 'corpus', 'real-world-highs.json'), 'utf8')) as { highs: Judgement[] }).highs;
  const key = (j: { rule: string; repo: string; path: string; line: number }): string => `${j.rule}\u0000${j.repo}\u0000${j.path}\u0000${j.line}`;
  const judged = new Map(table.map((j) => [key(j), j]));
  const times: number[] = [];
  let highs = 0;
  let falseHighs = 0;
  let trueHighs = 0;
  let anthropicsHighs = 0;
  const unjudged: string[] = [];
  for (const skill of skills) {
    const started = performance.now();
    const report = auditFiles(skill.files);
    times.push(performance.now() - started);
    for (const f of report.findings) {
      if (f.severity !== 'high') continue;
      highs++;
      if (skill.repo === 'anthropics/skills') anthropicsHighs++;
      const where = { rule: f.rule, repo: skill.repo, path: skill.dir === '' ? f.file : `${skill.dir}/${f.file}`, line: f.line };
      const j = judged.get(key(where));
      if (!j) unjudged.push(`${JSON.stringify({ ...where, true: null, reason: '' })} ${f.message} | ${f.excerpt}`);
      else if (j.true) trueHighs++;
      else {
        falseHighs++;
      }
    }
  }
  for (const line of unjudged) log(`unjudged high: ${line}`);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    skills: skills.length,
    repos: Object.keys(commits).length - missing.length,
    highs,
    falseHighs,
    trueHighs,
    unjudged: unjudged.length,
    falseHighsPer100: (100 * falseHighs) / skills.length,
    anthropicsHighs,
    auditMedianMs: percentile(sorted, 50),
    auditP95Ms: percentile(sorted, 95),
  };
}
