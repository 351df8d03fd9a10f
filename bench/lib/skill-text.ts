/**
 * Varied text for bench skills, so search has broad words (in every skill: "greets", "workflows",
 * "skill", "test"), middling ones (one domain word in 40 skills of 1,000) and rare ones.
 */
import type { PackageFile } from '../../schema/package-files';

const DOMAINS = ['invoices', 'calendar', 'reminders', 'tickets', 'payroll', 'shipping', 'recipes', 'weather', 'travel', 'contracts', 'budgets', 'inventory', 'hiring', 'support', 'billing', 'marketing', 'analytics', 'security', 'backups', 'releases', 'meetings', 'notes', 'email', 'chat', 'docs'];
const LANGUAGES = ['english', 'spanish', 'french', 'german', 'italian', 'dutch', 'polish', 'swedish', 'finnish', 'greek', 'turkish', 'hindi', 'korean', 'japanese', 'arabic', 'hebrew', 'czech'];
const SENTENCES = [
  'Use it when a user asks for a friendly greeting.',
  'It calls the echo tool once and returns what it says.',
  'Keep the reply short and polite.',
  'The fixtures record one call of the everything server.',
  'Nothing is written to disk.',
  'Works offline with the recorded answers.',
];

const enc = new TextEncoder();
const dec = new TextDecoder();

export function benchSkillFiles(files: readonly PackageFile[], i: number): PackageFile[] {
  const domain = DOMAINS[i % DOMAINS.length] ?? 'notes';
  const language = LANGUAGES[i % LANGUAGES.length] ?? 'english';
  return files.map((f) => {
    if (f.path === 'SKILL.md') {
      const name = /^name: (.+)$/m.exec(dec.decode(f.bytes))?.[1] ?? `skill-${i}`;
      const body = Array.from({ length: 3 }, (_, k) => SENTENCES[(i + k) % SENTENCES.length]).join(' ');
      return { ...f, bytes: enc.encode(`---\nname: ${name}\ndescription: Greets people in ${language} for ${domain} workflows (test skill ${i}).\n---\n\n# ${name}\n\n${body}\n`) };
    }
    if (f.path === 'skill.json') {
      const manifest = JSON.parse(dec.decode(f.bytes)) as Record<string, unknown>;
      return { ...f, bytes: enc.encode(JSON.stringify({ ...manifest, keywords: ['greeting', domain, language] })) };
    }
    return f;
  });
}
