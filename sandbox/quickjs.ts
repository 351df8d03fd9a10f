/**
 * QuickJS modules with a hard memory cap. `runtime.setMemoryLimit` alone does not bound memory
 * under Emscripten (quickjs-emscripten #255, #271), so every module gets its own
 * `WebAssembly.Memory` with a `maximum`: the guest cannot grow past it whatever it does. The wasm
 * is compiled once per process; a module is reused across cases and replaced after any case that
 * hit a limit or grew its memory, so each case starts from a clean, small module.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC, type QuickJSWASMModule } from 'quickjs-emscripten';

const PAGE = 64 * 1024;
/** The release-sync build declares a 16 MiB (256 page) minimum memory. */
const MIN_PAGES = 256;
const MAX_CASES_PER_MODULE = 500;

let compiled: Promise<WebAssembly.Module> | undefined;

/** Emscripten's Module.print/printErr hooks, which quickjs-emscripten's option type leaves out. */
const QUIET_EMSCRIPTEN = { print: () => {}, printErr: () => {} } as unknown as NonNullable<Parameters<typeof newVariant>[1]['emscriptenModule']>;

function compiledWasm(): Promise<WebAssembly.Module> {
  compiled ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
    return WebAssembly.compile(await fs.promises.readFile(wasmPath));
  })();
  return compiled;
}

export interface CappedModule {
  module: QuickJSWASMModule;
  memory: WebAssembly.Memory;
  memoryBytes: number;
  cases: number;
  /** Set when a case hit a limit or crashed: the module is not reused. */
  poisoned: boolean;
}

export async function newCappedModule(memoryBytes: number): Promise<CappedModule> {
  const maximum = Math.max(MIN_PAGES, Math.floor(memoryBytes / PAGE));
  const memory = new WebAssembly.Memory({ initial: MIN_PAGES, maximum });
  const wasmModule = await compiledWasm();
  const module = await newQuickJSWASMModuleFromVariant(
    newVariant(RELEASE_SYNC, {
      wasmModule,
      wasmMemory: memory,
      // Emscripten prints aborts (e.g. a runtime freed with objects a hostile job left behind) to
      // stderr; the sandbox already reports them and discards the module, so they are not printed.
      emscriptenModule: QUIET_EMSCRIPTEN,
    }),
  );
  return { module, memory, memoryBytes, cases: 0, poisoned: false };
}

/** Hands out a module per case, reusing a healthy one. One per thread: cases run one at a time. */
export class ModuleCache {
  #current: CappedModule | undefined;

  async acquire(memoryBytes: number): Promise<CappedModule> {
    const current = this.#current;
    if (current && !current.poisoned && current.memoryBytes === memoryBytes && current.cases < MAX_CASES_PER_MODULE && current.memory.buffer.byteLength === MIN_PAGES * PAGE) {
      current.cases++;
      return current;
    }
    this.#current = await newCappedModule(memoryBytes);
    this.#current.cases = 1;
    return this.#current;
  }
}
