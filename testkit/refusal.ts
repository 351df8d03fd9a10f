/** The SkillsError a promise rejects with; the test fails when it resolves or rejects with anything else. */
import { expect } from 'vitest';
import { SkillsError } from '../schema/errors';

export async function refusal(promise: Promise<unknown>): Promise<SkillsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SkillsError);
  return error as SkillsError;
}
