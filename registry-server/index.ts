/** The registry's public entry: what the CLI (`skills serve`), tests and benchmarks use. */
export { createApp, type CreateAppOptions } from './app';
export { DEFAULT_REGISTRY_CONFIG, type RegistryConfig, type Verifier } from './context';
export { createLogOutput, createRegistryLogger, SILENT_LOGGER, type LogFormat, type Logger, type LogLevel, type LogOutput, type LogTarget } from './log';
export { openDatabase, SCHEMA_VERSION, type Db } from './db';
export { ADMIN_TOKEN_FILE, startRegistry, type RunningRegistry, type StartOptions } from './server';
export { afterCopy, checkSource, migrateRegistry, type MigrateProgress, type MigrateResult, type MigrationTarget, type TableCounts } from './storage/migrate';
export { openTarget, shownTarget } from './storage/migrate-target';
export { MAX_CONFIG_FILE_BYTES } from './config-file';
export { describeOrigin, ENV_PREFIX, logOptionsOf, resolveSettings, SETTING_ENTRIES, SETTINGS, settingsReport, settingsText, startOptionsOf, type RegistrySettings, type ResolvedSettings, type SettingFlags, type SettingKey, type SettingOrigin, type SettingReport } from './settings';
export { backupRegistry, type BackupProgress, type BackupResult } from './storage/backup';
export { restoreRegistry, type RestoreProgress, type RestoreResult } from './storage/restore';
