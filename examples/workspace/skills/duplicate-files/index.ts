import { directoryTree, readTextFile } from '../../servers/filesystem';

interface TreeNode {
  name: string;
  type: 'file' | 'directory';
  children?: TreeNode[];
}

export interface DuplicateGroup {
  bytes: number;
  paths: string[];
}

/** Groups the text files under `path` by identical content; returns groups of two or more. */
export async function findDuplicates(input: { path: string }): Promise<{ groups: DuplicateGroup[]; scanned: number }> {
  const tree = JSON.parse(((await directoryTree({ path: input.path })) as { content: string }).content) as TreeNode[];
  const paths: string[] = [];
  const walk = (nodes: TreeNode[], prefix: string): void => {
    for (const node of nodes) {
      const full = `${prefix}/${node.name}`;
      if (node.type === 'directory') walk(node.children ?? [], full);
      else paths.push(full);
    }
  };
  walk(tree, input.path.replace(/\/+$/, ''));
  paths.sort();
  const byContent = new Map<string, string[]>();
  for (const path of paths) {
    const { content } = (await readTextFile({ path })) as { content: string };
    byContent.set(content, [...(byContent.get(content) ?? []), path]);
  }
  const groups = [...byContent.entries()]
    .filter(([, group]) => group.length > 1)
    .map(([content, group]) => ({ bytes: content.length, paths: group }))
    .sort((a, b) => b.bytes - a.bytes || (a.paths[0]! < b.paths[0]! ? -1 : 1));
  return { groups, scanned: paths.length };
}
