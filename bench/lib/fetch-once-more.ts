/**
 * fetch, sent once more when the connection was closed under it: a kept-alive connection the
 * server closes (its keep-alive timeout) just as the next request goes out fails with "other side
 * closed" before any answer. The bench counts such retries and prints them.
 */
let retried = 0;

/** How many requests were sent again so far. */
export function retriedRequests(): number {
  return retried;
}

function closedUnder(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET';
}

/** `fetch(url, init)`, sent again once if the connection closed under it; `again` tells the caller (a publish sent twice may answer 409). */
export async function fetchOnceMore(url: string, init: RequestInit = {}): Promise<{ res: Response; again: boolean }> {
  try {
    return { res: await fetch(url, init), again: false };
  } catch (error) {
    if (!closedUnder(error)) throw error;
    retried++;
    return { res: await fetch(url, init), again: true };
  }
}
