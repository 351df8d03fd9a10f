import { SkillsError } from '../../../schema/errors';
import type { SkillSource } from './types';
import type { WellKnownSpec } from './spec';

export const wellKnownSource: SkillSource<WellKnownSpec> = {
  list() {
    return Promise.reject(new SkillsError('EINTERNAL', 'not yet'));
  },
  files() {
    return Promise.reject(new SkillsError('EINTERNAL', 'not yet'));
  },
};
