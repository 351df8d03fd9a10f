/** Option parsers shared by several commands. Commander turns InvalidArgumentError into a usage error (EUSAGE, exit 2). */
import { InvalidArgumentError } from 'commander';

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive whole number, got "${value}"`);
  return n;
}
