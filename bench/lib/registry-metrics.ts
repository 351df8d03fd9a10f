/**
 * The registry's own count of what it answered, from its metrics (`/-/metrics`, with the metrics
 * token the bench starts it with), to set beside the load generator's.
 */

/** The metrics token of the bench's registries (a bench-only value: they listen on 127.0.0.1). */
export const BENCH_METRICS_TOKEN = 'bench-metrics-token-not-a-secret-0123456789';

/** Requests the registry at `url` answered so far, its own scrapes of /-/metrics left out. */
export async function countedRequests(url: string): Promise<number> {
  const res = await fetch(`${url}/-/metrics`, { headers: { Authorization: `Bearer ${BENCH_METRICS_TOKEN}` } });
  if (res.status !== 200) throw new Error(`scraping ${url}/-/metrics: ${res.status} ${await res.text()}`);
  let total = 0;
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith('skills_registry_http_requests_total{') || line.includes('route="/-/metrics"')) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** How far the registry's count is from the load generator's, in percent of the latter. */
export function countGap(counted: number, sent: number): number {
  return sent === 0 ? 0 : (Math.abs(counted - sent) / sent) * 100;
}
