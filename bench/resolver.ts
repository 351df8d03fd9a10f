/** Resolver figures (issue 5): a 500-skill graph with 4 versions each and 3 edges per version. */
import { resolve, type AvailableSkill } from '../schema/resolve';
import { machine, ms, saveResults, summary } from './stats';

function graph(size: number): Map<string, AvailableSkill> {
  const map = new Map<string, AvailableSkill>();
  for (let i = 0; i < size; i++) {
    const deps: Record<string, string> = {};
    for (const j of [i + 1, i + 7, i * 3 + 2]) if (j < size) deps[`@g/s${j}`] = '^1.0.0';
    map.set(`@g/s${i}`, {
      distTags: { latest: '2.0.0' },
      versions: ['1.0.0', '1.1.0', '1.2.0', '2.0.0'].map((version) => ({ version, dependencies: version === '2.0.0' ? {} : deps, yanked: version === '1.2.0' && i % 10 === 0 })),
    });
  }
  return map;
}

console.log(`machine: ${machine()}`);
const available = graph(500);
const times: number[] = [];
for (let i = 0; i < 50; i++) {
  const started = performance.now();
  const result = resolve({ requested: { '@g/s0': '^1.0.0' }, available });
  times.push(performance.now() - started);
  if (!result.ok || result.skills.size !== 500) throw new Error('resolution failed');
}
const s = summary(times);
console.log(`resolve 500 skills (1,500 edges, 4 versions each, some yanked): p50 ${ms(s.p50)}, p99 ${ms(s.p99)} (n=${s.n})`);
await saveResults('resolver', { skills: 500, p50Ms: s.p50, p99Ms: s.p99 });
