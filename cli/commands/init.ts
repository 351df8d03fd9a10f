import type { CommandModule } from '../command';

export const initCommand: CommandModule = {
  register() {},
};
