// Privacy in live runs, end to end: real `skills run --live` processes, real MCP servers from npm
// (filesystem, memory) and test/servers/pii-server.mjs, whose results carry personal data in the
// forms that used to slip through (keys, JSON escapes, base64, binary, international phones).
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../testkit/cli';
import { tempDir } from '../testkit/temp';

const node = process.execPath;
const serverPath = (pkg: string) => path.join(ROOT, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');
const PII_SERVER = path.join(ROOT, 'test', 'servers', 'pii-server.mjs');
const RAW = ['ada@example.com', 'grace@example.org', 'help@acme.test', 'EMP-123456', '7946 0958', '1234567', '5551234567'];

// Skill code cannot call atob in the sandbox; this is what a skill would write to decode base64.
const DECODE = `function decode64(s: string): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let bits = 0, n = 0, out = '';
  for (const c of s.replace(/-/g, '+').replace(/_/g, '/').replace(/[^A-Za-z0-9+/]/g, '')) {
    bits = ((bits << 6) | abc.indexOf(c)) & 0xffffff; n += 6;
    if (n >= 8) { n -= 8; out += String.fromCharCode((bits >> n) & 255); }
  }
  return out;
}
`;

let ws: string;
let data: string;
let log: string;
let config: Record<string, unknown>;
const writeConfig = async (privacy: Record<string, unknown>) => fs.writeFile(path.join(ws, 'skills.json'), JSON.stringify({ ...config, privacy }));

beforeAll(async () => {
  ws = await tempDir('privacy');
  data = path.join(ws, 'data');
  log = path.join(ws, 'sent.log');
  await fs.mkdir(data, { recursive: true });
  await fs.writeFile(path.join(data, 'contacts.txt'), 'Ada <ada@example.com>, badge EMP-123456\n');
  // A real PNG header with an address in a text chunk: binary the detectors cannot vouch for.
  await fs.writeFile(path.join(data, 'photo.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR\0\0\0\x01tEXtAuthor\0ada@example.com')]));
  config = {
    dependencies: {},
    servers: {
      pii: { command: node, args: [PII_SERVER], env: { PII_LOG: log } },
      filesystem: { command: node, args: [serverPath('server-filesystem'), data] },
      memory: { command: node, args: [serverPath('server-memory')], env: { MEMORY_FILE_PATH: path.join(ws, 'memory.jsonl') } },
    },
  };
  await writeConfig({ tokenizePii: true, patterns: { EMPLOYEE: String.raw`EMP-\d{6}` } });
});
afterAll(async () => {
  await fs.rm(ws, { recursive: true, force: true });
});

async function writeSkill(name: string, code: string, mcp: Record<string, string[]>): Promise<string> {
  const dir = path.join(ws, 'skills', name);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'SKILL.md'), `---\nname: ${name}\ndescription: A skill written by the privacy tests.\n---\n\nBody.\n`);
  await fs.writeFile(path.join(dir, 'skill.json'), JSON.stringify({ name: `@privacy/${name}`, version: '1.0.0', mcp }));
  await fs.writeFile(path.join(dir, 'index.ts'), code);
  return dir;
}

const sentLog = async () => (await fs.readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { to: string; body?: string });
const expectNoRaw = (text: string) => {
  for (const raw of RAW) expect(text).not.toContain(raw);
};

describe('skills run --live with privacy.tokenizePii', () => {
  it('tokenizes e-mails in keys, behind JSON escapes and inside base64 bodies and blobs before the skill sees them', async () => {
    const dir = await writeSkill(
      'reader',
      `import { contactsByEmail, escaped, message, blobResource } from '../../servers/pii';
import { readMediaFile } from '../../servers/filesystem';
${DECODE}
export async function run(root: string) {
  const byEmail = (await contactsByEmail({})) as Record<string, { name: string; phone: string }>;
  const esc = (await escaped({})) as { owner: string; cc: string[]; note: string };
  const msg = (await message({})) as { payload: { body: { data: string } } };
  const blob = (await blobResource({})) as { type: string; resource: { blob: string } }[];
  const media = (await readMediaFile({ path: root + '/contacts.txt' })) as { content: { resource: { blob: string } }[] };
  console.log('first contact', Object.keys(byEmail)[0], 'support help@acme.test');
  return {
    keys: Object.keys(byEmail),
    phones: Object.values(byEmail).map((c) => c.phone),
    escaped: esc,
    body: decode64(msg.payload.body.data),
    blob: decode64(blob[0].resource.blob),
    media: decode64(media.content[0].resource.blob),
    constant: 'help@acme.test',
  };
}
`,
      { pii: ['contacts_by_email', 'escaped', 'message', 'blob_resource'], filesystem: ['read_media_file'] },
    );
    const result = await runCli(['run', dir, '--export', 'run', '--args', JSON.stringify([data]), '--live', '--record', 'read', '--json'], { cwd: ws });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expectNoRaw(result.stdout);
    const out = result.json<{ value: Record<string, unknown>; console: { text: string }[] }>();
    expect(out.value).toEqual({
      keys: ['[EMAIL_1]', '[EMAIL_2]'],
      phones: ['[PHONE_1]', '[PHONE_2]'],
      escaped: { owner: '[EMAIL_1]', cc: ['[EMAIL_2]'], note: 'write to [EMAIL_1] or [EMAIL_1]' },
      body: 'From: [EMAIL_1]\r\nTo: [EMAIL_2]\r\n\r\nCall me on [PHONE_1].',
      blob: 'name,email\nAda,[EMAIL_1]\n',
      media: 'Ada <[EMAIL_1]>, badge [EMPLOYEE_1]\n',
      // What the skill returns or prints is tokenized too: a constant in its code included.
      constant: '[EMAIL_3]',
    });
    expect(out.console[0]?.text).toBe('first contact [EMAIL_1] support [EMAIL_3]');
    // The recording holds what the skill saw (and its own constant, which is in its code anyway), and replays offline.
    const fixture = await fs.readFile(path.join(dir, 'fixtures', 'read.json'), 'utf8');
    expectNoRaw(fixture.replaceAll('help@acme.test', ''));
    const verify = await runCli(['verify', dir, '--json'], { cwd: ws });
    expect(verify.code, verify.stdout).toBe(0);
  }, 60_000);

  it('tokenizes international phone numbers and leaves ordinary numbers alone', async () => {
    const dir = await writeSkill('phones', "import { phones } from '../../servers/pii';\nexport async function run() { return phones({}); }\n", { pii: ['phones'] });
    const result = await runCli(['run', dir, '--export', 'run', '--live', '--json'], { cwd: ws });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    for (const raw of ['7946', '+49 30 1234567', '5551234567']) expect(result.stdout).not.toContain(raw);
    expect(result.json<{ value: unknown }>().value).toEqual({
      uk: '[PHONE_1]',
      de: 'Tel. [PHONE_2]',
      us: 'call [PHONE_3]',
      mobile: '[PHONE_3]',
      fax: '[PHONE_3]',
      ordinary: { orderId: '4155550123', order: 'order 4155550123', size: '1048576 bytes', bytes: 4294967296, created: '2024-01-15', at: '2025-12-31T10:00:00Z', version: '1.2.3', ts: '1735689600', ip: '192.168.100.200', uuid: '123e4567-e89b-12d3-a456-426614174000', count: '2 147 483 647', isbn: '978-3-16-148410-0', price: '1234567.89' },
    });
  });

  it('refuses binary content (EPIIBINARY), and lets it through unchecked with privacy.binary "allow"', async () => {
    const dir = await writeSkill(
      'media',
      "import { readMediaFile } from '../../servers/filesystem';\nexport async function run(file: string) { const r = (await readMediaFile({ path: file })) as { content: { type: string; mimeType: string; data: string }[] }; return { type: r.content[0].type, mimeType: r.content[0].mimeType, chars: r.content[0].data.length }; }\n",
      { filesystem: ['read_media_file'] },
    );
    const refused = await runCli(['run', dir, '--export', 'run', '--args', JSON.stringify([path.join(data, 'photo.png')]), '--live', '--json'], { cwd: ws });
    expect(refused.code).toBe(1);
    expect(refused.json<{ status: string; error: { code: string } }>()).toMatchObject({ status: 'failed', error: { code: 'EPIIBINARY' } });
    expectNoRaw(refused.stdout);
    await writeConfig({ tokenizePii: true, binary: 'allow' });
    try {
      const allowed = await runCli(['run', dir, '--export', 'run', '--args', JSON.stringify([path.join(data, 'photo.png')]), '--live', '--json'], { cwd: ws });
      expect(allowed.code, allowed.stdout + allowed.stderr).toBe(0);
      expect(allowed.json<{ value: unknown }>().value).toMatchObject({ type: 'image', mimeType: 'image/png' });
    } finally {
      await writeConfig({ tokenizePii: true, patterns: { EMPLOYEE: String.raw`EMP-\d{6}` } });
    }
  });

  it('gives tools the real values back: server-memory stores the real address, and reading it back yields the same token', async () => {
    await fs.rm(log, { force: true });
    const dir = await writeSkill(
      'remember',
      `import { contactsByEmail, send } from '../../servers/pii';
import { createEntities, openNodes } from '../../servers/memory';
import { readTextFile } from '../../servers/filesystem';
export async function run(root: string) {
  const byEmail = (await contactsByEmail({})) as Record<string, { name: string; phone: string }>;
  const [email] = Object.keys(byEmail);
  const text = String(((await readTextFile({ path: root + '/contacts.txt' })) as { content: string }).content);
  const badge = /\\[EMPLOYEE_\\d+\\]/.exec(text)?.[0] ?? 'none';
  await createEntities({ entities: [{ name: email, entityType: 'person', observations: ['phone ' + byEmail[email].phone, 'badge ' + badge] }] });
  const back = (await openNodes({ names: [email] })) as { entities: { name: string; observations: string[] }[] };
  await send({ to: email, body: 'badge ' + badge + ', phone ' + byEmail[email].phone });
  await workspace.write('notes/' + email + '/note.txt', 'wrote to ' + email);
  return { email, badge, back: back.entities, notes: await workspace.list('notes'), note: await workspace.read('notes/' + email + '/note.txt') };
}
`,
      { pii: ['contacts_by_email', 'send'], memory: ['create_entities', 'open_nodes'], filesystem: ['read_text_file'] },
    );
    const result = await runCli(['run', dir, '--export', 'run', '--args', JSON.stringify([data]), '--live', '--json'], { cwd: ws });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expectNoRaw(result.stdout);
    expect(result.json<{ value: unknown }>().value).toEqual({
      email: '[EMAIL_1]',
      badge: '[EMPLOYEE_1]',
      back: [{ name: '[EMAIL_1]', entityType: 'person', observations: ['phone [PHONE_1]', 'badge [EMPLOYEE_1]'] }],
      notes: ['notes/[EMAIL_1]/note.txt'],
      note: 'wrote to [EMAIL_1]',
    });
    // The tools and the workspace folder got the real values (privacy.patterns included).
    const memory = await fs.readFile(path.join(ws, 'memory.jsonl'), 'utf8');
    expect(memory).toContain('"name":"ada@example.com"');
    expect(memory).toContain('phone +44 20 7946 0958');
    expect(memory).toContain('badge EMP-123456');
    expect(await sentLog()).toEqual([{ to: 'ada@example.com', body: 'badge EMP-123456, phone +44 20 7946 0958' }]);
    expect(await fs.readFile(path.join(ws, 'workspace', 'notes', 'ada@example.com', 'note.txt'), 'utf8')).toBe('wrote to ada@example.com');
  }, 60_000);

  it('--record-raw stores the real values in the fixture (with a warning), and the fixture still verifies', async () => {
    const dir = await writeSkill(
      'raw',
      "import { contactsByEmail, send } from '../../servers/pii';\nexport async function run() { const c = (await contactsByEmail({})) as Record<string, unknown>; const [to] = Object.keys(c); return { to, sent: await send({ to }) }; }\n",
      { pii: ['contacts_by_email', 'send'] },
    );
    const tokenized = await runCli(['run', dir, '--export', 'run', '--live', '--record', 'tokens', '--json'], { cwd: ws });
    const raw = await runCli(['run', dir, '--export', 'run', '--live', '--record', 'raw', '--record-raw', '--json'], { cwd: ws });
    for (const r of [tokenized, raw]) {
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.json<{ value: unknown }>().value).toEqual({ to: '[EMAIL_1]', sent: 'sent to [EMAIL_1]' });
    }
    expect(raw.json<{ warnings: string[] }>().warnings).toEqual([expect.stringContaining('--record-raw')]);
    const tokens = JSON.parse(await fs.readFile(path.join(dir, 'fixtures', 'tokens.json'), 'utf8')) as { mcp: { arguments: unknown; result: { structuredContent?: Record<string, unknown>; content: { text?: string }[] } }[]; expect: unknown };
    const real = JSON.parse(await fs.readFile(path.join(dir, 'fixtures', 'raw.json'), 'utf8')) as typeof tokens;
    expectNoRaw(JSON.stringify(tokens));
    expect(Object.keys(real.mcp[0]?.result.structuredContent ?? {})).toEqual(['ada@example.com', 'grace@example.org']);
    expect(real.mcp[1]?.arguments).toEqual({ to: 'ada@example.com' });
    expect(real.mcp[1]?.result.content[0]?.text).toBe('sent to ada@example.com');
    expect(real.expect).toEqual({ returns: { to: 'ada@example.com', sent: 'sent to ada@example.com' } });
    expect(tokens.expect).toEqual({ returns: { to: '[EMAIL_1]', sent: 'sent to [EMAIL_1]' } });
    const verify = await runCli(['verify', dir, '--json'], { cwd: ws });
    expect(verify.code, verify.stdout).toBe(0);
    expect(verify.json<{ cases: { case: string; status: string }[] }>().cases.map((c) => [c.case, c.status]).sort()).toEqual([
      ['raw', 'passed'],
      ['tokens', 'passed'],
    ]);
  }, 60_000);

  it('tokenizes the arguments of the run and server error messages; a token from another run is never resolved', async () => {
    await fs.rm(log, { force: true });
    const dir = await writeSkill(
      'args',
      "import { send, refuse } from '../../servers/pii';\nexport async function run(to: string, old: string) { let error = ''; try { await refuse({}); } catch (e) { error = (e as Error).message; } return { to, old, sent: await send({ to, body: old }), error }; }\n",
      { pii: ['send', 'refuse'] },
    );
    const result = await runCli(['run', dir, '--export', 'run', '--args', JSON.stringify(['grace@example.org', '[EMAIL_1]']), '--live', '--json'], { cwd: ws });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expectNoRaw(result.stdout);
    const out = result.json<{ args: unknown; value: unknown }>();
    // [EMAIL_1] came from an earlier run: this run issues [EMAIL_2] instead and never resolves [EMAIL_1].
    expect(out.value).toEqual({ to: '[EMAIL_2]', old: '[EMAIL_1]', sent: 'sent to [EMAIL_2]: [EMAIL_1]', error: 'no mailbox for [EMAIL_3]' });
    expect(out.args).toEqual(['[EMAIL_2]', '[EMAIL_1]']);
    expect(await sentLog()).toEqual([{ to: 'grace@example.org', body: '[EMAIL_1]' }]);
  });
});
