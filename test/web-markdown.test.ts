/**
 * The SKILL.md renderer on its own: what links and images it keeps, and a property over random
 * Markdown assembled from hostile pieces: the output never carries a tag or attribute it did not
 * write itself, and every URL in it is one the policy allows. Also the download counter's
 * batching, in isolation.
 */
import path from 'node:path';
import fs from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../registry-server/db';
import { SqliteDatabase } from '../registry-server/storage/sqlite';
import { DownloadCounter, MAX_PENDING_DOWNLOAD_KEYS } from '../registry-server/downloads';
import { createMarkdownRenderer, resolveReference, type MarkdownPackage } from '../registry-server/web/markdown';
import { tempDir } from '../testkit/temp';

const render = createMarkdownRenderer();
const pkg: MarkdownPackage = {
  files: new Set(['SKILL.md', 'references/guide.md', 'assets/diagram.png', 'assets/notes.txt']),
  images: new Set(['assets/diagram.png']),
  fileUrl: (p) => `/@acme/x/v/1.0.0/files/${p}`,
  imageUrl: (p) => `/@acme/x/v/1.0.0/raw/${p}`,
};

describe('SKILL.md rendering', () => {
  it.each([
    ['javascript:alert(1)', undefined],
    [' JaVaScRiPt:alert(1)', undefined],
    ['java\tscript:alert(1)', undefined],
    ['java\nscript:alert(1)', undefined],
    ['\u0000javascript:alert(1)', undefined],
    ['data:text/html,<script>alert(1)</script>', undefined],
    ['vbscript:msgbox(1)', undefined],
    ['file:///etc/passwd', undefined],
    ['https://user:pw@example.com/', undefined],
    ['../../etc/passwd', undefined],
    ['/@other/skill', undefined],
    ['//evil.example/x', { kind: 'external', href: 'https://evil.example/x' }],
    ['/\\evil.example', { kind: 'external', href: 'https://evil.example/' }],
    ['https://example.com/a"b', { kind: 'external', href: 'https://example.com/a%22b' }],
    ['mailto:a@example.com', { kind: 'external', href: 'mailto:a@example.com' }],
    ['references/guide.md#usage', { kind: 'package', path: 'references/guide.md', hash: '#usage' }],
    ['./references/../references/guide.md', { kind: 'package', path: 'references/guide.md', hash: '' }],
    ['#top', { kind: 'fragment', hash: '#top' }],
  ])('resolves %j', (reference, expected) => {
    expect(resolveReference(reference)).toEqual(expected);
  });

  it('keeps safe links and package images, and turns everything else into text', () => {
    const html = render(
      [
        '[guide](references/guide.md) [missing](references/nope.md) [site](https://example.com "t\\" x=\\"y") [js](javascript:alert(1))',
        '![diagram](assets/diagram.png) ![notes](assets/notes.txt) ![remote](https://example.com/a.png) ![plain](http://example.com/a.png) ![data](data:image/png;base64,AAAA)',
        '<b onclick="alert(1)">raw</b>',
      ].join('\n\n'),
      pkg,
    );
    expect(html).toContain('<a href="/@acme/x/v/1.0.0/files/references/guide.md">guide</a>');
    expect(html).toContain(' missing ');
    expect(html).toContain('<a href="https://example.com/" title="t&quot; x=&quot;y" rel="nofollow noopener noreferrer ugc">site</a>');
    expect(html).toContain('[js](javascript:alert(1))');
    expect(html).toContain('<img src="/@acme/x/v/1.0.0/raw/assets/diagram.png" alt="diagram" loading="lazy" referrerpolicy="no-referrer">');
    expect(html).toContain('<img src="https://example.com/a.png" alt="remote" loading="lazy" referrerpolicy="no-referrer">');
    expect(html).not.toMatch(/(src|href)="[^"]*notes\.txt/);
    expect(html).not.toContain('src="http://');
    expect(html).not.toMatch(/(src|href)="data:/);
    expect(html).toContain('&lt;b onclick=&quot;alert(1)&quot;&gt;raw&lt;/b&gt;');
  });

  it('never emits a tag or attribute of its own input, for any mix of hostile pieces', () => {
    const pieces = [
      '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<svg onload=alert(1)>', '"', "'", '`', '<', '>', '&', '&#60;', '&lt;', '&#x3C;', '\\', '\n', '\n\n', ' ',
      '[', ']', '(', ')', '![', '](', '<', 'javascript:', 'JAVASCRIPT:', 'data:text/html,', 'vbscript:', 'java\tscript:', '//evil.example', 'https://example.com', 'mailto:x@y',
      'assets/diagram.png', 'references/guide.md', '../', '#', '"title"', ' onmouseover=', 'alert(1)', '```', '`code`', '**', '_', '> ', '- ', '1. ', '|a|b|\n|-|-|\n|c|d|', '[r]: ', '[r]',
    ];
    const allowedTags = new Set(['p', 'a', 'img', 'em', 'strong', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'br', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 's']);
    const allowedAttributes = new Set(['href', 'src', 'alt', 'title', 'rel', 'loading', 'referrerpolicy', 'class', 'start', 'style']);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const html = render(parts.join(''), pkg);
        for (const match of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
          const tag = (match[1] ?? '').toLowerCase();
          if (!allowedTags.has(tag)) return false;
          for (const attribute of (match[2] ?? '').matchAll(/\s([^\s=]+)(?:="([^"]*)")?/g)) {
            const name = (attribute[1] ?? '').toLowerCase();
            const value = attribute[2] ?? '';
            if (!allowedAttributes.has(name)) return false;
            // markdown-it writes style only for table alignment.
            if (name === 'style' && !/^text-align:(left|right|center)$/.test(value)) return false;
            if (name === 'class' && !/^language-[^"]*$/.test(value)) return false;
            if (name === 'href' && !/^(https?:\/\/|mailto:|\/@acme\/x\/v\/1\.0\.0\/files\/|#)/.test(value)) return false;
            if (name === 'src' && !/^(https:\/\/|\/@acme\/x\/v\/1\.0\.0\/raw\/)/.test(value)) return false;
          }
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('download counter', () => {
  let dir: string;
  let db: Db;
  let versionId: number;
  beforeAll(async () => {
    dir = await tempDir('downloads');
    db = openDatabase(path.join(dir, 'registry.db'));
    const at = new Date().toISOString();
    db.prepare("INSERT INTO users (name, created_at) VALUES ('u', ?)").run(at);
    db.prepare("INSERT INTO teams (name, created_at) VALUES ('t', ?)").run(at);
    db.prepare("INSERT INTO scopes (name, team_id, created_at) VALUES ('@s', 1, ?)").run(at);
    db.prepare("INSERT INTO skills (name, scope_id, created_at, updated_at) VALUES ('@s/x', 1, ?, ?)").run(at, at);
    for (const version of ['1.0.0', '2.0.0']) {
      versionId = Number(
        db
          .prepare(
            "INSERT INTO versions (skill_id, version, integrity, digest, manifest, skill_md, description, files, file_count, unpacked_size, size, verification, published_at) VALUES (1, ?, '', '', '{}', '', '', '[]', 0, 0, 0, '{}', ?)",
          )
          .run(version, at).lastInsertRowid,
      );
    }
  });
  afterAll(async () => {
    db.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes nothing per download, one transaction per flush, and skips versions deleted meanwhile', async () => {
    const flushed: string[][] = [];
    const counter = new DownloadCounter(new SqliteDatabase(db), { flushMs: 60_000, onFlush: (names) => flushed.push([...names]) });
    const skill = { id: 1, name: '@s/x' };
    for (let i = 0; i < 5; i++) counter.count(skill, '1.0.0');
    counter.count(skill, '2.0.0');
    counter.count(skill, '3.0.0');
    expect(db.prepare('SELECT COUNT(*) AS n FROM downloads').get()).toEqual({ n: 0 });
    expect(await counter.stats(1)).toMatchObject({ total: 7, lastWeek: 7, versions: { '1.0.0': 5, '2.0.0': 1, '3.0.0': 1 } });
    db.prepare('DELETE FROM versions WHERE id = ?').run(versionId);
    await counter.close();
    expect(flushed).toEqual([['@s/x']]);
    expect(db.prepare('SELECT count FROM version_downloads').all()).toEqual([{ count: 5 }]);
    expect(db.prepare('SELECT count FROM skill_downloads').all()).toEqual([{ count: 5 }]);
    expect(await counter.stats(1)).toMatchObject({ total: 5, lastWeek: 5, versions: { '1.0.0': 5 } });
    expect((await counter.stats(1)).days).toHaveLength(30);
  });

  it(`writes at once when ${MAX_PENDING_DOWNLOAD_KEYS} distinct keys are pending, so memory stays bounded`, async () => {
    const counter = new DownloadCounter(new SqliteDatabase(db), { flushMs: 60_000 });
    const skill = { id: 1, name: '@s/x' };
    const before = (db.prepare('SELECT count FROM version_downloads').get() as { count: number }).count;
    for (let i = 0; i < MAX_PENDING_DOWNLOAD_KEYS; i++) counter.count(skill, i === 0 ? '1.0.0' : `9.9.${i}`);
    await counter.flush();
    expect((db.prepare('SELECT count FROM version_downloads').get() as { count: number }).count).toBe(before + 1);
    await counter.close();
  });

  it('keeps counts pending when a write fails, and drops them quietly once the database is closed', async () => {
    const errors: unknown[] = [];
    const other = openDatabase(path.join(dir, 'registry.db'));
    const counter = new DownloadCounter(new SqliteDatabase(other), { flushMs: 60_000, onError: (e) => errors.push(e) });
    const skill = { id: 1, name: '@s/x' };
    counter.count(skill, '1.0.0');
    other.pragma('busy_timeout = 0');
    db.exec('BEGIN IMMEDIATE');
    await counter.flush();
    db.exec('ROLLBACK');
    expect(errors).toHaveLength(1);
    expect((await counter.stats(1)).versions['1.0.0']).toBe(7);
    await counter.flush();
    expect((db.prepare('SELECT count FROM version_downloads').get() as { count: number }).count).toBe(7);
    counter.count(skill, '1.0.0');
    other.close();
    await expect(counter.close()).resolves.toBeUndefined();
  });
});
