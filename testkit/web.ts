/**
 * For the web catalog's tests: a registry on a real port (real SQLite file, real sandbox workers)
 * with the usual accounts, and a real headless Chromium (playwright-core driving the binary that
 * @sparticuz/chromium ships in its npm package), with a watch on everything a page does.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import { startRegistry, type RunningRegistry } from '../registry-server/index';
import type { RegistryConfig } from '../registry-server/context';
import type { PackageFile } from '../schema/package-files';
import { collectFiles } from '../tarball/collect';
import { pack } from '../tarball/pack';
import { registryApi } from './http';
import { tempDir } from './temp';

export interface WebRegistry {
  url: string;
  dir: string;
  registry: RunningRegistry;
  admin: string;
  /** A read token of alice, member (owner) of team acme, which owns @acme (public) and @secret (private). */
  aliceRead: string;
  alicePublish: string;
  /** A read token of bob, in no team. */
  bobRead: string;
  api(method: string, url: string, options?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  publish(files: readonly PackageFile[], name: string, token?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebRegistry(config: Partial<RegistryConfig> = {}): Promise<WebRegistry> {
  const dir = await tempDir('web');
  const registry = await startRegistry({ port: 0, db: path.join(dir, 'registry.db'), workers: 1, config: { publishesPerMinute: 100_000, ...config } });
  const admin = registry.adminToken ?? '';
  const api = registryApi(() => registry.url);
  const ok = async (res: Promise<Response>) => {
    const r = await res;
    if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, unknown>;
  };
  await ok(api('POST', '/v1/users', { token: admin, body: { name: 'alice' } }));
  await ok(api('POST', '/v1/users', { token: admin, body: { name: 'bob' } }));
  await ok(api('POST', '/v1/teams', { token: admin, body: { name: 'acme' } }));
  await ok(api('POST', '/v1/teams/acme/members', { token: admin, body: { user: 'alice', role: 'owner' } }));
  await ok(api('POST', '/v1/scopes', { token: admin, body: { name: '@acme', team: 'acme' } }));
  await ok(api('POST', '/v1/scopes', { token: admin, body: { name: '@secret', team: 'acme', private: true } }));
  const token = async (user: string, permission: string) => (await ok(api('POST', '/v1/tokens', { token: admin, body: { user, permission } }))).token as string;
  const aliceRead = await token('alice', 'read');
  const alicePublish = await token('alice', 'publish');
  const bobRead = await token('bob', 'read');
  return {
    url: registry.url,
    dir,
    registry,
    admin,
    aliceRead,
    alicePublish,
    bobRead,
    api,
    async publish(files, name, by = admin) {
      const { bytes } = await pack(files);
      const res = await api('PUT', `/v1/skills/${name}`, { token: by, body: bytes });
      if (res.status !== 201) throw new Error(`publish ${name}: ${res.status} ${await res.text()}`);
    },
    async close() {
      await registry.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** The files of a skill folder of this repository's catalog (skills/<name>). */
export function catalogSkill(name: string): Promise<PackageFile[]> {
  return collectFiles(fileURLToPath(new URL(`../examples/workspace/skills/${name}`, import.meta.url)));
}

/**
 * Headless Chromium, with the same-origin policy and mixed-content blocking left on, and one
 * process per renderer (in --single-process mode closing a browser context closes the browser).
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = await chromium.executablePath();
  const dropped = new Set(['--disable-web-security', '--allow-running-insecure-content', '--single-process']);
  const args = chromium.args.filter((a) => !dropped.has(a));
  return playwright.launch({ executablePath, args, headless: true });
}

export interface PageWatch {
  /** Everything that went wrong on the page: dialogs, console errors, page errors, requests off the registry. */
  problems: string[];
}

/** Records on `page` every dialog, console error, uncaught error, and request to anything but `origin`. */
export function watchPage(page: Page, origin: string): PageWatch {
  const watch: PageWatch = { problems: [] };
  page.on('dialog', (dialog) => {
    watch.problems.push(`dialog ${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') watch.problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => watch.problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && url !== origin) watch.problems.push(`request off the registry: ${url.slice(0, 200)}`);
  });
  page.on('popup', (popup) => watch.problems.push(`popup: ${popup.url().slice(0, 200)}`));
  return watch;
}

/** Where test artifacts (screenshots) are kept after the run, outside the repository. */
export function artifactsDir(): string {
  return process.env.SKILLS_TEST_ARTIFACTS ?? path.join(os.tmpdir(), 'skills-test-artifacts');
}
