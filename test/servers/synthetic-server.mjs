// A real MCP server (the SDK's, over stdio) with many tools shaped like a large cloud server's:
// `<service>_<resource>_<verb>` names, a block of parameters most tools share (tenant,
// subscription, auth, retries), required and optional resource parameters, enums, nested objects,
// arrays and output schemas on reads. For the context-economy tests and bench/context.ts.
//   SYNTHETIC_TOOLS   how many tools (default 500, at most 2000); taken round-robin over services
//   SYNTHETIC_CHANGE  "1": one description changes, one tool goes and one comes (a server update)
//   SYNTHETIC_ENDLESS "1": tools/list pages forever (a hostile server)
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const SERVICES = [
  ['storage', 'Azure-style Storage', ['account', 'container', 'blob', 'queue']],
  ['compute', 'virtual machine compute', ['vm', 'disk', 'snapshot', 'image']],
  ['network', 'virtual network', ['vnet', 'subnet', 'gateway', 'firewall']],
  ['sql', 'managed SQL database', ['server', 'database', 'elasticpool', 'firewallrule']],
  ['keyvault', 'Key Vault', ['secret', 'key', 'certificate', 'vault']],
  ['monitor', 'monitoring and metrics', ['metric', 'alert', 'workspace', 'logquery']],
  ['cosmos', 'Cosmos DB', ['account', 'database', 'container', 'item']],
  ['eventhubs', 'Event Hubs', ['namespace', 'hub', 'consumergroup', 'partition']],
  ['servicebus', 'Service Bus', ['namespace', 'queue', 'topic', 'subscription']],
  ['appservice', 'App Service', ['webapp', 'plan', 'slot', 'setting']],
  ['functions', 'Functions', ['app', 'function', 'binding', 'key']],
  ['aks', 'Kubernetes Service', ['cluster', 'nodepool', 'addon', 'upgrade']],
  ['acr', 'Container Registry', ['registry', 'repository', 'tag', 'webhook']],
  ['redis', 'Redis cache', ['cache', 'firewallrule', 'accesspolicy', 'patch']],
  ['search', 'AI Search', ['service', 'index', 'indexer', 'datasource']],
  ['postgres', 'PostgreSQL flexible server', ['server', 'database', 'config', 'backup']],
  ['mysql', 'MySQL flexible server', ['server', 'database', 'config', 'replica']],
  ['dns', 'DNS', ['zone', 'recordset', 'resolver', 'link']],
  ['cdn', 'content delivery network', ['profile', 'endpoint', 'origin', 'rule']],
  ['iot', 'IoT Hub', ['hub', 'device', 'route', 'certificate']],
  ['batch', 'Batch', ['account', 'pool', 'job', 'task']],
  ['loadtesting', 'Load Testing', ['resource', 'test', 'run', 'metric']],
  ['workbooks', 'Workbooks', ['workbook', 'template', 'revision', 'share']],
  ['quota', 'quotas and usage', ['usage', 'limit', 'request', 'region']],
  ['speech', 'Speech services', ['transcription', 'synthesis', 'model', 'endpoint']],
];
const VERBS = [
  ['list', 'Lists', 'in a resource group or subscription. Returns names, locations, provisioning state and tags; use it to find the exact name before calling the get or update tools.'],
  ['get', 'Gets the configuration and properties of', 'by name. Returns the full resource including its SKU, network settings and current status.'],
  ['create', 'Creates or provisions', 'with the given settings. Fails when a resource with the same name already exists in the resource group.'],
  ['update', 'Updates or reconfigures', 'in place. Only the properties given are changed; tags replace the existing set.'],
  ['delete', 'Deletes', 'permanently. This cannot be undone: dependent resources must be removed first.'],
];

const SHARED = {
  tenant: { type: 'string', description: 'The Microsoft Entra ID tenant ID or name. This can be either the GUID identifier or the display name of your Entra ID tenant.' },
  subscription: { type: 'string', description: 'Specifies the subscription to use. Accepts either a subscription ID (GUID) or display name. If not specified, the SUBSCRIPTION_ID environment variable will be used instead.' },
  'auth-method': { type: 'string', enum: ['Credential', 'Key', 'ConnectionString'], description: "Authentication method to use. Options: 'credential' (CLI/managed identity), 'key' (access key), or 'connectionString'." },
  'retry-delay': { type: 'number', description: 'Initial delay in seconds between retry attempts. For exponential backoff, this value is used as the base.' },
  'retry-max-retries': { type: 'integer', description: 'Maximum number of retry attempts for failed operations before giving up.' },
  'retry-mode': { type: 'string', enum: ['Fixed', 'Exponential'], description: "Retry strategy to use. 'fixed' uses consistent delays, 'exponential' increases delay between attempts." },
  'retry-network-timeout': { type: 'number', description: 'Network operation timeout in seconds. Operations taking longer than this will be cancelled.' },
};
const RESOURCE_GROUP = { type: 'string', description: 'The name of the resource group. This is a logical container for resources.' };

function toolsOf(count, change) {
  const all = [];
  // Round-robin over services, so any count covers every service (and so every group) evenly.
  for (let r = 0; r < 4; r++) {
    for (let v = 0; v < VERBS.length; v++) {
      for (const [service, label, resources] of SERVICES) {
        const resource = resources[r];
        const [verb, lead, tail] = VERBS[v];
        const name = `${service}_${resource}_${verb}`;
        const properties = { ...SHARED, 'resource-group': RESOURCE_GROUP };
        const required = ['resource-group'];
        if (verb !== 'list') {
          properties[`${resource}-name`] = { type: 'string', description: `The name of the ${label} ${resource}.` };
          required.push(`${resource}-name`);
        } else {
          properties.top = { type: 'integer', minimum: 1, maximum: 1000, description: 'Return at most this many items.' };
          properties.filter = { type: 'string', description: `An OData filter over the ${resource} properties, e.g. "location eq 'westeurope'".` };
        }
        if (verb === 'create' || verb === 'update') {
          properties.location = { type: 'string', description: 'The region of the resource, e.g. westeurope.' };
          properties.sku = { type: 'object', description: 'The pricing tier.', properties: { name: { type: 'string' }, tier: { type: 'string', enum: ['Basic', 'Standard', 'Premium'] }, capacity: { type: 'integer' } }, required: ['name'] };
          properties.tags = { type: 'object', additionalProperties: { type: 'string' }, description: 'Tags as name-value pairs.' };
          properties['allowed-ips'] = { type: 'array', items: { type: 'string' }, description: 'IP addresses or CIDR ranges allowed through the firewall.' };
        }
        const tool = {
          name,
          description: `${lead} ${label} ${resource}s ${tail}`,
          inputSchema: { type: 'object', properties, required, additionalProperties: false },
          annotations: { title: `${lead} ${resource}`, readOnlyHint: verb === 'list' || verb === 'get', destructiveHint: verb === 'delete' },
        };
        if (verb === 'get' || verb === 'list') {
          const item = { type: 'object', properties: { name: { type: 'string' }, location: { type: 'string' }, provisioningState: { type: 'string', enum: ['Succeeded', 'Failed', 'Updating'] }, tags: { type: 'object', additionalProperties: { type: 'string' } } }, required: ['name', 'location'] };
          tool.outputSchema = verb === 'list' ? { type: 'object', properties: { items: { type: 'array', items: item }, nextLink: { type: ['string', 'null'] } }, required: ['items'] } : item;
        }
        all.push(tool);
      }
    }
  }
  const tools = all.slice(0, count);
  if (change) {
    tools[0] = { ...tools[0], description: `${tools[0].description} Changed in version 2.` };
    tools.pop();
    tools.push({ name: 'storage_account_rotate', description: 'Rotates the access keys of a storage account.', inputSchema: { type: 'object', properties: { ...SHARED, 'account-name': { type: 'string' } }, required: ['account-name'] } });
  }
  return tools;
}

const count = Math.min(2000, Math.max(1, Number(process.env.SYNTHETIC_TOOLS ?? 500) || 500));
const tools = toolsOf(count, process.env.SYNTHETIC_CHANGE === '1');
const byName = new Map(tools.map((t) => [t.name, t]));

const server = new Server({ name: 'synthetic-cloud', title: 'Synthetic cloud server', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async (request) => {
  if (process.env.SYNTHETIC_ENDLESS !== '1') return { tools };
  const page = Number(request.params?.cursor ?? 0);
  return { tools: Array.from({ length: 500 }, (_, i) => ({ name: `endless_${page}_${i}`, inputSchema: { type: 'object' } })), nextCursor: String(page + 1) };
});
server.setRequestHandler(CallToolRequestSchema, async (request) => {
  const tool = byName.get(request.params.name);
  if (!tool) return { content: [{ type: 'text', text: `no tool ${request.params.name}` }], isError: true };
  const args = request.params.arguments ?? {};
  const nameKey = Object.keys(args).find((k) => k.endsWith('-name'));
  const item = { name: String(nameKey ? args[nameKey] : 'example'), location: 'westeurope', provisioningState: 'Succeeded', tags: {} };
  const verb = tool.name.split('_').pop();
  const structured = verb === 'list' ? { items: [item], nextLink: null } : verb === 'get' ? item : undefined;
  const text = JSON.stringify(structured ?? { ok: true, tool: tool.name, arguments: args });
  return structured ? { content: [{ type: 'text', text }], structuredContent: structured } : { content: [{ type: 'text', text }] };
});
await server.connect(new StdioServerTransport());
