/**
 * Every audit rule: its stable id, its highest severity, what it catches and what it does not.
 * `skills audit --rules` prints this table; the docs are written from it.
 */
import type { Severity } from '../schema/audit-report';

export interface RuleInfo {
  id: string;
  /** The most severe finding the rule gives (context can lower it). */
  severity: Severity;
  catches: string;
  misses: string;
}

export const RULES: readonly RuleInfo[] = [
  { id: 'unicode-tag-chars', severity: 'high', catches: 'invisible Unicode tag characters (U+E0000 block) in any text file or file name; the hidden ASCII they spell is shown', misses: 'emoji flag sequences (black flag + tag letters + cancel tag) are legitimate and skipped' },
  { id: 'unicode-bidi-control', severity: 'high', catches: 'bidi overrides (U+202D/E) anywhere; embeddings and isolates (U+202A-C, U+2066-9) in scripts and file names (medium in prose)', misses: 'right-to-left text itself (Arabic, Hebrew) and the marks LRM, RLM, ALM' },
  { id: 'unicode-invisible', severity: 'high', catches: 'zero-width and blank characters (ZWSP, word joiner, invisible operators, Hangul fillers, a BOM inside a file); high for runs of 4+ or runs of variation selectors (hidden data), in file names, and Hangul fillers in code; medium for others in code, low in prose', misses: 'ZWJ/ZWNJ after letters of scripts that use them and inside emoji; one variation selector after a character' },
  { id: 'unicode-confusable-name', severity: 'high', catches: 'a SKILL.md or skill.json name using Cyrillic or Greek look-alikes of Latin letters (high); file names mixing Latin with those scripts (medium)', misses: 'look-alikes from other scripts, and confusables in prose' },
  { id: 'injection-override', severity: 'high', catches: 'prose telling the agent to ignore, disregard or override its previous/system instructions, or to take on a new role (developer mode, new system prompt)', misses: 'paraphrases without those words; text inside code blocks or quotes, or in a sentence that discusses injection, is medium' },
  { id: 'injection-conceal', severity: 'high', catches: 'prose telling the agent to hide actions from the user: "without telling the user", "do not tell the user", "silently send/run/delete", "the user must not know"', misses: 'ordinary presentation advice ("don\'t show the user raw JSON")' },
  { id: 'injection-no-confirm', severity: 'high', catches: 'prose telling the agent not to ask for confirmation or permission, to disable or bypass confirmations, sandboxes or safety checks, --dangerously-skip-permissions', misses: 'descriptions of a tool\'s own flags such as --yes' },
  { id: 'injection-secrets', severity: 'high', catches: 'prose telling the agent to send secrets, keys, tokens or environment variables to a URL, address or server; to read credential stores (~/.ssh keys, ~/.aws/credentials, .git-credentials, .netrc, browser data); to print every secret in its reply', misses: '"set your API key in OPENAI_API_KEY", "include the key in the Authorization header"' },
  { id: 'injection-remote-code', severity: 'high', catches: 'prose telling the agent to download code and run it, or run code from a URL (high); to follow instructions fetched from a URL (medium)', misses: 'links to documentation; commands in code blocks are judged by the script-* rules' },
  { id: 'script-pipe-to-shell', severity: 'high', catches: 'curl/wget/fetch piped into sh/bash/zsh or an interpreter reading stdin, bash <(curl ...), eval "$(curl ...)", iwr | iex, exec(urlopen(...)), import() of a URL, download then chmod +x/run', misses: 'curl | python -m json.tool and other interpreters given their own program' },
  { id: 'script-decode-exec', severity: 'high', catches: 'base64/hex/compressed data decoded and piped into a shell, eval/exec of b64decode/unhexlify/zlib.decompress/marshal.loads/atob/Buffer.from(..., "base64"), PowerShell -EncodedCommand, FromBase64String with iex', misses: 'decoding without executing; obfuscation through other means (string building)' },
  { id: 'script-credential-read', severity: 'high', catches: 'SSH private keys, ~/.ssh read by cat/tar/cp/curl..., ~/.aws/credentials, .git-credentials, ~/.netrc, ~/.npmrc, ~/.pypirc, docker/kube/gcloud/azure credentials, browser profiles (Login Data, cookies.sqlite, logins.json, key4.db), keychains (security find-*-password, login.keychain, secret-tool), wallets, /etc/shadow', misses: 'public keys, ~/.ssh/known_hosts and config, credentials reached through variables' },
  { id: 'script-env-exfiltration', severity: 'high', catches: 'env/printenv piped into curl/nc on the same line, $(env) in a request; json.dumps(os.environ), JSON.stringify(process.env) in a file that uses the network (low without network use)', misses: 'single variables read for their own use; env passed to a subprocess' },
  { id: 'script-destructive-delete', severity: 'high', catches: 'rm -r of /, ~, $HOME, .., system folders (high) or of home subfolders, absolute paths outside /tmp, ../x, $VAR/ (medium); rmtree/rmSync of the home folder or root; Remove-Item -Recurse of a drive or profile; rd /s /q C:\\; find / -delete; mkfs, dd to a disk, fork bombs', misses: 'deletes inside the skill folder or /tmp; paths built at run time' },
  { id: 'script-persistence', severity: 'high', catches: 'crontab installs and cron schedule lines, /etc/cron*, shell rc files (.bashrc, .zshrc, .profile: medium when only PATH is set), launch agents and daemons, systemctl enable, autostart, rc.local, schtasks /create, Run registry keys, ~/.ssh/authorized_keys; git hooks (medium)', misses: 'crontab -l (listing); the word crontab in prose outside code' },
  { id: 'script-privilege-escalation', severity: 'high', catches: 'setuid/setgid chmod, NOPASSWD, writes to /etc/sudoers, sudo -S with a piped password, usermod -aG sudo/wheel, setcap with admin capabilities (high); sudo, doas, pkexec, runas, -Verb RunAs (medium)', misses: 'the word sudo in prose outside code' },
  { id: 'secret-private-key', severity: 'high', catches: 'PEM private key blocks (RSA, EC, DSA, OpenSSH, encrypted, PGP) with a real base64 body, also inside JSON strings; PuTTY key files', misses: 'blocks whose body is a placeholder ("...", fewer than 64 base64 characters)' },
  { id: 'secret-cloud-key', severity: 'high', catches: 'AWS access key ids and secret keys, Google API keys and OAuth client secrets, Azure storage account keys, DigitalOcean and Alibaba Cloud keys', misses: 'vendors\' documented example keys (reported as secret-example-key), placeholders (EXAMPLE, xxxx, your_key, repeated characters)' },
  { id: 'secret-service-token', severity: 'high', catches: 'GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), GitLab, npm (npm_, _authToken), Slack tokens and webhooks, Stripe live keys (test keys: low), OpenAI, Anthropic, Hugging Face, SendGrid, Twilio and skills registry tokens', misses: 'tokens of other services and generic high-entropy strings' },
  { id: 'secret-env-file', severity: 'medium', catches: 'a committed .env (not .env.example/.sample/.template) setting a KEY/SECRET/TOKEN/PASSWORD-like name to a real-looking value', misses: 'placeholders and ${VAR} references' },
  { id: 'secret-example-key', severity: 'info', catches: 'a vendor\'s documented example key (AKIAIOSFODNN7EXAMPLE, Slack and Stripe documentation keys, ...), recognised as one', misses: '' },
  { id: 'binary-disguised', severity: 'high', catches: 'binary content (NUL bytes, an ELF/Mach-O/PE/WebAssembly header) in a file named as text (.md, .json, .py, ...), or an executable header under any non-executable name', misses: 'binaries named as what they are (listed in the inventory)' },
  { id: 'text-not-utf8', severity: 'low', catches: 'a text file that is not valid UTF-8 (its content is not checked)', misses: '' },
  { id: 'contract-invalid', severity: 'medium', catches: 'a contracts/*.json that is not a valid MCP tool contract or sits under the wrong server name', misses: '' },
  { id: 'audit-incomplete', severity: 'high', catches: 'what the audit did not read: a file past 2 MiB or a package past 8 MiB of text (medium: the rest is named for review); a file where more than 10,000 places start like one dangerous pattern (high: flooding near-matches would otherwise hide the real one)', misses: '' },
  { id: 'inventory-languages', severity: 'info', catches: 'files per language', misses: '' },
  { id: 'inventory-executable', severity: 'info', catches: 'each executable file or binary with its size and kind', misses: '' },
  { id: 'inventory-endpoint', severity: 'info', catches: 'each network host named by a URL, where it first appears (at most 100)', misses: 'hosts built at run time, bare IP addresses without a scheme' },
];
