/**
 * The Functions host provides `@azure/functions-core`; supplying it in a test makes `app.*` register
 * with us instead of switching to test mode, so the real registrations can be read. Affects the
 * whole process, which node:test gives each test file.
 */
import Module from "node:module";

export interface Registration {
  readonly name: string;
  readonly bindings: Record<string, Record<string, unknown>>;
}

export function captureRegistrations(): Registration[] {
  const registered: Registration[] = [];
  const fakeCore = {
    setProgrammingModel: () => undefined,
    registerFunction: (metadata: Registration) => {
      registered.push(metadata);
      return { dispose: () => undefined };
    },
  };
  const loader = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = (request, ...rest) => (request === "@azure/functions-core" ? "@azure/functions-core" : resolve(request, ...rest));
  loader._cache["@azure/functions-core"] = { id: "@azure/functions-core", loaded: true, exports: fakeCore };
  return registered;
}

/** The trigger binding of a registered function. */
export function triggerOf(registered: readonly Registration[], name: string): Record<string, unknown> | undefined {
  const registration = registered.find((r) => r.name === name);
  return registration && Object.values(registration.bindings).find((b) => String(b.type).endsWith("Trigger"));
}
