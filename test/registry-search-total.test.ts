/**
 * Search counts matches only up to a cap (1,000; smaller here through the registry's config, the
 * same code path): below it `total` is exact and `totalCapped` false; past it `total` is a lower
 * bound and `totalCapped` true, never a silent stop. A real registry app and real publishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REGISTRY_CONFIG } from '../registry-server/context';
import { createTestRegistry, echoSkill, tarballOf, type TestRegistry } from '../testkit/registry';

let r: TestRegistry;
const CAP = 3;
type Answer = { total: number; totalCapped: boolean; results: { name: string }[] };

beforeAll(async () => {
  r = await createTestRegistry({ searchTotalCap: CAP, publishesPerMinute: 1000 });
  // Six skills in @acme, three of them named kiwi-*: exactly the cap.
  for (const name of ['@acme/alpha', '@acme/bravo', '@acme/lonely', '@acme/kiwi-one', '@acme/kiwi-two', '@acme/kiwi-three']) {
    const res = await r.request('PUT', `/v1/skills/${name}`, { token: r.alice, body: await tarballOf(echoSkill(name)) });
    if (res.status !== 201) throw new Error(await res.text());
  }
}, 120_000);

afterAll(async () => {
  await r.close();
});

const search = async (query: string): Promise<Answer> => (await (await r.request('GET', `/v1/search?${query}`)).json()) as Answer;

describe('search total and its cap', () => {
  it('is 1,000 by default', () => {
    expect(DEFAULT_REGISTRY_CONFIG.searchTotalCap).toBe(1000);
  });

  it('past the cap: total is a lower bound and totalCapped says so', async () => {
    const page = await search('scope=@acme&limit=2');
    expect(page.results).toHaveLength(2);
    expect(page).toMatchObject({ total: CAP, totalCapped: true });
    // A page past the cap: total is at least what was shown, still flagged.
    const later = await search('scope=@acme&limit=2&offset=4');
    expect(later.results).toHaveLength(2);
    expect(later).toMatchObject({ total: 6, totalCapped: true });
  });

  it('at or below the cap: exact, totalCapped false', async () => {
    expect(await search('q=lonely')).toMatchObject({ total: 1, totalCapped: false });
    expect(await search('q=nothingmatchesthis')).toEqual({ total: 0, totalCapped: false, results: [] });
    // A full page with exactly the cap matching: counted one past the cap, so exact.
    const exact = await search('q=kiwi&limit=1');
    expect(exact.results).toHaveLength(1);
    expect(exact).toMatchObject({ total: CAP, totalCapped: false });
    // An offset past every match: total is what matches, not the offset.
    expect(await search('q=kiwi&offset=10')).toMatchObject({ total: CAP, totalCapped: false, results: [] });
  });
});
