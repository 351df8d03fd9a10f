/**
 * Committed secrets, in every text file (a key in a Markdown code block is still committed).
 * Values are never shown: excerpts keep the vendor prefix and mask the rest.
 *
 * Rule ids: `secret-private-key`, `secret-cloud-key` (AWS, Google Cloud, Azure, ...),
 * `secret-service-token` (GitHub, npm, Slack, Stripe, OpenAI, Anthropic, ...), `secret-env-file`
 * (a committed .env assigning secret-looking names), `secret-example-key` (info: a vendor's
 * documented example key, recognised as one).
 */
import type { Severity } from '../../schema/audit-report';
import { excerptAround } from '../text';
import { finding, type Emit, type TextFile } from '../types';

interface SecretPattern {
  rule: string;
  vendor: string;
  re: RegExp;
  /** Which capture group is the secret value (0: the whole match). */
  group?: number;
  severity?: Severity;
  /** A further check on the value. */
  shape?: (value: string) => boolean;
}

const SECRET_PATTERNS: readonly SecretPattern[] = [
  { rule: 'secret-cloud-key', vendor: 'AWS access key id', re: /\b((?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16})\b/g, group: 1 },
  { rule: 'secret-cloud-key', vendor: 'AWS secret access key', re: /\b(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key|SecretAccessKey)\b["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi, group: 1 },
  { rule: 'secret-cloud-key', vendor: 'Google API key', re: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g, group: 1 },
  { rule: 'secret-cloud-key', vendor: 'Google OAuth client secret', re: /\b(GOCSPX-[0-9A-Za-z_-]{28})(?![0-9A-Za-z_-])/g, group: 1 },
  { rule: 'secret-cloud-key', vendor: 'Azure storage account key', re: /\bAccountKey=([A-Za-z0-9+/]{86}==)/g, group: 1 },
  { rule: 'secret-cloud-key', vendor: 'DigitalOcean token', re: /\b(do[opr]_v1_[a-f0-9]{64})\b/g, group: 1 },
  { rule: 'secret-cloud-key', vendor: 'Alibaba Cloud access key id', re: /\b(LTAI[A-Za-z0-9]{16,20})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'GitHub token', re: /\b(gh[pousr]_[A-Za-z0-9]{36,251})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'GitHub fine-grained token', re: /\b(github_pat_[A-Za-z0-9_]{82})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'GitLab token', re: /\b(glpat-[A-Za-z0-9_-]{20,100})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'npm token', re: /\b(npm_[A-Za-z0-9]{36})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'npm auth token in .npmrc', re: /:_authToken=([A-Za-z0-9_-]{20,200})/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'Slack token', re: /\b(xox[abposr]-[0-9A-Za-z-]{10,250})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'Slack webhook', re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/(T[A-Z0-9]{6,40}\/[A-Z0-9]{6,40}\/[A-Za-z0-9]{16,80})/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'Stripe live key', re: /\b((?:sk|rk)_live_[0-9a-zA-Z]{20,200})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'Stripe test key', re: /\b((?:sk|rk)_test_[0-9a-zA-Z]{20,200})\b/g, group: 1, severity: 'low' },
  // No literal after a variable run (that would backtrack at every "sk-"): the shape is checked on the value.
  { rule: 'secret-service-token', vendor: 'OpenAI API key', re: /\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,400})/g, group: 1, shape: (v) => v.includes('T3BlbkFJ') || /^sk-(?:proj|svcacct|admin)-/.test(v) },
  { rule: 'secret-service-token', vendor: 'Anthropic API key', re: /\b(sk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,300})/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'Hugging Face token', re: /\b(hf_[A-Za-z0-9]{34,100})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'SendGrid key', re: /\b(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'Twilio key', re: /\b(SK[0-9a-fA-F]{32})\b/g, group: 1 },
  { rule: 'secret-service-token', vendor: 'skills registry token', re: /\b(skr_[A-Za-z0-9]{16}_[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/g, group: 1 },
];

/**
 * Keys that vendors publish in their own documentation as examples (AWS, Slack, Stripe, GitHub,
 * Azure's storage emulator). They authenticate nothing; a finding says they were recognised.
 */
const DOCUMENTED_EXAMPLES = new Set([
  'AKIAIOSFODNN7EXAMPLE',
  'AKIAI44QH8DHBEXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY',
  'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
  'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
  'sk_test_BQokikJOvBiI2HlWgH4olfQ2',
  'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
]);

/** A placeholder or an example by its look: EXAMPLE in it, xxxx, 0000, long runs, too few distinct characters. */
export function looksLikePlaceholder(value: string): boolean {
  if (/example|sample|dummy|placeholder|your[_-]?|redacted|changeme|fake|not[_-]?a[_-]?real|xxxx|XXXX|0000|\*\*\*\*|\.\.\.|<|>/i.test(value)) return true;
  if (/(.)\1{7,}/.test(value)) return true;
  // A counting sequence (A1B2C3D4E5F6...) is what documentation writes for a key.
  if (countingRun(value) >= 6) return true;
  const body = value.replace(/^[A-Za-z]+[_-]/, '');
  return new Set(body).size < Math.min(10, Math.ceil(body.length / 3));
}

/** The longest run of letter-digit pairs counting up together (A1 B2 C3 ...). */
function countingRun(value: string): number {
  let best = 0;
  for (const m of value.matchAll(/(?:[A-Za-z]\d)+/g)) {
    let run = 1;
    for (let i = 2; i < m[0].length; i += 2) {
      const stepLetter = m[0].charCodeAt(i) - m[0].charCodeAt(i - 2);
      const stepDigit = (m[0].charCodeAt(i + 1) - m[0].charCodeAt(i - 1) + 10) % 10;
      run = stepLetter === 1 && stepDigit === 1 ? run + 1 : 1;
      best = Math.max(best, run);
    }
  }
  return best;
}

export function isDocumentedExample(value: string): boolean {
  return DOCUMENTED_EXAMPLES.has(value) || /EXAMPLE(?:KEY)?$/.test(value);
}

export function maskSecret(value: string): string {
  const keep = Math.min(6, Math.max(2, Math.floor(value.length / 6)));
  return `${value.slice(0, keep)}${'*'.repeat(Math.min(12, Math.max(4, value.length - keep)))}`;
}

const MAX_PER_FILE = 20;

/**
 * Masks every secret-shaped value in a piece of text (an excerpt of any rule), and any long
 * opaque token mixing upper case, lower case and digits: no excerpt stores or prints a secret.
 */
export function redactSecrets(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(new RegExp(pattern.re.source, pattern.re.flags), (whole: string, ...groups: unknown[]) => {
      const value = typeof groups[(pattern.group ?? 1) - 1] === 'string' ? (groups[(pattern.group ?? 1) - 1] as string) : whole;
      if (pattern.shape && !pattern.shape(value)) return whole;
      return isDocumentedExample(value) ? whole : whole.replace(value, maskSecret(value));
    });
  }
  return out.replace(/[A-Za-z0-9+/_-]{40,}/g, (token) => (/[a-z]/.test(token) && /[A-Z]/.test(token) && /[0-9]/.test(token) && !isDocumentedExample(token) ? maskSecret(token) : token));
}

export function scanSecrets(file: TextFile, emit: Emit): void {
  const { text, lines, path } = file;
  let count = 0;
  for (const pattern of SECRET_PATTERNS) {
    pattern.re.lastIndex = 0;
    for (let m = pattern.re.exec(text); m !== null && count < MAX_PER_FILE; m = pattern.re.exec(text)) {
      const value = m[pattern.group ?? 0] ?? m[0];
      if (pattern.shape && !pattern.shape(value)) continue;
      const start = m.index + m[0].indexOf(value);
      const end = start + value.length;
      const mask = (s: string) => s.replace(value, maskSecret(value));
      if (isDocumentedExample(value)) {
        count++;
        emit(finding('secret-example-key', 'info', path, lines.lineOf(start), `${pattern.vendor}: a documented example key, not a secret`, excerptAround(text, start, end)));
        continue;
      }
      if (looksLikePlaceholder(value)) continue;
      count++;
      emit(finding(pattern.rule, pattern.severity ?? 'high', path, lines.lineOf(start), `${pattern.vendor} committed in the package (${value.length} characters); revoke it and remove it`, excerptAround(text, start, end, mask)));
    }
  }
  count += scanPrivateKeys(file, emit);
  if (isEnvFile(path)) scanEnvFile(file, emit, count);
}

const PEM = /-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?)-----/g;

/** Private key blocks with a real body (not `...` or a placeholder line). */
function scanPrivateKeys(file: TextFile, emit: Emit): number {
  const { text, lines, path } = file;
  let count = 0;
  PEM.lastIndex = 0;
  let markers = 0;
  for (let m = PEM.exec(text); m !== null && count < MAX_PER_FILE && ++markers <= 1000; m = PEM.exec(text)) {
    const bodyStart = m.index + m[0].length;
    // A key body is a few KiB: the END marker is looked for that far only (never to the end of a huge file).
    const window = text.slice(bodyStart, bodyStart + 65536);
    const endMarker = window.indexOf('-----END');
    const body = endMarker === -1 ? window.slice(0, 8192) : window.slice(0, endMarker);
    const base64 = body.replace(/\\+[nr]|\s|Proc-Type:[^\n]*|DEK-Info:[^\n]*|Comment:[^\n]*|Version:[^\n]*/g, '');
    if (base64.length < 64 || !/^[A-Za-z0-9+/=]+$/.test(base64.slice(0, 4096)) || looksLikePlaceholder(base64.slice(0, 64))) continue;
    count++;
    emit(finding('secret-private-key', 'high', path, lines.lineOf(m.index), `a ${m[1]?.toLowerCase() ?? 'private key'} block is committed (${base64.length} base64 characters); revoke the key and remove it`, `-----BEGIN ${m[1]}----- (key body hidden)`));
  }
  const putty = /PuTTY-User-Key-File-\d+:[^\n]*\n(?:[^\n]*\n){0,6}?Private-Lines:\s*\d+/g;
  for (let m = putty.exec(text); m !== null && count < MAX_PER_FILE; m = putty.exec(text)) {
    count++;
    emit(finding('secret-private-key', 'high', path, lines.lineOf(m.index), 'a PuTTY private key file is committed; revoke the key and remove it', 'PuTTY-User-Key-File (key body hidden)'));
  }
  return count;
}

export function isEnvFile(path: string): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  return /^\.env(?:\.[\w.-]+)?$/.test(base) && !/\.(?:example|sample|template|dist|defaults?|tmpl|tpl)$/.test(base);
}

const SECRET_NAME = /(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|PWD|CREDENTIALS?|AUTH|PRIVATE|DSN|CONNECTION_STRING)/i;

/** A committed .env assigning secret-looking names real-looking values. */
function scanEnvFile(file: TextFile, emit: Emit, already: number): void {
  const { text, lines, path } = file;
  const assignment = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*(["']?)([^\n"']*)\2[ \t]*$/gm;
  let count = already;
  for (let m = assignment.exec(text); m !== null && count < MAX_PER_FILE; m = assignment.exec(text)) {
    const name = m[1] ?? '';
    const value = (m[3] ?? '').trim();
    if (!SECRET_NAME.test(name) || value.length < 8 || looksLikePlaceholder(value) || /^\$\{?[A-Z_]/.test(value)) continue;
    count++;
    const start = m.index + m[0].indexOf(value);
    emit(finding('secret-env-file', 'medium', path, lines.lineOf(start), `${name} is set in a committed ${path.slice(path.lastIndexOf('/') + 1)} file; keep secrets out of the package`, excerptAround(text, start, start + value.length, (s) => s.replace(value, maskSecret(value)))));
  }
}
