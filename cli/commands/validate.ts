import type { CommandModule } from '../command';

export const validateCommand: CommandModule = {
  register() {},
};
