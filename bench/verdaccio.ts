/**
 * Verdaccio as the peer in benchmarks. It is not a dependency: VERDACCIO_DIR names a folder where
 * `npm install verdaccio` ran. Packages are written straight into its storage (a packument and the
 * tarball per package), which is how Verdaccio keeps what was published to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface Verdaccio {
  url: string;
  stop(): void;
}

/** Stores `bytes` as `<pkg>@1.0.0` for a Verdaccio listening on `port`. */
export async function writeVerdaccioPackage(storage: string, port: number, pkg: string, bytes: Uint8Array): Promise<void> {
  const file = `${pkg}-1.0.0.tgz`;
  await fs.mkdir(path.join(storage, pkg), { recursive: true });
  await fs.writeFile(path.join(storage, pkg, file), bytes);
  const shasum = createHash('sha1').update(bytes).digest('hex');
  const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
  const doc = {
    name: pkg,
    versions: { '1.0.0': { name: pkg, version: '1.0.0', description: 'bench', dist: { tarball: `http://127.0.0.1:${port}/${pkg}/-/${file}`, shasum, integrity } } },
    'dist-tags': { latest: '1.0.0' },
    time: { modified: '2026-01-01T00:00:00.000Z', created: '2026-01-01T00:00:00.000Z', '1.0.0': '2026-01-01T00:00:00.000Z' },
    _uplinks: {},
    _distfiles: {},
    _attachments: { [file]: { shasum, version: '1.0.0' } },
    _rev: '1-0000000000000000',
    readme: '',
  };
  await fs.writeFile(path.join(storage, pkg, 'package.json'), JSON.stringify(doc));
}

export function verdaccioPort(): number {
  return 4800 + Math.floor(Math.random() * 190);
}

/** Starts Verdaccio on `port` over `storage` and waits until it answers. */
export async function startVerdaccio(verdaccioDir: string, dir: string, storage: string, port: number): Promise<Verdaccio> {
  const config = path.join(dir, 'verdaccio.yaml');
  await fs.writeFile(config, `storage: ${storage}\nuplinks: {}\npackages:\n  '**':\n    access: $all\n    publish: $authenticated\nlog: { type: stdout, format: pretty, level: fatal }\nlisten: 127.0.0.1:${port}\n`);
  const child: ChildProcess = spawn(process.execPath, [path.join(verdaccioDir, 'node_modules', 'verdaccio', 'bin', 'verdaccio'), '--config', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${url}/-/ping`).then((r) => r.ok, () => false)) return { url, stop: () => child.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`Verdaccio did not start from ${verdaccioDir}`);
}
