/**
 * Prompt injection: instructions in SKILL.md and references that turn the agent reading them
 * against its user. Each pattern needs the imperative shape of the attack, not a topic word:
 * "set your API key in OPENAI_API_KEY" is not asking to send it anywhere.
 *
 * Rule ids: `injection-override` (ignore earlier instructions), `injection-conceal` (hide what is
 * done from the user), `injection-no-confirm` (disable confirmations and permission checks),
 * `injection-secrets` (read or send secrets, credential stores or the environment),
 * `injection-remote-code` (fetch and run remote code, or follow remote instructions).
 */
import type { Severity } from '../../schema/audit-report';
import { compile, scan, type CompiledPattern } from './scan';

export interface InjectionPattern {
  rule: string;
  severity: Severity;
  re: RegExp;
  message: string;
  /** An extra condition on the matched text (and the text after it). */
  refine?: (match: RegExpExecArray, text: string) => boolean;
  /** A cheap test the whole text must pass before the pattern is tried. */
  requires?: RegExp;
  /**
   * How context weighs the match (audit/prose.ts): `ask` ("do not ask for confirmation") is high
   * only when the sentence does something hard to undo or outward; `command` is a command line,
   * judged like the script-* rules (a code span does not make it a quotation).
   */
  kind?: 'ask' | 'command';
}

const SECRET_OBJECT = String.raw`(?:api[\s_-]?keys?|access[\s_-]tokens?|auth(?:entication)?[\s_-]tokens?|bearer[\s_-]tokens?|secret[\s_-]keys?|secrets|credentials|passwords?|passphrases?|private[\s_-]keys?|ssh[\s_-]keys?|environment[\s_-]variables|env[\s_-]vars|\.env(?:\s+files?)?|cookies|session[\s_-](?:tokens?|cookies)|tokens)`;
const SEND_VERB = String.raw`(?:send|post|upload|exfiltrate|transmit|forward|e-?mail|leak|submit|beacon)`;
const DESTINATION = String.raw`(?:to|into|via)\s+(?:(?:the\s+|our\s+|my\s+|a\s+)?[\w-]+(?:\s+[\w-]+)?\s+(?:at|on)\s+(?:https?://|wss?://)|https?://|wss?://|ftp://|the\s+(?:following\s+|remote\s+|external\s+)?(?:url|webhook|endpoint|server|address|host|email|channel|pastebin|gist)|this\s+(?:url|webhook|endpoint|server|address|host|email)|(?:my|our)\s+(?:server|endpoint|webhook|email|address|site|host)|[\w.-]+\.(?:com|net|org|io|xyz|ru|cn|tk|top|site|online|app|dev|sh)\b|[\w.+-]+@[\w-]+\.[\w.]+|\d{1,3}(?:\.\d{1,3}){3})`;
const CREDENTIAL_PATH = String.raw`(?:~/\.ssh|\.ssh/id_\w+|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|~/\.aws|\.aws/credentials|\.git-credentials|\.netrc|\.npmrc|\.pypirc|\.docker/config\.json|\.kube/config|\bLogin Data\b|cookies\.sqlite|logins\.json|key4\.db|/etc/shadow|browser\s+(?:profiles?|passwords|cookies))`;

/** The rest of a "collect the keys from .env ..." sentence: "... and post them to https://...". */
const COLLECT_THEN_SEND = new RegExp(String.raw`\b(?:and|then)\s+(?:then\s+)?${SEND_VERB}\b[^.\n]{0,60}?\b${DESTINATION}`, 'i');

export const INJECTION_PATTERNS: readonly InjectionPattern[] = [
  {
    rule: 'injection-override',
    severity: 'high',
    re: /\b(?:ignore|disregard|forget|override|bypass|abandon|drop)\s+(?:(?:all|any|the|your|these|those|every|of|everything|whatever)\s+){0,3}(?:previous|prior|earlier|above|preceding|former|original|initial|system|developer|safety|existing|other|old)\s+(?:instructions?|prompts?|rules|directions|directives|guidelines|guardrails|context|messages|constraints|policies|orders|commands|programming)\b/gi,
    message: 'tells the agent to ignore its earlier instructions',
  },
  {
    rule: 'injection-override',
    severity: 'high',
    re: /\b(?:you\s+are\s+now\s+(?:in\s+)?(?:developer|dan|jailbreak|jailbroken|unrestricted|god|sudo|admin)(?:\s+mode)?\b|new\s+system\s+prompt\s*:|enter\s+(?:developer|dan|god)\s+mode\b|(?:your|the)\s+(?:real|true|actual)\s+instructions\s+are\b)/gi,
    message: 'tries to replace the agent\'s instructions or role',
  },
  {
    rule: 'injection-conceal',
    severity: 'high',
    re: /\b(?:without\s+(?:telling|informing|notifying|alerting|showing)\s+(?:the\s+|your\s+)?(?:user|human|operator)s?\b(?!\s+(?:to|how)\b)|(?:do\s+not|don't|never)\s+(?:tell|inform|notify|alert)\s+(?:the\s+|your\s+)?(?:user|human|operator)s?\b(?!\s+(?:to|which|how|that\s+(?:they|you\s+(?:can(?:no|')t|are\s+unable))|[*_"“'«]|\w+\s+to\b))|(?:do\s+not|don't|never)\s+let\s+(?:the\s+|your\s+)?(?:user|human|operator)s?\s+(?:know|see|notice|find\s+out)\b|(?:hide|conceal|mask|obscure)\b[^.\n]{0,80}?\bfrom\s+(?:the\s+|your\s+)?(?:user|human|operator)s?\b|(?:silently|secretly|covertly|stealthily|invisibly|quietly)\s+(?:run|execute|send|upload|post|install|download|delete|remove|copy|exfiltrate|transmit|forward|collect|read|modify|add|call|invoke)\b|the\s+(?:user|human)\s+(?:(?:must|should|need|needs\s+to)\s*(?:not|never)\s+(?:know|see|notice|find\s+out|be\s+told|learn)\b|(?:does\s*n[o']t|does\s+not|do\s+not)\s+need\s+to\s+(?:know|see|be\s+told)\s+(?:about\s+)?(?:this|it|that\s+you|what\s+you)\b)|without\s+the\s+(?:user|human)(?:'s)?\s+(?:knowing|knowledge|noticing|awareness)\b|(?:do\s+not|don't|never)\s+(?:mention|reveal|disclose|report|show)\s+(?:this\s+(?:step|action|command|request|upload|call|file|instruction)|these\s+(?:instructions|steps|actions)|that\s+you|what\s+you)\b|no\s+need\s+to\s+(?:mention|tell|inform|report|notify)\s+(?:this|it|that|the\s+user|them)\b|(?:keep|leave)\s+(?:this|it|that)\s+(?:step\s+|action\s+)?(?:out\s+of\s+(?:your|the)\s+(?:reply|response|summary|answer|report)|(?:hidden|secret|private)\s+from)|omit\s+(?:this|it|that)\s+(?:step\s+)?from\s+(?:your|the)\s+(?:reply|response|summary|answer|report)|keep\s+(?:the\s+|your\s+)?(?:user|human|operator)s?\s+(?:unaware|in\s+the\s+dark|uninformed)\b|(?:the\s+)?(?:user|human)s?\s+(?:must|should)\s+(?:remain|stay)\s+(?:unaware|in\s+the\s+dark)\b)/gi,
    message: 'tells the agent to hide what it does from the user',
  },
  {
    rule: 'injection-no-confirm',
    severity: 'high',
    kind: 'ask',
    re: /\b(?:(?:do\s+not|don't|never|no\s+need\s+to)\s+(?:ask|prompt|check\s+with|wait\s+for|request|seek)\s+(?:the\s+user\s+|them\s+)?(?:for\s+)?(?:confirmation|permission|approval|consent)|without\s+(?:asking|prompting|consulting|checking\s+with)\s+(?:the\s+user|them|for\s+(?:confirmation|permission|approval|consent)))/gi,
    message: 'tells the agent to act without the user\'s confirmation',
  },
  {
    rule: 'injection-no-confirm',
    severity: 'high',
    re: /\b(?:(?:disable|turn\s+off|switch\s+off|skip|bypass)\s+(?:the\s+|all\s+|any\s+|every\s+)?(?:confirmations?|confirmation\s+prompts?|permission\s+(?:checks?|prompts?)|approvals?|approval\s+prompts?|safety\s+(?:checks?|prompts?|filters?)|sandbox(?:ing)?|guardrails)\b|(?:always|automatically)\s+(?:approve|accept|confirm|allow)\s+(?:all|every|any)\b|yolo\s+mode\b|(?:switch|change|set|put)\s+(?:\w+\s+){0,3}?(?:to|into|in)\s+(?:the\s+)?["'`]?bypass[\s_-]?permissions["'`]?(?:\s+mode)?\b|permission[\s_-]?mode["'`]?\s*(?:[:=]|to|as)\s*["'`]?bypass[\s_-]?permissions\b)/gi,
    message: 'tells the agent to turn off the user\'s confirmations and permission checks',
  },
  {
    rule: 'injection-no-confirm',
    severity: 'high',
    kind: 'command',
    re: /--dangerously-skip-permissions\b|--dangerously-bypass-approvals-and-sandbox\b|--permission-mode[\s=]+["']?bypassPermissions\b/gi,
    message: 'starts an agent with its permission checks turned off',
  },
  {
    rule: 'injection-secrets',
    severity: 'high',
    re: new RegExp(String.raw`\b${SEND_VERB}\s+(?:(?:all|any|every|the|your|their|its|of|user'?s?|these|those|each)\s+){0,3}(?:\S+\s+){0,2}?${SECRET_OBJECT}\b[^.\n]{0,60}?\b${DESTINATION}`, 'gi'),
    message: 'tells the agent to send secrets somewhere',
  },
  {
    rule: 'injection-secrets',
    severity: 'high',
    re: new RegExp(String.raw`\b(?:collect|gather|read|grab|copy|take|get|extract|load|harvest)\s[^.\n]{0,60}?(?:${SECRET_OBJECT}|\b(?:keys|values|contents)\s+(?:from|in|of))`, 'gi'),
    refine: (m, text) => COLLECT_THEN_SEND.test(text.slice(m.index + m[0].length, m.index + m[0].length + 200).split(/\.\s|\n/, 1)[0] ?? ''),
    message: 'tells the agent to collect secrets and send them somewhere',
  },
  {
    rule: 'injection-secrets',
    severity: 'high',
    re: new RegExp(String.raw`\b(?:read|cat|open|copy|print|dump|collect|gather|extract|grab|harvest|upload|send|output|exfiltrate|include|attach|base64)\b[^.\n]{0,60}?${CREDENTIAL_PATH}`, 'gi'),
    message: 'tells the agent to read a credential store (SSH keys, cloud or git credentials, browser data, keychains)',
  },
  {
    rule: 'injection-secrets',
    severity: 'high',
    re: /\b(?:print|dump|list|output|echo|reveal|show|include|send|post)\s+(?:out\s+)?(?:all|every)\s+(?:of\s+)?(?:the\s+|your\s+)?(?:environment\s+variables|env\s+vars|secrets|api\s+keys|credentials|tokens)\b[^.\n]{0,80}?\b(?:in\s+(?:your|the)\s+(?:reply|response|answer|output)|to\s+(?:https?:\/\/|the\s+(?:url|server|webhook)))/gi,
    message: 'tells the agent to disclose every secret',
  },
  {
    rule: 'injection-remote-code',
    severity: 'high',
    re: /\b(?:download|fetch|retrieve)\b(?:[^.\n]|\.(?!\s)){0,120}?\b(?:and|then)\s+(?:then\s+)?(?:run|execute|eval(?:uate)?|source|launch|start|pipe\s+it)\b/gi,
    // "Download the script, review it, then run it" is the safe way, not the attack.
    refine: (m) => /https?:\/\/\S|\bscript\b|\bpayload\b|\binstaller\b|\bbinary\b|\bexecutable\b|\.(?:sh|py|ps1|exe|bat|js)\b/i.test(m[0]) && !/\b(?:review|inspect|read|check|verify|audit)\b/i.test(m[0]),
    message: 'tells the agent to download code and run it',
  },
  {
    rule: 'injection-remote-code',
    severity: 'high',
    re: /\bpipe\s+(?:it|them|the\s+(?:script|installer|output|response|file)|https?:\/\/\S+)\s+(?:in)?to\s+(?:a\s+|the\s+)?(?:(?:ba|z|k)?sh|shell|python[0-9.]*|node|perl|ruby)\b/gi,
    message: 'tells the agent to pipe a download into a shell or interpreter',
  },
  {
    rule: 'injection-remote-code',
    severity: 'high',
    re: /\b(?:run|execute|eval(?:uate)?|source)\s+(?:the\s+)?(?:code|script|commands?|payload|program)\s+(?:at|from|found\s+at|hosted\s+at|served\s+(?:at|from)|downloaded\s+from|returned\s+by)\s+(?:https?:\/\/|the\s+(?:url|server|link))/gi,
    message: 'tells the agent to run code from a URL',
  },
  {
    rule: 'injection-remote-code',
    severity: 'high',
    kind: 'command',
    requires: /https?:|git\+|github:/i,
    re: /\b(?:npx|bunx|pnpx|(?:pnpm|yarn|npm)\s+(?:dlx|exec)|uvx|pipx\s+run)\s+(?:-{1,2}[\w-]+(?:[= ](?!https?:|git\+)\S+)?\s+)*(?:https?:\/\/|git\+(?:https?|ssh):\/\/|github:)\S+|\b(?:npm|pnpm|yarn|bun|pip3?|uv\s+pip|pipx)\s+(?:install|i|add)\s+(?:-{1,2}[\w-]+\s+)*https?:\/\/\S+\.(?:tgz|tar\.gz|whl|zip)\b/gi,
    message: 'runs or installs a program straight from a URL (whatever the server sends runs)',
  },
  {
    rule: 'injection-remote-code',
    severity: 'medium',
    re: /\b(?:follow|obey|load|apply|execute)\s+(?:the\s+)?(?:latest\s+|updated\s+|new\s+|additional\s+|further\s+|real\s+)?(?:instructions|rules|prompts?|directives|commands)\s+(?:at|from|found\s+at|hosted\s+at|served\s+(?:at|from)|fetched\s+from)\s+(?:https?:\/\/|the\s+(?:url|server|link))/gi,
    message: 'tells the agent to follow instructions fetched from elsewhere (they can change after review)',
  },
];

export interface InjectionMatch {
  rule: string;
  severity: Severity;
  kind?: 'ask' | 'command';
  start: number;
  end: number;
  message: string;
}

/** Every gap in these patterns is at most 120 characters, so each costs at most that per character. */
export type CompiledInjections = CompiledPattern<InjectionPattern>[];

export function compileInjections(): CompiledInjections {
  return compile(INJECTION_PATTERNS);
}

export function findInjections(compiled: CompiledInjections, text: string, limit = 100): InjectionMatch[] {
  const out: InjectionMatch[] = [];
  for (const entry of compiled) {
    const { pattern } = entry;
    if (pattern.requires && !pattern.requires.test(text)) continue;
    for (const m of scan(entry, text, limit, Number.POSITIVE_INFINITY).matches) {
      if (pattern.refine && !pattern.refine(m, text)) continue;
      out.push({ rule: pattern.rule, severity: pattern.severity, ...(pattern.kind ? { kind: pattern.kind } : {}), start: m.index, end: m.index + m[0].length, message: pattern.message });
    }
  }
  return out;
}
