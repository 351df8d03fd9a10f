/**
 * A fixed set of skill documents and queries for comparing the two search engines (SQLite FTS5 and
 * PostgreSQL tsvector): names, descriptions, keywords and SKILL.md bodies of different lengths,
 * with words shared between skills so that ranking, not only matching, is tested.
 */
import type { SearchDocument } from '../registry-server/storage/search';

export interface CorpusSkill {
  name: string;
  description: string;
  keywords: string[];
  body: string;
}

const filler = (n: number) => Array.from({ length: n }, (_, i) => ['notes', 'section', 'example', 'usage', 'details', 'output'][i % 6]).join(' ');

export const SEARCH_CORPUS: readonly CorpusSkill[] = [
  { name: '@acme/pdf-tools', description: 'Extract text and tables from PDF files', keywords: ['pdf', 'extract', 'tables'], body: `# PDF tools\nExtract text from a PDF. Works with scanned PDF files through OCR. ${filler(40)}` },
  { name: '@acme/pdf-merge', description: 'Merge several PDF documents into one', keywords: ['pdf', 'merge'], body: `# Merge\nCombine documents. ${filler(10)}` },
  { name: '@docs/report-writer', description: 'Write reports in Markdown and export them to PDF', keywords: ['report', 'markdown'], body: `# Reports\nWrites a report, then converts Markdown to PDF with pandoc. ${filler(200)}` },
  { name: '@acme/git-commit', description: 'Write commit messages from a staged diff', keywords: ['git', 'commit', 'changelog'], body: `# Commit messages\nReads git diff --staged and writes a conventional commit message. ${filler(30)}` },
  { name: '@acme/git-review', description: 'Review a pull request and comment on risky changes', keywords: ['git', 'review', 'github'], body: `# Review\nFetches the pull request from GitHub, reads each commit, and comments. ${filler(80)}` },
  { name: '@tools/changelog', description: 'Generate a changelog from git history', keywords: ['changelog', 'release'], body: `# Changelog\nGroups commits by type for the release notes. ${filler(20)}` },
  { name: '@data/json-schema', description: 'Validate JSON documents against a JSON Schema', keywords: ['json', 'schema', 'validation'], body: `# JSON Schema\nValidates JSON with draft 2020-12. Reports each error with its path. ${filler(25)}` },
  { name: '@data/csv-clean', description: 'Clean and normalise CSV files', keywords: ['csv', 'data', 'cleaning'], body: `# CSV\nTrims cells, fixes encodings, converts CSV to JSON when asked. ${filler(15)}` },
  { name: '@data/sql-helper', description: 'Write and explain SQL queries for PostgreSQL and SQLite', keywords: ['sql', 'database', 'postgresql'], body: `# SQL\nExplains query plans. Writes migrations. Uses the database schema to validate column names. ${filler(60)}` },
  { name: '@media/image-resize', description: 'Resize and compress images for the web', keywords: ['image', 'resize', 'webp'], body: `# Images\nResizes PNG and JPEG images, converts them to WebP. ${filler(12)}` },
  { name: '@media/video-subtitles', description: 'Create subtitles for a video from its audio track', keywords: ['video', 'subtitles', 'transcription'], body: `# Subtitles\nTranscribes the audio, then writes SRT subtitles timed to the video. ${filler(35)}` },
  { name: '@ops/kube-deploy', description: 'Deploy services to Kubernetes with rollbacks', keywords: ['kubernetes', 'deploy', 'helm'], body: `# Deploy\nApplies manifests with kubectl, waits for the rollout, rolls back on failure. ${filler(50)}` },
  { name: '@ops/docker-build', description: 'Build small Docker images with multi-stage builds', keywords: ['docker', 'container', 'build'], body: `# Docker\nWrites a Dockerfile, builds and tags the image, then deploy it anywhere. ${filler(22)}` },
  { name: '@ops/log-search', description: 'Search application logs for errors and slow requests', keywords: ['logs', 'search', 'errors'], body: `# Logs\nQueries logs, groups errors by message, finds slow requests. ${filler(18)}` },
  { name: '@mail/email-draft', description: 'Draft polite email replies', keywords: ['email', 'writing'], body: `# Email\nDrafts a reply to an email thread, keeping the tone of the sender. ${filler(14)}` },
  { name: '@mail/calendar-sync', description: 'Schedule meetings from email threads into a calendar', keywords: ['calendar', 'email', 'meetings'], body: `# Calendar\nFinds dates in email, proposes meeting times, writes calendar invites. ${filler(28)}` },
  { name: '@lang/translate', description: 'Translate documents between languages, keeping formatting', keywords: ['translation', 'i18n', 'languages'], body: `# Translate\nTranslates Markdown and HTML documents. Keeps code blocks untranslated. ${filler(45)}` },
  { name: '@lang/summarize', description: 'Summarize long documents into key points', keywords: ['summary', 'documents'], body: `# Summaries\nSummarizes reports, PDF files and web pages into a short list of points. ${filler(90)}` },
  { name: '@test/unit-tests', description: 'Write unit tests for TypeScript code', keywords: ['testing', 'typescript', 'vitest'], body: `# Tests\nWrites vitest tests for each exported function, with edge cases. ${filler(33)}` },
  { name: '@test/e2e-browser', description: 'Run end-to-end browser tests with Playwright', keywords: ['testing', 'browser', 'playwright'], body: `# Browser tests\nDrives a browser through the pages, takes screenshots on failure. Tests forms. ${filler(70)}` },
  { name: '@acme/cafe-menu', description: 'Café menus and recipes, priced per serving', keywords: ['café', 'menu', 'recipes'], body: `# Café\nPlans a menu for a café, prices each recipe. ${filler(8)}` },
];

/** The document each engine indexes for a skill, as the store builds it (name: full, bare, bare with spaces). */
export function searchDocument(skill: CorpusSkill): SearchDocument {
  const bare = skill.name.slice(skill.name.indexOf('/') + 1);
  return { name: `${skill.name} ${bare} ${bare.replace(/-/g, ' ')}`, description: skill.description, keywords: skill.keywords.join(' '), body: skill.body };
}

export const SEARCH_QUERIES: readonly string[] = [
  'pdf', 'pdf tools', 'PDF files', 'extract', 'git', 'git commit', 'commit', 'changelog', 'review pull request', 'json', 'json schema', 'validate',
  'csv', 'sql', 'database', 'image', 'resize images', 'video', 'subtitles', 'kube', 'deploy', 'docker', 'logs', 'errors', 'email', 'calendar',
  'translat', 'summar', 'documents', 'test', 'tests', 'browser', 'write', 'markdown', 'acme', 'cafe', 'the', 'ops deploy', 'writ', 'data',
];
