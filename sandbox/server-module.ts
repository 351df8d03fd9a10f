/**
 * The virtual module an `import ... from '.../servers/<server>'` resolves to inside the sandbox:
 * one async function per declared tool, named as the generated servers/ tree names it
 * (`toolExportNames`), each forwarding to the host bridge. `.../servers/<server>/<tool>` gives that
 * one function as a named and default export.
 */
import { toolExportNames, toolIdentifier } from '../schema/names';

export const SERVERS_IMPORT_RE = /(?:^|\/)servers\/([^/]+)(?:\/([^/]+?))?(?:\/index)?(?:\.[mc]?[jt]s)?$/;

export function serverModuleSource(server: string, tools: readonly string[], onlyTool?: string): string {
  const lines = ['const call = globalThis.__skillsHost.call;'];
  const names = toolExportNames(tools);
  const used = new Set(names.values());
  const exported: string[] = [];
  [...names].forEach(([tool, name], i) => {
    if (onlyTool !== undefined && tool !== onlyTool) return;
    lines.push(`const t${i} = (args) => call(${JSON.stringify(server)}, ${JSON.stringify(tool)}, args);`);
    exported.push(`t${i} as ${name}`);
    // skill.json declares a subset of the server's tools: where the whole server has a collision,
    // the tree names this tool by its own spelling, and that name must import here too.
    const spelled = toolIdentifier(tool);
    if (!used.has(spelled)) {
      used.add(spelled);
      exported.push(`t${i} as ${spelled}`);
    }
    if (onlyTool !== undefined) exported.push(`t${i} as default`);
  });
  lines.push(`export { ${exported.join(', ')} };`);
  return lines.join('\n');
}
