// The PII tokenizer on its own: what skill code would get from a tool result (the parsed value,
// keys included, decoded base64 included), phone numbers both ways, stable tokens, the way back.
import { describe, expect, it } from 'vitest';
import type { CallToolResult } from '../schema/fixture';
import { workspaceSchema } from '../schema/workspace';
import { toolResultToOutcome } from '../sandbox/call-result';
import { PiiTokenizer, PiiVault } from '../sandbox/pii';

const RAW = ['ada@example.com', 'grace@example.org'];
/** What skill code gets from a result after tokenization, as JSON text. */
const seen = (pii: PiiTokenizer, result: CallToolResult) => {
  const outcome = toolResultToOutcome(pii.tokenize(result));
  return JSON.stringify(outcome.ok ? outcome.value : outcome.message);
};
const noRaw = (text: string) => {
  for (const raw of RAW) expect(text).not.toContain(raw);
  expect(text).not.toMatch(/ada(@|%40|&#64;|\\u0040)/);
};

describe('e-mails wherever skill code can read them', () => {
  it('tokenizes e-mails used as object keys, and gives the keys back to tools', () => {
    const pii = new PiiTokenizer();
    const result = { content: [], structuredContent: { 'ada@example.com': { name: 'Ada' }, nested: [{ 'grace@example.org': 1 }] } };
    const out = pii.tokenize(result).structuredContent as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['[EMAIL_1]', 'nested']);
    expect(out.nested).toEqual([{ '[EMAIL_2]': 1 }]);
    expect(pii.detokenize({ '[EMAIL_1]': true })).toEqual({ 'ada@example.com': true });
  });

  it('tokenizes the parsed value of JSON text, so \\u0040 escapes do not hide an address', () => {
    const pii = new PiiTokenizer();
    const text = String.raw`{"owner":"ada\u0040example.com","cc":["grace\u0040example.org"]}`;
    const value = seen(pii, { content: [{ type: 'text', text }] });
    noRaw(value);
    expect(JSON.parse(value)).toEqual({ owner: '[EMAIL_1]', cc: ['[EMAIL_2]'] });
    // JSON held in a string value of structured content, too.
    noRaw(JSON.stringify(JSON.parse(seen(pii, { content: [], structuredContent: { payload: text } }) as string)));
  });

  it('tokenizes an address whose @ is percent-, entity- or backslash-encoded', () => {
    const pii = new PiiTokenizer();
    for (const written of ['mailto:ada%40example.com', 'ada&#64;example.com', 'ada&#x40;example.com', 'ada&commat;example.com', String.raw`ada\u0040example.com`, 'ada%40example%2Ecom', 'ada&#64;example&#46;com']) {
      expect(pii.tokenizeText(written)).toMatch(/\[EMAIL_1\]$/);
    }
    // Every spelling is the same value: one token, which goes back to tools as a plain address.
    expect(pii.detokenizeText('[EMAIL_1]')).toBe('ada@example.com');
  });

  it('decodes base64 (blobs, base64url bodies, wrapped lines, data URLs), tokenizes the text and encodes it back the same way', () => {
    const pii = new PiiTokenizer();
    const body = 'From: ada@example.com\r\nTo: grace@example.org\r\n\r\nhello';
    const blob = { content: [{ type: 'resource', resource: { uri: 'mem://c.csv', mimeType: 'text/csv', blob: Buffer.from(body).toString('base64') } }] };
    const resource = (pii.tokenize(blob).content[0] as { resource: { blob: string } }).resource;
    const decoded = Buffer.from(resource.blob, 'base64').toString();
    expect(decoded).toBe('From: [EMAIL_1]\r\nTo: [EMAIL_2]\r\n\r\nhello');
    expect(resource.blob).toBe(Buffer.from(decoded).toString('base64'));

    const url = pii.tokenize({ payload: { data: Buffer.from(body).toString('base64url') } }).payload.data;
    expect(url).not.toMatch(/[+/=]/);
    expect(Buffer.from(url, 'base64url').toString()).toContain('From: [EMAIL_1]');

    const long = `${'x'.repeat(120)} ada@example.com ${'y'.repeat(120)}`;
    const wrapped = Buffer.from(long).toString('base64').replace(/(.{76})/g, '$1\n');
    const rewrapped = pii.tokenizeText(wrapped);
    expect(rewrapped.split('\n')[0]).toHaveLength(76);
    expect(Buffer.from(rewrapped.replace(/\n/g, ''), 'base64').toString()).toContain(' [EMAIL_1] ');

    const dataUrl = pii.tokenizeText(`<a href="data:text/plain;base64,${Buffer.from('mail grace@example.org').toString('base64')}">x</a>`);
    expect(Buffer.from(/base64,([^"]+)/.exec(dataUrl)?.[1] ?? '', 'base64').toString()).toBe('mail [EMAIL_2]');
    // The way back decodes too: a base64 argument built from tokens reaches the tool with the real values.
    expect(Buffer.from(pii.detokenizeText(Buffer.from('to [EMAIL_1]').toString('base64')), 'base64').toString()).toBe('to ada@example.com');
  });

  it('refuses binary content (EPIIBINARY) unless privacy.binary is "allow"; leaves ordinary base64-looking ids alone', () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR tEXt author ada@example.com')]).toString('base64');
    const image = { content: [{ type: 'image', data: png, mimeType: 'image/png' }] };
    expect(() => new PiiTokenizer().tokenize(image)).toThrow(expect.objectContaining({ code: 'EPIIBINARY' }));
    expect(() => new PiiTokenizer().tokenize({ content: [{ type: 'image', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0]).toString('base64'), mimeType: 'image/jpeg' }] })).toThrow(expect.objectContaining({ code: 'EPIIBINARY' }));
    expect(new PiiTokenizer({ binary: 'allow' }).tokenize(image)).toEqual(image);
    // Binary in an ordinary string is refused only when personal data shows in its bytes.
    expect(() => new PiiTokenizer().tokenize({ attachment: png })).toThrow(expect.objectContaining({ code: 'EPIIBINARY' }));
    for (const encoding of ['utf16le', 'utf16be'] as const) {
      const bytes = Buffer.from('\ufeffmail ada@example.com', 'utf16le');
      if (encoding === 'utf16be') bytes.swap16();
      expect(() => new PiiTokenizer().tokenize({ attachment: bytes.toString('base64') })).toThrow(expect.objectContaining({ code: 'EPIIBINARY' }));
    }
    const ids = { sha: 'Zm9vYmFyYmF6cXV4', token: 'dGhpcyBpcyBmaW5l', key: 'AAECAwQFBgcICQoLDA0ODw==', word: 'configuration' };
    expect(new PiiTokenizer().tokenize(ids)).toEqual(ids);
  });
});

describe('phone numbers (libphonenumber)', () => {
  it('tokenizes international formats and labelled bare numbers', () => {
    const pii = new PiiTokenizer();
    const out = pii.tokenize({ uk: '+44 20 7946 0958', de: 'Tel. +49 30 1234567', us: 'call 5551234567', mobile: '5551234567', text: 'ring (415) 555-0100 or 415.555.0101', fax: 4155550199, tel: '+1 555 123 4567' });
    expect(out).toEqual({ uk: '[PHONE_1]', de: 'Tel. [PHONE_2]', us: 'call [PHONE_3]', mobile: '[PHONE_3]', text: 'ring [PHONE_4] or [PHONE_5]', fax: '[PHONE_6]', tel: '[PHONE_3]' });
    // A number that was a JSON number goes back to tools as a number.
    expect(pii.detokenize({ fax: '[PHONE_6]', note: 'fax [PHONE_6]', mobile: '[PHONE_3]' })).toEqual({ fax: 4155550199, note: 'fax 4155550199', mobile: '5551234567' });
  });

  it('takes a bare number among phone numbers for one, and leaves labelled ids alone', () => {
    const pii = new PiiTokenizer();
    expect(pii.tokenizeText('Reach Ada at +44 20 7946 0958, Bob at +49 30 1234567 or 5551234567')).toBe('Reach Ada at [PHONE_1], Bob at [PHONE_2] or [PHONE_3]');
    expect(pii.tokenize({ contacts: ['5551234567', '+44 20 7946 0958'], list: 'ids 1234567890 and 4155550123', ada: 'Ada 5551234567' })).toEqual({ contacts: ['[PHONE_3]', '[PHONE_1]'], list: 'ids 1234567890 and 4155550123', ada: 'Ada [PHONE_3]' });
  });

  it('catches an unlabelled bare number written as a configured region writes its own (issue 23), not other bare runs', () => {
    // US (the default): ten digits with an area code of 2-9, alone and unlabelled, in text, JSON text and values.
    const us = new PiiTokenizer();
    expect(us.tokenizeText('5551234567')).toBe('[PHONE_1]');
    expect(us.tokenize({ note: 'Ada 5551234567', value: '4155550123', text: JSON.stringify({ n: '2125550188' }) })).toEqual({ note: 'Ada [PHONE_1]', value: '[PHONE_2]', text: JSON.stringify({ n: '[PHONE_3]' }) });
    expect(us.detokenizeText('[PHONE_1]')).toBe('5551234567');
    // Not caught: labelled identifiers, a timestamp (area code 1), a leading 0, nine and eleven digits,
    // runs inside words or other tokens, and JSON numbers under keys that do not say phone.
    const ordinary = {
      orderId: '5551234567',
      text: 'order 5551234567, invoice 4155550123, ref 2125550188, account 3105550199, ticket id 6465550123',
      ts: '1735689600',
      value: '1735689600',
      zero: '0123456789',
      nine: '555123456',
      eleven: '55512345678',
      word: 'abc5551234567',
      path: '/orders/5551234567',
      sku: 'A-5551234567',
      amount: 5551234567,
    };
    expect(new PiiTokenizer().tokenize(ordinary)).toEqual(ordinary);
    // GB and DE: the trunk prefix 0 and a number valid there; a possible-but-invalid one stays a number.
    const eu = new PiiTokenizer({ phoneRegions: ['GB', 'DE'] });
    expect(eu.tokenizeText('London 02079460958, Berlin 03012345678')).toBe('London [PHONE_1], Berlin [PHONE_2]');
    expect(eu.tokenizeText('batch 0000000000 and 0123456789, case 5551234567')).toBe('batch 0000000000 and 0123456789, case 5551234567');
    // With a +1 region among several, the NANP rule applies too.
    expect(new PiiTokenizer({ phoneRegions: ['GB', 'CA'] }).tokenizeText('5551234567 or 02079460958')).toBe('[PHONE_1] or [PHONE_2]');
  });

  it('finds national numbers of the configured regions, 00 prefixes, and labelled numbers of any region', () => {
    const pii = new PiiTokenizer({ phoneRegions: ['GB', 'DE'] });
    expect(pii.tokenizeText('office 020 7946 0958, Berlin 030 1234567, Mobil 0151 23456789')).toBe('office [PHONE_1], Berlin [PHONE_2], Mobil [PHONE_3]');
    const us = new PiiTokenizer();
    expect(us.tokenizeText('0044 20 7946 0958 = +44 20 7946 0958')).toBe('[PHONE_1] = [PHONE_1]');
    expect(us.tokenize({ text: 'Tel: 020 7946 0958', phone: '02079460958', contactId: '1234567', result: 'rows 1234567' })).toEqual({ text: 'Tel: [PHONE_2]', phone: '[PHONE_2]', contactId: '1234567', result: 'rows 1234567' });
  });

  it('leaves ordinary numbers alone: ids, sizes, dates, times, versions, addresses, hashes, prices', () => {
    const ordinary = {
      orderId: '4155550123',
      order: 'order 4155550123',
      orderNo: 'order 415-555-0123',
      id: 'user 1234567890',
      plain: '1735689600',
      size: '1048576 bytes',
      bytes: 4294967296,
      total: 5551234567,
      created: '2024-01-15',
      at: '2025-12-31T10:00:00Z',
      when: '12/31/2025 23:59',
      version: '1.2.3',
      semver: 'v10.20.30-beta.1',
      ts: '1735689600',
      ms: 1735689600123,
      ip: '192.168.100.200',
      uuid: '123e4567-e89b-12d3-a456-426614174000',
      sha: 'd41d8cd98f00b204e9800998ecf8427e',
      count: '2 147 483 647',
      grouped: '1,234,567,890',
      isbn: '978-3-16-148410-0',
      price: '1234567.89',
      pi: '3.14159265358979',
      coords: '-122.4194155, 37.7749295',
      card: '4111 1111 1111 1111',
      range: 'rows 1000-2000',
    };
    expect(new PiiTokenizer().tokenize(ordinary)).toEqual(ordinary);
  });

  it('gives every spelling of one number one token', () => {
    const pii = new PiiTokenizer();
    expect(pii.tokenizeText('+1 415 555 0100 / (415) 555-0100 / 415-555-0100 / +14155550100')).toBe('[PHONE_1] / [PHONE_1] / [PHONE_1] / [PHONE_1]');
    expect(pii.detokenizeText('[PHONE_1]')).toBe('+1 415 555 0100');
    // Numbers run together with single spaces are read one after another.
    expect(pii.tokenizeText('phones: 415 555 0101 415 555 0102 +44 20 7946 0958')).toBe('phones: [PHONE_2] [PHONE_3] [PHONE_4]');
  });
});

describe('tokens', () => {
  it('are stable within a vault, across results, and shared by a session', () => {
    const vault = new PiiVault();
    const first = new PiiTokenizer({}, vault);
    expect(first.tokenizeText('a ada@example.com b grace@example.org')).toBe('a [EMAIL_1] b [EMAIL_2]');
    expect(first.tokenize({ again: ['grace@example.org', 'ada@example.com'] })).toEqual({ again: ['[EMAIL_2]', '[EMAIL_1]'] });
    // A second run of the same session (another tokenizer, same vault) sees the same tokens.
    expect(new PiiTokenizer({}, vault).tokenizeText('ada@example.com')).toBe('[EMAIL_1]');
  });

  it('never resolves a token from another run to a value of this one', () => {
    const pii = new PiiTokenizer();
    // The agent passes a token it got from an earlier run: this vault did not issue it.
    // Where it stands in the input does not matter: it is reserved before anything is issued.
    expect(pii.tokenize(['grace@example.org', '[EMAIL_1]'])).toEqual(['[EMAIL_2]', '[EMAIL_1]']);
    expect(pii.detokenize({ to: '[EMAIL_1]', cc: '[EMAIL_2]' })).toEqual({ to: '[EMAIL_1]', cc: 'grace@example.org' });
  });

  it('uses privacy.patterns with their labels, validated in skills.json', () => {
    const pii = new PiiTokenizer({ patterns: { EMPLOYEE: String.raw`EMP-\d{6}`, IBAN: String.raw`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){4}(?: ?[A-Z0-9]{1,4})?\b` } });
    expect(pii.tokenize({ who: 'EMP-123456 paid to DE89 3704 0044 0532 0130 00', again: 'EMP-123456' })).toEqual({ who: '[EMPLOYEE_1] paid to [IBAN_1]', again: '[EMPLOYEE_1]' });
    expect(pii.detokenizeText('[IBAN_1]')).toBe('DE89 3704 0044 0532 0130 00');
    const parse = (privacy: unknown) => workspaceSchema.safeParse({ privacy }).success;
    expect(parse({ patterns: { OK: 'x\\d+' } })).toBe(true);
    expect(parse({ patterns: { BAD: '(' } })).toBe(false);
    expect(parse({ patterns: { EMPTY: 'x*' } })).toBe(false);
    expect(parse({ patterns: { EMAIL: 'x' } })).toBe(false);
    expect(parse({ phoneRegions: ['gb'] })).toBe(false);
    expect(parse({ binary: 'maybe' })).toBe(false);
  });

  it('fails closed (EPIIUNCHECKED) on what it cannot check within its bounds', () => {
    let deep: unknown = 'ada@example.com';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(() => new PiiTokenizer().tokenize({ deep })).toThrow(expect.objectContaining({ code: 'EPIIUNCHECKED' }));
    let nested = 'ada@example.com';
    for (let i = 0; i < 6; i++) nested = JSON.stringify({ v: nested });
    expect(() => new PiiTokenizer().tokenizeText(nested)).toThrow(expect.objectContaining({ code: 'EPIIUNCHECKED' }));
    // Thousands of distinct phone-shaped sequences in one value: more than the checks it may spend.
    const many = Array.from({ length: 6000 }, (_, i) => `+1 415 ${String(200 + (i % 700)).padStart(3, '0')} ${String(i).padStart(4, '0')}`).join(', ');
    expect(() => new PiiTokenizer().tokenizeText(many)).toThrow(expect.objectContaining({ code: 'EPIIUNCHECKED' }));
    // Junk digit runs cost nothing: single digits and dates are never candidates.
    expect(new PiiTokenizer().tokenizeText('1 '.repeat(100_000))).toBe('1 '.repeat(100_000));
  });
});
