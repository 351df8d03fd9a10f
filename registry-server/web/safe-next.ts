/** Where sign-in may send the browser afterwards (an open-redirect guard). */

/**
 * Where sign-in may send the browser afterwards: `next` parsed with the WHATWG URL parser against
 * this registry's own origin, accepted only when it is a path of that origin, and then only its
 * parsed pathname and search, re-serialised (never the raw value, never the fragment). A result a
 * browser could read as another host (`//host`, `/\host`, which `/.//host`, `/%2e//host`,
 * `/a/..//host` or a tab inside `//` normalise into) is refused as well, and re-parsed once more
 * to be sure it stays put. Anything refused becomes `/`; only the accepted value is ever rendered.
 */
export function safeNext(next: string | undefined, origin: string): string {
  if (next === undefined || next.length > 512 || !next.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(next, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin) return '/';
  const path = `${url.pathname}${url.search}`;
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return '/';
  try {
    const again = new URL(path, origin);
    if (again.origin !== origin || `${again.pathname}${again.search}` !== path) return '/';
  } catch {
    return '/';
  }
  return path;
}
