/**
 * The catalog of every error and warning code skills uses: what each means, the CLI's exit status
 * and the registry's HTTP status for it, and the hint shown when the place that raised it has
 * nothing more specific to say. `ErrorCode` is the union of its keys, so a code that is not here
 * does not compile; docs/cli.md and docs/http-api.md carry tables generated from it.
 */

/** Where a code comes from, for the tables in the docs. */
export type ErrorArea = 'cli' | 'package' | 'archive' | 'verify' | 'run' | 'install' | 'servers' | 'client' | 'registry' | 'serve';

export interface ErrorInfo {
  readonly area: ErrorArea;
  /** The `skills` exit status when this is the command's error: 2 for invalid usage, else 1. */
  readonly exit: 1 | 2;
  /**
   * The registry's HTTP status when it answers with this code. Codes without one never reach the
   * registry's answers (they are the CLI's own, or appear only inside another error's details) and
   * would answer 400.
   */
  readonly http?: number;
  /** What the code means; the message names the file, skill or limit. */
  readonly summary: string;
  /** What to do, when the place that raised it gives no hint of its own. */
  readonly hint: string;
}

/** The status a SkillsError answers with when its code has no `http` in the catalog. */
export const DEFAULT_HTTP_STATUS = 400;

const info = (area: ErrorArea, summary: string, hint: string, http?: number): ErrorInfo => (http === undefined ? { area, exit: 1, summary, hint } : { area, exit: 1, http, summary, hint });
const cli = (summary: string, hint: string) => info('cli', summary, hint);
const pkg = (summary: string, hint: string) => info('package', summary, hint);
const archive = (summary: string, hint = 'the archive is unsafe or damaged; it was not unpacked') => info('archive', summary, hint, 400);
const verify = (summary: string, hint: string) => info('verify', summary, hint);
const run = (summary: string, hint: string) => info('run', summary, hint);
const install = (summary: string, hint: string) => info('install', summary, hint);
const servers = (summary: string, hint: string) => info('servers', summary, hint);
const client = (summary: string, hint: string) => info('client', summary, hint);
const api = (http: number, summary: string, hint: string) => info('registry', summary, hint, http);
const serve = (summary: string, hint: string) => info('serve', summary, hint, 500);

const REGISTRY_URL_HINT = 'check the registry URL (SKILLS_REGISTRY, --registry or "registry" in skills.json)';
const SPEC_HINT = 'fix it in SKILL.md; `skills validate` lists every problem';
const MANIFEST_HINT = 'fix skill.json; `skills validate` lists every problem';

export const ERRORS = {
  // The CLI itself.
  EUSAGE: { area: 'cli', exit: 2, summary: 'invalid usage: an unknown option or command, a missing argument, a bad option value, or options that exclude each other', hint: 'see `skills <command> --help`' },
  EINTERNAL: info('cli', 'a bug, not a user error: the CLI prints the stack, the registry logs the error and answers 500 without it', 'run it again; if it persists, report it with the command you ran', 500),
  ECONFIG: cli('the skills config file (config.json in SKILLS_CONFIG_DIR) is not valid', 'fix or delete it, then run `skills login` again'),
  EREGISTRYURL: cli('a registry URL (--registry, SKILLS_REGISTRY, "registry" in skills.json) is not an http(s) URL', 'use e.g. http://127.0.0.1:4873'),
  ELOGFILE: cli('`skills serve --log <file>` (or the setting log.requests) cannot write its request log there', 'give --log (or log.requests) a file in a folder that exists and that you can write, or --log alone to print the logs on stderr'),
  ECONFIGFILE: cli('`skills serve --config <file>` cannot use the file: it is missing or unreadable, not a regular file, over 1 MiB, not UTF-8, named neither .toml nor .json, not valid TOML or JSON (the message gives the line), or holds a key twice', 'fix or replace the file the message names (docs/configuration.md shows one); nothing was started'),
  ECONFIGKEY: cli('a key in the registry\'s config file, or a SKILLS_REGISTRY_* environment variable, names no setting; the message gives the setting it is probably a misspelling of', 'use a key docs/configuration.md lists (`skills serve --print-config` prints every one); nothing was started'),
  ECONFIGVALUE: cli('a registry setting from the config file or an environment variable has the wrong type or is out of range; the message names the key, and the file and line or the variable', 'give the key a value of the type and range docs/configuration.md gives for it; nothing was started'),
  EOUTDIR: cli('`skills pack --out` names a file in a folder that does not exist', 'create the folder first or pass --out <existing folder>'),
  EARGSJSON: cli('`skills run --args` is not JSON', `pass a JSON array, e.g. --args '[{"name":"Ada"}]'`),
  ENOTFOUND: info('cli', 'no such skill, version, route, file or fixture target (the registry answers it also for a private skill you cannot read, exactly as for a missing one)', 'check the name, version or address; `skills search` finds skills on the registry', 404),
  EEXIST: cli('`skills init` would overwrite files that already exist; nothing was written', 'choose an empty folder, or remove those files first'),
  ENOTDIR: cli('a path that must be a folder (a skill folder, a folder source) is a file or a link', 'give the folder that holds SKILL.md, or a folder of skill folders'),
  EWRITE: cli('a file or folder could not be written (a file in the way, no permission, a full disk); nothing was changed', 'move what is in the way or make the folder writable, then run the command again'),

  // A skill package: SKILL.md, skill.json, fixtures and file paths (validate, pack, publish, install).
  EVALIDATION: info('package', 'the skill does not validate; every problem is in `details.problems` with its own code, path and line', 'run `skills validate` and fix every problem', 400),
  EENCODING: pkg('SKILL.md is not valid UTF-8 text, holds a NUL character (U+0000), or its description holds a NUL or an unpaired surrogate (from a YAML escape)', 'save SKILL.md as UTF-8 text, without NUL characters'),
  ESKILLMDMISSING: pkg('the skill folder has no SKILL.md', 'add a SKILL.md (`skills init` writes one)'),
  EFRONTMATTERMISSING: pkg('SKILL.md does not start with YAML frontmatter between --- lines', SPEC_HINT),
  EFRONTMATTERUNTERMINATED: pkg('the frontmatter of SKILL.md is not closed by a --- line', SPEC_HINT),
  EFRONTMATTERYAML: pkg('the frontmatter of SKILL.md is not valid YAML', SPEC_HINT),
  EFRONTMATTERNOTMAP: pkg('the frontmatter of SKILL.md is not a mapping of keys to values', SPEC_HINT),
  ENAMEMISSING: pkg('SKILL.md has no name', SPEC_HINT),
  ENAMELENGTH: pkg('the SKILL.md name is over 64 characters (a warning, WNAMELENGTH, when an install is lenient)', SPEC_HINT),
  ENAMECASE: pkg('the SKILL.md name has upper-case letters (WNAMECASE when lenient)', SPEC_HINT),
  ENAMEHYPHEN: pkg('the SKILL.md name starts or ends with a hyphen or has "--" (WNAMEHYPHEN when lenient)', SPEC_HINT),
  ENAMECHARS: pkg('the SKILL.md name is not a string of a-z, 0-9 and single hyphens (WNAMECHARS when lenient)', SPEC_HINT),
  ENAMEFOLDER: pkg('the SKILL.md name differs from its folder name (WNAMEFOLDER when lenient); for `skills init`, the folder is not named like the skill', 'rename the folder or the skill so they match'),
  EDESCRIPTIONMISSING: pkg('SKILL.md has no description, or a blank one', SPEC_HINT),
  EDESCRIPTIONTYPE: pkg('the SKILL.md description is not a string', SPEC_HINT),
  EDESCRIPTIONLENGTH: pkg('the SKILL.md description is over 1,024 characters (WDESCRIPTIONLENGTH when lenient)', SPEC_HINT),
  ELICENSE: pkg('the SKILL.md license is not a string (WLICENSE when lenient)', SPEC_HINT),
  ECOMPATIBILITY: pkg('the SKILL.md compatibility is not a string of at most 500 characters (WCOMPATIBILITY when lenient)', SPEC_HINT),
  EALLOWEDTOOLS: pkg('the SKILL.md allowed-tools is not a space-separated string (WALLOWEDTOOLS when lenient)', SPEC_HINT),
  EMETADATA: pkg('the SKILL.md metadata is not a mapping of strings to strings (WMETADATA when lenient)', SPEC_HINT),
  EMANIFESTJSON: pkg('skill.json is not a JSON object', MANIFEST_HINT),
  EMANIFEST: pkg('skill.json does not match its schema (a field of the wrong type or an unknown shape)', MANIFEST_HINT),
  EMANIFESTNAME: pkg('the skill name in skill.json, or a scope given for a plain skill, is not @scope/name', MANIFEST_HINT),
  ENAMEUNSCOPED: pkg('the skill.json name has no @scope', 'name it @scope/name in skill.json'),
  ENAMEMISMATCH: info('package', 'names that must agree differ: the skill.json name and SKILL.md, or the uploaded skill and the URL it was published to', 'make the names agree, or publish the skill to its own name', 400),
  ESCOPEMISSING: pkg('a plain skill (no skill.json) is named @<scope>/<name>, and no scope was given', 'pass --scope @your-scope'),
  EVERSIONMISSING: pkg('a plain skill has no version: neither SKILL.md metadata.version nor --version', 'add metadata.version to SKILL.md, or pass --version'),
  EVERSIONINVALID: info('package', 'a version is not semver', 'give a version such as 1.2.0', 400),
  EVERSIONMISMATCH: info('package', 'a --version (or ?version) differs from the version in skill.json; for installs, a source gives another version than asked for', 'a skill with skill.json takes its version from there: edit skill.json, or leave --version out', 400),
  EENTRYINVALID: pkg('the skill.json entry is not a relative path to a .ts or .js file', MANIFEST_HINT),
  EENTRYMISSING: pkg('the entry file of a code skill does not exist (or there is no index.ts and several code files)', 'name the entry index.ts, or set "entry" in skill.json'),
  EDEPENDENCIES: pkg('the skill.json dependencies do not map @scope/name to semver ranges', MANIFEST_HINT),
  ERANGEINVALID: pkg('a dependency range is not a semver range', 'use a range such as ^1.2.0'),
  EMCPDECLARATION: pkg('the skill.json mcp does not map server names to arrays of tool names', MANIFEST_HINT),
  ENOFIXTURES: pkg('a code skill has no fixtures/*.json to verify (WNOFIXTURES when fixtures are optional)', 'record one with `skills run <dir> --export <fn> --args <json> --live --record <case>`'),
  EFIXTURE: pkg('a fixture does not match the fixture schema', 'fix the fixture, or record it again with `skills run --live --record <case>`'),
  EFIXTUREJSON: pkg('a fixture is not valid JSON', 'fix the fixture, or record it again'),
  EFIXTUREUNDECLARED: pkg('a fixture records a call to an MCP tool skill.json "mcp" does not declare', 'declare the tool under "mcp" in skill.json'),
  EFIXTURENOTFOUND: pkg('no fixture of that name (`skills verify --case`, `skills run --fixture`)', 'see the fixture names in fixtures/'),
  EJSONDEPTH: pkg('JSON nests deeper than 64 levels: a fixture, skill.json, a tool result or a job that skipped validation', 'flatten the data'),
  EPATHTOOLONG: pkg('a path in the package is over 255 bytes, or a name in it over what file systems allow', 'shorten the path'),
  EPATHNAME: pkg('a path in the package has an empty, "." or ".." part, a control character, or a name Windows cannot hold', 'rename the file'),
  EPACKTOOMANY: pkg('the folder to pack (or a source) holds more files than a package may', 'leave generated or large folders out with .skillsignore'),
  EPACKTOOBIG: pkg('the folder to pack (or a source) holds more bytes than a package may', 'leave large files out with .skillsignore'),
  EPACKFILETOOBIG: pkg('one file is over the size limit for a file in a package', 'remove it or list it in .skillsignore'),
  EPACKFILETYPE: pkg('a file to pack is not a regular file (a socket, FIFO or device)', 'remove it or list it in .skillsignore'),
  EPACKSYMLINK: pkg('a file to pack is a symbolic link; packages carry no links', 'replace it with a copy of the file or list it in .skillsignore'),

  // Tarballs and zip archives, refused before anything is written.
  ETARGZIP: archive('the tarball is not gzip data, or its gzip stream is corrupt'),
  ETARTRUNCATED: archive('the archive ends early'),
  ETARCORRUPT: archive('a tar header cannot be read, or there is a second compressed layer'),
  ETARBOMB: archive('the archive inflates far more than any skill does (a decompression bomb)'),
  ETARTOOBIG: archive('the archive unpacks to more bytes than a package may'),
  ETARTOOMANY: archive('the archive holds more entries than a package may'),
  ETARFILETOOBIG: archive('an entry is over the size limit for one file'),
  ETAREMPTY: archive('the archive holds no files'),
  ETARNAME: archive('an entry has an empty path or one with a NUL byte'),
  ETARABSOLUTE: archive('an entry path is absolute'),
  ETARDRIVE: archive('an entry path starts with a drive letter'),
  ETARBACKSLASH: archive('an entry path contains a backslash'),
  ETARDOTDOT: archive('an entry path has a .. segment, or resolves outside the target folder'),
  ETARDUPLICATE: archive('an entry path appears twice'),
  ETARCASECOLLISION: archive('two entry paths differ only in case'),
  ETARNFCCOLLISION: archive('two entry paths are the same after Unicode NFC normalisation'),
  ETARPATHCONFLICT: archive('a path is both a file and a folder'),
  ETARSYMLINK: archive('an entry is a symbolic link; packages hold only regular files'),
  ETARHARDLINK: archive('an entry is a hard link'),
  ETARDEVICE: archive('an entry is a character or block device'),
  ETARFIFO: archive('an entry is a FIFO'),
  ETARTYPE: archive('an entry has an unsupported tar type (e.g. a GNU sparse file)'),
  EZIPCORRUPT: archive('a zip archive is damaged (its central directory, an entry, or a CRC)'),
  EZIPUNSUPPORTED: archive('a zip archive uses what skills do not read: several disks, zip64, encryption, an unknown compression'),

  // `skills verify`: a case's failure (in the report), and errors for the whole skill.
  EUNRECORDEDCALL: verify('a case made an MCP call no unused recording matches (fails the case even if the skill caught the error)', 'record the case again, or make the call the fixture recorded'),
  EUNUSEDCALL: verify('a recorded MCP call was never made', 'record the case again, or make the recorded call'),
  EUNDECLAREDTOOL: verify('a call to a tool skill.json "mcp" does not declare', 'declare the tool under "mcp" in skill.json'),
  EWRONGRETURN: verify('the return value differs from the fixture\'s; `diff` has one line per difference', 'fix the skill, or record the case again if the new value is right'),
  EWRONGTHROW: verify('the error differs from the fixture\'s expect.throws, or the call returned instead', 'fix the skill, or record the case again'),
  ETHREW: verify('the call threw, but the fixture expects a value', 'fix the skill, or record the case again'),
  ETIMEOUT: verify('the case ran over the sandbox wall time', 'make the call faster'),
  EOOM: verify('the case ran out of sandbox memory', 'use less memory'),
  ESTACK: verify('the case overflowed the sandbox stack (recursion too deep)', 'recurse less deeply'),
  EOUTPUTLIMIT: verify('a return value over 1 MiB of JSON, or console output over 64 KiB', 'return and print less'),
  EHANG: verify('the returned promise can never settle (nothing is pending)', 'make sure every promise the export returns settles'),
  EEXPORTMISSING: verify('the fixture names an export that is not a function', 'export the function the fixture calls'),
  EBADRETURN: verify('the return value cannot be converted to JSON (a cycle) or nests deeper than 64 levels', 'return plain JSON data'),
  EWORKSPACEPATH: verify('a path in the fixture\'s workspace seed, or one the skill asks for, is outside ./workspace', 'fix the paths under "workspace" in the fixture'),
  EWORKSPACEFULL: verify('the skill\'s ./workspace would hold more than its limits (one file or in all)', 'write less into ./workspace'),
  ESANDBOXCRASH: verify('the sandbox itself failed (its worker errored, exited or could not be sent the job); the worker is replaced', 'run it again; if it persists, report it'),
  ESANDBOXCLOSED: info('verify', 'the sandbox pool was closed while a case waited or ran (the process is shutting down)', 'run it again', 500),
  ESANDBOXMISSING: info('verify', 'the sandbox worker (dist/sandbox-worker.js) is missing', 'run `npm run build`', 500),
  EBUNDLE: verify('the skill\'s code does not bundle (a syntax error)', 'fix the syntax error; `skills verify` bundles with esbuild'),
  EBUNDLEIMPORT: verify('the code imports a Node built-in, a package, a path outside the skill, or an undeclared server tool', 'skills may import only their own files, other skills in ./skills, and servers/<server> tools declared in skill.json'),
  EBUNDLELINK: verify('a skill folder in ./skills, or a file in one, is a symbolic link; the bundler never reads through links', 'replace the link with a copy'),
  EVERIFY: verify('an installed skill failed sandbox verification', 'pick another version, or --skip-verify at your own risk'),
  EVERIFICATIONFAILED: info('verify', 'a case failed verification before publishing (the registry\'s report is in `details.report`)', 'run `skills verify` and fix the failing case', 422),

  // `skills run` (replay and --live), privacy and recording.
  ECALLBUDGET: run('a run made more MCP calls than one run may (a loop)', 'make fewer calls in one run'),
  ERESULTTOOLARGE: run('an MCP tool result is over 4 MiB', 'ask the tool for less at a time'),
  EMCPTIMEOUT: run('an MCP server did not answer a call in time', 'check that the server is running and answering'),
  EMCPCALL: run('an MCP server failed a call', 'check that the server in skills.json "servers" is running correctly'),
  EMCPCONNECT: run('an MCP server cannot be started or reached', 'check its entry under "servers" in skills.json'),
  EMCPSERVERUNKNOWN: run('an MCP server skills.json does not configure', 'add it under "servers" in skills.json, then run `skills servers sync`'),
  EPIIBINARY: run('binary content while privacy is on (it cannot be checked for personal data)', 'with privacy.tokenizePii on, binary content is refused; "privacy": { "binary": "allow" } in skills.json lets it through'),
  EPIIUNCHECKED: run('personal data could not be checked within the limits (privacy fails closed)', 'ask the tool for fewer rows at a time'),
  ERECORD: run('`skills run --record`: the run failed, or cannot be written as a valid fixture; nothing was recorded', 'fix the run first; a fixture records a call that returned or threw'),

  // Installs: sources, the workspace, its lock, journal and trust, agent folders.
  ESPECINVALID: install('a skill spec is not @scope/name[@version] or a source (git, folder, URL)', 'see `skills install --help` for the forms a spec takes'),
  ESCOPEINVALID: install('--scope is not a scope', 'a scope is @ followed by lower-case words joined by single hyphens, e.g. @acme'),
  ENAMEINVALID: info('install', 'a skill name is not @scope/name in lower case', 'use @scope/name in lower case, words joined by single hyphens, e.g. @acme/csv-export', 400),
  ERESOLVE: install('no set of versions satisfies every requirement', 'loosen a range in skills.json'),
  ERESOLVESTEPS: install('the resolver tried too many versions without a solution', 'pin exact versions or narrower ranges'),
  ENAMECONFLICT: install('two skills would install into the same skills/<name> folder', './skills is flat by SKILL.md name: depend on only one of them, or alias one in skills.json'),
  ECONFLICT: install('skills would replace what it did not create (a local skill, an edited copy, a file in an agent folder)', 'move or rename what is in the way'),
  EINTEGRITY: install('a tarball or source does not match its integrity (registry, lockfile or source)', 'the bytes changed on the way or at the source; nothing was installed'),
  EUNVERIFIED: install('a new skill is unverified (executable content the sandbox cannot run) and was not accepted', 'review it, then accept it with --allow-unverified (or --trust-workspace)'),
  EAUDIT: info('install', 'the audit found something at or above the threshold (`audit.failOn`; high at the registry); the findings are in `details`', 'read the findings with `skills audit`', 422),
  ELOCALCHANGES: install('files of installed skills were edited since they were installed; nothing was replaced', 'copy your changes elsewhere, or run it again with --force to discard them'),
  ELOCKMISSING: install('`skills ci` (install --frozen-lockfile) without skills-lock.json', 'run `skills install` to write the lockfile, and commit it'),
  ELOCKMISMATCH: install('skills.json and skills-lock.json disagree (`skills ci`, or a lock entry that no longer fits)', 'run `skills install` to update the lockfile'),
  ELOCKED: install('another skills command holds the workspace lock past SKILLS_LOCK_TIMEOUT_MS', 'wait for the other command, or if none runs, delete the lock file it names'),
  EJOURNAL: install('the install journal is not one skills wrote; nothing was changed', 'delete it and any skills/.staging-* and skills/.trash-* folders, then run `skills install`'),
  EJOURNALKEY: install('the key that signs install journals cannot be created or read', 'make the skills config folder writable, or set SKILLS_CONFIG_DIR to a writable folder outside the workspace'),
  EWORKSPACE: install('skills.json is invalid (the line and column of a syntax error), not a regular file, or over 16 MiB; or the workspace folder is missing', 'fix skills.json; `skills install` rewrites only what it changes'),
  ELOCKFILE: install('skills-lock.json is invalid, not a regular file, or over 16 MiB', 'delete it and run `skills install` to regenerate it'),
  EWORKSPACEDUPKEY: install('a key is written twice in skills.json', 'delete one of them'),
  EWORKSPACELINK: install('./skills, ./servers or a skill\'s contracts/ is a symbolic link; skills never writes through links', 'make it a real folder'),
  EHOMELINK: install('`-g`: the global store\'s path goes through a link below the home folder', 'name the folder the link points to with XDG_DATA_HOME'),
  ETRUSTSTORE: install('trust.json is not a skills trust file (or not a regular file); it is kept', 'move it away: acceptances are made again with --allow-unverified or --trust-workspace'),
  ENOTINSTALLED: install('the skill is not in skills.json (or there are no global skills)', 'see what is installed with `skills list`'),
  ESKILLNOTFOUND: install('a source holds no skill of that name (or no skill at all)', 'see what it holds with --list'),
  ESKILLCHOICE: install('a source holds several skills and neither --skill nor --all was given', 'choose with --skill <name> (or --all)'),
  ESOURCECONFLICT: install('two sources give the same skill name, or one source holds two different skills of one name', 'install it from one of them (./skills holds one skill per name)'),
  ESOURCENAME: install('a source now holds a skill of another name than the one installed from it', 'install it under its new name'),
  ESOURCETOOLARGE: install('a source holds more folders, skills or bytes than SKILLS_SOURCE_MAX_BYTES and the search limits allow', 'point at the skill folder itself, or raise SKILLS_SOURCE_MAX_BYTES'),
  EINSECURESOURCE: install('a source is plain http (or redirects to it) on another machine', 'use https:// (plain http is accepted only for 127.0.0.1, localhost and [::1])'),
  EGITURL: install('a git URL carries credentials, or SKILLS_GITHUB_BASE is not an https:// or file:// URL', 'use an https URL without credentials; git uses your credential helper'),
  EGITFETCH: install('git failed: the repository does not exist, needs credentials, or git could not run', 'check the URL and that you can `git clone` it'),
  EGITREF: install('no ref, tag or commit of the repository matches what was asked (or it has no HEAD)', 'check the ref; tags that are versions can be asked for with a range'),
  EGITTIMEOUT: install('git did not finish within SKILLS_GIT_TIMEOUT_MS; nothing was written', 'check the network and the repository size; SKILLS_GIT_TIMEOUT_MS sets the limit'),
  EGITTOOLARGE: install('git\'s answer is over SKILLS_GIT_MAX_BYTES, or the tree over its file limit', 'the repository is larger than any skills repository needs to be'),
  EGITMISSING: install('git is not installed (or not on PATH); git sources need it', 'install git, or install the skill from the registry'),
  EGITSYMLINK: install('a link in a git source leads outside the skill folder, dangles or loops', 'replace the link with a copy in the repository'),
  EGITSUBMODULE: install('a git source holds a submodule; submodules are never fetched', 'copy the files into the repository'),
  EWELLKNOWN: install('a discovery index (/.well-known/agent-skills/index.json) is missing, invalid, or an entry cannot be read', 'check the URL; nothing was written'),
  EWELLKNOWNTOOLARGE: install('a discovery index or an artifact it names is over its size limit', 'skills are small; this is not one'),
  EDIGESTMISMATCH: install('an artifact of a discovery index hashes to another digest than the index says', 'the artifact changed after the index was written, or something altered it on the way'),
  EUNKNOWNAGENT: install('an agent id that skills does not know', 'see `skills agents` for the known agents'),
  EAGENTTARGET: install('an agent folder cannot be written (something in the way); nothing was changed', 'move what is in the way, or list only the agents you use in "agents" in skills.json'),
  EALIAS: install('an alias in skills.json would break a skill that imports another by its folder', 'remove the alias, or alias the other skill of that name instead'),
  ELINKMISSING: install('`skills doctor`: an agent folder lacks the link or copy of an installed skill', 'run `skills install` (or `skills doctor --fix`)'),
  ELINKOUTDATED: install('`skills doctor`: an agent folder holds an out-of-date copy, or a copy where a link belongs', 'run `skills install` (or `skills doctor --fix`)'),
  ELINKSTALE: install('`skills doctor`: an agent folder holds skills\' link or copy of a skill no longer installed, or one an interrupted run left', 'run `skills install` (or `skills doctor --fix`)'),
  ELINKDANGLING: install('`skills doctor`: a link in an agent folder points at a skill folder that does not exist', 'run `skills install` (or `skills doctor --fix`)'),
  ELINKFOREIGN: install('`skills doctor`: a link into ./skills that skills did not make; it is left as it is', 'remove it if you do not need it'),

  // `skills servers sync`, the tool index and MCP contracts.
  ENOSERVERS: servers('skills.json configures no MCP servers', 'add them under "servers" in skills.json'),
  ENOTSYNCED: servers('no tool index, or --server names a server not in it', 'run `skills servers sync`'),
  ESERVERNAME: servers('a server is named like a file servers sync writes, or two names differ only in case', 'rename the server under "servers" in skills.json'),
  ETOOLINDEX: servers('the tool index (servers/.index.json) or ./servers is a link, over 64 MiB, or invalid', 'run `skills servers sync` to rewrite it'),
  ETOOMANYTOOLS: servers('an MCP server lists more tools than skills indexes (5,000)', 'configure the server to expose fewer tools'),
  EMCPCONTRACT: servers('a skill calls a tool its server no longer lists (a warning of servers sync)', 'update the skill, or its fixtures, to the server\'s tools'),
  EMCPDRIFT: servers('a skill sends a tool an argument its live input schema no longer takes (a warning of servers sync)', 'update the skill, or its fixtures, to the tool\'s schema'),

  // The CLI's registry client: what a registry answered, and the bounds of one command.
  ENETWORK: client('the registry cannot be reached (after retries)', 'is it running? start one with `skills serve`, or pass --registry <url>'),
  ETIMEDOUT: client('the registry did not answer in time (after retries)', 'check the registry is running and reachable'),
  EREGISTRY: client('the registry answered an error that is not a skills error body (the status is in the message), or with a code this CLI does not know (that code starts the message)', REGISTRY_URL_HINT),
  EBADRESPONSE: client('the registry sent an answer that is not JSON or not of the expected shape', REGISTRY_URL_HINT),
  ERESPONSETOOLARGE: client('an answer of the registry is over its size limit', REGISTRY_URL_HINT),
  EPACKUMENTTOOLARGE: client('a packument is over its size or version-count limit', REGISTRY_URL_HINT),
  EPACKUMENTNAME: client('the registry answered with the packument of another skill', 'the registry is broken or hostile; check the registry URL'),
  ETARBALLTOOLARGE: client('a tarball is larger than any registry accepts', REGISTRY_URL_HINT),
  EDOWNLOADLIMIT: client('one command downloaded more than its byte budget', REGISTRY_URL_HINT),
  EREQUESTLIMIT: client('one command sent more requests than its budget', REGISTRY_URL_HINT),
  ERESOLVELIMIT: client('resolving needs more skills than one command reads', REGISTRY_URL_HINT),
  ERESOLVEDEPTH: client('a dependency chain is longer than one command follows', REGISTRY_URL_HINT),

  // The registry's HTTP answers.
  EHOSTINVALID: api(400, 'a Host header that is not a host name or address', 'send a plain Host header, or start the registry with --public-url'),
  EBODY: api(400, 'the request body is empty or could not be read; a web form of another content type is 415', 'send the body the route expects'),
  EBODYJSON: api(400, 'the request body is not UTF-8 JSON', 'send a JSON body'),
  EBODYINVALID: api(400, 'the request body is not of the route\'s shape (the problems are in the message)', 'see docs/http-api.md for the route\'s body'),
  EBODYDEPTH: api(400, 'the JSON body nests deeper than 32 levels', 'send a flatter body'),
  EQUERYINVALID: api(400, 'a query parameter is not valid (a number out of range, an unknown trust level)', 'see docs/http-api.md for the route\'s parameters'),
  ETAGINVALID: api(400, 'a dist-tag that is not one, or looks like a version', 'use a tag such as next or beta'),
  ETAGLATEST: api(400, 'the latest tag cannot be removed', 'point it at another version instead'),
  EDEPENDENCYNOTFOUND: api(400, 'a dependency is not on the registry, or no version satisfies its range (500 when a version has lost its tarball)', 'publish a version that satisfies the range first'),
  EDEPENDENCYCONFLICT: api(400, 'the dependencies cannot be resolved together, or one would install into the skill\'s own folder name', 'loosen a range so one version satisfies every requirement'),
  EDEPENDENCYLIMIT: api(400, 'over 100 dependency skills or 100 MiB of them, or past the resolver\'s step cap', 'depend on fewer skills'),
  EPRIVATEDEPENDENCY: api(400, 'a public skill depends on a private one, or a private one on a skill outside its team\'s private scopes', 'depend only on public skills, or publish both into private scopes of the same team'),
  EPROVENANCE: api(400, 'the Skills-Provenance header is too big, not JSON, the wrong shape, or may carry a secret', 'send { "type": "git", "url", "commit", "path" } or { "type": "folder" }, in printable ASCII'),
  ETEXTNUL: api(400, 'the request holds a NUL character (U+0000) where the registry stores or looks up text (PostgreSQL cannot hold one)', 'leave the NUL character out'),
  EAUDITRULE: api(400, 'an audit rule that does not exist', '`skills audit --rules` lists them'),
  EAUTHREQUIRED: api(401, 'this needs a token', 'log in with `skills login --registry <url> --token <token>`'),
  ETOKENINVALID: api(401, 'the token is not valid', 'log in again with `skills login --token <token>`'),
  ETOKENEXPIRED: api(401, 'the token has expired', 'ask for a new token'),
  ETOKENREVOKED: api(401, 'the token was revoked', 'ask for a new token'),
  EFORBIDDEN: api(403, 'the token\'s permission (or scope limit) is too low for this', 'ask an admin for a token with more permission'),
  ESCOPEFORBIDDEN: api(403, 'a readable scope the token may not publish to or change', "publishing needs a publish token of a member of the scope's team"),
  EAUDITALLOWFORBIDDEN: api(403, 'only an owner of the scope\'s team (or an admin) can allow audit findings', 'ask a team owner: `skills team list` shows who they are'),
  ECSRF: api(403, 'a web form without a valid CSRF token', 'reload the page and send the form again'),
  ESCOPENOTFOUND: api(404, 'the scope does not exist (also for a private scope you cannot read)', 'an admin can create it: `skills scope create @scope --team <team>`'),
  EVERSIONEXISTS: api(409, 'that version was already published (or published and deleted); versions are immutable', 'bump the version'),
  EDELETEWINDOW: api(409, 'a version can be deleted only within 72 hours of publishing', 'yank it instead: `skills yank`'),
  EUSEREXISTS: api(409, 'the user already exists', 'choose another name'),
  ETEAMEXISTS: api(409, 'the team already exists', 'choose another name'),
  ESCOPEEXISTS: api(409, 'the scope already exists', 'choose another name'),
  EPAYLOADTOOLARGE: api(413, 'a publish over 10 MiB, or any other body over 64 KiB (refused from Content-Length, or as soon as a streamed body passes it)', 'send less'),
  EBROWSELIMIT: api(413, 'a version too large to browse in the web catalog', 'download the tarball instead'),
  EURITOOLONG: api(414, 'the URL is over 8 KiB', 'send a shorter URL'),
  ETOOMANYFIXTURES: api(422, 'more fixtures than the registry verifies (200 cases)', 'keep the cases that matter'),
  EVERIFYBUDGET: api(422, 'verification ran past the registry\'s time budget (30 s)', 'make the cases faster or fewer; `skills verify` shows each case\'s time'),
  ERATELIMITED: api(429, 'over 120 publishes a minute per token, or 30 failed authentications a minute per address (with Retry-After)', 'wait for Retry-After seconds and try again'),
  EAUDITWORKER: api(500, 'the audit worker thread is missing, died or timed out on this upload; nothing was published', 'try again: the next upload gets a new worker'),
  EMETRICSTOKEN: api(401, 'the metrics (/-/metrics, or the metrics port when metrics.token is set) need the metrics token as a bearer token; no registry token is it, an admin\'s included', 'scrape with Authorization: Bearer <metrics.token> (Prometheus: authorization.credentials)'),
  ESTARTING: api(503, 'a request in the brief start-up window (with Retry-After)', 'try again in a moment'),
  EBLOBUNAVAILABLE: api(503, 'the blob store (S3-compatible object storage) cannot be reached, timed out or failed with a server error, after retries', 'try again in a moment; if it persists, check that the object storage is up'),

  // `skills serve`: the registry process and its database.
  EADDRINUSE: serve('the port is already in use', 'choose another port with --port <n>, or --port 0 for a free one'),
  EADDRACCESS: serve('this user may not listen on that port', 'use a port above 1023, or --port 0 for a free one'),
  EADDRNOTAVAIL: serve('--host is not an address of this machine', 'use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)'),
  EDBOPEN: serve('the registry database cannot be opened (a folder, or an error of SQLite)', 'point --db at a file, e.g. .skills-registry/registry.db'),
  EDBDIR: serve('the folder for the registry database cannot be created', 'choose a writable place with --db <file>'),
  EDBBUSY: serve('another process holds the registry database locked', 'stop the other process using it (another registry on the same --db?) and try again'),
  EDBCORRUPT: serve('the registry database is damaged', 'stop the registry and restore the database from a backup'),
  EDBFULL: serve('the disk holding the registry database is full (for /-/health/ready: has less free space than health.min_free_disk_bytes)', 'free space on that disk'),
  EBLOBMISSING: serve('a version names a tarball that is missing from the blob store (object storage or the database), or a backup lacks a blob its manifest lists', 'restore the blob from a backup, or copy the registry again with skills registry migrate'),
  EDBIO: serve('reading or writing the registry database failed on its disk (an I/O error, or a disk too full even for its small shared-memory file)', 'check that disk: free space, its file system and its errors (dmesg)'),
  EDBREADONLY: serve('the registry database (or its -wal and -shm files) cannot be written', 'make the folder and file writable'),
  EDBNOTSQLITE: serve('the --db file is not a SQLite database; it was not changed', 'point --db at the registry database, or restore it from a backup'),
  EDBFOREIGN: serve('the --db file (or the PostgreSQL database) is a database of another program; it was not changed', 'point --db at the registry database, or at a new file to start an empty one'),
  EDBNEWER: serve('the registry database is from newer code (a higher schema version)', 'upgrade the registry, or point it at another database with --db'),
  EBLOBURL: info('serve', 'the blob store URL is not `s3://<bucket>[/<prefix>][?endpoint=<http(s) URL>&region=<region>]`, or it carries credentials', 'e.g. `s3://skills-blobs/tarballs?endpoint=http://127.0.0.1:9000&region=us-east-1`, with the keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'),
  EBLOBSTORE: serve('the blob store cannot be used: the bucket is missing, unreachable, refuses these credentials or cannot be written (checked at start), or refused a request', 'check the bucket, the endpoint, the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and that they may write'),
  EBLOBCORRUPT: serve('a stored blob does not match its sha256 digest (changed where it is kept); it is never served. Also a blob of a backup whose bytes do not match the digest or size its manifest lists', 'restore that blob from a backup (it is named by the sha256 of its bytes); the versions that name it cannot be downloaded until then'),
  EDBUNAVAILABLE: info('serve', 'the registry\'s PostgreSQL database cannot be reached right now (refused, cut off, restarting or not answering in time); the registry reconnects by itself', 'try again in a moment: the registry reconnects to its database by itself', 503),
  EDBAUTH: serve('PostgreSQL refused the registry\'s credentials (wrong user or password, or no access to that database)', 'check the user and password in the database URL'),
  EDBMISSING: serve('the PostgreSQL database named in the database URL does not exist', 'create it (createdb <name>), or correct the database name in the URL'),
  EDBFILEGONE: serve('the SQLite file the running registry opened was deleted, moved or replaced (reported by /-/health/ready): what the registry writes now is lost when it stops', 'stop the registry, put the database file back (from a backup if need be), and start it again'),
  EDBSCHEMA: serve("the database's schema version is older than this registry's (reported by /-/health/ready): it was restored from an older backup, or changed by hand", 'restart the registry: it migrates the database when it starts'),
  ECHECKTIMEOUT: serve('a readiness check of /-/health/ready did not answer within health.check_timeout_ms', 'look at what the check names: the database, the blob store or a worker pool'),

  // `skills registry migrate`: moving a registry's database and blobs.
  EMIGRATESOURCE: info('serve', '`skills registry migrate --from` is not a registry database at this version\'s schema (missing, empty, not SQLite, another program\'s, older or newer); nothing was written', 'give --from the registry database file; upgrade an older one first by starting this version\'s registry on it once'),
  EMIGRATETARGET: info('serve', 'the migration target holds data that is not from this source (a user, skill, token or version the source lacks or names otherwise), is the source itself, or is not a postgres:// URL or a SQLite file; nothing was written', 'migrate into a new SQLite file or an empty PostgreSQL database; a target an earlier migrate from the same source filled is resumed'),

  // `skills registry backup` and `skills registry restore`.
  EBACKUPDIR: info('serve', 'the backup folder cannot be used: `backup` needs a new or empty folder, `restore` a folder that exists; nothing was written', 'back up into a new folder (a dated one, e.g. backups/2025-06-01), or name the folder a backup was written to'),
  EBACKUPSOURCE: info('serve', 'the registry to back up is not a registry database at this version\'s schema (missing, empty, not SQLite, another program\'s, older or newer); nothing was written', 'give --db the registry database file (or --database its PostgreSQL URL), and back it up with the version of skills its registry runs'),
  EBACKUPMANIFEST: info('serve', 'the backup\'s manifest.json is missing, not JSON, not a manifest this version reads, or its own digest does not match its content (it was changed); nothing was restored', 'restore from an intact copy of the backup; a folder without manifest.json is an unfinished backup'),
  EBACKUPCORRUPT: info('serve', 'a file of the backup (the database snapshot or dump) is missing, or does not match the size, digest or contents its manifest lists; nothing was restored', 'restore from an intact copy of the backup'),
  EBACKUPTOOL: info('serve', 'pg_dump or pg_restore (PostgreSQL\'s client tools, needed to back up or restore a registry on PostgreSQL) is not on PATH, or failed; nothing was kept', 'install PostgreSQL\'s client tools of the server\'s major version or newer (e.g. apt-get install postgresql-client-15) and put pg_dump and pg_restore on PATH'),
  ERESTORENOTEMPTY: info('serve', 'the restore target is not empty: the SQLite file, the PostgreSQL database or its blobs table already holds a registry\'s rows (a registry started on it creates its admin), or other tables; nothing was written', 'restore into a new SQLite file or a new empty PostgreSQL database (createdb), then start the registry on it'),
} satisfies Record<`E${string}`, ErrorInfo>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** A catalog entry with its code. */
export function errorInfo(code: ErrorCode): ErrorInfo & { code: ErrorCode } {
  return { code, ...ERRORS[code] };
}

/** The registry's HTTP status for a code: the catalog's, else 400. */
export function httpStatusOf(code: ErrorCode): number {
  const entry: ErrorInfo = ERRORS[code];
  return entry.http ?? DEFAULT_HTTP_STATUS;
}

export interface WarningInfo {
  readonly summary: string;
  readonly hint: string;
}

const lenient = (rule: string): WarningInfo => ({ summary: `the spec rule ${rule}, reported as a warning by a lenient install (refused under --strict and by a registry)`, hint: SPEC_HINT });

/** Warnings (`W...`): reported in `problems` or as `warnings`, never a failure. */
export const WARNINGS = {
  WFRONTMATTERKEY: { summary: 'a SKILL.md frontmatter key that is neither in the Agent Skills spec nor known to an agent; kept as written', hint: 'remove the key, or keep it if an agent you use reads it' },
  WMETADATASCALAR: { summary: 'a SKILL.md metadata value that is not a string; it is read as text', hint: 'quote the value' },
  WDESCRIPTIONANGLE: { summary: 'the SKILL.md description contains < or >, which agents listing skills in XML-like tags may read as markup', hint: 'write the description without < and >' },
  WBODYLINES: { summary: 'the SKILL.md body is over 500 lines', hint: 'move detail to references/' },
  WBODYTOKENS: { summary: 'the SKILL.md body is over about 5,000 tokens', hint: 'move detail to references/' },
  WVERSIONSHORT: { summary: 'metadata.version is not full semver (e.g. "1.0"); it is read as its semver form', hint: 'write all three parts, e.g. 1.0.0' },
  WMANIFESTKEY: { summary: 'a skill.json key skills does not know; it is ignored', hint: 'remove it, or check its spelling' },
  WNOFIXTURES: { summary: 'a code skill without fixtures: it installs as unverified', hint: 'record one with `skills run <dir> --export <fn> --args <json> --live --record <case>`' },
  WNAMELENGTH: lenient('ENAMELENGTH'),
  WNAMECASE: lenient('ENAMECASE'),
  WNAMEHYPHEN: lenient('ENAMEHYPHEN'),
  WNAMECHARS: lenient('ENAMECHARS'),
  WNAMEFOLDER: lenient('ENAMEFOLDER'),
  WDESCRIPTIONLENGTH: lenient('EDESCRIPTIONLENGTH'),
  WCOMPATIBILITY: lenient('ECOMPATIBILITY'),
  WLICENSE: lenient('ELICENSE'),
  WALLOWEDTOOLS: lenient('EALLOWEDTOOLS'),
  WMETADATA: lenient('EMETADATA'),
} satisfies Record<`W${string}`, WarningInfo>;

export type WarningCode = keyof typeof WARNINGS;
