/**
 * CSRF tokens for the catalog's forms (sign in, sign out): an HMAC of what the form is bound to,
 * under a key kept in the database (created by the first process that needs it), so any registry
 * process behind a load balancer checks a form another one served. A signed-in form is bound to its session; the
 * sign-in form to a random pre-session cookie (so another site cannot sign a browser in to an
 * account of its choosing). A POST must carry a token that matches its binding, and a browser's
 * `Origin`/`Sec-Fetch-Site` headers, when sent, must say the form came from this site.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlDatabase } from '../storage/sql';
import { SkillsError } from '../../schema/errors';

export class Csrf {
  #key: Buffer | undefined;
  #loading: Promise<void> | undefined;

  constructor(private readonly db: SqlDatabase) {}

  /** Loads the shared key (once; page routes await it before rendering a form). */
  ready(): Promise<void> {
    if (this.#key) return Promise.resolve();
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    await this.db.run('INSERT INTO registry_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', ['csrf', randomBytes(32)]);
    const row = await this.db.get<{ value: Buffer }>('SELECT value FROM registry_secrets WHERE name = ?', ['csrf']);
    if (!row || !Buffer.isBuffer(row.value) || row.value.byteLength < 32) throw new Error('the CSRF key in registry_secrets is missing or too short');
    this.#key = row.value;
  }

  token(binding: string): string {
    if (!this.#key) throw new Error('Csrf.token before Csrf.ready');
    return createHmac('sha256', this.#key).update(binding).digest('base64url');
  }

  valid(binding: string, presented: string | undefined): boolean {
    if (presented === undefined || presented.length !== 43) return false;
    const expected = Buffer.from(this.token(binding));
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

export function csrfError(): SkillsError {
  return new SkillsError('ECSRF', 'this form expired or was sent from another site; reload the page and try again', { status: 403 });
}

/** Refuses a state-changing request a browser says came from another site. */
export function checkSameOrigin(origins: readonly string[], headers: { origin: string | undefined; fetchSite: string | undefined }): void {
  if (headers.fetchSite !== undefined && headers.fetchSite !== 'same-origin' && headers.fetchSite !== 'none') throw csrfError();
  if (headers.origin !== undefined && !origins.includes(headers.origin)) throw csrfError();
}
