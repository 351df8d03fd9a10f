/** Publishing the bench's skills over HTTP, a slice at a time, several uploads in flight. */
import { fetchOnceMore } from './fetch-once-more';

export interface BenchTarball {
  name: string;
  bytes: Uint8Array;
}

export interface PublishSlice {
  /** Wall time of the slice, first upload sent to last answer read. */
  elapsedMs: number;
  /** Each upload's time, request to answer. */
  times: number[];
}

/** Publishes `tarballs` into the registry at `url`, `concurrency` uploads in flight; each must answer 201. */
export async function publishSlice(url: string, token: string, tarballs: readonly BenchTarball[], concurrency: number): Promise<PublishSlice> {
  const started = performance.now();
  const times: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tarballs.length) {
        const t = tarballs[next++];
        if (!t) break;
        const sent = performance.now();
        const { res, again } = await fetchOnceMore(`${url}/v1/skills/${t.name}`, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: t.bytes });
        // Sent twice, the first may have landed: then the version exists, which the caller's reads check.
        if (res.status !== 201 && !(again && res.status === 409)) throw new Error(`publish ${t.name}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        times.push(performance.now() - sent);
      }
    }),
  );
  return { elapsedMs: performance.now() - started, times };
}

/** Reads every path once from `base`, `concurrency` at a time (the warm-up before load figures). */
export async function readAll(base: string, paths: readonly string[], headers: Record<string, string>, concurrency = 8): Promise<void> {
  let k = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (k < paths.length) {
        const p = paths[k++];
        if (p === undefined) break;
        const { res } = await fetchOnceMore(`${base}${p}`, { headers });
        if (!res.ok) throw new Error(`reading ${p}: ${res.status}`);
        await res.arrayBuffer();
      }
    }),
  );
}
