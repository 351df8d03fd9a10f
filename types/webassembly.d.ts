// The WebAssembly JS API that Node provides. TypeScript ships these types only in lib.dom, which
// this project does not load, so the few members the sandbox uses are declared here.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(deltaPages: number): number;
  }
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
  }
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
}
