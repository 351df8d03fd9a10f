/**
 * The `workspace` API of a live run with PII tokenization: the folder is treated like a tool's
 * storage. Reads and listings are tokenized before the skill sees them; paths and written text
 * have tokens replaced by the real values, so a later run (with its own tokens) reads the same
 * data. A recording seeds the replay with what the skill saw (tokenized), never the raw files.
 */
import type { PiiTokenizer } from './pii';
import type { WorkspaceStore } from './workspace-store';

export class PrivateWorkspace implements WorkspaceStore {
  /** Files as the skill first read them (tokenized path -> tokenized text): the seed a recording needs. */
  readonly reads = new Map<string, string>();

  constructor(
    readonly inner: WorkspaceStore,
    readonly pii: PiiTokenizer,
  ) {}

  read(file: string): string | null {
    const text = this.inner.read(this.pii.detokenizeText(String(file)));
    if (text === null) return null;
    const seen = this.pii.tokenizeText(text);
    if (!this.reads.has(file)) this.reads.set(file, seen);
    return seen;
  }

  write(file: string, text: string): void {
    this.inner.write(this.pii.detokenizeText(String(file)), this.pii.detokenizeText(text));
  }

  list(prefix?: string): string[] {
    return this.inner.list(prefix === undefined ? undefined : this.pii.detokenizeText(String(prefix))).map((p) => this.pii.tokenizeText(p));
  }

  remove(file: string): boolean {
    return this.inner.remove(this.pii.detokenizeText(String(file)));
  }
}
