/**
 * The part of the WebAssembly JavaScript API that lakeloop uses. Node has had it since v8, but
 * `@types/node` 20 does not declare it and the DOM library would declare far too much.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class -- an opaque compiled module
  class Module {
    constructor(bytes: BufferSource);
  }
  type Imports = Record<string, Record<string, Memory | ((...args: never[]) => unknown) | number>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  type BufferSource = ArrayBufferView | ArrayBuffer;
}
