import type { CommandModule } from '../command';

export const packCommand: CommandModule = {
  register() {},
};
