/**
 * Connections to the workspace's MCP servers (`skills.json` `servers`), through the SDK's stdio
 * and Streamable HTTP clients: one connection per server per command, opened on first use with a
 * timeout, closed cleanly, and every failure an error that names the server.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SkillsError } from '../../../schema/errors';
import type { CallToolResult } from '../../../schema/fixture';
import type { ServerConfig } from '../../../schema/workspace';
import { CLI_VERSION } from '../../version';

export interface McpServersOptions {
  cwd: string;
  connectTimeoutMs?: number;
  callTimeoutMs?: number;
}

export class McpServers {
  readonly #clients = new Map<string, Promise<Client>>();

  constructor(
    readonly servers: Record<string, ServerConfig>,
    readonly options: McpServersOptions,
  ) {}

  names(): string[] {
    return Object.keys(this.servers).sort();
  }

  client(name: string): Promise<Client> {
    let pending = this.#clients.get(name);
    if (!pending) {
      pending = this.#connect(name);
      this.#clients.set(name, pending);
      pending.catch(() => this.#clients.delete(name));
    }
    return pending;
  }

  async #connect(name: string): Promise<Client> {
    const config = this.servers[name];
    if (!config) {
      throw new SkillsError('EMCPSERVERUNKNOWN', `skills.json configures no MCP server "${name}"`, { hint: `add it under "servers" in skills.json, e.g. { "${name}": { "command": "npx", "args": [...] } }` });
    }
    const client = new Client({ name: 'skills', version: CLI_VERSION });
    const transport =
      'url' in config
        ? new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } })
        : new StdioClientTransport({ command: config.command, args: config.args, env: { ...getDefaultEnvironment(), ...config.env }, cwd: config.cwd ?? this.options.cwd, stderr: 'ignore' });
    const timeout = this.options.connectTimeoutMs ?? 20_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        client.connect(transport),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new SkillsError('EMCPCONNECT', `cannot start or reach the MCP server "${name}": ${error instanceof Error ? error.message : String(error)}`, {
        hint: `check servers.${name} in skills.json`,
      });
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** Every page of tools/list, at most `maxTools` tools (a server that pages forever is refused). */
  async listTools(name: string, maxTools = 5000): Promise<Tool[]> {
    const client = await this.client(name);
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#guard(name, 'tools/list', () => client.listTools(cursor ? { cursor } : {}, { timeout: this.options.callTimeoutMs ?? 30_000 }));
      tools.push(...page.tools);
      if (tools.length > maxTools) {
        throw new SkillsError('ETOOMANYTOOLS', `MCP server "${name}" lists more than ${maxTools} tools`, { hint: 'configure the server to expose fewer tools (many servers take a tool filter option)' });
      }
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  async callTool(name: string, tool: string, args: Record<string, unknown>, timeoutMs?: number): Promise<CallToolResult> {
    const client = await this.client(name);
    const result = await this.#guard(name, `${tool}`, () => client.callTool({ name: tool, arguments: args }, undefined, { timeout: timeoutMs ?? this.options.callTimeoutMs ?? 30_000 }));
    return result as CallToolResult;
  }

  async #guard<T>(name: string, what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = /timed out|timeout/i.test(message) ? 'EMCPTIMEOUT' : 'EMCPCALL';
      throw new SkillsError(code, `MCP server "${name}" failed on ${what}: ${message}`, { hint: code === 'EMCPTIMEOUT' ? 'the server did not answer in time' : `check that servers.${name} is running correctly` });
    }
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((p) => p.then((c) => c.close()).catch(() => undefined)));
  }
}

/** Options from the environment: SKILLS_MCP_TIMEOUT_MS bounds connecting and each call. */
export function mcpOptions(cwd: string, env: NodeJS.ProcessEnv): McpServersOptions {
  const timeout = Number(env.SKILLS_MCP_TIMEOUT_MS);
  return Number.isFinite(timeout) && timeout > 0 ? { cwd, connectTimeoutMs: timeout, callTimeoutMs: timeout } : { cwd };
}
