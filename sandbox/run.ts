/**
 * Runs one call of a bundled skill in a fresh QuickJS runtime and context. The host stays healthy
 * whatever the guest does: an interrupt handler enforces the wall time (and stops the guest at
 * once when its console output passes the cap), the capped module bounds memory, the stack size
 * turns runaway recursion into a guest error, and results cross the boundary only as JSON strings.
 */
import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten';
import { findJsonDepthExcess, jsonDepthMessage } from '../schema/json-depth';
import { BridgeError, type BridgeFailure, type McpBridge, type McpCall } from './bridge';
import { toolResultToOutcome } from './call-result';
import { guestPrelude } from './guest-prelude';
import type { CaseFailureCode, SandboxLimits } from './limits';
import type { ModuleCache } from './quickjs';
import { randomReplayClock, VIRTUAL_MS_PER_TICK, type ReplayClock } from './replay-clock';
import { MemoryWorkspace, WorkspaceError, type WorkspaceStore } from './workspace-store';

export type RunMode = 'replay' | 'live';

export interface RunRequest {
  /** The IIFE bundle, which assigns the entry's exports to the global `__skill`. */
  code: string;
  exportName: string;
  args: readonly unknown[];
  bridge: McpBridge;
  mode: RunMode;
  limits: SandboxLimits;
  /** Virtual clock and seeded Math.random; defaults to true in replay mode. */
  deterministic?: boolean;
  /** Their epoch and seed; random for every run unless given (a test repeating a run). */
  clock?: ReplayClock;
  /** Backs the guest's `workspace` API; an empty in-memory folder by default. */
  workspace?: WorkspaceStore;
}

export interface ConsoleLine {
  level: string;
  text: string;
}

export interface GuestError {
  name: string;
  message: string;
  stack?: string;
}

export type RunResult =
  | { status: 'returned'; value: unknown }
  | { status: 'threw'; error: GuestError }
  | { status: 'failed'; failure: BridgeFailure };

export type RunOutcome = RunResult & {
  console: ConsoleLine[];
  durationMs: number;
  /** The sandbox's WebAssembly memory after the case: its high-water mark (16 MiB minimum). */
  memoryBytes: number;
  callsMade: number;
};

interface Timer {
  due: number;
  seq: number;
  deferred: QuickJSDeferredPromise;
}

function failed(code: CaseFailureCode, message: string): RunResult {
  return { status: 'failed', failure: { code, message } };
}

export async function runInSandbox(cache: ModuleCache, request: RunRequest): Promise<RunOutcome> {
  const started = performance.now();
  const capped = await cache.acquire(request.limits.memoryBytes);
  const consoleLines: ConsoleLine[] = [];
  let result: RunResult;
  let runtime: QuickJSRuntime | undefined;
  let context: QuickJSContext | undefined;
  try {
    runtime = capped.module.newRuntime();
    context = runtime.newContext();
    result = await execute(runtime, context, capped.memory, request, consoleLines);
  } catch (error) {
    // A host-level exception from the wasm (e.g. an abort after memory ran out): never reuse it.
    capped.poisoned = true;
    result = classifyHostError(error);
  }
  if (result.status === 'failed' && ['ETIMEOUT', 'EOOM', 'ESTACK', 'ESANDBOXCRASH', 'EOUTPUTLIMIT'].includes(result.failure.code)) capped.poisoned = true;
  try {
    context?.dispose();
    runtime?.dispose();
  } catch {
    capped.poisoned = true;
  }
  return {
    ...result,
    console: consoleLines,
    durationMs: performance.now() - started,
    memoryBytes: capped.memory.buffer.byteLength,
    callsMade: request.bridge.made,
  };
}

function classifyHostError(error: unknown): RunResult {
  const message = error instanceof Error ? error.message : String(error);
  if (/out of memory|memory access out of bounds|Cannot enlarge memory|Aborted/i.test(message)) {
    return failed('EOOM', `the skill ran out of sandbox memory (${message})`);
  }
  if (error instanceof RangeError && /call stack/i.test(message)) return failed('ESTACK', 'the skill overflowed the stack');
  return failed('ESANDBOXCRASH', `the sandbox failed: ${message}`);
}

async function execute(rt: QuickJSRuntime, ctx: QuickJSContext, memory: WebAssembly.Memory, request: RunRequest, consoleLines: ConsoleLine[]): Promise<RunResult> {
  const { limits, bridge } = request;
  // The wall-time limit bounds the skill, not the bridge: time spent answering replayed calls
  // on the host is added back (10,000 recorded calls cost the host ~0.5 s).
  let deadline = Date.now() + limits.timeoutMs;
  let timedOut = false;
  let outputExceeded = false;
  let consoleChars = 0;
  let alive = true;
  let pendingHost = 0;
  let wake: (() => void) | undefined;
  const deferreds = new Set<QuickJSDeferredPromise>();
  const timers: Timer[] = [];
  let timerSeq = 0;
  const deterministic = request.deterministic ?? request.mode === 'replay';
  const clock = request.clock ?? randomReplayClock();
  let virtualNow = clock.epochMs;
  const liveTimers = new Set<ReturnType<typeof setTimeout>>();

  const flags = (): Flags => ({ timedOut, outputExceeded, memoryFull: memory.buffer.byteLength >= limits.memoryBytes * 0.9 });
  rt.setMemoryLimit(Math.max(8 * 1024 * 1024, limits.memoryBytes - 16 * 1024 * 1024));
  rt.setMaxStackSize(limits.stackBytes);
  rt.setInterruptHandler(() => {
    // Virtual time moves with the work done, as real time would, but the same on every run.
    virtualNow += VIRTUAL_MS_PER_TICK;
    if (outputExceeded) return true;
    if (Date.now() > deadline) {
      timedOut = true;
      return true;
    }
    return false;
  });

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const settleDeferred = (deferred: QuickJSDeferredPromise, json: string, reject: boolean) => {
    if (!alive || !deferred.alive) return;
    const handle = ctx.newString(json);
    if (reject) deferred.reject(handle);
    else deferred.resolve(handle);
    handle.dispose();
    // resolve/reject dispose the resolvers; the library already freed the returned handle.
    deferreds.delete(deferred);
  };

  const answerJson = (value: unknown): string => {
    try {
      const outcome = toolResultToOutcome(value as Parameters<typeof toolResultToOutcome>[0]);
      return JSON.stringify(outcome.ok ? { ok: true, value: outcome.value ?? null } : { ok: false, message: outcome.message });
    } catch (error) {
      // Never throw inside a host function: a result that cannot be passed on rejects the call.
      return refusalJson(error);
    }
  };
  const refusalJson = (error: unknown): string => {
    const message = error instanceof BridgeError ? error.message : `MCP call failed: ${error instanceof Error ? error.message : String(error)}`;
    return JSON.stringify({ ok: false, message });
  };

  // Replay answers synchronously with a string (no promise handles: 10,000 calls stay fast);
  // live calls return a promise the host settles later.
  const hostCall = ctx.newFunction('__host_call', (serverH, toolH, argsH) => {
    const entered = performance.now();
    try {
      return hostCallInner(serverH, toolH, argsH);
    } finally {
      if (request.mode === 'replay') deadline += performance.now() - entered;
    }
  });
  const hostCallInner = (serverH: QuickJSHandle, toolH: QuickJSHandle, argsH: QuickJSHandle): QuickJSHandle => {
    let args: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(ctx.getString(argsH)) as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) args = parsed as Record<string, unknown>;
    } catch {
      args = {};
    }
    const call: McpCall = { server: ctx.getString(serverH), tool: ctx.getString(toolH), arguments: args };
    let value: unknown;
    try {
      value = bridge.call(call);
    } catch (error) {
      return ctx.newString(refusalJson(error));
    }
    if (!(value instanceof Promise)) return ctx.newString(answerJson(value));
    const deferred = ctx.newPromise();
    deferreds.add(deferred);
    pendingHost++;
    value
      .then(
        (v) => settleDeferred(deferred, answerJson(v), false),
        (e: unknown) => settleDeferred(deferred, refusalJson(e), false),
      )
      .finally(() => {
        pendingHost--;
        notify();
      });
    return deferred.handle;
  };
  const hostLog = ctx.newFunction('__host_log', (levelH, textH) => {
    if (outputExceeded) return;
    const text = ctx.getString(textH);
    consoleChars += text.length + 1;
    if (consoleChars > limits.consoleBytes) {
      outputExceeded = true;
      return;
    }
    consoleLines.push({ level: ctx.getString(levelH), text });
  });
  const hostNow = ctx.newFunction('__host_now', () => ctx.newNumber(deterministic ? Math.floor(virtualNow) : Date.now()));
  const hostTimer = ctx.newFunction('__host_timer', (msH) => {
    const ms = Math.max(0, ctx.getNumber(msH));
    const deferred = ctx.newPromise();
    deferreds.add(deferred);
    if (request.mode === 'replay') {
      timers.push({ due: virtualNow + ms, seq: timerSeq++, deferred });
    } else {
      pendingHost++;
      const timer = setTimeout(() => {
        liveTimers.delete(timer);
        pendingHost--;
        settleDeferred(deferred, 'null', false);
        notify();
      }, Math.min(ms, Math.max(0, deadline - Date.now() + 5)));
      liveTimers.add(timer);
    }
    return deferred.handle;
  });
  const store = request.workspace ?? new MemoryWorkspace();
  const hostWs = ctx.newFunction('__host_ws', (opH, aH, bH) => {
    const op = ctx.getString(opH);
    const a = ctx.getString(aH);
    try {
      let value: unknown = null;
      if (op === 'read') value = store.read(a);
      else if (op === 'write') store.write(a, ctx.getString(bH));
      else if (op === 'list') value = store.list(a);
      else if (op === 'remove') value = store.remove(a);
      return ctx.newString(JSON.stringify({ ok: true, value }));
    } catch (error) {
      const code = error instanceof WorkspaceError ? error.code : 'EWORKSPACE';
      return ctx.newString(JSON.stringify({ ok: false, code, message: error instanceof Error ? error.message : String(error) }));
    }
  });
  for (const [name, fn] of [['__host_call', hostCall], ['__host_log', hostLog], ['__host_now', hostNow], ['__host_timer', hostTimer], ['__host_ws', hostWs]] as const) {
    ctx.setProp(ctx.global, name, fn);
    fn.dispose();
  }

  const handles: QuickJSHandle[] = [];
  try {
    const prelude = ctx.evalCode(guestPrelude({ deterministic, seed: clock.seed }), 'prelude.js');
    if (prelude.error) {
      const error = describe(ctx, prelude.error);
      prelude.error.dispose();
      return failed('ESANDBOXCRASH', `the sandbox prelude failed: ${error.message}`);
    }
    prelude.value.dispose();

    const loaded = ctx.evalCode(request.code, 'skill.js');
    if (loaded.error) {
      const error = describe(ctx, loaded.error);
      loaded.error.dispose();
      return classifyGuestError(error, flags());
    }
    loaded.value.dispose();

    const exportType = ctx.evalCode(`(typeof __skill === 'object' && __skill !== null) ? typeof __skill[${JSON.stringify(request.exportName)}] : 'missing'`);
    if (exportType.error) {
      exportType.error.dispose();
      return failed('EEXPORTMISSING', `the skill's entry cannot be read for export ${request.exportName}`);
    }
    const kind = ctx.getString(exportType.value);
    exportType.value.dispose();
    if (kind !== 'function') return failed('EEXPORTMISSING', `the skill's entry has no exported function ${JSON.stringify(request.exportName)}`);

    const invoked = ctx.evalCode(
      `(async () => __skill[${JSON.stringify(request.exportName)}](...JSON.parse(${JSON.stringify(JSON.stringify(request.args))})))()`,
      'invoke.js',
    );
    if (invoked.error) {
      const error = describe(ctx, invoked.error);
      invoked.error.dispose();
      return classifyGuestError(error, flags());
    }
    const promise = invoked.value;
    handles.push(promise);

    for (;;) {
      // Checked here too: a trivial callback re-armed by a timer may never reach the interrupt handler.
      if (Date.now() > deadline) {
        timedOut = true;
        break;
      }
      const jobs = rt.executePendingJobs(-1);
      if (jobs.error) jobs.error.dispose();
      if (timedOut || outputExceeded) break;
      const state = ctx.getPromiseState(promise);
      if (state.type === 'fulfilled') {
        handles.push(state.value);
        return readReturn(ctx, state.value, limits, flags);
      }
      if (state.type === 'rejected') {
        const error = describe(ctx, state.error);
        state.error.dispose();
        return classifyGuestError(error, flags());
      }
      if (pendingHost > 0) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          timedOut = true;
          break;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        continue;
      }
      if (timers.length > 0) {
        timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
        const next = timers.shift();
        if (next) {
          virtualNow = Math.max(virtualNow, next.due);
          settleDeferred(next.deferred, 'null', false);
        }
        continue;
      }
      // Out of memory is a catchable error in QuickJS: a promise chain that hit the cap breaks and
      // leaves the call pending. What stopped it was memory, not a hang.
      if (flags().memoryFull) return failed('EOOM', `the skill ran out of sandbox memory, and the call to ${request.exportName} can no longer settle`);
      return failed('EHANG', `the call to ${request.exportName} never settles: its promise is pending with no MCP call or timer left to wait for`);
    }
    if (outputExceeded) return failed('EOUTPUTLIMIT', `the skill wrote more than ${limits.consoleBytes} characters of console output`);
    return failed('ETIMEOUT', `the skill ran longer than ${limits.timeoutMs} ms`);
  } finally {
    alive = false;
    for (const t of liveTimers) clearTimeout(t);
    for (const h of handles) if (h.alive) h.dispose();
    for (const d of deferreds) if (d.alive) d.dispose();
  }
}

function describe(ctx: QuickJSContext, errorHandle: QuickJSHandle): GuestError {
  const fn = ctx.getProp(ctx.global, '__skillsDescribeError');
  try {
    if (ctx.typeof(fn) !== 'function') return { name: 'Error', message: String(ctx.dump(errorHandle)) };
    const described = ctx.callFunction(fn, ctx.undefined, errorHandle);
    if (described.error) {
      described.error.dispose();
      return { name: 'Error', message: 'the error could not be described' };
    }
    const text = ctx.getString(described.value);
    described.value.dispose();
    const parsed = JSON.parse(text) as GuestError;
    return { name: String(parsed.name).slice(0, 200), message: String(parsed.message).slice(0, 4000), ...(parsed.stack ? { stack: String(parsed.stack).slice(0, 4000) } : {}) };
  } finally {
    fn.dispose();
  }
}

interface Flags {
  timedOut: boolean;
  outputExceeded: boolean;
  /** The sandbox memory is at its cap: when QuickJS cannot even allocate an error, it throws null. */
  memoryFull: boolean;
}

function classifyGuestError(error: GuestError, flags: Flags): RunResult {
  if (flags.memoryFull && (error.name === 'Thrown' || /out of memory/.test(error.message))) return failed('EOOM', 'the skill ran out of sandbox memory');
  if (flags.outputExceeded) return failed('EOUTPUTLIMIT', 'the skill wrote more console output than the sandbox captures');
  if (flags.timedOut || (error.name === 'InternalError' && error.message === 'interrupted')) return failed('ETIMEOUT', 'the skill ran past its time limit');
  if (error.name === 'InternalError' && /out of memory/.test(error.message)) return failed('EOOM', 'the skill ran out of sandbox memory');
  if (error.name === 'InternalError' && /stack overflow/.test(error.message)) return failed('ESTACK', 'the skill overflowed the sandbox stack (recursion too deep)');
  if (error.name === 'RangeError' && /Maximum call stack/.test(error.message)) return failed('ESTACK', 'the skill overflowed the sandbox stack (recursion too deep)');
  return { status: 'threw', error };
}

function readReturn(ctx: QuickJSContext, value: QuickJSHandle, limits: SandboxLimits, flags: () => Flags): RunResult {
  if (ctx.typeof(value) === 'string') {
    const length = ctx.getProp(value, 'length');
    const n = ctx.getNumber(length);
    length.dispose();
    if (n > limits.outputBytes) return failed('EOUTPUTLIMIT', `the skill returned a string of ${n} characters, over the ${limits.outputBytes} limit`);
  }
  const serialize = ctx.getProp(ctx.global, '__skillsSerialize');
  try {
    const serialized = ctx.callFunction(serialize, ctx.undefined, value);
    if (serialized.error) {
      const error = describe(ctx, serialized.error);
      serialized.error.dispose();
      const classified = classifyGuestError(error, flags());
      if (classified.status === 'failed') return classified;
      return failed('EBADRETURN', `the return value cannot be converted to JSON: ${error.message}`);
    }
    const length = ctx.getProp(serialized.value, 'length');
    const n = ctx.getNumber(length);
    length.dispose();
    if (n > limits.outputBytes) {
      serialized.value.dispose();
      return failed('EOUTPUTLIMIT', `the return value is ${n} characters of JSON, over the ${limits.outputBytes} limit`);
    }
    const text = ctx.getString(serialized.value);
    serialized.value.dispose();
    const returned = JSON.parse(text) as unknown;
    // Thousands of levels fit in the guest's stack but not in structured clone or a recursive
    // walker on the host; no fixture can expect more than MAX_JSON_DEPTH anyway.
    const excess = findJsonDepthExcess(returned);
    if (excess) return failed('EBADRETURN', `the return value is ${jsonDepthMessage({ ...excess, path: [] })}`);
    return { status: 'returned', value: returned };
  } finally {
    serialize.dispose();
  }
}
