/**
 * The files of a new skill. The example calls the `echo` tool of the reference MCP server
 * `@modelcontextprotocol/server-everything`, and its fixture is that server's real answer, so the
 * scaffold verifies offline and also runs live against the real server.
 */
import { parsePackageName } from '../../../schema/names';

export interface ScaffoldOptions {
  name: string;
  description?: string;
}

export function scaffoldFiles(options: ScaffoldOptions): Map<string, string> {
  const parsed = parsePackageName(options.name);
  if (!parsed) throw new TypeError(`invalid package name ${options.name}`);
  const description =
    options.description ?? `Greets someone through the echo tool of an MCP server. Use it as the starting point for ${parsed.name}.`;
  const files = new Map<string, string>();
  files.set(
    'SKILL.md',
    `---
name: ${parsed.name}
description: ${yamlString(description)}
---

# ${parsed.name}

${description}

## How to use

\`\`\`ts
import { greet } from './skills/${parsed.name}';

const { greeting } = await greet({ name: 'Ada' });
\`\`\`

\`greet\` calls the \`echo\` tool of the \`everything\` MCP server once and returns its text.

## Files

- \`index.ts\`: the code; its named exports are the skill's functions.
- \`skill.json\`: version, dependencies and the MCP tools the code may call.
- \`fixtures/\`: recorded MCP calls; \`skills verify\` replays them in a sandbox.
`,
  );
  files.set(
    'skill.json',
    `${JSON.stringify(
      {
        name: options.name,
        version: '0.1.0',
        entry: 'index.ts',
        dependencies: {},
        mcp: { everything: ['echo'] },
        keywords: [],
        license: 'MIT',
      },
      null,
      2,
    )}\n`,
  );
  files.set(
    'index.ts',
    `import { echo } from '../../../servers/everything';

export interface GreetInput {
  name: string;
}

/** Greets someone by echoing a message through the MCP server. */
export async function greet(input: GreetInput): Promise<{ greeting: string }> {
  const greeting = await echo({ message: \`Hello, \${input.name}!\` });
  return { greeting: String(greeting) };
}
`,
  );
  files.set(
    'fixtures/example.json',
    `${JSON.stringify(
      {
        description: 'greets Ada through the echo tool',
        call: { export: 'greet', args: [{ name: 'Ada' }] },
        mcp: [
          {
            server: 'everything',
            tool: 'echo',
            arguments: { message: 'Hello, Ada!' },
            result: { content: [{ type: 'text', text: 'Echo: Hello, Ada!' }] },
          },
        ],
        expect: { returns: { greeting: 'Echo: Hello, Ada!' } },
      },
      null,
      2,
    )}\n`,
  );
  return files;
}

/** A YAML scalar that stays a plain string whatever the text holds. */
function yamlString(text: string): string {
  return JSON.stringify(text);
}
