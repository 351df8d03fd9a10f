import { directoryTree } from '../../servers/filesystem';

interface TreeNode {
  name: string;
  type: 'file' | 'directory';
  children?: TreeNode[];
}

export interface FolderReport {
  files: number;
  folders: number;
  maxDepth: number;
  byExtension: { extension: string; files: number }[];
  markdown: string;
}

/** Summarises the tree under `path`: counts, depth and the most common extensions. */
export async function summarizeFolder(input: { path: string; top?: number; exclude?: string[] }): Promise<FolderReport> {
  const result = (await directoryTree({ path: input.path, excludePatterns: input.exclude ?? [] })) as { content: string };
  const tree = JSON.parse(result.content) as TreeNode[];
  const counts = new Map<string, number>();
  let files = 0;
  let folders = 0;
  let maxDepth = 0;
  const walk = (nodes: TreeNode[], depth: number): void => {
    for (const node of nodes) {
      maxDepth = Math.max(maxDepth, depth);
      if (node.type === 'directory') {
        folders++;
        walk(node.children ?? [], depth + 1);
      } else {
        files++;
        const dot = node.name.lastIndexOf('.');
        const extension = dot > 0 ? node.name.slice(dot).toLowerCase() : '(none)';
        counts.set(extension, (counts.get(extension) ?? 0) + 1);
      }
    }
  };
  walk(tree, 1);
  const byExtension = [...counts.entries()]
    .map(([extension, n]) => ({ extension, files: n }))
    .sort((a, b) => b.files - a.files || (a.extension < b.extension ? -1 : 1))
    .slice(0, input.top ?? 10);
  const markdown = [
    `## ${input.path}`,
    '',
    `${files} files in ${folders} folders, ${maxDepth} levels deep.`,
    '',
    ...byExtension.map((e) => `- ${e.extension}: ${e.files}`),
  ].join('\n');
  return { files, folders, maxDepth, byExtension, markdown };
}
