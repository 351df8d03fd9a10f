/**
 * Bundles a skill's entry with esbuild, in memory, for the sandbox. A plugin resolves every
 * import itself, so esbuild never touches the real file system: relative files inside the skill
 * folder or another skill folder of the workspace, and `servers/<server>[/<tool>]` virtual
 * modules for declared tools. Anything else (Node built-ins, packages, paths outside the
 * workspace's skills/) is an error naming the import. esbuild keeps one service process warm.
 */
import path from 'node:path/posix';
import { build, transform, type Message, type Plugin } from 'esbuild';
import { SkillsError } from '../schema/errors';
import type { McpDeclaration } from '../schema/manifest';
import { readManifest, type SourceTree } from './source-tree';
import { SERVERS_IMPORT_RE, serverModuleSource } from './server-module';

export interface BundleInput {
  tree: SourceTree;
  /** The folder (under the workspace's skills/) of the skill being bundled. */
  folder: string;
  /** The entry file, relative to the folder. */
  entry: string;
  /**
   * For a folder with no skill.json yet (an agent's code before `skills init --from`): the tools
   * a server offers, from the workspace's generated servers/ tree. Undefined: such imports fail.
   */
  availableTools?: (server: string) => Promise<string[] | undefined>;
}

export interface BundleResult {
  code: string;
  /** Every server/tool any bundled skill declares: what the bridge allows. */
  declared: McpDeclaration;
  /** Skill folders whose files ended up in the bundle. */
  folders: string[];
  durationMs: number;
}

const ROOT = '/skills';
const EXTENSIONS = ['', '.ts', '.mts', '.js', '.mjs', '.json', '/index.ts', '/index.mts', '/index.js', '/index.mjs'];

const LOADERS: Record<string, 'ts' | 'js' | 'json'> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };

function folderOf(virtualPath: string): string | undefined {
  if (!virtualPath.startsWith(`${ROOT}/`)) return undefined;
  return virtualPath.slice(ROOT.length + 1).split('/')[0];
}

/** Starts esbuild's service process now (its first build otherwise waits for it); never rejects. */
export function warmBundler(): Promise<void> {
  return transform('', { loader: 'js' }).then(
    () => undefined,
    () => undefined,
  );
}

export async function bundleSkill(input: BundleInput): Promise<BundleResult> {
  const started = performance.now();
  const violations: string[] = [];
  const declared: McpDeclaration = {};
  const folders = new Set<string>();
  // A folder that cannot be read (e.g. EBUNDLELINK) is reported as itself, not as a missing import.
  let treeError: SkillsError | undefined;
  const filesOf = async (folder: string): Promise<ReadonlyMap<string, Uint8Array> | undefined> => {
    try {
      return await input.tree.files(folder);
    } catch (error) {
      if (!(error instanceof SkillsError)) throw error;
      treeError ??= error;
      return undefined;
    }
  };

  const manifestOf = async (folder: string) => {
    const files = await filesOf(folder);
    return files ? readManifest(files) : undefined;
  };

  const resolveFile = async (wanted: string): Promise<string | undefined> => {
    const folder = folderOf(wanted);
    if (folder === undefined) return undefined;
    const files = await filesOf(folder);
    if (!files) return undefined;
    const rel = wanted.slice(ROOT.length + 1 + folder.length + 1);
    if (rel === '' || wanted === `${ROOT}/${folder}`) {
      const manifest = readManifest(files);
      const entry = manifest?.entry ?? 'index.ts';
      return files.has(entry) ? `${ROOT}/${folder}/${entry}` : undefined;
    }
    const candidates = EXTENSIONS.map((ext) => rel + ext);
    if (/\.m?js$/.test(rel)) candidates.push(rel.replace(/\.(m?)js$/, '.$1ts'));
    const hit = candidates.find((c) => files.has(c));
    return hit === undefined ? undefined : `${ROOT}/${folder}/${hit}`;
  };

  const plugin: Plugin = {
    name: 'skills-sandbox',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point') return { path: args.path, namespace: 'skill' };
        const importer = args.importer;
        const importerFolder = folderOf(importer) ?? input.folder;
        const spec = args.path;
        const server = SERVERS_IMPORT_RE.exec(spec);
        if (server && (spec.startsWith('.') || spec.startsWith('/'))) {
          const serverName = server[1] ?? '';
          const toolName = server[2];
          const manifest = await manifestOf(importerFolder);
          const tools = manifest ? manifest.mcp[serverName] : await input.availableTools?.(serverName);
          if (!tools) {
            violations.push(`${importer.slice(ROOT.length + 1)} imports "${spec}", but skill.json "mcp" declares no server "${serverName}"`);
            return { path: spec, namespace: 'violation' };
          }
          const tool = toolName === undefined || toolName === 'index' ? undefined : tools.find((t) => t === toolName || t.replace(/[^A-Za-z0-9]/g, '').toLowerCase() === toolName.replace(/[^A-Za-z0-9]/g, '').toLowerCase());
          if (toolName !== undefined && toolName !== 'index' && tool === undefined) {
            violations.push(`${importer.slice(ROOT.length + 1)} imports "${spec}", but skill.json "mcp" does not declare tool "${toolName}" of server "${serverName}"`);
            return { path: spec, namespace: 'violation' };
          }
          declared[serverName] = [...new Set([...(declared[serverName] ?? []), ...tools])];
          return { path: `${importerFolder}/${serverName}${tool ? `/${tool}` : ''}`, namespace: 'mcp', pluginData: { server: serverName, tools, tool } };
        }
        if (!spec.startsWith('.') && !spec.startsWith('/')) {
          const what = spec.startsWith('node:') || BUILTINS.has(spec.split('/')[0] ?? '') ? 'a Node built-in module' : 'a package';
          violations.push(`${importer.slice(ROOT.length + 1)} imports "${spec}", ${what}: skill code may import only relative files and servers/<server> modules`);
          return { path: spec, namespace: 'violation' };
        }
        const wanted = spec.startsWith('/') ? path.normalize(spec) : path.normalize(path.join(path.dirname(importer), spec));
        const folder = folderOf(wanted);
        if (folder === undefined || !(await filesOf(folder))) {
          violations.push(`${importer.slice(ROOT.length + 1)} imports "${spec}", which is outside the skill folder and the workspace's skills/`);
          return { path: spec, namespace: 'violation' };
        }
        const resolved = await resolveFile(wanted);
        if (resolved === undefined) {
          violations.push(`${importer.slice(ROOT.length + 1)} imports "${spec}", which does not exist`);
          return { path: spec, namespace: 'violation' };
        }
        return { path: resolved, namespace: 'skill' };
      });
      b.onLoad({ filter: /.*/, namespace: 'violation' }, () => ({ contents: '', loader: 'js' }));
      b.onLoad({ filter: /.*/, namespace: 'mcp' }, (args) => {
        const data = args.pluginData as { server: string; tools: string[]; tool?: string };
        return { contents: serverModuleSource(data.server, data.tools, data.tool), loader: 'js' };
      });
      b.onLoad({ filter: /.*/, namespace: 'skill' }, async (args) => {
        const folder = folderOf(args.path);
        const files = folder === undefined ? undefined : await filesOf(folder);
        const rel = folder === undefined ? '' : args.path.slice(ROOT.length + 1 + folder.length + 1);
        const bytes = files?.get(rel);
        if (folder === undefined || bytes === undefined) return { errors: [{ text: `cannot read ${args.path}` }] };
        folders.add(folder);
        const loader = LOADERS[path.extname(rel)];
        if (!loader) {
          violations.push(`${rel} in ${folder} has an extension the sandbox cannot load (use .ts, .js or .json)`);
          return { contents: '', loader: 'js' };
        }
        return { contents: bytes, loader };
      });
    },
  };

  const entryPath = `${ROOT}/${input.folder}/${input.entry}`;
  let output: string;
  try {
    const result = await build({
      entryPoints: [entryPath],
      bundle: true,
      write: false,
      format: 'iife',
      globalName: '__skill',
      platform: 'neutral',
      target: 'es2022',
      charset: 'utf8',
      logLevel: 'silent',
      plugins: [plugin],
    });
    output = result.outputFiles[0]?.text ?? '';
  } catch (error) {
    if (treeError) throw treeError;
    if (violations.length > 0) throw importError(violations);
    const messages = (error as { errors?: Message[] }).errors ?? [];
    const missing = messages.map((m) => /No matching export in "mcp:[^/"]+\/([^"/]+)" for import "([^"]+)"/.exec(m.text)).filter((m) => m !== null);
    if (missing.length > 0) {
      throw importError(missing.map((m) => `imports "${m[2]}" from servers/${m[1]}, but skill.json "mcp" declares no tool with that name for "${m[1]}"`));
    }
    const first = messages[0];
    const where = first?.location ? `${first.location.file.replace(`${ROOT}/`, '')}:${first.location.line}:${first.location.column}: ` : '';
    throw new SkillsError('EBUNDLE', `cannot bundle ${input.folder}/${input.entry}: ${where}${first?.text ?? String(error)}`, {
      hint: 'fix the syntax error; `skills verify` bundles with esbuild',
      details: { errors: messages.map((m) => m.text) },
    });
  }
  if (treeError) throw treeError;
  if (violations.length > 0) throw importError(violations);
  return { code: output, declared, folders: [...folders].sort(), durationMs: performance.now() - started };
}

function importError(violations: string[]): SkillsError {
  return new SkillsError('EBUNDLEIMPORT', violations[0] ?? 'a forbidden import', {
    hint: 'skills may import only their own files, other skills in ./skills, and servers/<server> tools declared in skill.json "mcp"',
    details: { imports: violations },
  });
}

const BUILTINS = new Set([
  'assert', 'async_hooks', 'buffer', 'child_process', 'cluster', 'console', 'constants', 'crypto', 'dgram', 'diagnostics_channel', 'dns', 'domain',
  'events', 'fs', 'http', 'http2', 'https', 'inspector', 'module', 'net', 'os', 'path', 'perf_hooks', 'process', 'punycode', 'querystring',
  'readline', 'repl', 'stream', 'string_decoder', 'sys', 'timers', 'tls', 'trace_events', 'tty', 'url', 'util', 'v8', 'vm', 'wasi', 'worker_threads', 'zlib',
]);
