/**
 * Download counts: every tarball GET that is answered counts once for its version and UTC day.
 * Counting is a map increment, so a download never waits on SQLite; the counts are written in
 * one transaction a few seconds later, as soon as too many distinct keys are pending, and at
 * shutdown. Readers add what is still pending, so pages are exact without waiting for a flush.
 */
import type { SqlDatabase, SqlExecutor } from './storage/sql';

export const DOWNLOAD_FLUSH_MS = 5_000;
/** Distinct (version, day) keys held in memory before a write is forced. */
export const MAX_PENDING_DOWNLOAD_KEYS = 10_000;
/** Days in the daily series a page shows. */
export const DOWNLOAD_DAYS = 30;

/** What the packument carries (`downloads`): all-time and last-7-days totals, and per version. */
export interface DownloadSummary {
  total: number;
  lastWeek: number;
  versions: Record<string, number>;
}

/** What a page shows: the summary and one count per day, oldest first, today last. */
export interface DownloadStats extends DownloadSummary {
  days: { day: string; count: number }[];
}

interface Pending {
  skillId: number;
  name: string;
  version: string;
  day: string;
  count: number;
}


export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The UTC day `n` days before `day` (YYYY-MM-DD). */
export function daysBefore(day: string, n: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000));
}

/** The flushed counts of one skill (the packument's field). `sql` prepares and caches a statement. */
export async function downloadSummary(q: SqlExecutor, skillId: number, today: string): Promise<DownloadSummary> {
  const versions: Record<string, number> = {};
  let total = 0;
  const rows = await q.all<{ version: string; count: number }>('SELECT v.version, d.count FROM versions v JOIN version_downloads d ON d.version_id = v.id WHERE v.skill_id = ?', [skillId]);
  for (const row of rows) {
    versions[row.version] = row.count;
    total += row.count;
  }
  const week = await q.get<{ n: number }>('SELECT COALESCE(SUM(count), 0) AS n FROM skill_downloads WHERE skill_id = ? AND day > ?', [skillId, daysBefore(today, 7)]);
  return { total, lastWeek: Number(week?.n ?? 0), versions };
}

export interface DownloadCounterOptions {
  flushMs?: number;
  /** Called after a write with the names of the skills whose counts changed. */
  onFlush?: (names: ReadonlySet<string>) => void;
  /** Called when a write fails (the counts stay pending and are tried again). */
  onError?: (error: unknown) => void;
  now?: () => Date;
}

export class DownloadCounter {
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  /** The write in progress, if any (close() waits for it). */
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly db: SqlDatabase,
    private readonly options: DownloadCounterOptions = {},
  ) {}

  /** Today's UTC day, and the moment it ends: formatting a date on every GET showed in profiles. */
  #day = '';
  #dayEnds = 0;

  #today(): string {
    const now = this.options.now?.().getTime() ?? Date.now();
    if (now >= this.#dayEnds || now < this.#dayEnds - 86_400_000) {
      this.#day = utcDay(new Date(now));
      this.#dayEnds = Date.parse(`${this.#day}T00:00:00Z`) + 86_400_000;
    }
    return this.#day;
  }

  /** Counts one download of `skill@version` (already known to exist). */
  count(skill: { id: number; name: string }, version: string): void {
    this.#closed = false;
    const day = this.#today();
    const key = `${skill.id} ${version} ${day}`;
    const entry = this.#pending.get(key);
    if (entry) entry.count++;
    else this.#pending.set(key, { skillId: skill.id, name: skill.name, version, day, count: 1 });
    if (this.#pending.size >= MAX_PENDING_DOWNLOAD_KEYS) void this.flush();
    else this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.options.flushMs ?? DOWNLOAD_FLUSH_MS);
    // Pending counts never keep a process alive; shutdown flushes them through close().
    this.#timer.unref();
  }

  /** Writes every pending count in one transaction. Never throws: a failed write stays pending. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#pending.size === 0) return;
    this.#flushing = this.#write().finally(() => {
      this.#flushing = undefined;
    });
    await this.#flushing;
  }

  async #write(): Promise<void> {
    const entries = [...this.#pending.values()];
    this.#pending.clear();
    const names = new Set<string>();
    try {
      await this.db.transaction(async (tx) => {
        for (const e of entries) {
          // A version deleted since it was downloaded has nothing left to count against.
          const row = await tx.get<{ id: number }>('SELECT id FROM versions WHERE skill_id = ? AND version = ?', [e.skillId, e.version]);
          if (!row) continue;
          await tx.run('INSERT INTO downloads (version_id, day, count) VALUES (?, ?, ?) ON CONFLICT (version_id, day) DO UPDATE SET count = downloads.count + excluded.count', [row.id, e.day, e.count]);
          await tx.run('INSERT INTO version_downloads (version_id, count) VALUES (?, ?) ON CONFLICT (version_id) DO UPDATE SET count = version_downloads.count + excluded.count', [row.id, e.count]);
          await tx.run('INSERT INTO skill_downloads (skill_id, day, count) VALUES (?, ?, ?) ON CONFLICT (skill_id, day) DO UPDATE SET count = skill_downloads.count + excluded.count', [e.skillId, e.day, e.count]);
          names.add(e.name);
        }
      });
    } catch (error) {
      for (const e of entries) {
        if (this.#pending.size >= MAX_PENDING_DOWNLOAD_KEYS) break;
        const key = `${e.skillId} ${e.version} ${e.day}`;
        const entry = this.#pending.get(key);
        if (entry) entry.count += e.count;
        else this.#pending.set(key, e);
      }
      this.options.onError?.(error);
      if (!this.#closed) this.#schedule();
      return;
    }
    if (names.size > 0) this.options.onFlush?.(names);
  }

  /** Writes what is pending and stops the timer (counting again starts it again). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** One skill's counts for a page: written and pending, with the last `DOWNLOAD_DAYS` days. */
  async stats(skillId: number): Promise<DownloadStats> {
    const today = this.#today();
    const summary = await downloadSummary(this.db, skillId, today);
    const first = daysBefore(today, DOWNLOAD_DAYS - 1);
    const perDay = new Map<string, number>();
    for (const row of await this.db.all<{ day: string; count: number }>('SELECT day, count FROM skill_downloads WHERE skill_id = ? AND day >= ?', [skillId, first])) {
      perDay.set(row.day, row.count);
    }
    const weekStart = daysBefore(today, 7);
    for (const e of this.#pending.values()) {
      if (e.skillId !== skillId) continue;
      summary.versions[e.version] = (summary.versions[e.version] ?? 0) + e.count;
      summary.total += e.count;
      if (e.day > weekStart) summary.lastWeek += e.count;
      if (e.day >= first) perDay.set(e.day, (perDay.get(e.day) ?? 0) + e.count);
    }
    const days: { day: string; count: number }[] = [];
    for (let i = DOWNLOAD_DAYS - 1; i >= 0; i--) {
      const day = daysBefore(today, i);
      days.push({ day, count: perDay.get(day) ?? 0 });
    }
    return { ...summary, days };
  }
}
