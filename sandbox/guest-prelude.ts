/**
 * JavaScript evaluated in every fresh QuickJS context before the skill. It captures the host
 * functions into closures, deletes their globals, and installs: `console` (captured), the MCP
 * bridge used by the generated `servers/*` modules, timers, and, in replay mode, the virtual clock
 * and a seeded Math.random (sandbox/replay-clock.ts). It also captures JSON.stringify before skill
 * code can replace it.
 */

export function guestPrelude(options: { deterministic: boolean; seed: number }): string {
  return `(() => {
  'use strict';
  const g = globalThis;
  const hostCall = g.__host_call, hostLog = g.__host_log, hostNow = g.__host_now, hostTimer = g.__host_timer, hostWs = g.__host_ws;
  delete g.__host_call; delete g.__host_log; delete g.__host_now; delete g.__host_timer; delete g.__host_ws;
  const stringify = JSON.stringify, parse = JSON.parse, RealDate = Date, RealError = Error;
  const define = (name, value) => Object.defineProperty(g, name, { value, writable: false, enumerable: false, configurable: false });

  const format = (v) => {
    if (typeof v === 'string') return v;
    if (v instanceof RealError) return String(v.name) + ': ' + String(v.message);
    if (typeof v === 'function') return '[Function ' + (v.name || 'anonymous') + ']';
    if (v === undefined) return 'undefined';
    try { const s = stringify(v); return s === undefined ? String(v) : s; } catch (e) { return String(v); }
  };
  const makeConsole = () => {
    const c = {};
    for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
      c[level] = (...args) => { hostLog(level, args.map(format).join(' ')); };
    }
    return Object.freeze(c);
  };
  define('console', makeConsole());

  define('__skillsHost', Object.freeze({
    call: async (server, tool, args) => {
      const reply = hostCall(String(server), String(tool), stringify(args === undefined ? {} : args) ?? '{}');
      const answer = parse(typeof reply === 'string' ? reply : await reply);
      if (answer.ok) return answer.value;
      const error = new RealError(answer.message);
      error.name = 'McpToolError';
      error.server = server;
      error.tool = tool;
      throw error;
    },
  }));

  const wsCall = (op, a, b) => {
    const r = parse(hostWs(op, a === undefined || a === null ? '' : String(a), b === undefined ? '' : String(b)));
    if (r.ok) return r.value;
    const error = new RealError(r.message);
    error.name = 'WorkspaceError';
    error.code = r.code;
    throw error;
  };
  define('workspace', Object.freeze({
    read: async (file) => wsCall('read', file),
    write: async (file, text) => { wsCall('write', file, text); },
    list: async (prefix) => wsCall('list', prefix),
    remove: async (file) => wsCall('remove', file),
  }));

  define('__skillsSerialize', (value) => {
    if (value === undefined) return 'null';
    return stringify(value) ?? 'null';
  });
  define('__skillsDescribeError', (e) => {
    try {
      if (e !== null && typeof e === 'object') {
        return stringify({ name: String(e.name ?? 'Error'), message: String(e.message ?? ''), stack: typeof e.stack === 'string' ? e.stack : undefined });
      }
      return stringify({ name: 'Thrown', message: String(e) });
    } catch (inner) {
      return stringify({ name: 'Thrown', message: 'a value that cannot be described' });
    }
  });

  let nextTimer = 1;
  const cancelled = new Set();
  const setTimeoutImpl = (fn, ms, ...args) => {
    const id = nextTimer++;
    hostTimer(Math.max(0, Number(ms) || 0)).then(() => {
      if (cancelled.delete(id)) return;
      if (typeof fn === 'function') fn(...args);
    });
    return id;
  };
  const clearTimeoutImpl = (id) => { if (typeof id === 'number' && id < nextTimer) cancelled.add(id); };
  const setIntervalImpl = (fn, ms, ...args) => {
    const id = nextTimer++;
    const tick = () => hostTimer(Math.max(1, Number(ms) || 0)).then(() => {
      if (cancelled.has(id)) { cancelled.delete(id); return; }
      if (typeof fn === 'function') fn(...args);
      tick();
    });
    tick();
    return id;
  };
  define('setTimeout', setTimeoutImpl);
  define('clearTimeout', clearTimeoutImpl);
  define('setInterval', setIntervalImpl);
  define('clearInterval', clearTimeoutImpl);
  define('queueMicrotask', (fn) => { Promise.resolve().then(fn); });

  ${options.deterministic ? deterministicPart(options.seed) : ''}
})();
`;
}

function deterministicPart(seed: number): string {
  return `
  let state = ${seed >>> 0};
  Math.random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  function FixedDate(...args) {
    if (!new.target) return new RealDate(hostNow()).toString();
    return args.length === 0 ? new RealDate(hostNow()) : new RealDate(...args);
  }
  FixedDate.prototype = RealDate.prototype;
  Object.defineProperty(RealDate.prototype, 'constructor', { value: FixedDate, writable: true, configurable: true });
  FixedDate.now = () => hostNow();
  FixedDate.UTC = RealDate.UTC;
  FixedDate.parse = RealDate.parse;
  g.Date = FixedDate;
`;
}
