/** Requests to a registry over real HTTP, as the tests make them: a token, a JSON or byte body, no redirect followed. */

export interface ApiOptions {
  token?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Api = (method: string, url: string, options?: ApiOptions) => Promise<Response>;

/** The request `options` describe: the token as a bearer header, an object as JSON, bytes and text as they are. */
export function requestInit(method: string, options: ApiOptions = {}): RequestInit {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: Uint8Array | string | undefined;
  if (options.body instanceof Uint8Array || typeof options.body === 'string') body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] = 'application/json';
  }
  return { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' };
}

/** `url` is a path (or an absolute URL that `toPath` turns into one) asked of `base()`. */
export function registryApi(base: () => string, toPath: (url: string) => string = (url) => url): Api {
  return (method, url, options = {}) => fetch(`${base()}${toPath(url)}`, requestInit(method, options));
}

/**
 * An answer's text with its error's request id (new on every request, by design) replaced by
 * `(id)`, so two answers can be compared for everything else; an answer without one is unchanged.
 */
export function sameIdText(body: string): string {
  return body.replace(/"requestId":"[A-Za-z0-9_-]{8,36}"/g, '"requestId":"(id)"');
}
