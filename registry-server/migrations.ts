import { createHash } from 'node:crypto';
import type { Db } from './db-handle';
import { backfillTrust } from './version-trust';

/**
 * The schema, as an ordered list of migrations: SQL, or a function for a step SQL cannot do alone
 * (each runs in its own transaction). Never edit one that shipped: append.
 */
export const MIGRATIONS: readonly (string | ((db: Db) => void))[] = [
  `
  CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
    PRIMARY KEY (team_id, user_id)
  );
  CREATE TABLE scopes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
    created_at TEXT NOT NULL
  );
  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    hash BLOB NOT NULL,
    permission TEXT NOT NULL CHECK (permission IN ('read', 'publish', 'admin')),
    scopes TEXT,
    description TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    last_used_at TEXT
  );
  CREATE TABLE skills (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    scope_id INTEGER NOT NULL REFERENCES scopes(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    skill_id INTEGER NOT NULL REFERENCES skills(id),
    version TEXT NOT NULL,
    integrity TEXT NOT NULL,
    digest TEXT NOT NULL,
    manifest TEXT NOT NULL,
    skill_md TEXT NOT NULL,
    description TEXT NOT NULL,
    files TEXT NOT NULL,
    file_count INTEGER NOT NULL,
    unpacked_size INTEGER NOT NULL,
    size INTEGER NOT NULL,
    verification TEXT NOT NULL,
    published_by INTEGER REFERENCES users(id),
    published_at TEXT NOT NULL,
    yanked INTEGER NOT NULL DEFAULT 0 CHECK (yanked IN (0, 1)),
    deprecated TEXT,
    UNIQUE (skill_id, version)
  );
  CREATE TABLE tarballs (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    bytes BLOB NOT NULL
  );
  -- Every name@version ever published, kept after deletion so a version is never reused.
  CREATE TABLE used_versions (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (name, version)
  ) WITHOUT ROWID;
  CREATE TABLE dist_tags (
    skill_id INTEGER NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    version TEXT NOT NULL,
    PRIMARY KEY (skill_id, tag)
  );
  -- MCP servers the latest version uses, for the search filter.
  CREATE TABLE skill_servers (
    skill_id INTEGER NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
    server TEXT NOT NULL,
    PRIMARY KEY (skill_id, server)
  );
  CREATE INDEX skill_servers_server ON skill_servers(server);
  -- One row per skill (rowid = skills.id), holding its latest version's text.
  CREATE VIRTUAL TABLE skills_fts USING fts5(name, description, keywords, body, tokenize = 'porter unicode61');
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER,
    token_id TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT
  );
  `,
  // Looking up a user's teams (readable private scopes) without scanning every membership.
  `CREATE INDEX team_members_user ON team_members(user_id);`,
  // Issue 12: plain skills, trust per version, provenance, and the digests the discovery index
  // serves. Existing versions are recomputed from their stored tarballs (see backfillTrust).
  (db) => {
    db.exec(`
      ALTER TABLE versions ADD COLUMN kind TEXT NOT NULL DEFAULT 'code' CHECK (kind IN ('code', 'plain'));
      ALTER TABLE versions ADD COLUMN trust TEXT NOT NULL DEFAULT 'unverified' CHECK (trust IN ('verified', 'instructions', 'unverified'));
      ALTER TABLE versions ADD COLUMN trust_reasons TEXT NOT NULL DEFAULT '[]';
      -- As declared by the publisher (Skills-Provenance), JSON; NULL when none was sent.
      ALTER TABLE versions ADD COLUMN provenance TEXT;
      -- sha256 hex of the tarball bytes, and of SKILL.md as /skill.md serves it.
      ALTER TABLE versions ADD COLUMN tarball_sha256 TEXT NOT NULL DEFAULT '';
      ALTER TABLE versions ADD COLUMN skill_md_sha256 TEXT NOT NULL DEFAULT '';
      -- The version search shows for each skill, with its trust, for the trust filter.
      CREATE TABLE skill_latest (
        skill_id INTEGER PRIMARY KEY REFERENCES skills(id) ON DELETE CASCADE,
        version TEXT NOT NULL,
        trust TEXT NOT NULL
      );
      CREATE INDEX skill_latest_trust ON skill_latest(trust);
    `);
    backfillTrust(db);
  },
  // The web catalog: browser sessions, download counts, dependents, recently published.
  `
  -- A signed-in browser: the cookie holds a random id, the row only its sha256. Rows expire, and a
  -- revoked token ends every session signed in with it (the trigger below).
  CREATE TABLE web_sessions (
    id_hash BLOB PRIMARY KEY,
    token_id TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX web_sessions_token ON web_sessions(token_id);
  CREATE INDEX web_sessions_expiry ON web_sessions(expires_at);
  CREATE TRIGGER web_sessions_revoke AFTER UPDATE OF revoked_at ON tokens WHEN NEW.revoked_at IS NOT NULL
  BEGIN
    DELETE FROM web_sessions WHERE token_id = NEW.id;
  END;
  -- Tarball downloads per version and UTC day, with running totals per version and per skill and
  -- day so pages read a few rows, never a skill's whole history.
  CREATE TABLE downloads (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (version_id, day)
  ) WITHOUT ROWID;
  CREATE TABLE version_downloads (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    count INTEGER NOT NULL
  );
  CREATE TABLE skill_downloads (
    skill_id INTEGER NOT NULL REFERENCES skills(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (skill_id, day)
  ) WITHOUT ROWID;
  -- Which versions depend on which skill (for dependents), kept by a trigger on versions.
  CREATE TABLE skill_dependencies (
    dependency TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    PRIMARY KEY (dependency, version_id)
  ) WITHOUT ROWID;
  CREATE INDEX skill_dependencies_version ON skill_dependencies(version_id);
  CREATE TRIGGER skill_dependencies_insert AFTER INSERT ON versions
  BEGIN
    INSERT OR IGNORE INTO skill_dependencies (dependency, version_id) SELECT key, NEW.id FROM json_each(NEW.manifest, '$.dependencies');
  END;
  INSERT OR IGNORE INTO skill_dependencies (dependency, version_id) SELECT j.key, v.id FROM versions v, json_each(v.manifest, '$.dependencies') j;
  CREATE INDEX versions_published ON versions(published_at);
  `,
  // The static audit of each version, run at publish (the summary feeds packuments), and the
  // rules a scope's owner allowed for a skill (by name: the skill may not exist yet). An
  // allowance's file '' means every file.
  `
  CREATE TABLE version_audits (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
    summary TEXT NOT NULL,
    report TEXT NOT NULL
  );
  CREATE TABLE audit_allowances (
    skill TEXT NOT NULL,
    rule TEXT NOT NULL,
    file TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (skill, rule, file)
  ) WITHOUT ROWID;
  `,
  // Issue 25: tarballs are kept by the sha256 of their bytes (the blob store), not by version, so
  // the same store works in this file or in S3-compatible object storage.
  (db) => {
    db.exec('CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, bytes BLOB NOT NULL)');
    // Keys every registry process on this database shares (the web catalog's CSRF key).
    db.exec('CREATE TABLE registry_secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL)');
    // One tarball in memory at a time, whatever the registry's size.
    const ids = (db.prepare('SELECT version_id FROM tarballs ORDER BY version_id').all() as { version_id: number }[]).map((r) => r.version_id);
    const read = db.prepare('SELECT v.tarball_sha256 AS sha256, t.bytes FROM tarballs t JOIN versions v ON v.id = t.version_id WHERE t.version_id = ?');
    const setDigest = db.prepare('UPDATE versions SET tarball_sha256 = ? WHERE id = ?');
    const insert = db.prepare('INSERT OR IGNORE INTO blobs (sha256, bytes) VALUES (?, ?)');
    for (const id of ids) {
      const row = read.get(id) as { sha256: string; bytes: Buffer } | undefined;
      if (!row) continue;
      const digest = createHash('sha256').update(row.bytes).digest('hex');
      if (row.sha256 !== digest) setDigest.run(digest, id);
      insert.run(digest, row.bytes);
    }
    db.exec('DROP TABLE tarballs');
  },
  // Issue 26: the admin log records the client's address (the socket's, NULL for rows from before
  // and for actions no request made), and is read newest first by time, in pages.
  `
  ALTER TABLE audit_log ADD COLUMN address TEXT;
  CREATE INDEX audit_log_at ON audit_log(at, id);
  `,
];
