/**
 * CSRF tokens for the catalog's forms (sign in, sign out): an HMAC of what the form is bound to,
 * under a key that lives only in this process. A signed-in form is bound to its session; the
 * sign-in form to a random pre-session cookie (so another site cannot sign a browser in to an
 * account of its choosing). A POST must carry a token that matches its binding, and a browser's
 * `Origin`/`Sec-Fetch-Site` headers, when sent, must say the form came from this site.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SkillsError } from '../../schema/errors';

export class Csrf {
  readonly #key = randomBytes(32);

  token(binding: string): string {
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
