/** The CLI's HTTP client for the registry: one place for auth headers, errors and timeouts. */
import { SkillsError, type ErrorBody } from '../../schema/errors';
import type { RegistryTarget } from './config';

export interface RequestOptions {
  body?: Uint8Array | object;
  timeoutMs?: number;
  /** Accept these statuses as success in addition to 2xx (e.g. 304). */
  accept?: number[];
  headers?: Record<string, string>;
}

export class RegistryClient {
  constructor(readonly target: RegistryTarget) {}

  get url(): string {
    return this.target.url;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = path.startsWith('http://') || path.startsWith('https://') ? path : `${this.target.url}${path}`;
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    // The token goes only to the registry's own origin, never to a URL a lockfile or packument names elsewhere.
    if (this.target.token && new URL(url).origin === new URL(this.target.url).origin) headers.Authorization = `Bearer ${this.target.token}`;
    let body: Uint8Array | string | undefined;
    if (options.body instanceof Uint8Array) {
      body = options.body;
      headers['Content-Type'] = 'application/gzip';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['Content-Type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
    } catch (error) {
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      if (error instanceof Error && error.name === 'TimeoutError') throw new SkillsError('ETIMEDOUT', `the registry at ${this.target.url} did not answer in time`, { hint: 'check the registry is running and reachable' });
      throw new SkillsError('ENETWORK', `cannot reach the registry at ${this.target.url} (${cause})`, { hint: 'is it running? start one with `skills serve`, or pass --registry <url>' });
    }
    if (res.ok || options.accept?.includes(res.status)) return res;
    let parsed: ErrorBody | undefined;
    try {
      parsed = (await res.json()) as ErrorBody;
    } catch {
      parsed = undefined;
    }
    const err = parsed?.error;
    if (err && typeof err.code === 'string' && /^E[A-Z0-9]+$/.test(err.code)) {
      const hint = err.hint ?? (res.status === 401 ? 'log in with `skills login --registry <url> --token <token>`' : undefined);
      throw new SkillsError(err.code as `E${string}`, err.message, { status: res.status, ...(hint ? { hint } : {}), ...(err.details === undefined ? {} : { details: err.details }) });
    }
    throw new SkillsError('EREGISTRY', `the registry answered ${res.status} ${res.statusText} for ${method} ${path.slice(0, 120)}`, { status: res.status });
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, options);
    return (await res.json()) as T;
  }
}
