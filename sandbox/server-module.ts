/**
 * The virtual module an `import ... from '.../servers/<server>'` resolves to inside the sandbox:
 * one async function per declared tool, named by its camelCase form, each forwarding to the host
 * bridge. `.../servers/<server>/<tool>` gives that one function as a named and default export.
 */
import { toolExportName } from '../schema/names';

export const SERVERS_IMPORT_RE = /(?:^|\/)servers\/([^/]+)(?:\/([^/]+?))?(?:\/index)?(?:\.[mc]?[jt]s)?$/;

export function serverModuleSource(server: string, tools: readonly string[], onlyTool?: string): string {
  const lines = ['const call = globalThis.__skillsHost.call;'];
  const exported: string[] = [];
  tools.forEach((tool, i) => {
    if (onlyTool !== undefined && tool !== onlyTool) return;
    lines.push(`const t${i} = (args) => call(${JSON.stringify(server)}, ${JSON.stringify(tool)}, args);`);
    exported.push(`t${i} as ${toolExportName(tool)}`);
    if (onlyTool !== undefined) exported.push(`t${i} as default`);
  });
  lines.push(`export { ${exported.join(', ')} };`);
  return lines.join('\n');
}

/** Tools whose camelCase names collide cannot both be exported. */
export function exportNameCollisions(tools: readonly string[]): string[] {
  const seen = new Map<string, string>();
  const collisions: string[] = [];
  for (const tool of tools) {
    const name = toolExportName(tool);
    const other = seen.get(name);
    if (other !== undefined) collisions.push(`${other} and ${tool} both become ${name}`);
    seen.set(name, tool);
  }
  return collisions;
}
