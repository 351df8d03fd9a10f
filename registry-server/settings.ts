/**
 * Every setting of `skills serve`, in one table: its section and key, type and range, default,
 * unit, environment variable and flag. The config file's zod schema is built from the table, and
 * environment variables and flags are checked against the same schema. The effective settings are
 * resolved in one order, flags > environment > config file > defaults, each value remembering
 * where it came from (`skills serve --print-config` shows them). docs/configuration.md holds the
 * table as generated from here (scripts/settings-table.ts; test/registry-settings.test.ts keeps it true).
 */
import { BLOBS_ENV, DATABASE_ENV, DEFAULT_REGISTRY_DB } from '../schema/registry-storage';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { maskSecrets, SkillsError } from '../schema/errors';
import { MAX_JSON_DEPTH } from '../schema/json-depth';
import { MAX_TARBALL_BYTES } from '../schema/registry';
import { nearest } from '../schema/suggest';
import { DEFAULT_UNPACK_LIMITS } from '../tarball/limits';
import { readConfigFile, type ConfigDocument } from './config-file';
import { DEFAULT_REGISTRY_CONFIG, type RegistryConfig } from './context';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel, type LogOutputOptions } from './log';
import type { StartOptions } from './server';
import { DEFAULT_STALE_READ_MS } from './storage/postgres-changes';

/** The longest delay Node's timers take (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

interface SettingBase<T> {
  /** The value's type and range. */
  type: z.ZodType<T>;
  /** The type and range in words, for messages and the docs. */
  expects: string;
  /** How an environment variable writes it: digits, or text as it is. */
  envForm: 'number' | 'text';
  /** What one unit is ('' for text). */
  unit: string;
  about: string;
  /** The `skills serve` flag that sets it too. */
  flag?: string;
  /** Its environment variable, when not SKILLS_REGISTRY_<SECTION>_<KEY>. */
  variable?: string;
  /** A file path: relative to the config file's folder when the file gives it, else to the working folder. */
  path?: true;
  /** The value may carry a password: printed with it masked. */
  secret?: true;
  /** The whole value is a secret: printed as ***. */
  redact?: true;
}

/** A setting with a value when nothing sets it. */
interface Setting<T> extends SettingBase<T> {
  default: T;
  /** The default in words, when the value alone does not say it (it depends on the machine). */
  shownDefault?: string;
}

/** A setting that may stay unset, and what happens then. */
interface OptionalSetting<T> extends SettingBase<T> {
  default: undefined;
  shownDefault: string;
}

type AnySetting = Setting<number> | Setting<string> | OptionalSetting<string> | OptionalSetting<number>;

function whole(min: number, max: number = Number.MAX_SAFE_INTEGER): Pick<SettingBase<number>, 'type' | 'expects' | 'envForm'> {
  const expects = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a whole number, 0 or more' : `a whole number, ${min} or more`) : `a whole number from ${min} to ${max}`;
  return { type: z.int().min(min).max(max), expects, envForm: 'number' };
}

function text(expects = 'text, not empty'): Pick<SettingBase<string>, 'type' | 'expects' | 'envForm'> {
  return { type: z.string().min(1).max(4096), expects, envForm: 'text' };
}

/** One of `values`, as text ("auto", "json" or "pretty"). */
function oneOf<T extends string>(values: readonly [T, ...T[]]): Pick<SettingBase<T>, 'type' | 'expects' | 'envForm'> {
  const shown = values.map((v) => JSON.stringify(v));
  return { type: z.enum(values), expects: `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`, envForm: 'text' };
}
/** Visible ASCII without spaces, long enough not to be guessed: what a bearer token header carries unchanged. */
const metricsToken = (): Pick<SettingBase<string>, 'type' | 'expects' | 'envForm'> => ({ type: z.string().regex(/^[\x21-\x7e]{32,512}$/), expects: '32 to 512 visible ASCII characters, no spaces (e.g. `openssl rand -hex 32`)', envForm: 'text' });

const httpUrl = (): Pick<SettingBase<string>, 'type' | 'expects' | 'envForm'> => ({ type: z.url({ protocol: /^https?$/ }).max(2048), expects: 'an http:// or https:// URL', envForm: 'text' });

const setting = <T>(s: Setting<T>): Setting<T> => s;
const optional = <T>(s: OptionalSetting<T>): OptionalSetting<T> => s;
/** A setting of oneOf's values, typed as their union (given: inference would widen it to string). */
const choice = <T extends string>(s: Setting<T>): Setting<T> => s;

const D = DEFAULT_REGISTRY_CONFIG;
/** The CLI unpacks what it installs within these; a registry may only be stricter. */
const CLIENT_UNPACK = DEFAULT_UNPACK_LIMITS;

/** Every setting, by section. Key names carry their unit (_ms, _bytes, _hours, _per_minute). */
export const SETTINGS = {
  server: {
    host: setting({ ...text('an address or host name'), default: '127.0.0.1', unit: '', flag: '--host', about: 'the address to listen on: 127.0.0.1 this machine only, 0.0.0.0 every interface' }),
    port: setting({ ...whole(0, 65535), default: 4873, unit: '', flag: '--port', about: 'the port to listen on; 0 picks a free one' }),
    public_url: optional({ ...httpUrl(), default: undefined, shownDefault: "each request's own origin", unit: '', flag: '--public-url', about: 'the origin written into tarball URLs and the addresses serve prints' }),
    workers: setting({ ...whole(1, 256), default: Math.min(256, Math.max(1, os.availableParallelism())), shownDefault: 'the number of cores', unit: 'threads', about: 'worker threads that verify uploads in the sandbox' }),
  },
  storage: {
    db: setting({ ...text('a file path'), default: path.normalize(DEFAULT_REGISTRY_DB), unit: '', flag: '--db', path: true, about: 'the SQLite database file; its folder also receives the first admin token' }),
    database: optional({ ...text('a postgres:// URL'), default: undefined, shownDefault: 'metadata in the SQLite file', unit: '', flag: '--database', variable: DATABASE_ENV, secret: true, about: 'metadata in PostgreSQL instead: postgres://user:password@host:5432/database (checked when the registry starts: EDBOPEN)' }),
    blobs: optional({ ...text('an s3:// URL'), default: undefined, shownDefault: 'tarballs in the metadata database', unit: '', flag: '--blobs', variable: BLOBS_ENV, secret: true, about: 'tarballs in S3-compatible storage: s3://bucket/prefix?endpoint=...&region=... (keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; checked when the registry starts: EBLOBURL)' }),
    stale_read_ms: setting({ ...whole(0, MAX_TIMER_MS), default: DEFAULT_STALE_READ_MS, unit: 'ms', flag: '--stale-read-ms', about: "PostgreSQL only: how long cached reads may rely on the database's change notifications between checks; 0 checks before every cached read" }),
  },
  limits: {
    max_tarball_bytes: setting({ ...whole(1, MAX_TARBALL_BYTES), default: D.maxTarballBytes, unit: 'bytes', about: 'the largest tarball a publish may upload (at most 10 MiB: the skills CLI downloads no larger tarball)' }),
    max_json_body_bytes: setting({ ...whole(1), default: D.maxJsonBodyBytes, unit: 'bytes', about: 'the largest body of every request but a publish (larger ones get 413 as soon as they pass it)' }),
    max_json_depth: setting({ ...whole(1, MAX_JSON_DEPTH), default: D.maxJsonDepth, unit: 'levels', about: 'the deepest nesting of arrays and objects in a JSON body' }),
    max_url_chars: setting({ ...whole(1), default: D.maxUrlLength, unit: 'characters', about: 'the longest request URL (longer ones get 414)' }),
    publishes_per_minute: setting({ ...whole(1), default: D.publishesPerMinute, unit: 'per minute', about: 'publishes one token may make' }),
    auth_failures_per_minute: setting({ ...whole(1), default: D.authFailuresPerMinute, unit: 'per minute', about: 'failed authentications (bad tokens, failed sign-ins) from one address before it gets 429' }),
    delete_window_hours: setting({ ...whole(0), default: D.deleteWindowHours, unit: 'hours', about: 'how long after publishing a version may still be deleted (later it can only be yanked); 0: never' }),
    max_verify_cases: setting({ ...whole(1), default: D.maxVerifyCases, unit: 'cases', about: 'the most fixtures one upload may carry; more are refused before anything runs' }),
    verify_budget_ms: setting({ ...whole(1, MAX_TIMER_MS), default: D.verifyBudgetMs, unit: 'ms', about: "wall time for verifying one upload's cases, queueing included" }),
    max_report_bytes: setting({ ...whole(1), default: D.maxReportBytes, unit: 'bytes', about: 'the largest verification report an error answer carries (further cases are counted, not sent)' }),
    report_excerpt_bytes: setting({ ...whole(1), default: D.reportExcerptBytes, unit: 'bytes', about: "the longest excerpt of one case's message, diff, console, value or error in a report" }),
    search_total_cap: setting({ ...whole(1), default: D.searchTotalCap, unit: 'matches', about: 'search counts matches this far; beyond it the total is a lower bound' }),
    max_package_files: setting({ ...whole(1, CLIENT_UNPACK.maxEntries), default: CLIENT_UNPACK.maxEntries, unit: 'files', about: 'the most files one package may hold (at most the CLI\'s own limit, so whatever is published installs)' }),
    max_unpacked_bytes: setting({ ...whole(1, CLIENT_UNPACK.maxUnpackedBytes), default: CLIENT_UNPACK.maxUnpackedBytes, unit: 'bytes', about: "the most bytes a package's files may hold together, unpacked (at most the CLI's own limit)" }),
    max_file_bytes: setting({ ...whole(1, CLIENT_UNPACK.maxFileBytes), default: CLIENT_UNPACK.maxFileBytes, unit: 'bytes', about: "the most bytes one file of a package may hold (at most the CLI's own limit)" }),
    max_compression_ratio: setting({ ...whole(1, CLIENT_UNPACK.maxCompressionRatio), default: CLIENT_UNPACK.maxCompressionRatio, unit: 'ratio', about: "the largest inflated/compressed ratio of a tarball once compression_grace_bytes have inflated (at most the CLI's own limit)" }),
    compression_grace_bytes: setting({ ...whole(0, CLIENT_UNPACK.ratioGraceBytes), default: CLIENT_UNPACK.ratioGraceBytes, unit: 'bytes', about: "bytes a tarball may inflate before its compression ratio is checked (at most the CLI's own)" }),
  },
  cache: {
    packument_bytes: setting({ ...whole(0), default: D.packumentCacheBytes, unit: 'bytes', about: 'memory for ready-to-send packument bodies (plain and gzip); 0 turns the cache off' }),
    tarball_bytes: setting({ ...whole(0), default: D.tarballCacheBytes, unit: 'bytes', about: 'memory for tarballs read from the blob store; 0 turns the cache off' }),
    search_bytes: setting({ ...whole(0), default: D.searchCacheBytes, unit: 'bytes', about: 'memory for search answers, kept until the next write; 0 ranks every search afresh' }),
  },
  sessions: {
    lifetime_hours: setting({ ...whole(1, 8760), default: D.sessionHours, unit: 'hours', about: "how long a web catalog sign-in lasts (never past its token's expiry)" }),
  },
  metrics: {
    port: optional({ ...whole(0, 65535), default: undefined, shownDefault: 'no metrics port', unit: '', about: 'serve the Prometheus metrics at /metrics on this port of metrics.host (0 picks a free one); metrics are collected only when this or metrics.token is set' }),
    host: setting({ ...text('an address or host name'), default: '127.0.0.1', unit: '', about: 'the address the metrics port listens on: 127.0.0.1 this machine only; any other address needs metrics.token' }),
    token: optional({ ...metricsToken(), default: undefined, shownDefault: 'no /-/metrics route', unit: '', redact: true, about: 'serve the metrics at /-/metrics on the main port too, to scrapes that send Authorization: Bearer <token> (compared in constant time); the metrics port then asks for it too. Give it in the file or the variable, never on a command line' }),
  },
  health: {
    probe_cache_ms: setting({ ...whole(0, MAX_TIMER_MS), default: D.healthProbeCacheMs, unit: 'ms', about: "how long /-/health/ready reuses the blob store's write probe and the worker pools' start check (a load balancer polling every second costs one probe per this); 0 probes on every request" }),
    check_timeout_ms: setting({ ...whole(1, MAX_TIMER_MS), default: D.healthCheckTimeoutMs, unit: 'ms', about: 'the longest one readiness check may take before it counts as failed (ECHECKTIMEOUT)' }),
    min_free_disk_bytes: setting({ ...whole(0), default: D.minFreeDiskBytes, unit: 'bytes', about: "SQLite: /-/health/ready reports not ready (EDBFULL) when the database's disk has less free space than this; 0 turns the check off" }),
  },
  log: {
    requests: setting({ ...text('"off", "stderr", "stdout" or a file path'), default: 'off', unit: '', flag: '--log', path: true, about: 'where log lines go: "stderr", "stdout", or a file they are appended to (created with mode 0600); "off": no request lines, and warnings and server errors on stderr' }),
    format: choice<LogFormat>({ ...oneOf(LOG_FORMATS), default: 'auto', unit: '', about: 'JSON lines, or text for a person (pino-pretty); "auto": pretty when the lines go to a terminal, JSON anywhere else' }),
    level: choice<LogLevel>({ ...oneOf(LOG_LEVELS), default: 'info', unit: '', flag: '--quiet', about: '"info": a line per request and every warning and error; "warn" or "error" drops the lines below it (a request answered 5xx is an error line); "silent": no line at all (what --quiet sets)' }),
  },
} as const;

type Settings = typeof SETTINGS;
type ValueOf<S> = S extends OptionalSetting<infer T> ? T | undefined : S extends Setting<infer T> ? T : never;

/** The effective value of every setting. */
export type RegistrySettings = { -readonly [S in keyof Settings]: { -readonly [K in keyof Settings[S]]: ValueOf<Settings[S][K]> } };
export type SettingSection = keyof Settings;
/** A setting's name: `section.key`. */
export type SettingKey = { [S in SettingSection]: `${S}.${keyof Settings[S] & string}` }[SettingSection];

/** Where an effective value came from. */
export type SettingOrigin =
  | { source: 'default' }
  | { source: 'file'; file: string; line?: number }
  | { source: 'env'; variable: string }
  | { source: 'flag'; flag: string };

export interface SettingEntry {
  key: SettingKey;
  section: SettingSection;
  name: string;
  setting: AnySetting;
  variable: string;
}

const SECTIONS = Object.keys(SETTINGS) as SettingSection[];

/** Prefix of the settings' own environment variables (SKILLS_REGISTRY alone is the CLI's registry URL). */
export const ENV_PREFIX = 'SKILLS_REGISTRY_';

/** Every setting in table order, with its environment variable. */
export const SETTING_ENTRIES: readonly SettingEntry[] = SECTIONS.flatMap((section) =>
  Object.entries(SETTINGS[section] as Record<string, AnySetting>).map(([name, setting]) => ({
    key: `${section}.${name}` as SettingKey,
    section,
    name,
    setting,
    variable: setting.variable ?? `${ENV_PREFIX}${section.toUpperCase()}_${name.toUpperCase()}`,
  })),
);

const BY_KEY = new Map(SETTING_ENTRIES.map((entry) => [entry.key, entry]));
const BY_VARIABLE = new Map(SETTING_ENTRIES.map((entry) => [entry.variable, entry]));

function entryOf(key: SettingKey): SettingEntry {
  return BY_KEY.get(key) as SettingEntry;
}

/** The config file's schema: every section optional, every key optional, nothing else. */
export const registryConfigFileSchema = z.strictObject(
  Object.fromEntries(
    SECTIONS.map((section) => [section, z.strictObject(Object.fromEntries(Object.entries(SETTINGS[section] as Record<string, AnySetting>).map(([name, s]) => [name, s.type.optional().describe(s.about)]))).optional()]),
  ),
);

/** A problem found in one layer: what is wrong, and where (a line of the file, or a variable). */
interface Problem {
  code: 'ECONFIGKEY' | 'ECONFIGVALUE';
  /** `line 7`, or the variable's name. */
  where: string | undefined;
  text: string;
  key?: string;
  line?: number;
  variable?: string;
}

/** Problems collected at most: a file of thousands of unknown keys is not walked for suggestions. */
const MAX_PROBLEMS = 20;
/** Problems the message spells out; the details hold every one collected. */
const SHOWN_PROBLEMS = 5;

function shown(value: unknown, format: 'toml' | 'json' = 'toml'): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return String(value);
  if (value instanceof Date) return 'a date';
  if (Array.isArray(value)) return 'an array';
  return format === 'toml' ? 'a table' : 'an object';
}

/** The setting a mistyped `name` (under `section`, or at the top when undefined) probably meant. */
function suggestion(section: string | undefined, name: string): string | undefined {
  if (section === undefined) {
    const sectionName = nearest(name, SECTIONS);
    if (sectionName) return sectionName;
  }
  const own = section !== undefined && Object.hasOwn(SETTINGS, section) ? nearest(name, Object.keys(SETTINGS[section as SettingSection])) : undefined;
  if (own) return `${section}.${own}`;
  // A key written in the wrong section, or with none.
  for (const other of SECTIONS) {
    const match = nearest(name, Object.keys(SETTINGS[other]));
    if (match) return `${other}.${match}`;
  }
  return undefined;
}

const didYouMean = (name: string | undefined) => (name ? ` (did you mean "${name}"?)` : '');

/**
 * One error for a layer's problems, with the code of the first (unknown keys come first: a
 * misspelt section explains the values under it; then by line or variable): `<source> line 7: ...`, or `<source>: line 7:
 * ...; line 9: ...` for several, on one line; every problem is in `details.problems`.
 */
function toError(source: string, problems: Problem[], hint: string): SkillsError {
  const rank = (p: Problem) => (p.code === 'ECONFIGKEY' ? 0 : 1);
  problems.sort((a, b) => rank(a) - rank(b) || (a.line ?? Infinity) - (b.line ?? Infinity) || (a.variable ?? '').localeCompare(b.variable ?? ''));
  const [first] = problems as [Problem, ...Problem[]];
  const say = (p: Problem) => `${p.where === undefined ? '' : `${p.where}: `}${p.text}`;
  const message =
    problems.length === 1
      ? `${source}${first.where === undefined ? '' : ` ${first.where}`}: ${first.text}`
      : `${source}: ${problems.slice(0, SHOWN_PROBLEMS).map(say).join('; ')}${problems.length > SHOWN_PROBLEMS ? `; and ${problems.length - SHOWN_PROBLEMS} more` : ''}`;
  return new SkillsError(first.code, message, { hint, details: { problems: problems.map(({ where: _where, ...problem }) => problem) } });
}

const FILE_HINT = 'fix the file there (docs/configuration.md lists every key, its type and range); nothing was started';
const KEY_HINT = 'use the keys docs/configuration.md lists (`skills serve --print-config` prints them all); nothing was started';
const ENV_KEY_HINT = 'use the variables docs/configuration.md lists, or unset that one; nothing was started';
const ENV_HINT = 'fix or unset that variable (docs/configuration.md lists every key and its variable); nothing was started';

/** Values one layer sets, checked, by key. */
type Layer = Map<SettingKey, { value: string | number; origin: SettingOrigin }>;

/** The config file's settings, checked against the schema: ECONFIGKEY or ECONFIGVALUE with the file and line. */
function fileLayer(doc: ConfigDocument): Layer {
  if (doc.value === null || typeof doc.value !== 'object' || Array.isArray(doc.value)) {
    throw new SkillsError('ECONFIGVALUE', `${doc.file} must hold ${doc.format === 'toml' ? 'tables' : 'an object'} of settings, not ${shown(doc.value, doc.format)}`, { hint: FILE_HINT });
  }
  const parsed = registryConfigFileSchema.safeParse(doc.value);
  if (!parsed.success) {
    const problems: Problem[] = [];
    const add = (code: Problem['code'], at: string[], text: string) => {
      const line = doc.lineOf(at);
      problems.push({ code, where: line === undefined ? undefined : `line ${line}`, text, key: at.join('.'), ...(line === undefined ? {} : { line }) });
    };
    for (const issue of parsed.error.issues) {
      const at = issue.path.map(String);
      if (issue.code === 'unrecognized_keys') {
        for (const name of issue.keys.slice(0, Math.max(0, MAX_PROBLEMS - problems.length))) add('ECONFIGKEY', [...at, name], `unknown key "${[...at, name].join('.')}"${didYouMean(suggestion(at[0], name))}`);
      } else if (problems.length < MAX_PROBLEMS) {
        const value = at.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], doc.value);
        const entry = at.length === 2 ? BY_KEY.get(at.join('.') as SettingKey) : undefined;
        add('ECONFIGVALUE', at, `${at.join('.')} must be ${entry ? entry.setting.expects : `${doc.format === 'toml' ? 'a table' : 'an object'} of settings`}, not ${shown(value, doc.format)}`);
      }
    }
    throw toError(doc.file, problems, problems.some((p) => p.code === 'ECONFIGKEY') ? KEY_HINT : FILE_HINT);
  }
  const layer: Layer = new Map();
  const data = parsed.data as Record<string, Record<string, string | number | undefined> | undefined>;
  for (const entry of SETTING_ENTRIES) {
    const value = data[entry.section]?.[entry.name];
    if (value === undefined) continue;
    const line = doc.lineOf([entry.section, entry.name]);
    layer.set(entry.key, { value, origin: { source: 'file', file: doc.file, ...(line === undefined ? {} : { line }) } });
  }
  return layer;
}

/** Variables a reader might guess for keys whose variable has another name (storage.database is SKILLS_DATABASE_URL). */
const GUESSED_VARIABLES = new Map(SETTING_ENTRIES.filter((e) => e.setting.variable !== undefined).map((e) => [`${ENV_PREFIX}${e.section.toUpperCase()}_${e.name.toUpperCase()}`, e]));

/**
 * The environment's settings: each key's variable (empty counts as unset), digits read as numbers
 * and checked against the same schema. Any other SKILLS_REGISTRY_* variable is ECONFIGKEY.
 */
function envLayer(env: NodeJS.ProcessEnv): Layer {
  const problems: Problem[] = [];
  const layer: Layer = new Map();
  const known = [...BY_VARIABLE.keys()].filter((v) => v.startsWith(ENV_PREFIX));
  for (const [variable, raw] of Object.entries(env)) {
    if (raw === undefined || raw === '') continue;
    const entry = BY_VARIABLE.get(variable);
    if (!entry) {
      if (!variable.startsWith(ENV_PREFIX) || problems.length >= MAX_PROBLEMS) continue;
      const guessed = GUESSED_VARIABLES.get(variable);
      const text = guessed ? `is not read: ${guessed.key} comes from ${guessed.variable}` : `names no setting${didYouMean(nearest(variable, known))}`;
      problems.push({ code: 'ECONFIGKEY', where: variable, text, variable });
      continue;
    }
    const value = entry.setting.envForm === 'number' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (!entry.setting.type.safeParse(value).success) {
      if (problems.length < MAX_PROBLEMS) problems.push({ code: 'ECONFIGVALUE', where: variable, text: `${shown(raw)} is not ${entry.setting.expects} (${entry.key})`, key: entry.key, variable });
      continue;
    }
    layer.set(entry.key, { value, origin: { source: 'env', variable } });
  }
  if (problems.length > 0) throw toError(problems.length === 1 ? 'environment variable' : 'environment variables', problems, problems.some((p) => p.code === 'ECONFIGKEY') ? ENV_KEY_HINT : ENV_HINT);
  return layer;
}

/** What the flags set (already parsed by commander), by key; checked against the schema (EUSAGE). */
export type SettingFlags = Partial<Record<SettingKey, string | number>>;

function flagLayer(flags: SettingFlags): Layer {
  const layer: Layer = new Map();
  for (const [key, value] of Object.entries(flags) as [SettingKey, string | number | undefined][]) {
    if (value === undefined) continue;
    const entry = entryOf(key);
    const flag = entry.setting.flag ?? key;
    if (!entry.setting.type.safeParse(value).success) {
      throw new SkillsError('EUSAGE', `${flag} ${shown(value)}: ${key} must be ${entry.setting.expects}`);
    }
    layer.set(key, { value, origin: { source: 'flag', flag } });
  }
  return layer;
}

export interface SettingsInput {
  /** The folder relative paths from flags and variables are resolved against. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `--config`, as given (relative to `cwd`). */
  configFile?: string | undefined;
  flags?: SettingFlags;
}

export interface ResolvedSettings {
  settings: RegistrySettings;
  origins: Record<SettingKey, SettingOrigin>;
  /** The config file read, absolute; undefined without --config. */
  configFile: string | undefined;
}

/**
 * The effective settings: flags > environment > config file > defaults. Paths (storage.db, a
 * log.requests file) from the file are relative to the folder of the path given for it (a link's
 * own folder), the others to `cwd`. Reads the config file and nothing else.
 */
export async function resolveSettings(input: SettingsInput): Promise<ResolvedSettings> {
  const configFile = input.configFile === undefined ? undefined : path.resolve(input.cwd, input.configFile);
  const file = configFile === undefined ? new Map() : fileLayer(await readConfigFile(configFile));
  const env = envLayer(input.env);
  const flags = flagLayer(input.flags ?? {});
  const values: Record<string, Record<string, string | number | undefined>> = Object.fromEntries(SECTIONS.map((s) => [s, {}]));
  const origins = {} as Record<SettingKey, SettingOrigin>;
  for (const entry of SETTING_ENTRIES) {
    const chosen = flags.get(entry.key) ?? env.get(entry.key) ?? file.get(entry.key);
    let value = chosen ? chosen.value : entry.setting.default;
    if (entry.setting.path && typeof value === 'string' && !(entry.key === 'log.requests' && (value === 'off' || value === 'stderr' || value === 'stdout'))) {
      value = path.resolve(chosen?.origin.source === 'file' && configFile ? path.dirname(configFile) : input.cwd, value);
    }
    (values[entry.section] as Record<string, string | number | undefined>)[entry.name] = value;
    origins[entry.key] = chosen ? chosen.origin : { source: 'default' };
  }
  const settings = values as RegistrySettings;
  const stale = origins['storage.stale_read_ms'];
  if (stale.source !== 'default' && settings.storage.database === undefined) {
    const text = 'storage.stale_read_ms applies to a registry on PostgreSQL (storage.database): SQLite checks before every cached read at no cost';
    if (stale.source === 'flag') throw new SkillsError('EUSAGE', `--stale-read-ms: ${text}`, { hint: 'drop --stale-read-ms, or add --database postgres://...' });
    throw new SkillsError('ECONFIGVALUE', `${describeOrigin(stale)}: ${text}`, { hint: 'remove it there, or set storage.database' });
  }
  const metricsHost = origins['metrics.host'];
  if (settings.metrics.token === undefined && settings.metrics.port !== undefined && !isLoopback(settings.metrics.host)) {
    throw new SkillsError('ECONFIGVALUE', `${describeOrigin(metricsHost)}: metrics.host ${JSON.stringify(settings.metrics.host)} is reachable from other machines, and metrics.token is not set: the metrics would be public`, {
      hint: 'set metrics.token (SKILLS_REGISTRY_METRICS_TOKEN) and give it to Prometheus as its bearer token, or keep metrics.host at 127.0.0.1',
    });
  }
  return { settings, origins, configFile };
}

/** Whether `host` is an address of this machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Where a value came from, in words: `flag --port`, `env SKILLS_REGISTRY_SERVER_PORT`, `file /srv/registry.toml line 3`, `default`. */
export function describeOrigin(origin: SettingOrigin): string {
  switch (origin.source) {
    case 'flag':
      return `flag ${origin.flag}`;
    case 'env':
      return `env ${origin.variable}`;
    case 'file':
      return `file ${origin.file}${origin.line === undefined ? '' : ` line ${origin.line}`}`;
    default:
      return 'default';
  }
}

/** A value as it may be shown: a URL's password and any password=... parameter replaced by ***, a secret setting's value by *** alone. */
export function shownValue(value: string | number | undefined, entry?: SettingEntry): string | number | null {
  if (value === undefined) return null;
  if (entry?.setting.redact) return '***';
  if (typeof value === 'number') return value;
  return maskSecrets(value);
}

export interface SettingReport {
  value: string | number | null;
  source: SettingOrigin['source'];
  flag?: string;
  variable?: string;
  file?: string;
  line?: number;
}

/** `skills serve --print-config --json`: every key, its value (secrets masked) and where it came from. */
export function settingsReport(resolved: ResolvedSettings): { configFile: string | null; settings: Record<SettingKey, SettingReport> } {
  const settings = {} as Record<SettingKey, SettingReport>;
  for (const entry of SETTING_ENTRIES) {
    const section = resolved.settings[entry.section] as Record<string, string | number | undefined>;
    const { source, ...where } = resolved.origins[entry.key];
    settings[entry.key] = { value: shownValue(section[entry.name], entry), source, ...where };
  }
  return { configFile: resolved.configFile ?? null, settings };
}

/** The same as TOML a person reads (and could save as a config file), each value with where it came from. */
export function settingsText(resolved: ResolvedSettings): string {
  const lines = ['# skills serve: effective settings (flags > environment > config file > defaults; secrets masked)'];
  lines.push(`# config file: ${resolved.configFile ?? 'none'}`);
  for (const section of SECTIONS) {
    lines.push('', `[${section}]`);
    const entries = SETTING_ENTRIES.filter((e) => e.section === section);
    // On SQLite the stale-read setting is commented out: the file this prints must read back.
    const unused = (entry: SettingEntry) => entry.key === 'storage.stale_read_ms' && resolved.settings.storage.database === undefined;
    const assignments = entries.map((entry) => {
      const value = shownValue((resolved.settings[section] as Record<string, string | number | undefined>)[entry.name], entry);
      if (value === null) return `# ${entry.name} not set`;
      return `${unused(entry) ? '# ' : ''}${entry.name} = ${typeof value === 'number' ? value : JSON.stringify(value)}`;
    });
    const width = Math.max(...assignments.map((a) => a.length));
    entries.forEach((entry, i) => {
      const origin = resolved.origins[entry.key];
      const note = origin.source === 'default' && entry.setting.shownDefault !== undefined ? `default: ${entry.setting.shownDefault}` : describeOrigin(origin);
      lines.push(`${(assignments[i] ?? '').padEnd(width)}  # ${note}${unused(entry) ? ' (PostgreSQL only)' : ''}`);
    });
  }
  return lines.join('\n');
}

/**
 * Where and how the registry logs (createLogOutput): "off" is stderr with request lines dropped,
 * so warnings and server errors still reach the operator.
 */
export function logOptionsOf(log: RegistrySettings['log']): Pick<LogOutputOptions, 'target' | 'format' | 'level'> {
  const { requests, format, level } = log;
  const target = requests === 'off' || requests === 'stderr' ? 'stderr' : requests === 'stdout' ? 'stdout' : { file: requests };
  return { target, format, level: requests === 'off' && level === 'info' ? 'warn' : level };
}

/** What startRegistry takes from the settings (the logger is the caller's: createLogOutput). */
export function startOptionsOf(settings: RegistrySettings): Omit<StartOptions, 'log'> & { config: Partial<RegistryConfig> } {
  const { server, storage, limits, cache, sessions, metrics, health } = settings;
  return {
    ...(metrics.port === undefined ? {} : { metrics: { port: metrics.port, host: metrics.host } }),
    port: server.port,
    host: server.host,
    db: storage.db,
    database: storage.database,
    blobs: storage.blobs,
    ...(storage.database === undefined ? {} : { staleReadMs: storage.stale_read_ms }),
    workers: server.workers,
    config: {
      ...(server.public_url === undefined ? {} : { publicUrl: server.public_url }),
      maxTarballBytes: limits.max_tarball_bytes,
      maxJsonBodyBytes: limits.max_json_body_bytes,
      maxJsonDepth: limits.max_json_depth,
      maxUrlLength: limits.max_url_chars,
      publishesPerMinute: limits.publishes_per_minute,
      authFailuresPerMinute: limits.auth_failures_per_minute,
      deleteWindowHours: limits.delete_window_hours,
      maxVerifyCases: limits.max_verify_cases,
      verifyBudgetMs: limits.verify_budget_ms,
      maxReportBytes: limits.max_report_bytes,
      reportExcerptBytes: limits.report_excerpt_bytes,
      searchTotalCap: limits.search_total_cap,
      unpackLimits: {
        maxEntries: limits.max_package_files,
        maxUnpackedBytes: limits.max_unpacked_bytes,
        maxFileBytes: limits.max_file_bytes,
        maxCompressionRatio: limits.max_compression_ratio,
        ratioGraceBytes: limits.compression_grace_bytes,
      },
      packumentCacheBytes: cache.packument_bytes,
      tarballCacheBytes: cache.tarball_bytes,
      searchCacheBytes: cache.search_bytes,
      sessionHours: sessions.lifetime_hours,
      ...(metrics.token === undefined ? {} : { metricsToken: metrics.token }),
      healthProbeCacheMs: health.probe_cache_ms,
      healthCheckTimeoutMs: health.check_timeout_ms,
      minFreeDiskBytes: health.min_free_disk_bytes,
    },
  };
}
