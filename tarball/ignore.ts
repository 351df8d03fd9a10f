/**
 * `.skillsignore`: a gitignore subset. Supported: `#` comments, blank lines, `*`, `?`, `**`,
 * `[...]` classes, a trailing `/` (folders only), a leading or inner `/` (anchored to the skill
 * root), and `!` negation (the last matching line wins; as in git, a file inside an ignored
 * folder cannot be re-included). Paths given to the matcher are relative with forward slashes.
 */
export const ALWAYS_IGNORED = new Set(['node_modules', '.git', '.DS_Store']);

interface Rule {
  negate: boolean;
  directoryOnly: boolean;
  regex: RegExp;
}

export type IgnoreMatcher = (relativePath: string, isDirectory: boolean) => boolean;

export function parseIgnoreFile(text: string): IgnoreMatcher {
  const rules: Rule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
      line = line.slice(1);
    }
    let directoryOnly = false;
    if (line.endsWith('/')) {
      directoryOnly = true;
      line = line.slice(0, -1);
    }
    if (line === '') continue;
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globToRegex(line);
    const regex = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
    rules.push({ negate, directoryOnly, regex });
  }
  return (relativePath, isDirectory) => {
    let ignored = false;
    for (const rule of rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.regex.test(relativePath)) ignored = !rule.negate;
    }
    return ignored;
  };
}

function globToRegex(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') {
      if (glob.charAt(i + 1) === '*') {
        const atStart = i === 0 || glob.charAt(i - 1) === '/';
        const atEnd = i + 2 === glob.length || glob.charAt(i + 2) === '/';
        if (atStart && atEnd) {
          if (i + 2 === glob.length) {
            out += '.*';
          } else {
            out += '(?:.*/)?';
            i++; // also consume the slash after **
          }
          i++;
          continue;
        }
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
      } else {
        let cls = glob.slice(i + 1, close);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      i++;
      out += escapeRegex(glob.charAt(i));
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
