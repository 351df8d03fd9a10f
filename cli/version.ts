/** The CLI's version, shown by `skills --version` and sent as the MCP client's version. */
export const CLI_VERSION = '0.1.0';
