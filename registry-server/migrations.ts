/** The schema, as an ordered list of migrations. Never edit one that shipped: append. */
export const MIGRATIONS: readonly string[] = [
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
];
