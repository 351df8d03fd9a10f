/**
 * Real HTTP servers for CLI network tests: one that records every request (method, path,
 * Authorization) and answers with a handler, for playing a hostile or fake registry; and a real
 * registry started in-process whose request log the test can read.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { startRegistry, type RegistryConfig, type RunningRegistry } from '../registry-server/index';
import type { PackageFile } from '../schema/package-files';
import { pack } from '../tarball/pack';
import { captureLogs, type LogCapture, type LogEntry } from './logs';
import { tempDir } from './temp';


export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests whose path starts with `prefix`. */
  hits(prefix: string): RecordedRequest[];
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => unknown;

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Writes `chunk` until the client goes away (or `maxBytes` were written); resolves with the bytes written. */
export function streamForever(res: http.ServerResponse, chunk: Buffer, maxBytes = 2 * 1024 ** 3): Promise<number> {
  return new Promise((resolve) => {
    let written = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve(written);
    };
    res.on('close', finish);
    res.on('error', finish);
    const pump = () => {
      while (!done && written < maxBytes) {
        written += chunk.byteLength;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!done) res.end();
    };
    pump();
  });
}

export async function recordingServer(handler: Handler): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization });
    req.resume();
    Promise.resolve(handler(req, res, url)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hits: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface LoggedRegistry {
  registry: RunningRegistry;
  url: string;
  admin: string;
  dir: string;
  dbFile: string;
  /** Every log line the registry wrote, parsed. */
  logs: LogEntry[];
  /** The raw lines; close() fails when one holds the admin token (or a secret remembered). */
  logCapture: LogCapture;
  /** Admin call (JSON body). */
  call(method: string, urlPath: string, body?: unknown): Promise<Response>;
  publish(files: readonly PackageFile[], tag?: string): Promise<Response>;
  close(): Promise<void>;
}

/** The real registry on a real port and SQLite file, recording its request log. */
export async function loggedRegistry(scopes: { name: string; private?: boolean }[], config: Partial<RegistryConfig> = {}): Promise<LoggedRegistry> {
  const dir = await tempDir('logged');
  const dbFile = path.join(dir, 'registry.db');
  const capture = captureLogs();
  const registry = await startRegistry({ port: 0, db: dbFile, workers: 1, config, log: capture.logger });
  const admin = registry.adminToken ?? '';
  capture.remember(admin);
  const call = (method: string, urlPath: string, body?: unknown) =>
    fetch(`${registry.url}${urlPath}`, { method, headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const ok = async (res: Promise<Response>) => {
    const r = await res;
    if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${await r.text()}`);
  };
  await ok(call('POST', '/v1/teams', { name: 'core' }));
  for (const scope of scopes) await ok(call('POST', '/v1/scopes', { name: scope.name, team: 'core', private: scope.private === true }));
  return {
    registry,
    url: registry.url,
    admin,
    dir,
    dbFile,
    logs: capture.entries,
    logCapture: capture,
    call,
    async publish(files, tag) {
      const bytes = (await pack(files)).bytes;
      const manifest = JSON.parse(new TextDecoder().decode(files.find((f) => f.path === 'skill.json')?.bytes)) as { name: string };
      return fetch(`${registry.url}/v1/skills/${manifest.name}${tag ? `?tag=${tag}` : ''}`, { method: 'PUT', headers: { Authorization: `Bearer ${admin}` }, body: bytes });
    },
    async close() {
      await registry.close();
      await fs.rm(dir, { recursive: true, force: true });
      capture.expectNoSecrets();
    },
  };
}
