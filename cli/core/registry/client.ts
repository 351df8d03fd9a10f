/**
 * The CLI's HTTP client for the registry: one place for auth headers, errors, timeouts, bounded
 * body reads and schema checks. Everything a registry sends is hostile until parsed. Commands get
 * theirs from registryClient (which registry: --registry, env, skills.json, user config, default).
 */
import path from 'node:path';
import { z } from 'zod';
import { contentLength, readCappedBody } from '../../../schema/capped-body';
import { isErrorCode, SkillsError } from '../../../schema/errors';
import { MAX_FULL_PACKUMENT_BYTES, MAX_JSON_VALUES, MAX_RESPONSE_BYTES, registryErrorBodySchema } from '../../../schema/registry';
import { WORKSPACE_FILE, type Workspace } from '../../../schema/workspace';
import { readWorkspaceFile } from '../workspace/files';
import { parseWorkspaceText } from '../workspace/text';
import { resolveRegistry, type RegistryTarget } from './config';

export interface RequestOptions {
  body?: Uint8Array | object;
  timeoutMs?: number;
  /** Accept these statuses as success in addition to 2xx (e.g. 304). */
  accept?: number[];
  headers?: Record<string, string>;
}

/** What one answer may hold, and the error (with its code) when it holds more. */
export interface BodyLimits {
  maxBytes: number;
  /** JSON values, keys and containers (counted before parsing, which allocates per value). */
  maxValues: number;
  /** What the answer is, for messages ("the packument of @a/b"). */
  what: string;
  /** The error when a limit is passed; `over` says which ("over the 8388608 byte limit"). */
  tooLarge: (over: string) => SkillsError;
}

export type ReadOptions = RequestOptions & Partial<BodyLimits>;

/** Called before every HTTP request this client sends; throwing stops the request. */
export type BeforeRequest = (method: string, url: string) => void;

const ERROR_TEXT_MAX = 500;

/** Registry-supplied text shown to people: no control characters (terminal escapes), bounded. */
export function printable(text: string, max = ERROR_TEXT_MAX): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

const DETAILS_MAX_DEPTH = 64;

/** Whether a parsed JSON value nests at most `max` levels (checked without recursion). */
export function nestsAtMost(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth >= max) return false;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return true;
}

function networkError(error: unknown, registry: string): SkillsError {
  if (error instanceof SkillsError) return error;
  const name = error instanceof Error || error instanceof DOMException ? error.name : '';
  if (name === 'TimeoutError') return new SkillsError('ETIMEDOUT', `the registry at ${registry} did not answer in time`, { hint: 'check the registry is running and reachable' });
  const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new SkillsError('ENETWORK', `cannot reach the registry at ${registry} (${printable(cause, 200)})`, { hint: 'is it running? start one with `skills serve`, or pass --registry <url>' });
}

function responseLimits(what: string, options: Partial<BodyLimits> = {}): BodyLimits {
  return {
    maxBytes: options.maxBytes ?? MAX_RESPONSE_BYTES,
    maxValues: options.maxValues ?? MAX_JSON_VALUES,
    what: options.what ?? what,
    tooLarge:
      options.tooLarge ??
      ((over) => new SkillsError('ERESPONSETOOLARGE', `${options.what ?? what} is ${over}; nothing was changed`, { hint: 'the registry sent more than any valid answer holds; check the registry URL' })),
  };
}

/** The limits of a packument (full or install form), with its own code. */
export function packumentLimits(name: string, maxBytes = MAX_FULL_PACKUMENT_BYTES, maxValues = MAX_JSON_VALUES): BodyLimits {
  const what = `the packument of ${name}`;
  return {
    maxBytes,
    maxValues,
    what,
    tooLarge: (over) => new SkillsError('EPACKUMENTTOOLARGE', `${what} is ${over}; nothing was changed`, { hint: 'no real skill has a packument this large; check the registry URL' }),
  };
}

/**
 * Reads a body, stopping (and closing the connection) as soon as it passes `maxBytes`, whatever
 * Content-Length claims or when there is none; bytes are counted after any Content-Encoding is
 * decoded. Errors while reading are ENETWORK / ETIMEDOUT.
 */
export async function readCapped(res: Response, limits: Pick<BodyLimits, 'maxBytes' | 'tooLarge'>, registry: string): Promise<Uint8Array> {
  const over = () => limits.tooLarge(`over the ${limits.maxBytes} byte limit`);
  const declared = contentLength(res.headers.get('content-length'));
  if (declared !== undefined && declared > limits.maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw over();
  }
  return readCappedBody(res.body, { maxBytes: limits.maxBytes, tooLarge: over, readFailed: (error) => networkError(error, registry) });
}

/**
 * Whether JSON text holds at most `max` values: counts `{ [ , :` outside strings, one per
 * container, element or key. JSON.parse allocates about 100 bytes per object, so 8 MiB of
 * `[{},{},...]` would take ~280 MB; this bounds that before anything is allocated.
 */
export function jsonValuesAtMost(bytes: Uint8Array, max: number): boolean {
  let inString = false;
  let escaped = false;
  let count = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (escaped) escaped = false;
      else if (b === 0x5c) escaped = true;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if ((b === 0x7b || b === 0x5b || b === 0x2c || b === 0x3a) && ++count > max) return false;
  }
  return true;
}

/** Parses a JSON body against a schema within the value limit; anything else is EBADRESPONSE. */
export function parseResponse<S extends z.ZodType>(schema: S, bytes: Uint8Array, limits: Pick<BodyLimits, 'maxValues' | 'what' | 'tooLarge'>): z.output<S> {
  const { what } = limits;
  if (!jsonValuesAtMost(bytes, limits.maxValues)) throw limits.tooLarge(`more than ${limits.maxValues} JSON values`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new SkillsError('EBADRESPONSE', `the registry sent ${what} that is not JSON`, { hint: 'check the registry URL points at a skills registry' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? `: ${printable(issue.path.map(String).join('.') || '(root)', 100)} ${printable(issue.message, 200)}` : '';
    throw new SkillsError('EBADRESPONSE', `the registry sent ${what} of the wrong shape${where}`, { hint: 'check the registry URL points at a skills registry of this version' });
  }
  return parsed.data;
}

export class RegistryClient {
  constructor(
    readonly target: RegistryTarget,
    readonly beforeRequest: BeforeRequest = () => {},
  ) {}

  get url(): string {
    return this.target.url;
  }

  /** An absolute http(s) URL (a tarball elsewhere) or a path on the registry; nothing else. */
  #resolve(path: string): string {
    // Only paths on the registry: "@evil.example/x" glued to the base would change the host.
    const absolute = path.startsWith('http://') || path.startsWith('https://');
    const url = URL.canParse(absolute ? path : `${this.target.url}${path}`) ? new URL(absolute ? path : `${this.target.url}${path}`) : undefined;
    if (!url || (!absolute && !path.startsWith('/'))) throw new SkillsError('EBADRESPONSE', `"${printable(path, 120)}" is neither an http(s) URL nor a path on the registry`);
    return url.href;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = this.#resolve(path);
    this.beforeRequest(method, url);
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
      throw networkError(error, this.target.url);
    }
    if (res.ok || options.accept?.includes(res.status)) return res;
    throw await this.#errorOf(res, method, path);
  }

  async #errorOf(res: Response, method: string, path: string): Promise<SkillsError> {
    let parsed: z.output<typeof registryErrorBodySchema> | undefined;
    try {
      const limits = responseLimits('an error answer');
      parsed = parseResponse(registryErrorBodySchema, await readCapped(res, limits, this.target.url), limits);
    } catch {
      parsed = undefined;
    }
    const withheld = this.target.withheld && (res.status === 401 || res.status === 403) ? `${this.target.withheld}; if you trust ${this.target.url}, log in to it with \`skills login --registry ${this.target.url} --token <token>\`` : undefined;
    if (parsed) {
      const err = parsed.error;
      const hint = withheld ?? (err.hint !== undefined ? printable(err.hint) : res.status === 401 ? 'log in with `skills login --registry <url> --token <token>`' : undefined);
      // Details are passed on to --json output only when printing them cannot blow the stack.
      const details = err.details !== undefined && nestsAtMost(err.details, DETAILS_MAX_DEPTH) ? err.details : undefined;
      // A code this CLI does not know (another registry's) travels in the message of EREGISTRY.
      const code = err.code;
      const known = isErrorCode(code);
      return new SkillsError(known ? code : 'EREGISTRY', known ? printable(err.message) : `${code}: ${printable(err.message)}`, { status: res.status, ...(hint ? { hint } : {}), ...(details === undefined ? {} : { details }) });
    }
    return new SkillsError('EREGISTRY', `the registry answered ${res.status} ${printable(res.statusText, 60)} for ${method} ${printable(path, 120)}`, { status: res.status, ...(withheld ? { hint: withheld } : {}) });
  }

  /** A response body, read with a byte cap. */
  async bytes(res: Response, options: Partial<BodyLimits> = {}): Promise<Uint8Array> {
    return readCapped(res, responseLimits('the answer', options), this.target.url);
  }

  /** Sends a request and returns its JSON body checked against `schema` (EBADRESPONSE otherwise). */
  async call<S extends z.ZodType>(schema: S, method: string, path: string, options: ReadOptions = {}): Promise<z.output<S>> {
    const limits = responseLimits(`an answer to ${method} ${printable(path, 120)}`, options);
    const res = await this.request(method, path, options);
    return parseResponse(schema, await readCapped(res, limits, this.target.url), limits);
  }
}

/**
 * What chooses the registry a command talks to, tried in this order (see resolveRegistry): the
 * command's --registry, $SKILLS_REGISTRY, "registry" in the workspace's skills.json, the user
 * config, the default.
 */
export interface RegistryChoice {
  env: NodeJS.ProcessEnv;
  /** The command's --registry. */
  flag?: string | undefined;
  /** The skills.json of a command that loaded its workspace (a broken one already stopped it there). */
  workspace?: Pick<Workspace, 'registry'> | undefined;
  /**
   * Otherwise the folder whose skills.json counts, for a command that does not work on the
   * workspace: one there that cannot be read or parsed names no registry rather than stopping it.
   * Neither this nor `workspace`: no skills.json counts.
   */
  dir?: string | undefined;
  /** A token given on the command line (`login`), sent instead of any saved one. */
  token?: string | undefined;
}

/** The one way a command gets its registry client (its URL is `client.url`). */
export async function registryClient(choice: RegistryChoice): Promise<RegistryClient> {
  const workspace = choice.workspace ?? (choice.dir === undefined ? undefined : await workspaceIfReadable(choice.dir));
  const target = await resolveRegistry(choice.env, choice.flag, workspace?.registry);
  return new RegistryClient(choice.token === undefined ? target : { url: target.url, token: choice.token, ...(target.source ? { source: target.source } : {}) });
}

async function workspaceIfReadable(dir: string): Promise<Workspace | undefined> {
  try {
    const text = await readWorkspaceFile(dir, WORKSPACE_FILE);
    return text === undefined ? undefined : parseWorkspaceText(text, path.join(dir, WORKSPACE_FILE)).workspace;
  } catch {
    return undefined;
  }
}
