#!/usr/bin/env node
// Lists the error codes documented in docs/cli.md and docs/http-api.md (and the other docs) that
// no file under test/ mentions. docs/cli.md's table, generated from schema/error-catalog.ts, holds
// every catalogued code, so this is every code no test mentions. test/error-catalog.test.ts is not
// read: it names every code with a status of its own without reaching it.
// Usage: node scripts/untested-codes.mjs [--all]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const docs = process.argv.includes('--all') ? fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`) : ['docs/cli.md', 'docs/http-api.md'];
const CODE = /`(E[A-Z0-9]{3,})`/g;
const documented = new Map();
for (const doc of docs) for (const m of fs.readFileSync(path.join(root, doc), 'utf8').matchAll(CODE)) if (!documented.has(m[1])) documented.set(m[1], doc);
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
const tests = walk(path.join(root, 'test')).filter((f) => path.basename(f) !== 'error-catalog.test.ts').map((f) => fs.readFileSync(f, 'utf8')).join('\n');
const untested = [...documented].filter(([code]) => !new RegExp(`\\b${code}\\b`).test(tests)).sort();
for (const [code, doc] of untested) console.log(`${code}\t${doc}`);
console.error(`${documented.size} documented codes, ${untested.length} mentioned by no test`);
