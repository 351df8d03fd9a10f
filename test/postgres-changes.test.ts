/**
 * The PostgreSQL change feed (registry-server/storage/postgres-changes.ts) between two "processes"
 * (two pools, two feeds) on one real PostgreSQL: a change committed by one is seen by the other's
 * fresh(), also when fresh() was already running; idle feeds hear it through LISTEN; NOTIFY
 * payloads that are not ours neither crash a feed nor make it skip a change; a feed too far behind
 * drops everything; the LISTEN connection comes back after PostgreSQL restarts; close() ends it.
 * While listening, fresh() relies on notifications for at most `staleReadMs` after its last check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Changed } from '../registry-server/storage/changes';
import { PostgresDatabase } from '../registry-server/storage/postgres';
import { DOWNLOADS_CHANNEL, downloadPayloads, PostgresChangeFeed, type PostgresChangeFeedOptions } from '../registry-server/storage/postgres-changes';
import { migratePostgres } from '../registry-server/storage/postgres-schema';
import { startPostgres, type TestPostgres } from '../testkit/postgres';

let server: TestPostgres;
const toClose: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  for (const c of toClose.reverse()) await c.close();
  await server?.stop();
});

interface Process {
  db: PostgresDatabase;
  feed: PostgresChangeFeed;
  seen: Changed[];
}

/** A registry process as far as the feed goes: its own pool and feed, and what its listeners got. */
async function registryProcess(url: string, options: PostgresChangeFeedOptions = {}): Promise<Process> {
  const db = await PostgresDatabase.open(url);
  toClose.push(db);
  await migratePostgres(db);
  const feed = await PostgresChangeFeed.open(db, options);
  toClose.push(feed);
  const seen: Changed[] = [];
  feed.subscribe((changed) => seen.push(changed));
  return { db, feed, seen };
}

async function write(p: Process, changed: readonly string[] | 'all'): Promise<void> {
  await p.db.transaction((tx) => p.feed.record(tx, changed));
}

const names = (seen: Changed[]) => seen.map((c) => (c === 'all' ? 'all' : [...c].sort().join(',')));

/** Waits for `check` without guessing a delay: polls, and fails only after a bound far past any machine's need. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the PostgreSQL change feed', () => {
  it("shows one process's committed change to the other's fresh(), and nothing of a rolled-back one", async () => {
    const url = await server.createDatabase();
    const a = await registryProcess(url, { listen: false });
    const b = await registryProcess(url, { listen: false });
    await b.feed.fresh();
    expect(b.seen).toEqual([]);
    await write(a, ['@acme/x', '@acme/y', '@acme/x']);
    await b.feed.fresh();
    expect(names(b.seen)).toEqual(['@acme/x,@acme/y']);
    await write(a, ['@acme/z']);
    await write(a, 'all');
    await write(a, []);
    await b.feed.fresh();
    expect(names(b.seen)).toEqual(['@acme/x,@acme/y', 'all']);
    await expect(
      a.db.transaction(async (tx) => {
        await a.feed.record(tx, ['@acme/never']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await b.feed.fresh();
    await b.feed.fresh();
    expect(names(b.seen)).toEqual(['@acme/x,@acme/y', 'all']);
    // The writer's own feed passes over its own changes (its process dropped what they changed).
    await a.feed.fresh();
    expect(names(a.seen)).toEqual([]);
  });

  it("passes over a process's own changes, also thousands of them, and still reports another's among them", async () => {
    const url = await server.createDatabase();
    const a = await registryProcess(url, { listen: false });
    const b = await registryProcess(url, { listen: false });
    await write(a, Array.from({ length: 3000 }, (_, i) => `@acme/s${i}`));
    await write(b, ['@acme/other']);
    await write(a, ['@acme/mine']);
    await a.feed.fresh();
    // Only b's change, named: a's own 3,001 names neither show nor turn it into 'all'.
    expect(names(a.seen)).toEqual(['@acme/other']);
    await b.feed.fresh();
    expect(names(b.seen)).toEqual(['all']);
  });

  it('serves each fresh() by a check that started after the call, so a change committed before it is never missed', async () => {
    const url = await server.createDatabase();
    const a = await registryProcess(url, { listen: false });
    const b = await registryProcess(url, { listen: false });
    for (let i = 0; i < 20; i++) {
      // A check in flight that may have read the counter before the write below committed.
      const running = b.feed.fresh();
      await write(a, [`@acme/s${i}`]);
      await b.feed.fresh();
      expect(b.seen.some((c) => c !== 'all' && c.has(`@acme/s${i}`)), `change ${i}`).toBe(true);
      await running;
    }
    // Many callers at once share checks instead of each sending a query, and all of them are served.
    await write(a, ['@acme/many']);
    await Promise.all(Array.from({ length: 50 }, () => b.feed.fresh()));
    expect(b.seen.some((c) => c !== 'all' && c.has('@acme/many'))).toBe(true);
  });

  it('drops everything when too far behind to know what changed', async () => {
    const url = await server.createDatabase();
    const a = await registryProcess(url, { listen: false, keep: 5, pruneEvery: 5 });
    const b = await registryProcess(url, { listen: false, keep: 5, pruneEvery: 5 });
    for (let i = 0; i < 12; i++) await write(a, [`@acme/k${i}`]);
    await b.feed.fresh();
    expect(names(b.seen)).toEqual(['all']);
    // Pruned rows are gone; recent ones are still told by name.
    expect((await a.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM registry_changes'))?.n).toBeLessThanOrEqual(10);
    await write(a, ['@acme/late']);
    await b.feed.fresh();
    expect(names(b.seen)).toEqual(['all', '@acme/late']);
    const c = await registryProcess(url, { listen: false, maxNames: 2 });
    await write(a, ['@acme/1', '@acme/2', '@acme/3']);
    await c.feed.fresh();
    expect(names(c.seen)).toEqual(['all']);
  });

  it('tells an idle process through LISTEN, ignores NOTIFY payloads that are not its own, and never skips a change for one', async () => {
    const url = await server.createDatabase();
    const a = await registryProcess(url, { listen: false });
    const b = await registryProcess(url);
    await eventually(() => b.feed.listening, 'the LISTEN connection');
    await write(a, ['@acme/pushed']);
    await eventually(() => names(b.seen).includes('@acme/pushed'), 'the notification');

    // Garbage, a huge payload, JSON, a number far ahead of the counter and a negative one.
    for (const payload of ['x', 'y'.repeat(7900), '{"seq": 1, "skill": "@acme/pushed"}', '999999999999999999999999', '-1', '']) {
      await a.db.run('SELECT pg_notify(?, ?)', ['skills_registry', payload]);
    }
    await b.feed.fresh();
    expect(names(b.seen)).toEqual(['@acme/pushed']);
    expect(b.feed.listening).toBe(true);
    await write(a, ['@acme/after-garbage']);
    await eventually(() => names(b.seen).includes('@acme/after-garbage'), 'the change after the garbage');
    await b.feed.fresh();
    expect(names(b.seen)).toEqual(['@acme/pushed', '@acme/after-garbage']);
  });

  it('while listening, fresh() relies on notifications for at most staleReadMs after its last check; without a LISTEN connection, or with 0, it always checks', async () => {
    const url = await server.createDatabase();
    const writer = await registryProcess(url, { listen: false });
    const patient = await registryProcess(url, { staleReadMs: 600_000 });
    const brief = await registryProcess(url, { staleReadMs: 200 });
    const strict = await registryProcess(url, { staleReadMs: 0 });
    const deaf = await registryProcess(url, { listen: false });
    for (const p of [patient, brief, strict]) await eventually(() => p.feed.listening, 'the LISTEN connection');
    // Each has checked since it started listening (a running check is waited for).
    for (const p of [patient, brief, strict, deaf]) await p.feed.fresh();
    // A change committed by a process whose notification never arrives (a LISTEN connection that died
    // without a sign): the counter moves, nothing is sent.
    await writer.db.transaction(async (tx) => {
      const row = await tx.get<{ seq: number }>('UPDATE registry_state SET change_seq = change_seq + 1 WHERE id = 1 RETURNING change_seq AS seq');
      if (row === undefined) throw new Error('no counter row');
      await tx.run('INSERT INTO registry_changes (seq, skill, origin) VALUES (?, ?, ?)', [row.seq, '@acme/unannounced', 'elsewhere']);
    });
    const knows = (p: Process, name: string) => p.seen.some((c) => c === 'all' || c.has(name));
    const told = (p: Process) => knows(p, '@acme/unannounced');
    for (const p of [patient, brief, strict, deaf]) await p.feed.fresh();
    // Within its window the patient feed relies on notifications and sends no query.
    expect(told(patient)).toBe(false);
    expect(told(strict)).toBe(true);
    expect(told(deaf)).toBe(true);
    // Once 200 ms have passed since the brief feed's last check, its next fresh() checks again.
    await new Promise((resolve) => setTimeout(resolve, 250));
    await brief.feed.fresh();
    expect(told(brief)).toBe(true);
    // A change with its notification reaches the patient feed without any fresh().
    await write(writer, ['@acme/announced']);
    await eventually(() => knows(patient, '@acme/announced'), 'the notification');
    expect(told(patient)).toBe(true);
  });

  it("announces download counts to the other processes by name, in payloads under PostgreSQL's limit, and ignores its own and payloads of another shape", async () => {
    const url = await server.createDatabase();
    const a = await registryProcess(url);
    const b = await registryProcess(url);
    const deaf = await registryProcess(url, { listen: false });
    for (const p of [a, b]) await eventually(() => p.feed.listening, 'the LISTEN connection');
    expect([a.feed.announcesDownloads, b.feed.announcesDownloads, deaf.feed.announcesDownloads]).toEqual([true, true, false]);
    const heard = (p: Process) => {
      const got: string[] = [];
      p.feed.subscribeDownloads((n) => got.push(...n));
      return got;
    };
    const [byA, byB] = [heard(a), heard(b)];
    // Forged or broken payloads first: none of them reaches a listener.
    for (const payload of ['x', '{}', '[]', '{"o":"elsewhere","n":"@acme/s"}', '{"o":"elsewhere","n":[1]}', `{"o":"elsewhere","n":["${'y'.repeat(300)}"]}`, '{"o":1,"n":["@acme/s"]}']) {
      await a.db.run('SELECT pg_notify(?, ?)', [DOWNLOADS_CHANNEL, payload]);
    }
    // 2,000 names of 40 characters: several notifications, each under the limit.
    const announced = Array.from({ length: 2000 }, (_, i) => `@acme/${'n'.repeat(28)}-${String(i).padStart(5, '0')}`);
    const payloads = downloadPayloads('origin', announced);
    expect(payloads.length).toBeGreaterThan(5);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8000);
    await a.feed.announceDownloads(announced);
    await eventually(() => byB.length >= announced.length, 'the announcements');
    expect(byB).toEqual(announced);
    // A process passes over its own announcements (it invalidated those counts when it wrote them).
    await write(b, ['@acme/sync']);
    await eventually(() => names(a.seen).includes('@acme/sync'), 'a change after the announcements');
    expect(byA).toEqual([]);
  });

  it('listens again after PostgreSQL restarts, and close() ends the LISTEN connection', async () => {
    const url = await server.createDatabase();
    const a = await registryProcess(url, { listen: false });
    const b = await registryProcess(url, { maxBackoffMs: 500 });
    await eventually(() => b.feed.listening, 'the LISTEN connection');
    const listeners = () => a.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN skills_registry;%' AND datname = current_database()");
    expect(await listeners()).toEqual({ n: 1 });
    expect(b.feed.listens).toBe(1);
    await server.restart();
    await eventually(() => b.feed.listening && b.feed.listens === 2, 'the LISTEN connection to come back');
    await write(a, ['@acme/after-restart']);
    await eventually(() => names(b.seen).includes('@acme/after-restart'), 'the notification after the restart');
    await b.feed.close();
    expect(b.feed.listening).toBe(false);
    for (let i = 0; (await listeners())?.n !== 0; i++) {
      expect(i).toBeLessThan(3000);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});
