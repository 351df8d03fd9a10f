/** Timed reads the registry bench repeats per run: a run of searches, a run of index fetches after writes. */
import { get } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { summary } from '../stats';
import { fetchOnceMore } from './fetch-once-more';

const ACCEPT = { 'Accept-Encoding': 'gzip' };

/** Broad words match every bench skill (bench/lib/skill-text.ts), the rest some or none. */
export function searchWords(hot: number): string[] {
  return ['skill', 'greets', 'workflows', 'test', 'invoices', 'spanish', 'calendar reminders', `skill-${hot}`, 'nothing-matches-this', 'gree'];
}
const BROAD = new Set(['skill', 'greets', 'workflows', 'test']);

export interface SearchRun {
  p50: number;
  p99: number;
  broadP99: number;
  /** The total for "skill" (every skill, up to the registry's cap). */
  broadTotal: number;
}

/** `count` sequential searches (HTTP round trips, limit 20) cycling through `words`. */
export async function searchRun(url: string, words: readonly string[], count: number): Promise<SearchRun> {
  const times: number[] = [];
  const broad: number[] = [];
  let broadTotal = 0;
  for (let i = 0; i < count; i++) {
    const word = words[i % words.length] ?? '';
    const started = performance.now();
    const { res } = await fetchOnceMore(`${url}/v1/search?q=${encodeURIComponent(word)}&limit=20`, { headers: ACCEPT });
    const body = (await res.json()) as { total: number };
    const elapsed = performance.now() - started;
    if (!res.ok) throw new Error(`search ${word}: ${res.status}`);
    if (word === 'skill') broadTotal = body.total;
    times.push(elapsed);
    if (BROAD.has(word)) broad.push(elapsed);
  }
  const s = summary(times);
  return { p50: s.p50, p99: s.p99, broadP99: summary(broad).p99, broadTotal };
}

export interface IndexFetch {
  ms: number;
  wireBytes: number;
  bytes: number;
  encoding: string;
  entries: number;
}

/** The discovery index, timed to the last byte on the wire (node:http, no decoding); decoded and counted afterwards. */
export async function fetchIndex(url: string): Promise<IndexFetch> {
  const started = performance.now();
  const { chunks, encoding, status } = await new Promise<{ chunks: Buffer[]; encoding: string; status: number }>((resolve, reject) => {
    get(`${url}/.well-known/agent-skills/index.json`, { headers: ACCEPT }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ chunks: parts, encoding: String(res.headers['content-encoding'] ?? 'identity'), status: res.statusCode ?? 0 }));
      res.on('error', reject);
    }).on('error', reject);
  });
  const elapsed = performance.now() - started;
  if (status !== 200) throw new Error(`index: ${status}`);
  const wire = Buffer.concat(chunks);
  const raw = encoding === 'gzip' ? gunzipSync(wire) : wire;
  const doc = JSON.parse(raw.toString('utf8')) as { skills: unknown[] };
  return { ms: elapsed, wireBytes: wire.byteLength, bytes: raw.byteLength, encoding, entries: doc.skills.length };
}

export interface IndexRun {
  /** The first request after each write (yank, then unyank). */
  afterWrite: number[];
  /** A request with no write since the last. */
  steady: number[];
  last: IndexFetch;
}

/**
 * `writes` rounds of: yank one skill, fetch the index (it must list one fewer), unyank it, fetch
 * (all again), fetch once more without a write. `first` is the skill number the rounds start at.
 */
export async function indexRun(url: string, token: string, skills: number, first: number, writes: number): Promise<IndexRun> {
  const api = async (method: string, path: string) => {
    const { res } = await fetchOnceMore(`${url}${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  const afterWrite: number[] = [];
  const steady: number[] = [];
  let last: IndexFetch | undefined;
  for (let w = 0; w < writes; w++) {
    const target = `@bench/skill-${(first + w) % skills}`;
    await api('POST', `/v1/skills/${target}/versions/1.0.0/yank`);
    const yanked = await fetchIndex(url);
    if (yanked.entries !== skills - 1) throw new Error(`the index after yanking ${target} lists ${yanked.entries} skills, not ${skills - 1}: a stale cache`);
    await api('POST', `/v1/skills/${target}/versions/1.0.0/unyank`);
    const back = await fetchIndex(url);
    if (back.entries !== skills) throw new Error(`the index after unyanking ${target} lists ${back.entries} skills, not ${skills}: a stale cache`);
    afterWrite.push(yanked.ms, back.ms);
    steady.push((await fetchIndex(url)).ms);
    last = back;
  }
  if (!last) throw new Error('indexRun: no writes');
  return { afterWrite, steady, last };
}
