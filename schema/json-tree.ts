/** Walking a JSON document parsed by jsonc-parser (which, unlike JSON.parse, keeps every key written). */
import type { Node, printParseErrorCode } from 'jsonc-parser';

export interface VisitedProperty {
  /** The path of the object holding the property. */
  path: readonly string[];
  key: string;
  property: Node;
  /** The offset of an earlier property with the same key in the same object. */
  earlier: number | undefined;
}

/** Every property of every object in `tree`, objects nested in arrays included. */
export function walkProperties(tree: Node, visit: (visited: VisitedProperty) => void): void {
  const stack: { node: Node; path: string[] }[] = [{ node: tree, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { node, path } = item;
    if (node.type === 'array') {
      node.children?.forEach((child, i) => stack.push({ node: child, path: [...path, String(i)] }));
      continue;
    }
    if (node.type !== 'object') continue;
    const seen = new Map<string, number>();
    for (const property of node.children ?? []) {
      const key = String(property.children?.[0]?.value ?? '');
      visit({ path, key, property, earlier: seen.get(key) });
      if (!seen.has(key)) seen.set(key, property.offset);
      const value = property.children?.[1];
      if (value) stack.push({ node: value, path: [...path, key] });
    }
  }
}

/** What each of jsonc-parser's syntax errors means, for people. */
export const JSON_SYNTAX_MESSAGES: Partial<Record<ReturnType<typeof printParseErrorCode>, string>> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a key in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected a colon after the key',
  CommaExpected: 'expected a comma',
  CloseBraceExpected: 'expected a closing }',
  CloseBracketExpected: 'expected a closing ]',
  EndOfFileExpected: 'unexpected text after the end of the JSON',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'a comment is not closed (*/)',
  UnexpectedEndOfString: 'a string is not closed (")',
  UnexpectedEndOfNumber: 'a number ends too early',
  InvalidUnicode: 'invalid \\u escape',
  InvalidEscapeCharacter: 'invalid escape in a string',
  InvalidCharacter: 'a control character in a string (escape it, e.g. \\n)',
};
