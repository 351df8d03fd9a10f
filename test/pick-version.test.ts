import { describe, expect, it } from 'vitest';
import { pickVersion } from '../schema/pick-version';

const versions = ['1.0.0', '1.2.0', '1.10.0', '2.0.0-rc.1', '2.0.0'];
const tags = { latest: '1.10.0', next: '2.0.0-rc.1', x: '1.0.0' };

describe('pickVersion', () => {
  it('takes a dist-tag first, even one that also reads as a range', () => {
    expect(pickVersion('latest', versions, tags)).toBe('1.10.0');
    expect(pickVersion('next', versions, tags)).toBe('2.0.0-rc.1');
    expect(pickVersion('x', versions, tags)).toBe('1.0.0');
  });

  it('takes an exact version as it is, listed or not (the caller says it does not exist)', () => {
    expect(pickVersion('1.2.0', versions, tags)).toBe('1.2.0');
    expect(pickVersion('2.0.0-rc.1', versions, tags)).toBe('2.0.0-rc.1');
    expect(pickVersion('9.9.9', versions, tags)).toBe('9.9.9');
  });

  it('takes the highest version inside a range, by semver order and without prereleases', () => {
    expect(pickVersion('^1.0.0', versions, tags)).toBe('1.10.0');
    expect(pickVersion('~1.2.0', versions, tags)).toBe('1.2.0');
    expect(pickVersion('>=1.0.0', versions, tags)).toBe('2.0.0');
    expect(pickVersion('*', versions, {})).toBe('2.0.0');
    expect(pickVersion('x', versions, {})).toBe('2.0.0');
  });

  it('gives null when nothing matches: a range past every version, an unknown tag, no versions', () => {
    expect(pickVersion('^3.0.0', versions, tags)).toBeNull();
    expect(pickVersion('beta', versions, tags)).toBeNull();
    expect(pickVersion('latest', [], {})).toBeNull();
  });

  it('reads only the tags a registry sent, never what every object inherits', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(pickVersion(name, versions, {})).toBeNull();
  });
});
