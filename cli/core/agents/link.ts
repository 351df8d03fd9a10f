/**
 * Each target folder (agents.ts) holds exactly the workspace's skills: one relative link per skill
 * folder in ./skills (`.claude/skills/pdf -> ../../skills/pdf`), or a copy. Nothing this program
 * did not make is ever replaced, removed or written through:
 *
 * - a link is ours when its text is exactly the relative path this program writes for that name
 *   (an identical link is the same link, whoever made it);
 * - a copy is ours while it holds `.skills-copy.json` naming that same path and its files still
 *   hash to the digest the marker records. An edited copy is the user's from then on. Forging a
 *   marker needs write access to the folder it would let us remove, which already allows removing it.
 *
 * Planning reads the disk and decides (ECONFLICT, EAGENTTARGET before anything changes); applying
 * re-checks each entry right before it acts, so it is idempotent and safe to repeat: the install
 * journal (journal.ts) applies it after moving skill folders in, and again on recovery.
 * Folders are checked with lstat all the way down from the workspace root (or the home folder):
 * a link or a file on the way is refused, never followed.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SkillsError, type ErrorCode } from '../../../schema/errors';
import { parsePackageName, SKILL_NAME_MAX, SKILL_NAME_RE } from '../../../schema/names';
import type { Lockfile, Workspace } from '../../../schema/workspace';
import { collectFiles } from '../../../tarball/collect';
import { contentDigest } from '../../../tarball/digest';
import { writeFiles } from '../../../tarball/write';
import { AGENTS, agentsByIds, SHARED_GLOBAL_FOLDER, SHARED_PROJECT_FOLDER, tableFolders } from './table';
import { folderLocation, type LinkScope } from './scope';

export type LinkMode = 'link' | 'copy';
export const COPY_MARKER = '.skills-copy.json';
const COPY_FORMAT = 'skills-copy/1';
const LEFTOVER_RE = /^\.skills-(?:copy|old)-[0-9a-f]{12}$/;
const MAX_TARGET_ENTRIES = 10_000;
const MAX_MARKER_BYTES = 4096;

const markerSchema = z
  .object({ format: z.literal(COPY_FORMAT), name: z.string().max(SKILL_NAME_MAX), from: z.string().max(4096), digest: z.string().regex(/^sha256:[0-9a-f]{64}$/) })
  .strict();
type CopyMarker = z.infer<typeof markerSchema>;

type Entry = { kind: 'link'; text: string } | { kind: 'dir'; marker: CopyMarker | undefined } | { kind: 'other' };

export interface DesiredSkill {
  /** The folder under ./skills, and the name of its link. */
  name: string;
  /** The package name, for messages (a local skill: its folder). */
  skill: string;
  /** The content digest (installed skills: the lockfile's; local skills: computed when copies need it). */
  digest: string | undefined;
  /** A local skill (a folder in ./skills the lockfile does not own). */
  local: boolean;
}

export interface LinkIssue {
  code: ErrorCode;
  /** As people see it: `.claude/skills/pdf`, `~/.claude/skills/pdf`. */
  path: string;
  message: string;
}

type Op = { action: 'link' | 'copy' | 'remove'; name: string };

export interface TargetPlan {
  folder: string;
  /** The agents reading it (of those chosen; the shared folder lists every chosen agent that reads it). */
  agents: string[];
  /** False: a table folder that is not a target now; only our own entries are removed from it. */
  target: boolean;
  dir: string;
  base: string;
  segments: string[];
  exists: boolean;
  problem: string | undefined;
  entries: Map<string, Entry>;
  ops: Op[];
  leftovers: string[];
  /** Names with our link or copy in it now. */
  ours: string[];
}

export interface LinkPlan {
  scope: LinkScope;
  mode: LinkMode;
  /** `agents` from skills.json, or null when targets come from detection. */
  configured: string[] | null;
  detected: string[];
  desired: DesiredSkill[];
  targets: TargetPlan[];
  /** Blocking: what an install must refuse (nothing has changed yet). */
  issues: LinkIssue[];
  /** Not blocking: what is left as it is (a user's folder where our link was, an edited copy). */
  left: LinkIssue[];
  /** Our links whose skill folder is missing, and other people's links into ./skills (for doctor). */
  dangling: LinkIssue[];
  foreign: LinkIssue[];
}

export interface LinkInputs {
  scope: LinkScope;
  workspace: Workspace;
  lock: Lockfile;
  /** Folders in ./skills that are not local skills though present now (the old lockfile's, about to be removed). */
  notLocal?: ReadonlySet<string>;
  /** Skill folders this command removes: a user's entry of that name in a target is left, and said so. */
  removing?: ReadonlySet<string>;
}

/** The folder of an installed skill under ./skills. */
export function lockFolder(name: string, entry: { folder?: string | undefined }): string {
  return entry.folder ?? parsePackageName(name)?.name ?? name;
}

function skillsDirOf(scope: LinkScope): string {
  return path.join(scope.root, 'skills');
}

/** A link's text as messages quote it: it comes from the disk, so it is cut short. */
function quoted(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function shown(folder: string, name?: string): string {
  return name === undefined ? folder : `${folder}/${name}`;
}

async function lstatOrUndefined(p: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Which agents are in use here: one of their markers exists (a link counts as nothing). */
export async function detectAgents(scope: LinkScope): Promise<string[]> {
  const found: string[] = [];
  for (const agent of AGENTS) {
    const markers = scope.kind === 'project' ? agent.detect : agent.detectGlobal;
    for (const marker of markers) {
      const { base, segments } = folderLocation(marker, scope);
      const stat = await lstatOrUndefined(path.join(base, ...segments));
      if (stat && !stat.isSymbolicLink()) {
        found.push(agent.id);
        break;
      }
    }
  }
  return found;
}

/** The target folders: the shared one, plus those of the agents in skills.json (else the detected ones). */
export async function chooseTargets(scope: LinkScope, workspace: Workspace): Promise<{ configured: string[] | null; detected: string[]; folders: Map<string, string[]> }> {
  const configured = workspace.agents ?? null;
  const chosen = configured ? agentsByIds(configured) : [];
  const detected = await detectAgents(scope);
  const agents = configured ? chosen : agentsByIds(detected);
  const folderOf = (agent: (typeof AGENTS)[number]) => (scope.kind === 'project' ? agent.project : agent.global);
  const shared = scope.kind === 'project' ? SHARED_PROJECT_FOLDER : SHARED_GLOBAL_FOLDER;
  // The shared folder is always a target: every agent that reads it gets the skills.
  const folders = new Map<string, string[]>([[shared, AGENTS.filter((a) => folderOf(a) === shared).map((a) => a.id)]]);
  for (const agent of agents) {
    const folder = folderOf(agent);
    const ids = folders.get(folder) ?? [];
    if (!ids.includes(agent.id)) folders.set(folder, [...ids, agent.id]);
  }
  return { configured, detected, folders };
}

/** The skills the targets must hold: every installed skill, and every local skill folder in ./skills. */
async function desiredSkills(scope: LinkScope, lock: Lockfile, notLocal: ReadonlySet<string>): Promise<DesiredSkill[]> {
  const desired = new Map<string, DesiredSkill>();
  for (const [name, entry] of Object.entries(lock.skills)) {
    const folder = lockFolder(name, entry);
    desired.set(folder, { name: folder, skill: name, digest: entry.digest, local: false });
  }
  const dir = skillsDirOf(scope);
  const stat = await lstatOrUndefined(dir);
  if (stat?.isDirectory() && !stat.isSymbolicLink()) {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || desired.has(e.name) || notLocal.has(e.name) || e.name.length > SKILL_NAME_MAX || !SKILL_NAME_RE.test(e.name)) continue;
      const skillMd = await lstatOrUndefined(path.join(dir, e.name, 'SKILL.md'));
      if (skillMd?.isFile()) desired.set(e.name, { name: e.name, skill: e.name, digest: undefined, local: true });
    }
  }
  return [...desired.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The exact text of our link for `name` in the target folder `dir`. */
function linkText(scope: LinkScope, dir: string, name: string): string {
  return path.relative(dir, path.join(skillsDirOf(scope), name));
}

async function readMarker(dir: string): Promise<CopyMarker | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path.join(dir, COPY_MARKER), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_MARKER_BYTES) return undefined;
    const parsed = markerSchema.safeParse(JSON.parse(await handle.readFile('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

async function readEntry(p: string): Promise<Entry | undefined> {
  const stat = await lstatOrUndefined(p);
  if (!stat) return undefined;
  if (stat.isSymbolicLink()) return { kind: 'link', text: await fs.readlink(p) };
  if (stat.isDirectory()) return { kind: 'dir', marker: await readMarker(p) };
  return { kind: 'other' };
}

/** The digest of a copy's files, without its marker; undefined when it cannot be read as a package. */
async function copyDigest(dir: string): Promise<string | undefined> {
  const files = await collectFiles(dir).catch(() => undefined);
  return files ? contentDigest(files.filter((f) => f.path !== COPY_MARKER)) : undefined;
}

/** How people see the first `count` segments of a table folder (`.claude`, `~/.claude`). */
function prefixOf(folder: string, segments: readonly string[], count: number): string {
  const head = folder.startsWith('~/') ? '~/' : folder.startsWith('$XDG_CONFIG_HOME/') ? '$XDG_CONFIG_HOME/' : '';
  return count === 0 ? head.replace(/\/$/, '') || '.' : `${head}${segments.slice(0, count).join('/')}`;
}

/** Walks a target folder down from its base with lstat: whether it exists, or why it cannot be used. */
async function inspectFolder(base: string, segments: readonly string[], folder: string): Promise<{ exists: boolean; problem: string | undefined }> {
  const baseStat = await fs.stat(base).catch(() => undefined);
  if (baseStat && !baseStat.isDirectory()) return { exists: false, problem: `${prefixOf(folder, segments, 0)} is not a folder` };
  if (!baseStat) return { exists: false, problem: undefined };
  let p = base;
  for (let i = 0; i < segments.length; i++) {
    p = path.join(p, segments[i] as string);
    const stat = await lstatOrUndefined(p);
    const at = prefixOf(folder, segments, i + 1);
    if (!stat) {
      // It will be created: the folder above must be writable.
      const writable = await fs.access(path.dirname(p), constants.W_OK).then(() => true, () => false);
      return { exists: false, problem: writable ? undefined : `${prefixOf(folder, segments, i)} is not writable` };
    }
    if (stat.isSymbolicLink()) return { exists: false, problem: `${at} is a symbolic link; skills never writes through a link` };
    if (!stat.isDirectory()) return { exists: false, problem: `${at} is not a folder` };
  }
  const writable = await fs.access(p, constants.W_OK).then(() => true, () => false);
  return { exists: true, problem: writable ? undefined : `${folder} is not writable` };
}

async function scanTarget(scope: LinkScope, folder: string, agents: string[], target: boolean): Promise<TargetPlan> {
  const { base, segments } = folderLocation(folder, scope);
  const realBase = await fs.realpath(base).catch(() => base);
  const dir = path.join(realBase, ...segments);
  const inspected = await inspectFolder(realBase, segments, folder);
  const plan: TargetPlan = { folder, agents, target, dir, base: realBase, segments, exists: inspected.exists, problem: inspected.problem, entries: new Map(), ops: [], leftovers: [], ours: [] };
  if (!inspected.exists || inspected.problem) return plan;
  const names = await fs.readdir(dir);
  if (names.length > MAX_TARGET_ENTRIES) {
    plan.problem = `${folder} holds more than ${MAX_TARGET_ENTRIES} entries`;
    return plan;
  }
  for (const name of names.sort()) {
    if (LEFTOVER_RE.test(name)) {
      plan.leftovers.push(name);
      continue;
    }
    const entry = await readEntry(path.join(dir, name));
    if (entry) plan.entries.set(name, entry);
  }
  return plan;
}

function isOurLink(scope: LinkScope, t: TargetPlan, name: string, e: Entry | undefined): boolean {
  return e?.kind === 'link' && e.text === linkText(scope, t.dir, name);
}

function claimsOurCopy(scope: LinkScope, t: TargetPlan, name: string, e: Entry | undefined): e is { kind: 'dir'; marker: CopyMarker } {
  return e?.kind === 'dir' && e.marker !== undefined && e.marker.name === name && e.marker.from === linkText(scope, t.dir, name);
}

/** Reads the disk and decides what every target folder needs; nothing is written. */
export async function planLinks(inputs: LinkInputs): Promise<LinkPlan> {
  const { scope, workspace } = inputs;
  const mode: LinkMode = workspace.link ?? 'link';
  const { configured, detected, folders } = await chooseTargets(scope, workspace);
  const desired = await desiredSkills(scope, inputs.lock, inputs.notLocal ?? new Set());
  const plan: LinkPlan = { scope, mode, configured, detected, desired, targets: [], issues: [], left: [], dangling: [], foreign: [] };
  const skillsDir = skillsDirOf(scope);
  const localDigests = new Map<string, string | undefined>();
  const wanted = async (d: DesiredSkill): Promise<string | undefined> => {
    if (d.digest !== undefined) return d.digest;
    if (!localDigests.has(d.name)) localDigests.set(d.name, await copyDigest(path.join(skillsDir, d.name)));
    return localDigests.get(d.name);
  };
  const byName = new Map(desired.map((d) => [d.name, d]));
  const seen = new Set<string>();
  const all = tableFolders(scope.kind);
  for (const folder of [...all.filter((f) => folders.has(f)), ...all.filter((f) => !folders.has(f))]) {
    const target = folders.has(folder);
    const t = await scanTarget(scope, folder, folders.get(folder) ?? [], target);
    // Two table folders that are one folder here ($XDG_CONFIG_HOME set to the home folder): the target counts.
    if (seen.has(t.dir)) continue;
    seen.add(t.dir);
    plan.targets.push(t);
    if (t.problem) {
      if (target && desired.length > 0) plan.issues.push({ code: 'EAGENTTARGET', path: folder, message: t.problem });
      continue;
    }
    for (const [name, e] of t.entries) {
      if (isOurLink(scope, t, name, e) || claimsOurCopy(scope, t, name, e)) t.ours.push(name);
      if (isOurLink(scope, t, name, e) && !(await lstatOrUndefined(path.join(skillsDir, name)))) {
        plan.dangling.push({ code: 'ELINKDANGLING', path: shown(folder, name), message: `${shown(folder, name)} links to skills/${name}, which does not exist` });
      } else if (e.kind === 'link' && !isOurLink(scope, t, name, e)) {
        const resolved = path.resolve(t.dir, e.text);
        if (resolved === skillsDir || resolved.startsWith(skillsDir + path.sep)) {
          plan.foreign.push({ code: 'ELINKFOREIGN', path: shown(folder, name), message: `${shown(folder, name)} is a link into ./skills that skills did not make (${quoted(e.text)}); it is left as it is` });
        }
      }
    }
    if (target) {
      for (const d of desired) {
        const e = t.entries.get(d.name);
        const at = shown(folder, d.name);
        // A local skill is not what this command installs: its conflict is said, not a refusal.
        const conflict = (why: string) =>
          (d.local ? plan.left : plan.issues).push({ code: 'ECONFLICT', path: at, message: `${at} ${why}; ${d.local ? `the local skill skills/${d.name} is not ${mode === 'link' ? 'linked' : 'copied'} there` : `${d.skill} would be ${mode === 'link' ? 'linked' : 'copied'} there`}` });
        // On a case-insensitive file system `PDF` is where `pdf` would go.
        const other = e ? undefined : [...t.entries.keys()].find((n) => n.toLowerCase() === d.name);
        if (other !== undefined) {
          conflict(`is taken by ${shown(folder, other)}, which skills did not make`);
        } else if (!e) {
          t.ops.push({ action: mode, name: d.name });
        } else if (isOurLink(scope, t, d.name, e)) {
          if (mode === 'copy') t.ops.push({ action: 'copy', name: d.name });
        } else if (claimsOurCopy(scope, t, d.name, e)) {
          const want = await wanted(d);
          if (mode === 'copy' && want !== undefined && e.marker.digest === want) continue;
          if ((await copyDigest(path.join(t.dir, d.name))) === e.marker.digest) t.ops.push({ action: mode, name: d.name });
          else conflict('is a copy skills made that was edited since (it is yours now)');
        } else {
          conflict(e.kind === 'link' ? `is a link skills did not make (to ${quoted(e.text)})` : e.kind === 'dir' ? 'is a folder skills did not make' : 'is a file skills did not make');
        }
      }
    }
    for (const [name, e] of t.entries) {
      if (target && byName.has(name)) continue;
      if (isOurLink(scope, t, name, e)) t.ops.push({ action: 'remove', name });
      else if (claimsOurCopy(scope, t, name, e)) {
        if ((await copyDigest(path.join(t.dir, name))) === e.marker.digest) t.ops.push({ action: 'remove', name });
        else plan.left.push({ code: 'ECONFLICT', path: shown(folder, name), message: `${shown(folder, name)} is a copy skills made that was edited since; it is left as it is` });
      } else if (inputs.removing?.has(name)) {
        // A user's own entry where our link was (e.g. the link replaced by a folder): left, and said.
        plan.left.push({ code: 'ECONFLICT', path: shown(folder, name), message: `${shown(folder, name)} was not made by skills; it is left as it is` });
      }
    }
  }
  return plan;
}

/** The first blocking issue as the error an install throws (with all of them in details). */
export function linkError(plan: LinkPlan): SkillsError | undefined {
  const first = plan.issues[0];
  if (!first) return undefined;
  const more = plan.issues.length > 1 ? ` (and ${plan.issues.length - 1} more)` : '';
  if (first.code === 'EAGENTTARGET') {
    return new SkillsError('EAGENTTARGET', `cannot link skills into ${first.path}: ${first.message}${more}; nothing was changed`, {
      hint: `move what is in the way (skills creates the folder), or list only the agents you use in "agents" in skills.json (see \`skills agents\`)`,
      details: { issues: plan.issues },
    });
  }
  return new SkillsError('ECONFLICT', `${first.message}${more}; nothing was changed`, {
    hint: `skills never replaces what it did not create: move or rename ${first.path}, give the skill another folder name with "alias" in skills.json, or list only the agents you use in "agents"`,
    details: { issues: plan.issues },
  });
}

/** Whether applying would change anything. */
export function hasWork(plan: LinkPlan): boolean {
  return plan.targets.some((t) => t.ops.length > 0 || t.leftovers.length > 0);
}

/** Creates a target folder one segment at a time, checking each is a real folder (not a link planted meanwhile). */
async function ensureFolder(t: TargetPlan): Promise<void> {
  await fs.mkdir(t.base, { recursive: true });
  let p = t.base;
  for (const segment of t.segments) {
    p = path.join(p, segment);
    await fs.mkdir(p).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    const stat = await fs.lstat(p);
    if (stat.isSymbolicLink() || !stat.isDirectory()) throw new SkillsError('EAGENTTARGET', `${t.folder} is not a real folder`);
  }
}

/**
 * Carries a plan out, re-checking every entry just before acting: it only ever creates entries
 * where nothing is, and replaces or removes entries that are ours. What it must leave is returned.
 */
export async function applyLinks(plan: LinkPlan): Promise<LinkIssue[]> {
  const { scope } = plan;
  const left: LinkIssue[] = [...plan.left];
  const skillsDir = skillsDirOf(scope);
  const suffix = randomBytes(6).toString('hex');
  for (const t of plan.targets) {
    if (t.ops.length === 0 && t.leftovers.length === 0) continue;
    try {
      if (t.ops.some((o) => o.action !== 'remove')) await ensureFolder(t);
      // rm removes a link itself, never what it points to.
      for (const name of t.leftovers) await fs.rm(path.join(t.dir, name), { recursive: true, force: true });
    } catch (error) {
      left.push({ code: 'EAGENTTARGET', path: t.folder, message: `${t.folder}: ${(error as Error).message}` });
      continue;
    }
    for (const op of [...t.ops.filter((o) => o.action === 'remove'), ...t.ops.filter((o) => o.action !== 'remove')]) {
      const p = path.join(t.dir, op.name);
      const at = shown(t.folder, op.name);
      try {
        const now = await readEntry(p);
        const ours = isOurLink(scope, t, op.name, now) || claimsOurCopy(scope, t, op.name, now);
        if (now && !ours) {
          left.push({ code: 'ECONFLICT', path: at, message: `${at} was not made by skills; it is left as it is` });
          continue;
        }
        if (op.action === 'remove') {
          if (now) await fs.rm(p, { recursive: true, force: true });
          continue;
        }
        if (op.action === 'link' && isOurLink(scope, t, op.name, now)) continue;
        const old = path.join(t.dir, `.skills-old-${suffix}`);
        if (op.action === 'link') {
          if (now) await fs.rename(p, old);
          await fs.symlink(linkText(scope, t.dir, op.name), p);
        } else {
          const tmp = path.join(t.dir, `.skills-copy-${suffix}`);
          await fs.rm(tmp, { recursive: true, force: true });
          await writeCopy(path.join(skillsDir, op.name), tmp, { name: op.name, from: linkText(scope, t.dir, op.name) });
          if (now) await fs.rename(p, old);
          await fs.rename(tmp, p);
        }
        await fs.rm(old, { recursive: true, force: true });
      } catch (error) {
        left.push({ code: 'EAGENTTARGET', path: at, message: `${at}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      }
    }
  }
  return left;
}

async function writeCopy(source: string, tmp: string, marker: { name: string; from: string }): Promise<void> {
  const stat = await fs.lstat(source);
  if (stat.isSymbolicLink() || !stat.isDirectory()) throw new SkillsError('EWRITE', `${source} is not a skill folder`);
  const files = (await collectFiles(source)).filter((f) => f.path !== COPY_MARKER);
  await fs.mkdir(tmp);
  await writeFiles(tmp, files);
  const body: CopyMarker = { format: COPY_FORMAT, name: marker.name, from: marker.from, digest: contentDigest(files) };
  await fs.writeFile(path.join(tmp, COPY_MARKER), `${JSON.stringify(body)}\n`, { flag: 'wx', mode: 0o644 });
}
