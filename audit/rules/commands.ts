/**
 * Dangerous commands, in scripts and in the commands instructions show. Each pattern starts with
 * a literal word and bounds every gap, so a 1 MB minified line costs one linear scan per pattern.
 *
 * Rule ids: `script-pipe-to-shell`, `script-decode-exec`, `script-credential-read`,
 * `script-env-exfiltration`, `script-destructive-delete`, `script-persistence`,
 * `script-privilege-escalation`.
 */
import type { Severity } from '../../schema/audit-report';
import { compile, scan, type CompiledPattern } from './scan';

export interface CommandMatch {
  rule: string;
  codeOnly: boolean;
  severity: Severity;
  start: number;
  end: number;
  message: string;
}

interface CommandPattern {
  rule: string;
  /** The pattern's first word: with a long gap after it, the pattern is tried only where this matches (see scan.ts). */
  anchor?: RegExp;
  severity: Severity;
  re: RegExp;
  message: string;
  /** Refines a match: a severity (possibly different), or undefined to drop it. */
  refine?: (match: RegExpExecArray, text: string) => { severity: Severity; message?: string } | undefined;
  /**
   * The pattern also matches a mere mention (a path, a word such as crontab or sudo): in prose it
   * counts only inside `code spans`, and at most as medium (prose asking to read credentials is
   * the injection-secrets rule's).
   */
  codeOnly?: boolean;
}

const SHELLS = String.raw`(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+)?(?:/usr/bin/|/bin/|/usr/local/bin/)?(?:ba|z|k|da|fi|c|tc|a)?sh\b`;
/** An interpreter reading a program from stdin: no arguments, or just "-" (not `python -m json.tool`). */
const STDIN_INTERPRETERS = String.raw`(?:sudo\s+)?(?:python[0-9.]*|node|perl|ruby|php|pwsh|powershell)(?:\s+-)?\s*(?=$|[;&|)\n'"\x60])`;
const FETCHERS = String.raw`(?:curl|wget|fetch|aria2c|lwp-request|lwp-download)`;
const DECODERS = String.raw`(?:base64\s+(?:-\w+\s+)*(?:-d|--decode|-D)\b|base32\s+(?:-d|--decode)\b|openssl\s+(?:enc\s+)?(?:-\S+\s+)*-d\b|xxd\s+(?:-\w+\s+)*-r|uudecode\b|gunzip\b|zcat\b|gzip\s+-d\b|bzip2\s+-d\b|xz\s+-d\b)`;

const CREDENTIAL_STORES = [
  String.raw`\.ssh/(?:id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?|identity)(?!\.pub)\b`,
  String.raw`\b(?:cat|tar|zip|7z|cp|scp|rsync|base64|curl|nc|find|grep|xxd|readFile(?:Sync)?|readdir(?:Sync)?|listdir|glob|walk|copytree|make_archive)\b[^\n|;]{0,80}(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%)[\\/]\.ssh\b(?![\\/](?:known_hosts|config\b|authorized_keys|[\w.-]+\.pub\b))`,
  String.raw`\.aws/credentials\b`,
  String.raw`\.git-credentials\b`,
  String.raw`(?:~|\$HOME|\$\{HOME\}|homedir\(\)[^\n]{0,12}|expanduser\(\s*['"]~)/?\.netrc\b`,
  String.raw`(?:~|\$HOME|\$\{HOME\})/\.(?:npmrc|pypirc)\b`,
  String.raw`\.docker/config\.json\b`,
  String.raw`\.kube/config\b`,
  String.raw`\.config/gcloud/(?:credentials\.db|application_default_credentials\.json|access_tokens\.db|legacy_credentials)`,
  String.raw`\.azure/(?:accessTokens\.json|msal_token_cache)`,
  String.raw`Library/Application Support/(?:Google/Chrome|BraveSoftware|Microsoft Edge|Firefox|com\.operasoftware)`,
  String.raw`\.config/(?:google-chrome|chromium|BraveSoftware|microsoft-edge)/`,
  String.raw`\.mozilla/firefox/`,
  String.raw`AppData[\\/]+(?:Local|Roaming)[\\/]+(?:Google[\\/]+Chrome|Mozilla|Microsoft[\\/]+Edge|BraveSoftware)`,
  String.raw`\bLogin Data\b`,
  String.raw`\b(?:cookies\.sqlite|logins\.json|key4\.db)\b`,
  String.raw`\bsecurity\s+(?:find-(?:generic|internet)-password|dump-keychain)\b`,
  String.raw`\blogin\.keychain(?:-db)?\b`,
  String.raw`\bsecret-tool\s+lookup\b`,
  String.raw`\bkeyring\.get_password\b`,
  String.raw`\b(?:wallet\.dat|exodus\.wallet)\b|\.ethereum/keystore\b|\.electrum/wallets\b`,
  String.raw`/etc/shadow\b`,
];

const DUMP_ENV = String.raw`(?:\b(?:env|printenv)\s*\||\$\(\s*(?:env|printenv)\s*\)|\x60(?:env|printenv)\x60|json\.dumps\s*\(\s*(?:dict\s*\(\s*)?os\.environ\b|\bdict\s*\(\s*os\.environ\s*\)|\bstr\s*\(\s*os\.environ\s*\)|JSON\.stringify\s*\(\s*process\.env\s*[,)]|Object\.(?:entries|keys|values)\s*\(\s*process\.env\s*\)|Get-ChildItem\s+env:|\bgci\s+env:|\[Environment\]::GetEnvironmentVariables\(\))`;
/** Something that sends data over the network. */
export const NETWORK_SINK = /\b(?:curl|wget|nc|ncat|netcat|socat|telnet|scp|rsync)\b|\brequests\.(?:post|put|patch|get)\b|\burllib\.request\b|\bhttp\.client\b|\bhttpx\.|\bfetch\s*\(|\bhttps?\.request\s*\(|\baxios\b|\bInvoke-(?:WebRequest|RestMethod)\b|\bsocket\.(?:connect|create_connection)\b|\bsmtplib\b|\bXMLHttpRequest\b|\/dev\/tcp\//i;

/** The line holding `offset` (at most 2,000 characters of it). */
function lineAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  let end = text.indexOf('\n', offset);
  if (end === -1) end = text.length;
  return text.slice(Math.max(start, offset - 1000), Math.min(end, offset + 1000));
}

/**
 * The whole environment dumped: high when it goes to the network (a pipe into curl or nc on the
 * same line; for a program's dump, any network use in the same text), low otherwise.
 */
function envRefine(m: RegExpExecArray, text: string): { severity: Severity; message: string } {
  const line = lineAt(text, m.index);
  const shellDump = /^(?:env|printenv)|^\$\(|^\x60/.test(m[0]);
  if (NETWORK_SINK.test(line)) return { severity: 'high', message: 'the whole environment (every secret in it) is sent over the network' };
  if (!shellDump && NETWORK_SINK.test(text)) return { severity: 'high', message: 'the whole environment (every secret in it) is serialised, and this file sends data over the network' };
  return { severity: 'low', message: 'the whole environment is dumped (no network use seen with it)' };
}

/** A write to a shell startup file: the write operator sits before the file name on its line. */
function rcRefine(m: RegExpExecArray, text: string): { severity: Severity; message?: string } | undefined {
  const lineStart = text.lastIndexOf('\n', m.index - 1) + 1;
  const before = text.slice(Math.max(lineStart, m.index - 200), m.index);
  if (!/(?:>>?|\btee\b|appendFile(?:Sync)?\s*\(|writeFile(?:Sync)?\s*\(|\bopen\s*\()/.test(before)) return undefined;
  const line = lineAt(text, m.index);
  if (/\bPATH=/.test(line)) return { severity: 'medium', message: 'adds to PATH in a shell startup file' };
  // `echo 'export NAME="value"' >> ~/.bashrc`: a plain value, nothing that runs.
  if (/^\s*(?:echo|printf)\s+(['"])export\s+[A-Za-z_]\w*=(?:"[^"$`\\]*"|'[^']*'|[^\s'"$`;|&]*)\1\s*>>/.test(line)) return { severity: 'medium', message: 'sets an environment variable in a shell startup file' };
  return { severity: 'high' };
}

/** Where a recursive delete lands: outside the skill's folder or not. */
function deleteTarget(target: string): { severity: Severity; message: string } | undefined {
  // A sentence's full stop after a command in prose (`rm -rf $HOME`. loses its backticks) is not part of the path.
  const t = target.replace(/^["']|["']$/g, '').replace(/(?<=[^.])[.,;:!?]$/, '');
  const everything = /^(?:\/|\/\*|\/\.\*|~|~\/|~\/\*|~\/\.\*|\$HOME|\$\{HOME\}|\$HOME\/|\$\{HOME\}\/|\$HOME\/\*|\$\{HOME\}\/\*|\.\.|\.\.\/|\.\.\/\*|[A-Za-z]:\\?|%USERPROFILE%|%HOMEPATH%|\$env:USERPROFILE)$/;
  const system = /^\/(?:bin|boot|dev|etc|home|lib|lib64|opt|proc|root|sbin|srv|sys|usr|var|Users|System|Library|Applications|Volumes|private)(?:\/\*?)?$/;
  if (everything.test(t) || system.test(t)) return { severity: 'high', message: `recursive delete of ${t}: far outside the skill's folder` };
  if (/^(?:~|\$HOME|\$\{HOME\})\//.test(t)) return { severity: 'medium', message: `recursive delete in the home folder (${t}), outside the skill's folder` };
  if (/^\/(?!tmp\/|var\/tmp\/)/.test(t)) return { severity: 'medium', message: `recursive delete of the absolute path ${t}, outside the skill's folder` };
  if (/^\.\.\//.test(t)) return { severity: 'medium', message: `recursive delete of ${t}, above the skill's folder` };
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?\/\*?$/.test(t)) return { severity: 'medium', message: `recursive delete of ${t}: if the variable is empty this deletes from /` };
  return undefined;
}

export const COMMAND_PATTERNS: readonly CommandPattern[] = [
  // Download piped into a shell or an interpreter, or run through a substitution.
  { rule: 'script-pipe-to-shell', severity: 'high', anchor: new RegExp(String.raw`\b${FETCHERS}\b`, 'gi'), re: new RegExp(String.raw`\b${FETCHERS}\b[^|\n;]{0,240}\|\s*(?:${SHELLS}|${STDIN_INTERPRETERS})`, 'gi'), message: 'a download is piped into a shell or interpreter: whatever the server sends runs' },
  { rule: 'script-pipe-to-shell', severity: 'high', re: new RegExp(String.raw`\b(?:(?:ba|z|k)?sh|source|\.)\s+(?:-\S+\s+)*<\(\s*${FETCHERS}\b`, 'gi'), message: 'a download runs through process substitution' },
  { rule: 'script-pipe-to-shell', severity: 'high', re: new RegExp(String.raw`\b(?:(?:ba|z|k)?sh\s+-c|eval|exec)\s+["']?\$\(\s*${FETCHERS}\b`, 'gi'), message: 'a download runs through command substitution' },
  { rule: 'script-pipe-to-shell', severity: 'high', re: /\b(?:iex|Invoke-Expression)\b[^\n]{0,60}\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString|DownloadFile|Net\.WebClient)\b/gi, message: 'a download is run by Invoke-Expression' },
  { rule: 'script-pipe-to-shell', severity: 'high', anchor: /\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString)\b/gi, re: /\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString)\b[^\n|]{0,240}\|\s*(?:iex|Invoke-Expression)\b/gi, message: 'a download is piped into Invoke-Expression' },
  { rule: 'script-pipe-to-shell', severity: 'high', anchor: /(?<![.\w$])(?:exec|eval)\s*\(/g, re: /(?<![.\w$])(?:exec|eval)\s*\([^\n]{0,100}\b(?:urlopen|requests\.get|httpx\.get|urllib\.request\.urlopen|fetch)\s*\(/g, message: 'code downloaded at run time is executed' },
  { rule: 'script-pipe-to-shell', severity: 'high', re: /\b(?:import|require)\s*\(\s*['"`]https?:\/\//g, message: 'code is imported from a URL at run time' },
  { rule: 'script-pipe-to-shell', severity: 'high', anchor: /\b(?:curl|wget)\b/gi, re: new RegExp(String.raw`\b(?:curl|wget)\b[^\n;&|]{0,200}?\s(?:-o|-O|--output|--output-document)\s*(\S+)[^\n]{0,120}?(?:&&|;)\s*(?:sudo\s+)?(?:chmod\s+[+0-7]*x|(?:ba|z)?sh\s|python[0-9.]*\s|\./|source\s)`, 'gi'), message: 'a file is downloaded and then executed' },

  // Decoding a blob and executing it.
  { rule: 'script-decode-exec', severity: 'high', anchor: new RegExp(String.raw`\b${DECODERS}`, 'gi'), re: new RegExp(String.raw`\b${DECODERS}[^\n|]{0,200}(?:\|[^\n|]{0,80}){0,3}\|\s*(?:${SHELLS}|${STDIN_INTERPRETERS})`, 'gi'), message: 'decoded or decompressed data is piped into a shell or interpreter' },
  { rule: 'script-decode-exec', severity: 'high', anchor: /\b(?:eval|exec|(?:ba|z)?sh\s+-c)\s+["']?\$\(/gi, re: /\b(?:eval|exec|(?:ba|z)?sh\s+-c)\s+["']?\$\([^)\n]{0,200}\b(?:base64\s+(?:-d|--decode|-D)|xxd\s+-r|openssl\s+(?:enc\s+)?-d|gunzip|zcat)/gi, message: 'decoded data is executed through command substitution' },
  { rule: 'script-decode-exec', severity: 'high', anchor: /(?<![\w$])(?:exec|eval|compile)\s*\(/g, re: /(?<![\w$])(?:exec|eval|compile)\s*\([^\n]{0,80}?\b(?:b64decode|b32decode|b16decode|a85decode|b85decode|unhexlify|a2b_base64|fromhex|codecs\.decode|zlib\.decompress|gzip\.decompress|bz2\.decompress|lzma\.decompress|marshal\.loads)\b/g, message: 'decoded or decompressed data is executed' },
  { rule: 'script-decode-exec', severity: 'high', anchor: /(?:(?<![\w$])(?:eval|Function|setTimeout|setInterval|runInNewContext|runInThisContext|execSync)|(?<![.\w$])exec)\s*\(/g, re: /(?:(?<![\w$])(?:eval|Function|setTimeout|setInterval|runInNewContext|runInThisContext|execSync)|(?<![.\w$])exec)\s*\([^\n]{0,80}?(?:\batob\s*\(|Buffer\.from\s*\([^)\n]{0,400}['"](?:base64|hex|base64url)['"]|\bunescape\s*\(|String\.fromCharCode\s*\(\s*\.\.\.)/g, message: 'decoded data is executed' },
  { rule: 'script-decode-exec', severity: 'high', anchor: /\b(?:powershell|pwsh)/gi, re: /\b(?:powershell|pwsh)(?:\.exe)?\b[^\n]{0,80}\s-(?:e|ec|en|enc|enco|encodedcommand)\s+[A-Za-z0-9+/=]{16,}/gi, message: 'PowerShell runs a base64-encoded command' },
  { rule: 'script-decode-exec', severity: 'high', anchor: /\b(?:FromBase64String|iex|Invoke-Expression)\b/gi, re: /\bFromBase64String\b[^\n]{0,200}\b(?:iex|Invoke-Expression)\b|\b(?:iex|Invoke-Expression)\b[^\n]{0,200}\bFromBase64String\b/gi, message: 'a base64 string is decoded and run by Invoke-Expression' },
  { rule: 'script-decode-exec', severity: 'high', re: /\beval\s*\(?\s*(?:decode_base64|pack\s*\(\s*["']H\*|MIME::Base64)/g, message: 'decoded data is evaluated' },

  // Credential stores.
  { rule: 'script-credential-read', severity: 'high', re: new RegExp(CREDENTIAL_STORES.join('|'), 'gi'), message: 'reads a credential store (SSH keys, cloud or git credentials, browser profiles, keychains)', codeOnly: true },

  // The whole environment sent over the network.
  { rule: 'script-env-exfiltration', severity: 'high', re: new RegExp(DUMP_ENV, 'gi'), message: '', refine: envRefine },

  // Destructive deletes.
  {
    rule: 'script-destructive-delete',
    severity: 'high',
    re: /\brm\s+((?:-[\w-]+\s+)+)(?:--\s+)?("[^"\n]{1,200}"|'[^'\n]{1,200}'|[^\s;&|)]{1,200})/g,
    message: '',
    refine: (m) => (/^-(?:[a-z]*[rR])|--recursive/.test(m[1] ?? '') || /\s-[a-z]*[rR]/.test(` ${m[1] ?? ''}`) ? deleteTarget(m[2] ?? '') : undefined),
  },
  { rule: 'script-destructive-delete', severity: 'high', re: /\b(?:shutil\.rmtree|rmtree)\s*\(\s*(?:os\.path\.expanduser\s*\(\s*['"]~\/?['"]\s*\)|['"](?:\/|~|\/home|\/Users|C:\\\\)['"]|Path\.home\(\)|os\.environ\[\s*['"]HOME['"]\s*\]|os\.getenv\(\s*['"]HOME['"]\s*\))\s*[,)]/g, message: 'recursive delete of the home folder or the root' },
  { rule: 'script-destructive-delete', severity: 'high', re: /\b(?:rmSync|rm|rmdir|rmdirSync|remove|removeSync|emptyDir|emptyDirSync)\s*\(\s*(?:os\.homedir\(\)|homedir\(\)|process\.env\.HOME|['"`](?:\/|~|\/home|\/Users)['"`])\s*[,)]/g, message: 'recursive delete of the home folder or the root' },
  { rule: 'script-destructive-delete', severity: 'high', anchor: /\bRemove-Item\b/gi, re: /\bRemove-Item\b[^\n]{0,120}-Recurse[^\n]{0,120}(?:\bC:\\(?=[\s'"]|$)|\$HOME\b|\$env:USERPROFILE\b|~(?=[\s'"\\/]|$))|\bRemove-Item\b[^\n]{0,120}(?:\bC:\\(?=[\s'"]|$)|\$HOME\b|\$env:USERPROFILE\b)[^\n]{0,120}-Recurse/gi, message: 'recursive delete of the home folder or a drive' },
  { rule: 'script-destructive-delete', severity: 'high', re: /\b(?:rd|rmdir)\s+\/s\s+\/q\s+(?:[A-Za-z]:\\(?=\s|$)|%USERPROFILE%|%HOMEPATH%|%SystemRoot%)|\bdel\s+(?:\/[a-z]\s+){1,4}(?:[A-Za-z]:\\\*|%USERPROFILE%)/gi, message: 'recursive delete of a drive or the user profile' },
  { rule: 'script-destructive-delete', severity: 'high', anchor: /\bfind\s+(?:\/|~|\$HOME|\$\{HOME\})\s/g, re: /\bfind\s+(?:\/|~|\$HOME|\$\{HOME\})\s[^\n]{0,200}(?:-delete\b|-exec\s+rm\b)/g, message: 'deletes files found from the root or the home folder' },
  { rule: 'script-destructive-delete', severity: 'high', re: /\bmkfs(?:\.\w+)?\s+\/dev\/|\bdd\s+[^\n]{0,80}\bof=\/dev\/(?:sd|hd|nvme|disk|mmcblk|vd|xvd)|\bshred\s+[^\n]{0,40}\/dev\/|:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/g, message: 'wipes a disk or exhausts the machine' },

  // Persistence.
  { rule: 'script-persistence', severity: 'high', re: /\bcrontab\s+(?:-u\s+\S+\s+)?(?:-(?=\s|$|[;&|)'"])|-e\b|(?!-)[^\s;&|)]+)/g, message: 'installs a crontab: code that keeps running after the skill is done', codeOnly: true },
  { rule: 'script-persistence', severity: 'high', re: /(?:>>?|\btee\s+(?:-a\s+)?)\s*["']?\/(?:etc\/cron[\w./-]*|var\/spool\/cron[\w./-]*)/g, message: 'writes a system cron job' },
  { rule: 'script-persistence', severity: 'high', re: /(?:^|["'])[ \t]*(?:@(?:reboot|hourly|daily|weekly|monthly|yearly|annually|midnight)|(?=(?:[\d/,-]+[ \t]+){0,4}\*)(?:[\d*/,-]+[ \t]+){4}[\d*/,-]+)[ \t]+(?:[~/.$]|curl\b|wget\b|bash\b|sh\b|python[0-9.]*\b|node\b|perl\b|nc\b|cd\b)/gm, message: 'a cron schedule line: a command set to run again and again', codeOnly: true },
  { rule: 'script-persistence', severity: 'high', re: /(?:~|\$HOME|\$\{HOME\}|homedir\(\)|expanduser\(|Path\.home\(\)|\[\s*['"]HOME['"]\s*\])[^\n]{0,20}?\.(?:bashrc|bash_profile|bash_login|profile|zshrc|zshenv|zprofile|zlogin|cshrc|tcshrc|kshrc|config\/fish\/config\.fish)\b/g, message: 'changes a shell startup file: code that runs in every new shell', refine: rcRefine },
  { rule: 'script-persistence', severity: 'high', re: /Library\/Launch(?:Agents|Daemons)\b|\blaunchctl\s+(?:load|bootstrap|submit|enable)\b|\bsystemctl\s+(?:--user\s+)?enable\b|\.config\/systemd\/user\/[\w@.-]+\.(?:service|timer)|\/etc\/systemd\/system\/[\w@.-]+\.(?:service|timer)|\.config\/autostart\/|\/etc\/rc\.local\b|\/etc\/init\.d\//g, message: 'installs a launch agent, service or autostart entry', codeOnly: true },
  { rule: 'script-persistence', severity: 'high', re: /\bschtasks(?:\.exe)?\s+\/create\b|\\(?:Software|SOFTWARE)\\Microsoft\\Windows\\CurrentVersion\\Run(?:Once)?\b|\b(?:New|Register)-ScheduledTask\b|Start Menu\\Programs\\Startup/gi, message: 'installs a scheduled task or a Windows autostart entry' },
  { rule: 'script-persistence', severity: 'high', re: />>?\s*["']?(?:~|\$HOME|\$\{HOME\})\/\.ssh\/authorized_keys\b/g, message: 'adds an SSH key to authorized_keys: a way back into the machine' },
  { rule: 'script-persistence', severity: 'medium', re: /(?:>>?|\bcp\b[^\n]{0,80}|\bln\s+-s[^\n]{0,80}|writeFile(?:Sync)?\s*\([^\n]{0,40})\.git\/hooks\//g, message: 'writes a git hook: code that runs on later git commands' },

  // Privilege escalation.
  { rule: 'script-privilege-escalation', severity: 'high', re: /\bchmod\s+(?:-\w+\s+)*(?:[ugoa]*\+[rwxt]*s[rwxt]*|[2467][0-7]{3})\b/g, message: 'sets the setuid/setgid bit' },
  { rule: 'script-privilege-escalation', severity: 'high', re: /\bNOPASSWD\b|(?:>>?|\btee\b[^\n]{0,20}|\bvisudo\b[^\n]{0,20})\s*["']?\/etc\/sudoers\b|\bsudo\s+(?:-\w+\s+)*-S\b|\busermod\s+(?:-\w+\s+)*-a?G\s+(?:sudo|wheel|admin|root)\b|\bsetcap\s+[^\n]{0,40}cap_(?:setuid|sys_admin|dac_override)/g, message: 'grants itself root: sudoers, a password fed to sudo, an admin group or capabilities', codeOnly: true },
  { rule: 'script-privilege-escalation', severity: 'medium', re: /\b(?:sudo|doas|pkexec)\s+(?=[\w/-])|\brunas\s+\/user:(?:administrator|admin)\b|-Verb\s+RunAs\b/gi, message: 'runs a command as root or administrator', codeOnly: true },
];

/** Most places one pattern is tried in one text (see scan.ts); real files stay far below it. */
export const MAX_CANDIDATES = 10_000;

/**
 * Every dangerous-command match in `text` (its own severity, before context adjusts it), and the
 * rules whose patterns could not be tried everywhere (more than MAX_CANDIDATES places).
 */
export type CompiledCommands = CompiledPattern<CommandPattern>[];

export function compileCommands(): CompiledCommands {
  return compile(COMMAND_PATTERNS);
}

export function findCommands(compiled: CompiledCommands, text: string, limit = 200): { matches: CommandMatch[]; exhausted: string[] } {
  const out: CommandMatch[] = [];
  const exhausted = new Set<string>();
  for (const entry of compiled) {
    const { pattern } = entry;
    const result = scan(entry, text, limit, MAX_CANDIDATES);
    if (result.exhausted) exhausted.add(pattern.rule);
    for (const m of result.matches) {
      const refined = pattern.refine ? pattern.refine(m, text) : { severity: pattern.severity };
      if (!refined) continue;
      out.push({ rule: pattern.rule, codeOnly: pattern.codeOnly === true, severity: refined.severity, start: m.index, end: m.index + m[0].length, message: refined.message ?? pattern.message });
    }
  }
  return { matches: out, exhausted: [...exhausted] };
}
