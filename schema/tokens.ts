/**
 * Token estimates for context budgets. A token is taken as 4 characters of text: the usual rule of
 * thumb for English prose and code with current tokenizers. It is an estimate for budgeting and
 * warnings, not a billing figure.
 */
export const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** What one skill costs in an agent's always-loaded skill listing: its catalog entry. */
export function catalogEntryText(name: string, description: string, location: string): string {
  return `<skill>\n<name>${xml(name)}</name>\n<description>${xml(description)}</description>\n<location>${xml(location)}</location>\n</skill>\n`;
}

export function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface TokenEstimates {
  /** The always-loaded catalog entry (name, description, location). */
  catalogEntry: number;
  /** The SKILL.md body, read when the agent decides to use the skill. */
  body: number;
}

export function skillTokenEstimates(name: string, description: string, body: string, location: string): TokenEstimates {
  return { catalogEntry: estimateTokens(catalogEntryText(name, description, location)), body: estimateTokens(body) };
}
