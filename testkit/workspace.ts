/** Helpers for install tests: a served registry with a team, a scope and skills published. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { startRegistry, type RegistryConfig, type RunningRegistry } from '../registry-server/index';
import type { PackageFile } from '../schema/package-files';
import { pack } from '../tarball/pack';
import { tempDir } from './temp';

export interface LiveRegistry {
  registry: RunningRegistry;
  dir: string;
  admin: string;
  publish(files: readonly PackageFile[], tag?: string): Promise<Response>;
  close(): Promise<void>;
}

export async function liveRegistry(scopes: string[] = ['@acme'], config: Partial<RegistryConfig> = {}): Promise<LiveRegistry> {
  const dir = await tempDir('live');
  const registry = await startRegistry({ port: 0, db: path.join(dir, 'registry.db'), workers: 1, config });
  const admin = registry.adminToken ?? '';
  const call = (method: string, url: string, body?: unknown) =>
    fetch(`${registry.url}${url}`, { method, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  await call('POST', '/v1/teams', { name: 'core' });
  for (const scope of scopes) await call('POST', '/v1/scopes', { name: scope, team: 'core' });
  return {
    registry,
    dir,
    admin,
    async publish(files, tag) {
      const bytes = (await pack(files)).bytes;
      const name = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === 'skill.json')?.bytes)) as { name: string };
      return fetch(`${registry.url}/v1/skills/${name.name}${tag ? `?tag=${tag}` : ''}`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}` }, body: bytes });
    },
    async close() {
      await registry.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** A snapshot of every file under a folder: relative path -> content (base64), or `link:<text>` for a link (never followed). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (rel: string) => {
    const entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) out[p] = `link:${await fs.readlink(path.join(dir, p))}`;
      else if (e.isDirectory()) await walk(p);
      else out[p] = (await fs.readFile(path.join(dir, p))).toString('base64');
    }
  };
  await walk('');
  return out;
}
