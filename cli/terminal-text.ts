/**
 * Text bound for a terminal. Registries, skills and MCP servers supply descriptions, SKILL.md
 * bodies, deprecation messages and error text that the CLI prints; an escape sequence in them could
 * move the cursor, rewrite earlier lines, set the window title or plant a hyperlink. This keeps
 * line breaks, tabs and the colour sequences the CLI itself writes (SGR with plain attributes),
 * and drops every other control character and escape sequence (CSI, OSC, DCS, C1 controls).
 * JSON output needs none of this: JSON.stringify escapes control characters.
 */

/** SGR parameters picocolors writes: reset, bold/dim/italic/underline on and off, colours. */
const SAFE_SGR = /^(?:0|1|2|3|4|22|23|24|3[0-9]|9[0-7]|4[0-9]|10[0-7])?$/;

// ESC [ ... final byte (CSI), ESC ] ... BEL or ST (OSC), ESC P/X/^/_ ... ST (DCS, SOS, PM, APC),
// C1 CSI (U+009B) with its parameters, ESC and one more character, lone C0 controls but \t and \n, DEL, and C1 controls.
const SEQUENCE = /\x1b\[([0-?]*)[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b.?|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function safeForTerminal(text: string): string {
  return text.replace(SEQUENCE, (match, csiParams: string | undefined) => {
    if (csiParams !== undefined && match.endsWith('m') && csiParams.split(';').every((p) => SAFE_SGR.test(p))) return match;
    return '';
  });
}
