import { directoryTree, getFileInfo } from '../../servers/filesystem';

interface TreeNode {
  name: string;
  type: 'file' | 'directory';
  children?: TreeNode[];
}

export interface LargeFile {
  path: string;
  bytes: number;
}

/** The largest files under `path`, largest first. */
export async function findLargeFiles(input: { path: string; minBytes?: number; limit?: number }): Promise<{ files: LargeFile[]; totalBytes: number; scanned: number }> {
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
  const sized: LargeFile[] = [];
  for (const path of paths) {
    const info = ((await getFileInfo({ path })) as { content: string }).content;
    const match = /^size: (\d+)$/m.exec(info);
    if (!match) throw new Error(`no size in the file info of ${path}`);
    sized.push({ path, bytes: Number(match[1]) });
  }
  const minBytes = input.minBytes ?? 0;
  const files = sized
    .filter((f) => f.bytes >= minBytes)
    .sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1))
    .slice(0, input.limit ?? 20);
  return { files, totalBytes: sized.reduce((sum, f) => sum + f.bytes, 0), scanned: sized.length };
}
