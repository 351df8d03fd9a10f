/**
 * The error catalog (schema/error-catalog.ts) against the code and the docs: every code the source
 * uses is catalogued and every catalogued code is used; the docs' error tables are the ones the
 * catalog generates (`--update` rewrites them); every documented code is catalogued; statuses are
 * those the registry answered before the catalog; and the renderers mask secrets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_STATUS, ERRORS, ERROR_CODES, WARNINGS, isErrorCode, type ErrorCode, type ErrorInfo, type WarningCode } from '../schema/error-catalog';
import { maskSecrets, SkillsError } from '../schema/errors';
import { mcpError, mcpResult } from '../schema/mcp-result';
import type { CaseFailureCode } from '../sandbox/limits';
import type { WorkspaceErrorCode } from '../sandbox/workspace-store';
import { answeredError, errorResponse } from '../registry-server/error-response';
import { ERROR_TABLES, errorBlock, findBlock } from '../scripts/error-tables';

// Codes reported in a case or a problem are catalogued too (a compile-time check).
const caseCodes: ErrorCode = 'EHANG' as CaseFailureCode;
const workspaceCodes: ErrorCode = 'EWORKSPACEFULL' as WorkspaceErrorCode;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['cli', 'registry-server', 'schema', 'tarball', 'audit', 'sandbox', 'examples/workspace/servers'];
const CATALOG = 'schema/error-catalog.ts';
/** Node's errno codes the source compares against, the PII label EMAIL and the image magic WEBP: not codes of skills. */
const NOT_SKILLS_CODES = new Set(['EACCES', 'EISDIR', 'ELOOP', 'ENOENT', 'ENOSPC', 'ENOSYS', 'ENOTEMPTY', 'ENOTSUP', 'ENXIO', 'EOPNOTSUPP', 'EPERM', 'ESRCH', 'EBUSY', 'EMFILE', 'EXDEV', 'EMAIL', 'WEBP',
  // Network errnos the PostgreSQL adapter reads as a lost connection.
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'node_modules' ? [] : sourceFiles(rel);
    return /\.ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

const sources = SOURCE_DIRS.flatMap(sourceFiles).filter((f) => f !== CATALOG);
const sourceText = new Map(sources.map((f) => [f, fs.readFileSync(path.join(ROOT, f), 'utf8')]));
/** Every quoted E... or W... literal in the source, with the first file it is in. */
const used = new Map<string, string>();
for (const [file, text] of sourceText) for (const m of text.matchAll(/['"`]([EW][A-Z0-9]{3,})['"`]/g)) if (!used.has(m[1] ?? '')) used.set(m[1] ?? '', file);

const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
const docText = new Map(docs.map((d) => [d, fs.readFileSync(path.join(ROOT, d), 'utf8')]));

/** What the registry answered for each code before the catalog (statuses at the throw sites; 400 otherwise). */
const STATUS_BEFORE: Record<string, number> = {
  EURITOOLONG: 414, ERATELIMITED: 429, EAUDITWORKER: 500, ETOKENINVALID: 401, ETOKENREVOKED: 401, ETOKENEXPIRED: 401, EAUTHREQUIRED: 401,
  EFORBIDDEN: 403, ESCOPENOTFOUND: 404, ENOTFOUND: 404, ESCOPEFORBIDDEN: 403, EVERSIONEXISTS: 409, ETOOMANYFIXTURES: 422, EVERIFYBUDGET: 422,
  EVERIFICATIONFAILED: 422, EAUDIT: 422, EPAYLOADTOOLARGE: 413, EAUDITALLOWFORBIDDEN: 403, EDELETEWINDOW: 409, ECSRF: 403, EBROWSELIMIT: 413,
  EUSEREXISTS: 409, ETEAMEXISTS: 409, ESCOPEEXISTS: 409, ESANDBOXMISSING: 500, ESANDBOXCLOSED: 500, EINTERNAL: 500, ESTARTING: 503,
  EDBOPEN: 500, EDBDIR: 500, EDBFOREIGN: 500, EDBNEWER: 500, EDBNOTSQLITE: 500, EDBREADONLY: 500, EDBCORRUPT: 500, EDBBUSY: 500, EDBFULL: 500, EDBIO: 500, EBLOBMISSING: 500,
  EDBUNAVAILABLE: 503, EDBAUTH: 500, EDBMISSING: 500,
  EADDRINUSE: 500, EADDRACCESS: 500, EADDRNOTAVAIL: 500,
  // Issue 25 (blob stores): new codes, with the status they were born with.
  EBLOBSTORE: 500, EBLOBCORRUPT: 500, EBLOBUNAVAILABLE: 503,
  // Issue 25 (skills registry migrate): the CLI's own, never a registry's answer (so the default).
  EMIGRATESOURCE: 400, EMIGRATETARGET: 400,
  // Issue 26 (skills registry backup and restore): the CLI's own, never a registry's answer (so the default).
  EBACKUPDIR: 400, EBACKUPSOURCE: 400, EBACKUPMANIFEST: 400, EBACKUPCORRUPT: 400, EBACKUPTOOL: 400, ERESTORENOTEMPTY: 400,
  // Issue 25 (the contract suite): PostgreSQL refusing a NUL in text, answered as the request's fault.
  ETEXTNUL: 400,
  // Issue 26 (the registry's config file): the CLI's own, never a registry's answer (so the default).
  ECONFIGFILE: 400, ECONFIGKEY: 400, ECONFIGVALUE: 400,
  // Issue 26 (health and metrics): the readiness checks' codes (only in /-/health/ready's body) and the metrics token.
  EDBFILEGONE: 500, EDBSCHEMA: 500, ECHECKTIMEOUT: 500, EMETRICSTOKEN: 401,
};
/** Throw sites that answer another status than the catalog's on purpose. */
const STATUS_OVERRIDES = new Set(["EBODY'-415", "EDEPENDENCYNOTFOUND'-500"]);

describe('the error catalog', () => {
  it('holds every E and W code the source uses, and nothing the source does not use', () => {
    expect([caseCodes, workspaceCodes].every(isErrorCode)).toBe(true);
    const uncatalogued = [...used].filter(([code]) => !NOT_SKILLS_CODES.has(code) && !isErrorCode(code) && !Object.hasOwn(WARNINGS, code));
    expect(uncatalogued, 'add these to schema/error-catalog.ts').toEqual([]);
    const unused = [...ERROR_CODES, ...Object.keys(WARNINGS)].filter((code) => !used.has(code));
    expect(unused, 'catalogued codes no source file uses').toEqual([]);
  });

  it('gives every code a summary, a hint, exit 2 only for usage, and an HTTP status only where it is an error status', () => {
    for (const code of ERROR_CODES) {
      const entry: ErrorInfo = ERRORS[code];
      expect(entry.summary.length, code).toBeGreaterThan(10);
      expect(entry.hint.length, code).toBeGreaterThan(5);
      expect(entry.exit, code).toBe(code === 'EUSAGE' ? 2 : 1);
      if (entry.http !== undefined) expect(entry.http >= 400 && entry.http < 600, code).toBe(true);
    }
    for (const code of Object.keys(WARNINGS) as WarningCode[]) expect(WARNINGS[code].summary.length, code).toBeGreaterThan(10);
  });

  it('keeps the status the registry answered with before, for every code', () => {
    for (const code of ERROR_CODES) {
      const before = STATUS_BEFORE[code] ?? DEFAULT_HTTP_STATUS;
      expect([code, new SkillsError(code, 'm').status]).toEqual([code, before]);
      const entry: ErrorInfo = ERRORS[code];
      if (entry.http !== undefined) expect([code, entry.http]).toEqual([code, before]);
    }
    expect(Object.keys(STATUS_BEFORE).filter((code) => !isErrorCode(code))).toEqual([]);
  });

  it('agrees with every status written at a throw site, but for the routes that answer a code differently', () => {
    const found: string[] = [];
    for (const [file, text] of sourceText) {
      for (const m of text.matchAll(/new SkillsError\('(E[A-Z0-9]+)'[^\n]*?status: (\d{3})\b/g)) {
        const [, code = '', status = ''] = m;
        if (!isErrorCode(code) || STATUS_OVERRIDES.has(`${code}'-${status}`)) continue;
        found.push(`${code} ${status}`);
        expect(`${code} ${status} (${file})`).toBe(`${code} ${(ERRORS[code] as ErrorInfo).http ?? DEFAULT_HTTP_STATUS} (${file})`);
      }
    }
    expect(found.length).toBeGreaterThan(20);
  });

  it('documents every code in the generated tables, and no doc names a code that is not catalogued', () => {
    const cli = docText.get('docs/cli.md') ?? '';
    for (const code of [...ERROR_CODES, ...Object.keys(WARNINGS)]) expect(cli, code).toContain(`| \`${code}\` |`);
    const http = docText.get('docs/http-api.md') ?? '';
    for (const code of ERROR_CODES) if ((ERRORS[code] as ErrorInfo).http !== undefined) expect(http, code).toContain(`| \`${code}\` |`);
    const unknown: string[] = [];
    for (const [doc, text] of docText) {
      for (const m of text.matchAll(/`([EW][A-Z0-9]{3,})`/g)) {
        const code = m[1] ?? '';
        if (!isErrorCode(code) && !Object.hasOwn(WARNINGS, code) && !NOT_SKILLS_CODES.has(code)) unknown.push(`${code} in ${doc}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  for (const { doc, name, table } of ERROR_TABLES) {
    it(`${doc} holds the table generated from the catalog`, () => {
      const file = path.join(ROOT, doc);
      const text = fs.readFileSync(file, 'utf8');
      const current = findBlock(text, name);
      expect(current, `${doc} has no ${name} markers`).toBeDefined();
      const wanted = errorBlock(name, table());
      if (expect.getState().snapshotState?.snapshotUpdateState === 'all') {
        if (current !== wanted) fs.writeFileSync(file, text.replace(current ?? '', wanted));
        return;
      }
      expect(current, `${doc} is out of date: run \`npx vitest run test/error-catalog.test.ts --update\``).toBe(wanted);
    });
  }
});

describe('the renderers', () => {
  const secret = 'skr_AbCdEfGh12345678_' + 'x'.repeat(43);

  it('mask token secrets and URL passwords in messages and hints, keeping the token id', () => {
    const error = new SkillsError('ETOKENINVALID', `the token ${secret} failed at https://ada:hunter2@git.example.com/r.git`, { hint: `retry with ${secret}` });
    expect(error.message).toBe('the token skr_AbCdEfGh12345678_*** failed at https://ada:***@git.example.com/r.git');
    expect(error.hint).toBe('retry with skr_AbCdEfGh12345678_***');
    expect(JSON.stringify(error.toJSON())).not.toContain('x'.repeat(20));
    expect(maskSecrets('plain text, https://git.example.com/r.git, user@example.com')).toBe('plain text, https://git.example.com/r.git, user@example.com');
    // libpq's URLs also take the password as a query parameter.
    expect(maskSecrets('postgres://db/skills?user=ada&password=hunter2&sslmode=require, postgres://db/x?sslpassword=k3y')).toBe('postgres://db/skills?user=ada&password=***&sslmode=require, postgres://db/x?sslpassword=***');
  });

  it('give the catalog\'s hint when the thrower has none, and its own otherwise', () => {
    expect(new SkillsError('EDBFULL', 'the disk is full').toJSON()).toEqual({ code: 'EDBFULL', message: 'the disk is full', hint: ERRORS.EDBFULL.hint });
    expect(new SkillsError('EDBFULL', 'x', { hint: 'mine' }).hint).toBe('mine');
    expect(new SkillsError('EUSAGE', 'x').exitCode).toBe(2);
    expect(new SkillsError('EWRITE', 'x').exitCode).toBe(1);
  });

  it('answer HTTP with the catalog\'s status, and a bug as EINTERNAL without its message', async () => {
    const res = errorResponse(new SkillsError('ESTARTING', 'starting'), { 'Retry-After': '1' });
    expect([res.status, res.headers.get('Retry-After'), res.headers.get('Content-Type')]).toEqual([503, '1', 'application/json']);
    expect(await res.json()).toEqual({ error: { code: 'ESTARTING', message: 'starting', hint: ERRORS.ESTARTING.hint } });
    const bug = answeredError(new Error(`SQLITE_ERROR near ${secret}`));
    expect([bug.code, bug.status, bug.message]).toEqual(['EINTERNAL', 500, 'the registry failed to handle this request']);
  });

  it('give MCP clients one shape from both servers', () => {
    expect(mcpResult({ a: 1 })).toEqual({ content: [{ type: 'text', text: '{\n  "a": 1\n}' }], structuredContent: { a: 1 } });
    expect(mcpError(new SkillsError('ENOTFOUND', '@acme/x was not found', { hint: 'h' }))).toEqual({ content: [{ type: 'text', text: 'ENOTFOUND: @acme/x was not found (h)' }], isError: true });
    expect(mcpError(new Error(`boom ${secret}`)).content[0]?.text).toBe(`EINTERNAL: boom skr_AbCdEfGh12345678_*** (${ERRORS.EINTERNAL.hint})`);
  });
});
